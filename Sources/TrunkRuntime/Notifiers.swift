import AsyncHTTPClient
import CCurl
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SIPCore
import TrunkCore

/// Sends one notification on its channel and says how it went; never throws, never prints secrets.
public protocol Notifier: Sendable {
    func send(_ delivery: OutboxDelivery, credentials: NotificationCredentials, timeout: Double) -> DeliveryOutcome
}

/// Webhooks (JSON POST signed with HMAC-SHA256) and SMS (a Twilio-compatible Messages request) over AsyncHTTPClient.
public final class HTTPNotifier: Notifier {
    let client: HTTPClient

    public init() {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() { try? client.syncShutdown() }

    /// The webhook's signature header: `t=TIMESTAMP,v1=HEX` over `TIMESTAMP.BODY` (the receiver recomputes it with
    /// the shared secret and rejects old timestamps).
    public static func signature(secret: String, timestamp: Int, body: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return "t=\(timestamp),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    public func send(_ delivery: OutboxDelivery, credentials: NotificationCredentials, timeout: Double) -> DeliveryOutcome {
        switch delivery.channel {
        case "webhook": return webhook(delivery, credentials: credentials, timeout: timeout)
        case "sms": return sms(delivery, credentials: credentials, timeout: timeout)
        default: return .failed(reason: "HTTPNotifier cannot send \(delivery.channel)")
        }
    }

    func webhook(_ delivery: OutboxDelivery, credentials: NotificationCredentials, timeout: Double) -> DeliveryOutcome {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "User-Agent", value: "siptrunk-alerts/1")
        headers.add(name: "X-Siptrunk-Event-Id", value: delivery.eventId)
        let timestamp = Int(Date().timeIntervalSince1970)
        headers.add(name: "X-Siptrunk-Timestamp", value: "\(timestamp)")
        if let secret = credentials.webhookSecret {
            headers.add(name: "X-Siptrunk-Signature", value: Self.signature(secret: secret, timestamp: timestamp, body: delivery.payload))
        }
        return post(delivery.recipient, headers: headers, body: delivery.payload, caFile: credentials.webhookCaFile, timeout: timeout)
    }

    func sms(_ delivery: OutboxDelivery, credentials: NotificationCredentials, timeout: Double) -> DeliveryOutcome {
        guard let base = credentials.smsUrl, let account = credentials.smsAccount, let token = credentials.smsToken, let from = credentials.smsFrom else {
            return .failed(reason: "the SMS provider is not configured: siptrunk alerts channels --sms-url URL --sms-account SID --sms-token-file FILE --sms-from NUMBER")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        headers.add(name: "Authorization", value: "Basic " + Data("\(account):\(token)".utf8).base64EncodedString())
        headers.add(name: "X-Siptrunk-Event-Id", value: delivery.eventId)
        let form = [("To", delivery.recipient), ("From", from), ("Body", delivery.text)].map { Self.formEncode($0) + "=" + Self.formEncode($1) }.joined(separator: "&")
        let path = "/2010-04-01/Accounts/\(Self.formEncode(account))/Messages.json"
        let url = (base.hasSuffix("/") ? String(base.dropLast()) : base) + path
        return post(url, headers: headers, body: form, caFile: nil, timeout: timeout)
    }

    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        return (text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "").replacingOccurrences(of: "%20", with: "+")
    }

    func post(_ url: String, headers: HTTPHeaders, body: String, caFile: String?, timeout: Double) -> DeliveryOutcome {
        do {
            var tls: TLSConfiguration?
            if let caFile {
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.trustRoots = .file(caFile)
                tls = configuration
            }
            let request = try HTTPClient.Request(url: url, method: .POST, headers: headers, body: .string(body), tlsConfiguration: tls)
            let answer: CappedAnswer.Answer
            do {
                answer = try client.execute(request: request, delegate: CappedAnswer(), deadline: .now() + .milliseconds(Int64(timeout * 1000))).futureResult.wait()
            } catch let cut as CappedAnswer.TooLarge {
                answer = cut.answer
            }
            let text = String(decoding: answer.body, as: UTF8.self)
            let said = "HTTP \(answer.status)" + (text.isEmpty ? "" : ": " + TerminalSafeText.escaped(text)) + (answer.cut ? " (answer cut at 1 MiB)" : "")
            return (200..<300).contains(answer.status) ? .delivered(response: said) : .failed(reason: said)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return .failed(reason: "no answer within \(Int(timeout)) s from \(Self.origin(url))")
        } catch {
            return .failed(reason: "\(Self.origin(url)): \(Self.describe(error))")
        }
    }

    static func origin(_ url: String) -> String {
        guard let parsed = URL(string: url), let host = parsed.host else { return "the receiver" }
        return "\(parsed.scheme ?? "http")://\(host)\(parsed.port.map { ":\($0)" } ?? "")"
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOSSLError { return "TLS failed: \(error)" }
        if let error = error as? BoringSSLError { return "TLS failed: \(error)" }
        if let error = error as? NIOSSLExtraError { return "TLS failed: \(error)" }
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused (is the receiver running?)" }
        if text.contains("certificate") || text.contains("handshake") { return "TLS failed: \(text)" }
        return text
    }
}

