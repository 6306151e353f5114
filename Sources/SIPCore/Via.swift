/// One Via hop (RFC 3261 §20.42, §18.2.1 `received`, RFC 3581 `rport`, RFC 5118 IPv6).
public struct Via: Sendable, Hashable, CustomStringConvertible {
    /// The RFC 3261 magic cookie that starts every branch made by a compliant element (§8.1.1.7).
    public static let magicCookie = "z9hG4bK"

    public enum RPort: Sendable, Hashable {
        case absent
        /// `;rport` without value: the client asks the server to fill it in.
        case requested
        case value(Int)
    }

    public var protocolName: String
    public var protocolVersion: String
    /// The transport token as written, upper-cased (`UDP`, `TCP`, `TLS`, `SCTP`, or another token).
    public var transport: String
    /// Host name, IPv4 address, or IPv6 address without brackets.
    public var host: String
    public var port: Int?
    public var parameters: [SIPURI.Parameter]

    public init(transport: String, host: String, port: Int? = nil, parameters: [SIPURI.Parameter] = []) {
        self.protocolName = "SIP"
        self.protocolVersion = "2.0"
        self.transport = transport.uppercased()
        self.host = host
        self.port = port
        self.parameters = parameters
    }

    public func parameter(_ name: String) -> String? { SIPURI.Parameter.find(name, in: parameters) }

    public var branch: String? { parameter("branch") }

    /// Whether the branch starts with the magic cookie and has something after it (RFC 3261 §17.2.3).
    public var hasRFC3261Branch: Bool {
        guard let branch else { return false }
        return branch.hasPrefix(Self.magicCookie) && branch.count > Self.magicCookie.count
    }

    /// The `received` address, brackets removed if the sender put an IPv6 address in them (RFC 5118 §4.5).
    public var received: String? {
        guard let value = parameter("received") else { return nil }
        if value.hasPrefix("["), value.hasSuffix("]") { return String(value.dropFirst().dropLast()) }
        return value
    }

    public var rport: RPort {
        guard let value = parameter("rport") else { return .absent }
        if value.isEmpty { return .requested }
        return Int(value).map(RPort.value) ?? .requested
    }

    public var maddr: String? { parameter("maddr") }

    public var sentBy: String { port.map { "\(hostReference):\($0)" } ?? hostReference }

    public var hostReference: String { host.contains(":") ? "[\(host)]" : host }

    public mutating func setParameter(_ name: String, _ value: String?) {
        SIPURI.Parameter.set(name, value, in: &parameters)
    }

    public var description: String {
        var out = "\(protocolName)/\(protocolVersion)/\(transport) \(sentBy)"
        for parameter in parameters {
            out += ";" + parameter.name
            if let value = parameter.value { out += "=" + value }
        }
        return out
    }

