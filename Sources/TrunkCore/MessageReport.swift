import Foundation
import SIPCore

/// The JSON shape of a parsed message (`siptrunk parse --json`).
public struct ParsedMessage: Encodable, Sendable {
    public struct Header: Encodable, Sendable {
        public var name: String
        public var value: String
    }

    public struct Address: Encodable, Sendable {
        public var displayName: String?
        public var uri: String
        public var tag: String?

        public init(_ address: NameAddress) {
            displayName = address.displayName
            uri = address.uri.description
            tag = address.tag
        }
    }

    public struct ViaHop: Encodable, Sendable {
        public var transport: String
        public var host: String
        public var port: Int?
        public var branch: String?
        public var received: String?
        public var rport: String?

        public init(_ via: Via) {
            transport = via.transport
            host = via.host
            port = via.port
            branch = via.branch
            received = via.received
            switch via.rport {
            case .absent: rport = nil
            case .requested: rport = ""
            case .value(let port): rport = String(port)
            }
        }
    }

    public struct CSeqValue: Encodable, Sendable {
        public var sequence: UInt32
        public var method: String
    }

    public struct Problem: Encodable, Sendable {
        public var location: String
        public var reason: String
        public var offset: Int?
        public var statusCode: Int
    }

    public var kind: String
    public var method: String?
    public var requestUri: String?
    public var statusCode: Int?
    public var reasonPhrase: String?
    public var callId: String?
    public var cseq: CSeqValue?
    public var from: Address?
    public var to: Address?
    public var via: [ViaHop]
    public var contact: [Address]
    public var headers: [Header]
    public var contentType: String?
    public var bodyBytes: Int
    public var body: String?
    public var codecs: [String]?
    public var problems: [Problem]

    public init(_ message: SIPMessage, problems: [SIPMessageProblem]) {
        switch message.startLine {
        case .request(let line):
            kind = "request"
            method = line.method.rawValue
            requestUri = line.requestURI
        case .response(let line):
            kind = "response"
            statusCode = line.code
            reasonPhrase = line.reason
        }
        callId = message.callID
        cseq = (try? message.cseq).flatMap { $0 }.map { CSeqValue(sequence: $0.sequence, method: $0.method.rawValue) }
        from = (try? message.from).flatMap { $0 }.map(Address.init)
        to = (try? message.to).flatMap { $0 }.map(Address.init)
        via = ((try? message.via) ?? []).map(ViaHop.init)
        if case .addresses(let addresses)? = (try? message.contact).flatMap({ $0 }) {
            contact = addresses.map(Address.init)
        } else {
            contact = []
        }
        headers = message.headers.map { Header(name: $0.name, value: $0.value) }
        contentType = message.contentType
        bodyBytes = message.body.count
        if !message.body.isEmpty, let text = String(validating: message.body, as: UTF8.self) {
            body = text
        }
        if message.mediaType == "application/sdp", let sdp = try? SessionDescription(bytes: message.body) {
            codecs = sdp.codecNames
        }
        self.problems = problems.map {
            Problem(location: $0.location, reason: $0.reason, offset: $0.offset, statusCode: $0.statusCode)
        }
    }
}

/// The human view of a parsed message (`siptrunk parse`), like sngrep's raw view with the typed headers above it.
public struct MessageReport: Sendable {
    public var message: SIPMessage
    public var problems: [SIPMessageProblem]

    public init(message: SIPMessage, problems: [SIPMessageProblem]) {
        self.message = message
        self.problems = problems
    }

    public var text: String {
        var out = ""
        func row(_ label: String, _ value: String) {
            out += label.padding(toLength: 12, withPad: " ", startingAt: 0) + value + "\n"
        }
        switch message.startLine {
        case .request(let line): row("Request", "\(line.method) \(line.requestURI)")
        case .response(let line): row("Response", "\(line.code) \(line.reason)")
        }
        if let callID = message.callID { row("Call-ID", callID) }
        if let cseq = (try? message.cseq).flatMap({ $0 }) { row("CSeq", cseq.description) }
        if let from = (try? message.from).flatMap({ $0 }) { row("From", from.description) }
        if let to = (try? message.to).flatMap({ $0 }) { row("To", to.description) }
        for (index, hop) in ((try? message.via) ?? []).enumerated() {
            row(index == 0 ? "Via" : "", hop.description)
        }
        if case .addresses(let contacts)? = (try? message.contact).flatMap({ $0 }) {
            for (index, contact) in contacts.enumerated() { row(index == 0 ? "Contact" : "", contact.description) }
        }
        if let agent = message.userAgent { row("User-Agent", agent) }
        if let server = message.server { row("Server", server) }
        if !message.allow.isEmpty { row("Allow", message.allow.joined(separator: ", ")) }
        let bodyDescription = message.body.isEmpty ? "none" : "\(message.body.count) bytes" + (message.contentType.map { " (\($0))" } ?? "")
        row("Body", bodyDescription)
        if message.mediaType == "application/sdp" {
            switch Result(catching: { try SessionDescription(bytes: message.body) }) {
            case .success(let sdp): row("Codecs", sdp.codecNames.joined(separator: ", "))
            case .failure(let error): row("SDP", "invalid: \(error)")
            }
        }
        out += "\n" + message.startLine.text + "\n"
        for field in message.headers { out += field.name + ": " + field.value + "\n" }
        if !message.body.isEmpty {
            out += "\n" + String(decoding: message.body, as: UTF8.self)
            if message.body.last != ReportASCII.newline { out += "\n" }
        }
        out += "\n"
        if problems.isEmpty {
            out += "Valid: no problems found.\n"
        } else {
            out += "Problems (\(problems.count)):\n"
            for problem in problems { out += "  - \(problem)\n" }
        }
        return out
    }
}

private enum ReportASCII {
    static let newline = UInt8(ascii: "\n")
}
