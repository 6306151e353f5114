import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import TrunkCore
import TrunkRuntime

/// The Letter of Authorization's signing page (issue 18): `signature_url` leads here. The page shows the letter (and
/// the PDF), takes the representative's typed name and consent, and signing records the name, the time, the client's
/// address and the SHA-256 of the PDF shown, moving the request to `submitted`. The token in the URL is the only
/// credential (unguessable, 7 days, once).
struct SigningPage {
    let settings: APIServer.Settings

    static func url(_ request: Request, token: String) -> String {
        let host = request.head.authority ?? "127.0.0.1"
        let scheme = request.head.scheme ?? "http"
        return "\(scheme)://\(host)/v1/sip/port/sign/\(token)"
    }

    func handle(_ route: APIRoute, request: Request, context: APIContext) async throws -> Response {
        guard let token = context.parameters.get("token") else { throw APIFailure.invalid("token", "is required") }
        let service = settings.service(orgId: Installation.defaultOrgId)
        let letter = try await NIOThreadPool.singleton.runIfActive { try service.portRequest(signatureToken: token) }
        let pdf: [UInt8]
        do {
            pdf = try LetterOfAuthorization.pdf(letter)
        } catch {
            throw APIFailure(.serviceUnavailable, "loa_unavailable", error.description)
        }
        switch route.method {
        case "GET" where route.path.hasSuffix("loa.pdf"):
            return Response(
                status: .ok, headers: [.contentType: "application/pdf", .contentDisposition: "inline; filename=\"LOA-\(letter.requestId).pdf\""],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: pdf)))
        case "GET":
            return Self.html(Self.page(letter, token: token, problem: nil))
        default:
            let body = try await request.body.collect(upTo: 16 * 1024)
            let form = Self.form(String(buffer: body))
            let signer = settings.service(orgId: letter.orgId)
            let from = context.remoteAddress ?? "unknown"
            do {
                let signed = try await NIOThreadPool.singleton.runIfActive {
                    try signer.signPort(
                        id: letter.requestId, typedName: form["name"] ?? "", consent: form["consent"] == "on" || form["consent"] == "yes",
                        from: from, letterSHA256: LetterOfAuthorization.sha256(pdf))
                }
                return Self.html(Self.done(signed))
            } catch let error as TrunkError {
                if case .validation = error { return Self.html(Self.page(letter, token: token, problem: error.description), status: .badRequest) }
                throw error
            }
        }
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func page(_ letter: PortLetter, token: String, problem: String?) -> String {
        let rows = [
            ("Customer", letter.businessName ?? letter.representative), ("Numbers", letter.numbers.joined(separator: ", ")),
            ("Account number", letter.accountNumber),
            ("Service address", letter.serviceAddress.joined(separator: ", ")), ("Representative", "\(letter.representative) <\(letter.representativeEmail)>"),
            ("Requested port date", letter.targetPortDate),
        ].map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined()
        return """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Letter of Authorization \(escape(letter.requestId))</title>
            <style>body{font-family:sans-serif;max-width:42em;margin:2em auto}th{text-align:left;padding-right:1em}.problem{color:#b00}</style></head>
            <body><h1>Letter of Authorization</h1>
            <p>\(escape(letter.representative)) authorizes \(escape(letter.gainingOrganisation)) to port these numbers (request \(escape(letter.requestId))).
            <a href="/v1/sip/port/sign/\(escape(token))/loa.pdf">Read the letter (PDF)</a>.</p>
            <table>\(rows)</table>
            \(problem.map { "<p class=\"problem\" id=\"problem\">\(escape($0))</p>" } ?? "")
            <form method="post" action="/v1/sip/port/sign/\(escape(token))">
            <p><label>Type your full name to sign: <input name="name" id="name" autocomplete="name" required></label></p>
            <p><label><input type="checkbox" name="consent" id="consent" required> I have read the letter and agree to it.</label></p>
            <p><button type="submit" id="sign">Sign</button></p>
            </form></body></html>
            """
    }

    static func done(_ request: PortRequestView) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed</title></head>
        <body><h1 id="signed">Signed</h1><p>Port request \(escape(request.id)) is \(escape(request.status)). The losing carrier is asked next;
        updates go to \(escape(request.authorizedRepEmail)).</p></body></html>
        """
    }

    /// application/x-www-form-urlencoded fields.
    static func form(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if parts.count == 2 { fields[parts[0]] = parts[1] } else if parts.count == 1 { fields[parts[0]] = "" }
        }
        return fields
    }
}
