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
    /// The host as written (decoded when read) or as given.
    var hostText: LazyText

    /// Host name, IPv4 address, or IPv6 address without brackets.
    public var host: String {
        get { hostText.string }
        set { hostText = LazyText(newValue) }
    }
    public var port: Int?
    /// The parameters as written (parsed) or as given (built).
    var parameterList: ParameterList

    public var parameters: [SIPURI.Parameter] {
        get { parameterList.elements }
        set { parameterList = ParameterList(newValue) }
    }

    public init(transport: String, host: String, port: Int? = nil, parameters: [SIPURI.Parameter] = []) {
        self.protocolName = "SIP"
        self.protocolVersion = "2.0"
        self.transport = transport.uppercased()
        self.hostText = LazyText(host)
        self.port = port
        self.parameterList = ParameterList(parameters)
    }

    public func parameter(_ name: String) -> String? { parameterList.value(name) }

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

    /// Whether the host is `lowercaseHost` (an IPv6 address without brackets), compared without case and without
    /// making a string of the parsed host.
    public func hasHost(_ lowercaseHost: String) -> Bool {
        switch hostText.storage {
        case .wire(let bytes, _):
            var host = lowercaseHost
            return host.withUTF8 { wanted in
                guard bytes.count == wanted.count else { return false }
                var offset = 0
                for byte in bytes {
                    guard ASCII.lowercased(byte) == wanted[offset] else { return false }
                    offset += 1
                }
                return true
            }
        case .string(let host):
            return host.lowercased() == lowercaseHost
        }
    }

    public var hostReference: String { host.contains(":") ? "[\(host)]" : host }

    public mutating func setParameter(_ name: String, _ value: String?) {
        parameterList.set(name, value)
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
        if let (transport, length) = Self.commonPrefix(scanner) {
            // `SIP/2.0/UDP ` as nearly every Via is written: read at once.
            protocolName = "SIP"
            protocolVersion = "2.0"
            self.transport = transport
            scanner.index += length
        } else {
            protocolName = try Self.commonToken(&scanner, "SIP", "SIP", what: "the protocol name (SIP)")
            guard scanner.consume(ASCII.slash) else { throw scanner.error("expected '/' after the protocol name") }
            protocolVersion = try Self.commonToken(&scanner, "2.0", "2.0", what: "the protocol version")
            guard scanner.consume(ASCII.slash) else { throw scanner.error("expected '/' after the protocol version") }
            transport = try Self.transportToken(&scanner)
        }
        let beforeHost = scanner.index
        scanner.skipLWS()
        guard scanner.index > beforeHost else { throw scanner.error("expected whitespace before sent-by") }

        // sent-by = host [ COLON port ]
        if scanner.peek == ASCII.openBracket {
            let start = scanner.index
            guard let close = scanner.bytes[start...].firstIndex(of: ASCII.closeBracket) else {
                throw scanner.error("IPv6 reference is missing its closing ']'")
            }
            guard IPAddress.isIPv6(bytes: scanner.bytes[(start + 1)..<close]) else {
                throw scanner.error("'\(ASCII.printable(scanner.bytes[(start + 1)..<close]))' is not a valid IPv6 address", at: start + 1)
            }
            hostText = LazyText(wire: scanner.bytes[(start + 1)..<close], .plain)
            scanner.index = close + 1
        } else {
            let start = scanner.index
            while let byte = scanner.peek, ASCII.isToken(byte) { scanner.index += 1 }
            let text = scanner.bytes[start..<scanner.index]
            if text.isEmpty {
                if let byte = scanner.peek { throw scanner.error("expected a host, found '\(ASCII.printable([byte]))'") }
                throw scanner.error("expected a host after the transport")
            }
            if let problem = HostName.problem(bytes: text) { throw scanner.error(problem, at: start) }
            hostText = LazyText(wire: text, .plain)
        }
        if scanner.consume(ASCII.colon) {
            let start = scanner.index
            while let byte = scanner.peek, ASCII.isDigit(byte) { scanner.index += 1 }
            let digits = scanner.bytes[start..<scanner.index]
            guard let port = ASCII.decimal(digits, maxDigits: 5), port <= 65535 else {
                throw scanner.error("the port is not a number from 0 to 65535", at: start)
            }
            self.port = port
        } else {
            port = nil
        }
        let section = try scanner.parameterSection(check: Self.problem)
        parameterList = section.parameters
        scanner.skipLWS()
        if let byte = scanner.peek {
            throw scanner.error("unexpected '\(ASCII.printable([byte]))' in Via")
        }
        if let problem = section.problem { throw scanner.error(problem) }
    }

    /// What is wrong with a parameter Via gives meaning to (RFC 3261 §20.42, RFC 3581, §18.2.1), or nil. Values
    /// are checked as bytes; a quoted value (unusual) is unquoted first.
    static func problem(name: UnsafeBufferPointer<UInt8>, raw: UnsafeBufferPointer<UInt8>?) -> String? {
        let known: Int
        switch name.count {
        case 6 where ASCII.equalsLowercase(name, "branch"): known = 0
        case 8 where ASCII.equalsLowercase(name, "received"): known = 1
        case 5 where ASCII.equalsLowercase(name, "rport"): known = 2
        case 3 where ASCII.equalsLowercase(name, "ttl"): known = 3
        default: return nil
        }
        guard let raw else { return valueProblem(known, nil as [UInt8]?) }
        if raw.first == ASCII.quote {
            let unquoted = Array(ParameterList.decodeValue(Array(raw)[...], 0..<raw.count, .header).utf8)
            return valueProblem(known, unquoted)
        }
        return valueProblem(known, raw)
    }

    private static func valueProblem<C: BidirectionalCollection>(_ known: Int, _ value: C?) -> String?
    where C.Element == UInt8, C.Index == Int {
        func text() -> String { value.map { String(decoding: $0, as: UTF8.self) } ?? "" }
        switch known {
        case 0:
            return value?.isEmpty ?? true ? "branch has no value" : nil
        case 1:
            guard let value else { return "received= is not an IP address" }
            let bracketed = value.first == ASCII.openBracket && value.last == ASCII.closeBracket && value.count >= 2
            let valid = bracketed
                ? IPAddress.isIPv6(bytes: value.dropFirst().dropLast()) || IPAddress.isIPv4(bytes: value.dropFirst().dropLast())
                : IPAddress.isIPv4(bytes: value) || IPAddress.isIPv6(bytes: value)
            return valid ? nil : "received=\(text()) is not an IP address"
        case 2:
            guard let value, !value.isEmpty else { return nil }
            return (ASCII.decimal(value, maxDigits: 5) ?? 65536) > 65535 ? "rport=\(text()) is not a port number" : nil
        default:
            return (value.flatMap { ASCII.decimal($0, maxDigits: 3) } ?? 256) > 255 ? "ttl must be a number from 0 to 255" : nil
        }
    }

    /// A token that is almost always `expected`: returns the shared constant instead of a new string.
    static func commonToken(
        _ scanner: inout HeaderValueScanner, _ expected: StaticString, _ constant: String, what: String
    ) throws(SIPSyntaxError) -> String {
        guard let token = scanner.token() else { throw scanner.error("expected \(what)") }
        let matches = expected.withUTF8Buffer { token.elementsEqual($0) }
        return matches ? constant : String(decoding: token, as: UTF8.self)
    }

    static let knownTransports: [(name: String, lowercase: [UInt8])] = ["UDP", "TCP", "TLS", "SCTP", "WS", "WSS"].map {
        ($0, Array($0.lowercased().utf8))
    }

    /// The transport, upper-cased, reusing the common names' strings.
    /// `SIP/2.0/UDP`, `/TCP` or `/TLS` followed by a space, exactly so (the common form): the transport and the
    /// length up to the space. Anything else takes the token-by-token path, which accepts what the grammar allows.
    static func commonPrefix(_ scanner: HeaderValueScanner) -> (String, Int)? {
        let bytes = scanner.bytes
        let start = scanner.index
        guard bytes.endIndex - start > 12 else { return nil }
        let expected: StaticString = "SIP/2.0/"
        let matches = expected.withUTF8Buffer { prefix in
            var offset = 0
            while offset < 8, bytes[start + offset] == prefix[offset] { offset += 1 }
            return offset == 8
        }
        guard matches, bytes[start + 11] == ASCII.space else { return nil }
        switch (bytes[start + 8], bytes[start + 9], bytes[start + 10]) {
        case (UInt8(ascii: "U"), UInt8(ascii: "D"), UInt8(ascii: "P")): return ("UDP", 11)
        case (UInt8(ascii: "T"), UInt8(ascii: "C"), UInt8(ascii: "P")): return ("TCP", 11)
        case (UInt8(ascii: "T"), UInt8(ascii: "L"), UInt8(ascii: "S")): return ("TLS", 11)
        default: return nil
        }
    }

    static func transportToken(_ scanner: inout HeaderValueScanner) throws(SIPSyntaxError) -> String {
        guard let token = scanner.token() else { throw scanner.error("expected the transport") }
        for known in knownTransports where ASCII.equalsLowercase(token, known.lowercase) { return known.name }
        return String(decoding: token, as: UTF8.self).uppercased()
    }
}
