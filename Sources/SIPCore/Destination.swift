/// The transports siptrunk speaks.
public enum SIPTransport: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case udp, tcp, tls

    /// The token used in Via headers (RFC 3261 §18.2.1, RFC 5246 for TLS over TCP).
    public var viaToken: String { rawValue.uppercased() }
    /// The default port: 5061 for TLS, 5060 otherwise (RFC 3261 §19.1.2).
    public var defaultPort: Int { self == .tls ? 5061 : 5060 }
    public var isReliable: Bool { self != .udp }
    public var description: String { rawValue }
}

/// A SIP server address as a person types it in the wizard's Step 2 (and `POST /v1/sip/parse-destination`).
///
/// Accepted forms: `sip:user@host:5061;transport=tls`, `sips:host`, `tls://host`, `tcp://host:5080`, `udp://host`,
/// `host`, `host:port`, `[2001:db8::1]:5061`. A missing port or transport is left empty so that discovery decides.
public struct Destination: Sendable, Hashable, Codable, CustomStringConvertible {
    public var scheme: String
    public var user: String?
    public var host: String
    public var port: Int?
    public var transport: SIPTransport?

    public init(scheme: String = "sip", user: String? = nil, host: String, port: Int? = nil, transport: SIPTransport? = nil) {
        self.scheme = scheme
        self.user = user
        self.host = host
        self.port = port
        self.transport = transport
    }

    /// Why a destination was refused, in words a person can act on.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    public init(parsing input: String) throws(Problem) {
        let text = input.trimmingWhitespace()
        guard !text.isEmpty else {
            throw Problem("the destination is empty: enter a host name, an IP address or a SIP URI such as sip:pbx.example.com")
        }
        if let space = text.first(where: { $0 == " " || $0 == "\t" }) {
            throw Problem("the destination contains \(space == " " ? "a space" : "a tab"); remove it")
        }
        if let control = text.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw Problem("the destination contains the control character U+\(String(control.value, radix: 16, uppercase: true))")
        }
        let lower = text.lowercased()

        if let schemeEnd = text.firstRange(of: "://") {
            let scheme = text[..<schemeEnd.lowerBound].lowercased()
            guard let transport = SIPTransport(rawValue: scheme) else {
                throw Problem("unknown transport '\(scheme)': use udp://, tcp:// or tls://")
            }
            var rest = Substring(text[schemeEnd.upperBound...])
            if let slash = rest.firstIndex(of: "/") {
                if rest[slash...] != "/" { throw Problem("unexpected path '\(rest[slash...])' after the host") }
                rest = rest[..<slash]
            }
            let (user, hostPart) = try Self.splitUser(rest)
            let (host, port) = try Self.hostPort(hostPart)
            self.init(scheme: "sip", user: user, host: host, port: port, transport: transport)
            return
        }

        if lower.hasPrefix("sip:") || lower.hasPrefix("sips:") {
            let uri: SIPURI
            do {
                uri = try SIPURI(parsing: text)
            } catch {
                throw Problem("not a valid SIP URI: \(error.reason)")
            }
            if let port = uri.port, port == 0 { throw Problem("port 0 is out of range (1–65535)") }
            var transport: SIPTransport?
            if let param = uri.transportParameter {
                guard let known = SIPTransport(rawValue: param) else {
                    throw Problem("unknown transport '\(param)': use transport=udp, tcp or tls")
                }
                transport = known
            }
            if uri.scheme == .sips {
                if let transport, transport != .tls {
                    throw Problem("sips: requires TLS, but the URI asks for transport=\(transport.rawValue)")
                }
                transport = .tls
            }
            self.init(scheme: uri.scheme.rawValue, user: uri.user, host: uri.host, port: uri.port, transport: transport)
            return
        }

        for scheme in ["tel:", "http:", "https:", "ws:", "wss:", "mailto:"] where lower.hasPrefix(scheme) {
            throw Problem("'\(scheme)' is not a SIP server address: enter a host name, an IP address or a sip: URI")
        }

        let (user, hostPart) = try Self.splitUser(Substring(text))
        let (host, port) = try Self.hostPort(hostPart)
        self.init(scheme: "sip", user: user, host: host, port: port, transport: nil)
    }

    /// `user@hostport` or `hostport`.
    static func splitUser(_ text: Substring) throws(Problem) -> (String?, String) {
        guard let at = text.lastIndex(of: "@") else { return (nil, String(text)) }
        let user = String(text[..<at])
        if user.isEmpty { throw Problem("the user part before '@' is empty") }
        return (user, String(text[text.index(after: at)...]))
    }

    /// Splits `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address.
    static func hostPort(_ text: String) throws(Problem) -> (String, Int?) {
        guard !text.isEmpty else { throw Problem("the host is empty") }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw Problem("the IPv6 address is missing its closing ']'") }
            let literal = String(text[text.index(after: text.startIndex)..<close])
            guard IPAddress.isIPv6(literal) else { throw Problem("'\(literal)' is not a valid IPv6 address") }
            let after = text[text.index(after: close)...]
            if after.isEmpty { return (literal, nil) }
            guard after.hasPrefix(":") else { throw Problem("unexpected '\(after)' after the IPv6 address") }
            return (literal, try port(String(after.dropFirst())))
        }
        let colons = text.filter { $0 == ":" }.count
        if colons >= 2 {
            guard IPAddress.isIPv6(text) else {
                throw Problem("'\(text)' is not a valid host; write an IPv6 address in brackets, e.g. [2001:db8::1]:5061")
            }
            return (text, nil)
        }
        var host = text
        var parsedPort: Int?
        if let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            parsedPort = try port(String(text[text.index(after: colon)...]))
        }
        if let problem = HostName.problem(host) { throw Problem(problem) }
        return (host, parsedPort)
    }

    static func port(_ text: String) throws(Problem) -> Int {
        guard !text.isEmpty else { throw Problem("the port after ':' is empty") }
        guard text.allSatisfy(\.isASCIIDigit) else { throw Problem("port '\(text)' is not a number") }
        guard text.count <= 6, let value = Int(text), (1...65535).contains(value) else {
            throw Problem("port \(text) is out of range (1–65535)")
        }
        return value
    }

    /// The destination as a SIP URI (`sip:host:port;transport=tls`).
    public var uri: SIPURI {
        var uri = SIPURI(scheme: SIPURI.Scheme(rawValue: scheme) ?? .sip, user: user, host: host, port: port)
        if let transport, scheme != "sips" { uri.setParameter("transport", transport.rawValue) }
        return uri
    }

    public var description: String { uri.description }
}

extension String {
    func trimmingWhitespace() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view = view.dropFirst() }
        while let last = view.last, last.isWhitespace { view = view.dropLast() }
        return String(view)
    }
}