/// A receiver's answer as kept: the status and the first 200 bytes of the body; reading stops (the request fails) past
/// 1 MiB, so a hostile or broken receiver cannot make the deliverer hold an endless body.
/// `@unchecked Sendable`: AsyncHTTPClient calls a delegate on the request's event loop only, one call at a time.
final class CappedAnswer: HTTPClientResponseDelegate, @unchecked Sendable {
    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]
        var cut: Bool
    }

    struct TooLarge: Error {
        var answer: Answer
    }

    static let kept = 200
    static let limit = 1 << 20
    // Touched on the request's event loop only (AsyncHTTPClient calls a delegate there).
    private var answer = Answer(status: 0, body: [], cut: false)
    private var received = 0

    func didReceiveHead(task: HTTPClient.Task<Answer>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        answer.status = Int(head.status.code)
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Answer>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        received += buffer.readableBytes
        if answer.body.count < Self.kept { answer.body += buffer.readableBytesView.prefix(Self.kept - answer.body.count) }
        guard received <= Self.limit else {
            answer.cut = true
            return task.eventLoop.makeFailedFuture(TooLarge(answer: answer))
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Answer>) throws -> Answer { answer }
}

/// Email through an SMTP relay with libcurl: STARTTLS (required unless `none`), AUTH with the configured account.
public struct SMTPNotifier: Notifier {
    public init() {}

    /// The message as it goes on the wire: headers (subject encoded per RFC 2047 when not ASCII) and a UTF-8 text.
    public static func message(_ delivery: OutboxDelivery, from: String, date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let subject = delivery.subject.filter { $0 != "\r" && $0 != "\n" }
        let encoded = subject.allSatisfy(\.isASCII) ? subject : "=?UTF-8?B?" + Data(subject.utf8).base64EncodedString() + "?="
        let domain = from.split(separator: "@").last.map(String.init) ?? "siptrunk.invalid"
        let headers = [
            "Date: \(formatter.string(from: date))", "From: siptrunk <\(from)>", "To: <\(delivery.recipient)>", "Subject: \(encoded)",
            "Message-ID: <\(delivery.eventId)@\(domain)>", "X-Siptrunk-Event-Id: \(delivery.eventId)", "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
        ]
        let body = delivery.text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n"
    }

    final class Upload {
        let bytes: [UInt8]
        var offset = 0
        init(_ text: String) { bytes = Array(text.utf8) }
    }

    public func send(_ delivery: OutboxDelivery, credentials: NotificationCredentials, timeout: Double) -> DeliveryOutcome {
        guard let url = credentials.smtpUrl, let from = credentials.smtpFrom else {
            return .failed(reason: "no SMTP relay is configured: siptrunk alerts channels --smtp-url smtp://HOST:587 --smtp-from ADDRESS")
        }
        // libcurl is opened here, on the first mail (CLibraryLoader.h says why).
        if let problem = siptrunk_curl_unavailable() {
            return .failed(reason: "libcurl, which sends alert mail, could not be loaded (\(String(cString: problem))): install libcurl4")
        }
        guard let curl = siptrunk_curl_easy_init() else { return .failed(reason: "libcurl could not start") }
        defer { siptrunk_curl_easy_cleanup(curl) }
        let upload = Upload(Self.message(delivery, from: from))
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let recipients = siptrunk_curl_slist_append(nil, "<\(delivery.recipient)>")
        defer { siptrunk_curl_slist_free_all(recipients) }
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { buffer in
            _ = siptrunk_curl_set_string(curl, CURLOPT_URL, url)
            _ = siptrunk_curl_set_string(curl, CURLOPT_MAIL_FROM, "<\(from)>")
            _ = siptrunk_curl_set_list(curl, CURLOPT_MAIL_RCPT, recipients)
            _ = siptrunk_curl_set_long(curl, CURLOPT_USE_SSL, credentials.smtpSecurity == "none" ? Int(CURLUSESSL_NONE.rawValue) : Int(CURLUSESSL_ALL.rawValue))
            if let ca = credentials.smtpCaFile { _ = siptrunk_curl_set_string(curl, CURLOPT_CAINFO, ca) }
            if let user = credentials.smtpUsername {
                _ = siptrunk_curl_set_string(curl, CURLOPT_USERNAME, user)
                _ = siptrunk_curl_set_string(curl, CURLOPT_PASSWORD, credentials.smtpPassword ?? "")
            }
            _ = siptrunk_curl_set_long(curl, CURLOPT_UPLOAD, 1)
            _ = siptrunk_curl_set_long(curl, CURLOPT_NOSIGNAL, 1)
            _ = siptrunk_curl_set_long(curl, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
            _ = siptrunk_curl_set_long(curl, CURLOPT_CONNECTTIMEOUT_MS, Int(min(timeout, 10) * 1000))
            _ = siptrunk_curl_set_pointer(curl, CURLOPT_ERRORBUFFER, buffer.baseAddress)
            _ = siptrunk_curl_set_reader(curl) { target, size, count, context in
                guard let target, let context else { return 0 }
                let upload = Unmanaged<Upload>.fromOpaque(context).takeUnretainedValue()
                let n = min(size * count, upload.bytes.count - upload.offset)
                upload.bytes.withUnsafeBufferPointer { source in
                    if let base = source.baseAddress { memcpy(target, base + upload.offset, n) }
                }
                upload.offset += n
                return n
            }
            return withExtendedLifetime(upload) {
                _ = siptrunk_curl_set_pointer(curl, CURLOPT_READDATA, Unmanaged.passUnretained(upload).toOpaque())
                return siptrunk_curl_easy_perform(curl)
            }
        }
        var reply = 0
        _ = siptrunk_curl_response_code(curl, &reply)
        if code == CURLE_OK { return .delivered(response: "SMTP \(reply) (accepted by \(HTTPNotifier.origin(url)))") }
        let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let reason = detail.isEmpty ? String(cString: siptrunk_curl_easy_strerror(code)) : detail
        return .failed(reason: "SMTP \(HTTPNotifier.origin(url)): \(TerminalSafeText.escaped(reason))\(reply > 0 ? " (last reply \(reply))" : "")")
    }
}
