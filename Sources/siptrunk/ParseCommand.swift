import ArgumentParser
import Foundation
import SIPCore
import TrunkCore
import TrunkStore

/// `siptrunk parse [FILE|-] [--json]`: decode one SIP message, like sngrep's raw view, and check it.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Decode one SIP message from a file or standard input and check it.",
        discussion: """
            Prints the start line, the typed headers (Via hops, From, To, Call-ID, CSeq, Contact, ...), every header \
            as received, the body, and any problem a SIP server would reject the message for.
            Exit status: 0 the message is valid; 1 it cannot be parsed or breaks a rule (the error names the header \
            and byte offset); 2 usage error (for example the file does not exist).
            """
    )

    @Argument(help: "File holding the message; '-' or nothing reads standard input.")
    var file: String?

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func run() throws {
        let bytes = try readInput()
        let parser = SIPMessageParser()
        let message: SIPMessage
        do {
            message = try parser.parse(datagram: bytes)
        } catch {
            if json {
                JSONOutput.print(
                    Envelope<ParsedMessage>(
                        data: nil,
                        errors: [.init(error: "malformed_message", message: error.description)]))
                throw CommandFailure.silent
            }
            throw CommandFailure.refused("not a valid SIP message: \(error.location) at byte \(error.offset): \(error.reason)")
        }
        let problems = message.validate()
        if json {
            let errors = problems.map { Envelope<ParsedMessage>.ErrorItem(error: "invalid_message", message: $0.description) }
            JSONOutput.print(Envelope(data: ParsedMessage(message, problems: problems), errors: errors.isEmpty ? nil : errors))
        } else {
            print(MessageReport(message: message, problems: problems).text, terminator: "")
        }
        if !problems.isEmpty { throw CommandFailure.silent }
    }

    func readInput() throws -> [UInt8] {
        let limit = SIPParserLimits().maxMessageBytes
        // Read at most one byte past the limit, so a huge input is refused without being held in memory; a
        // directory or a device is refused with a sentence (it trapped in Foundation's FileHandle, issue 19).
        let bytes: [UInt8]
        do {
            if let file, file != "-" {
                bytes = try PrivateFile.read(file, limit: limit)
            } else {
                bytes = try PrivateFile.readAll(STDIN_FILENO, limit: limit, name: "standard input")
            }
        } catch {
            if error.description.contains("byte limit") { throw CommandFailure.refused("\(error) for one SIP message") }
            throw CommandFailure.usage("\(error)")
        }
        if bytes.isEmpty { throw CommandFailure.refused("the input is empty: there is no SIP message to parse") }
        return bytes
    }
}

/// The JSON shape of a parsed message.
struct ParsedMessage: Encodable {
    struct Header: Encodable {
        var name: String
        var value: String
    }

    struct Address: Encodable {
        var displayName: String?
        var uri: String
        var tag: String?

        init(_ address: NameAddress) {
            displayName = address.displayName
            uri = address.uri.description
            tag = address.tag
        }
    }

    struct ViaHop: Encodable {
        var transport: String
        var host: String
        var port: Int?
        var branch: String?
        var received: String?
        var rport: String?

        init(_ via: Via) {
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

    struct CSeqValue: Encodable {
        var sequence: UInt32
        var method: String
    }

    struct Problem: Encodable {
        var location: String
        var reason: String
        var offset: Int?
        var statusCode: Int
    }

    var kind: String
    var method: String?
    var requestUri: String?
    var statusCode: Int?
    var reasonPhrase: String?
    var callId: String?
    var cseq: CSeqValue?
    var from: Address?
    var to: Address?
    var via: [ViaHop]
    var contact: [Address]
    var headers: [Header]
    var contentType: String?
    var bodyBytes: Int
    var body: String?
    var codecs: [String]?
    var problems: [Problem]

    init(_ message: SIPMessage, problems: [SIPMessageProblem]) {
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

/// The human view of a parsed message.
struct MessageReport {
    var message: SIPMessage
    var problems: [SIPMessageProblem]

    var text: String {
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
            if message.body.last != ASCII.newline { out += "\n" }
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

private enum ASCII {
    static let newline = UInt8(ascii: "\n")
}