    /// Parses one via-parm (one element of a Via list).
    init(scanning scanner: inout HeaderValueScanner) throws(SIPSyntaxError) {
        scanner.skipLWS()
        protocolName = try Self.commonToken(&scanner, "SIP", what: "the protocol name (SIP)")
        guard scanner.consume(ASCII.slash) else { throw scanner.error("expected '/' after the protocol name") }
        protocolVersion = try Self.commonToken(&scanner, "2.0", what: "the protocol version")
        guard scanner.consume(ASCII.slash) else { throw scanner.error("expected '/' after the protocol version") }
        transport = try Self.transportToken(&scanner)
        let beforeHost = scanner.index
        scanner.skipLWS()
        guard scanner.index > beforeHost else { throw scanner.error("expected whitespace before sent-by") }

        // sent-by = host [ COLON port ]
        if scanner.peek == ASCII.openBracket {
            let start = scanner.index
            guard let close = scanner.bytes[start...].firstIndex(of: ASCII.closeBracket) else {
                throw scanner.error("IPv6 reference is missing its closing ']'")
            }
            let literal = String(decoding: scanner.bytes[(start + 1)..<close], as: UTF8.self)
            guard IPAddress.isIPv6(literal) else {
                throw scanner.error("'\(ASCII.printable(Array(literal.utf8)))' is not a valid IPv6 address", at: start + 1)
            }
            host = literal
            scanner.index = close + 1
        } else {
            let start = scanner.index
            while let byte = scanner.peek, ASCII.isToken(byte) { scanner.index += 1 }
            let text = String(decoding: scanner.bytes[start..<scanner.index], as: UTF8.self)
            if text.isEmpty {
                if let byte = scanner.peek { throw scanner.error("expected a host, found '\(ASCII.printable([byte]))'") }
                throw scanner.error("expected a host after the transport")
            }
            if let problem = HostName.problem(text) { throw scanner.error(problem, at: start) }
            host = text
        }
        if scanner.consume(ASCII.colon) {
            let start = scanner.index
            while let byte = scanner.peek, ASCII.isDigit(byte) { scanner.index += 1 }
            let digits = scanner.bytes[start..<scanner.index]
            guard !digits.isEmpty, digits.count <= 5, let port = Int(String(decoding: digits, as: UTF8.self)), port <= 65535 else {
                throw scanner.error("the port is not a number from 0 to 65535", at: start)
            }
            self.port = port
        } else {
            port = nil
        }
        parameters = try scanner.parameters()
        scanner.skipLWS()
        if let byte = scanner.peek {
            throw scanner.error("unexpected '\(ASCII.printable([byte]))' in Via")
        }
        for parameter in parameters {
            switch Self.knownParameter(parameter.name) {
            case "branch":
                if parameter.value?.isEmpty ?? true { throw scanner.error("branch has no value") }
            case "received":
                let value = parameter.value ?? ""
                let bare = value.hasPrefix("[") && value.hasSuffix("]") ? String(value.dropFirst().dropLast()) : value
                guard IPAddress.isIPv4(bare) || IPAddress.isIPv6(bare) else {
                    throw scanner.error("received=\(value) is not an IP address")
                }
            case "rport":
                if let value = parameter.value, !value.isEmpty {
                    guard value.count <= 5, let port = Int(value), port <= 65535 else {
                        throw scanner.error("rport=\(value) is not a port number")
                    }
                }
            case "ttl":
                guard let value = parameter.value, value.count <= 3, let ttl = Int(value), ttl <= 255 else {
                    throw scanner.error("ttl must be a number from 0 to 255")
                }
            default:
                break
            }
        }
    }

    /// A token that is almost always `expected`: returns the shared constant instead of a new string.
    static func commonToken(_ scanner: inout HeaderValueScanner, _ expected: StaticString, what: String) throws(SIPSyntaxError) -> String {
        guard let token = scanner.token() else { throw scanner.error("expected \(what)") }
        let matches = expected.withUTF8Buffer { token.elementsEqual($0) }
        return matches ? expected.description : String(decoding: token, as: UTF8.self)
    }

    static let knownTransports: [(name: String, lowercase: [UInt8])] = ["UDP", "TCP", "TLS", "SCTP", "WS", "WSS"].map {
        ($0, Array($0.lowercased().utf8))
    }

    /// The transport, upper-cased, reusing the common names' strings.
    static func transportToken(_ scanner: inout HeaderValueScanner) throws(SIPSyntaxError) -> String {
        guard let token = scanner.token() else { throw scanner.error("expected the transport") }
        for known in knownTransports where ASCII.equalsLowercase(token, known.lowercase) { return known.name }
        return String(decoding: token, as: UTF8.self).uppercased()
    }

    /// The lowercase name of a parameter Via gives meaning to, or nil; compares without allocating.
    static func knownParameter(_ name: String) -> String? {
        for known in ["branch", "received", "rport", "ttl"] where ASCII.equalsIgnoringCase(name, known) { return known }
        return nil
    }

    /// Parses every hop in one Via header value.
    static func parseList(_ value: ArraySlice<UInt8>, context: String = "Via") throws(SIPSyntaxError) -> [Via] {
        try HeaderValueScanner.parseList(value, context: context) { scanner throws(SIPSyntaxError) in try Via(scanning: &scanner) }
    }
}
