/// A `sip:` or `sips:` URI (RFC 3261 §19.1), with IPv6 references as RFC 5118 requires.
///
/// User, password, parameter and header values are stored unescaped; `description` escapes them again.
public struct SIPURI: Sendable, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable, Hashable {
        case sip, sips
    }

    public struct Parameter: Sendable, Hashable {
        public var name: String
        public var value: String?
        public init(_ name: String, _ value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    public var scheme: Scheme
    public var port: Int?

    /// User, password, host, parameters and headers: as written — the URI's one slice of the message and where
    /// each part is, decoded when read, so a parsed URI is one reference and a few integers to copy — or as given.
    var parts: Parts

    enum Parts: Sendable {
        case wire(Wire)
        indirect case built(Built)
    }

    struct Wire: Sendable {
        let bytes: ArraySlice<UInt8>
        /// Offsets from `bytes.startIndex`; a URI is at most a message long, so 32 bits suffice.
        let user: Span?
        let password: Span?
        let host: Span
        /// From the first ';' (included) to the '?' or the end.
        let parameters: Span
        /// After the '?'.
        let headers: Span?

        func slice(_ span: Span) -> ArraySlice<UInt8> {
            let base = bytes.startIndex
            return bytes[(base + Int(span.start))..<(base + Int(span.end))]
        }

        /// A part with its %HH escapes resolved (checked when the URI was parsed).
        func unescaped(_ span: Span) -> String {
            LazyText(wire: slice(span), .percent).string
        }
    }

    struct Span: Sendable {
        let start: Int32
        let end: Int32
        init(_ range: Range<Int>) {
            start = Int32(truncatingIfNeeded: range.lowerBound)
            end = Int32(truncatingIfNeeded: range.upperBound)
        }
    }

    struct Built: Sendable {
        var user: String?
        var password: String?
        var host: String
        var parameters: ParameterList
        var headers: ParameterList
    }

    /// Changes the parts as given (a parsed URI's are decoded first).
    private mutating func change(_ body: (inout Built) -> Void) {
        var changed: Built
        switch parts {
        case .built(let built): changed = built
        case .wire: changed = Built(user: user, password: password, host: host, parameters: parameterList, headers: headerList)
        }
        body(&changed)
        parts = .built(changed)
    }

    /// The user part, unescaped.
    public var user: String? {
        get {
            switch parts {
            case .built(let built): return built.user
            case .wire(let wire): return wire.user.map(wire.unescaped)
            }
        }
        set { change { $0.user = newValue } }
    }

    public var password: String? {
        get {
            switch parts {
            case .built(let built): return built.password
            case .wire(let wire): return wire.password.map(wire.unescaped)
            }
        }
        set { change { $0.password = newValue } }
    }

    /// The host name, IPv4 address, or IPv6 address without brackets.
    public var host: String {
        get {
            switch parts {
            case .built(let built): return built.host
            case .wire(let wire): return String(decoding: wire.slice(wire.host), as: UTF8.self)
            }
        }
        set { change { $0.host = newValue } }
    }

    /// URI parameters and headers as written (parsed) or as given (built).
    var parameterList: ParameterList {
        switch parts {
        case .built(let built): return built.parameters
        case .wire(let wire): return ParameterList(wire: wire.slice(wire.parameters), grammar: .uri)
        }
    }

    var headerList: ParameterList {
        switch parts {
        case .built(let built): return built.headers
        case .wire(let wire): return wire.headers.map { ParameterList(wire: wire.slice($0), grammar: .uriHeaders) } ?? ParameterList()
        }
    }

    public var parameters: [Parameter] {
        get { parameterList.elements }
        set { change { $0.parameters = ParameterList(newValue) } }
    }

    public var headers: [Parameter] {
        get { headerList.elements }
        set { change { $0.headers = ParameterList(newValue) } }
    }

    public init(
        scheme: Scheme = .sip, user: String? = nil, password: String? = nil, host: String, port: Int? = nil,
        parameters: [Parameter] = [], headers: [Parameter] = []
    ) {
        self.scheme = scheme
        self.port = port
        self.parts = .built(
            Built(user: user, password: password, host: host, parameters: ParameterList(parameters), headers: ParameterList(headers)))
    }

    /// URIs are equal when their parts are, however they are stored (values compared unescaped).
    public static func == (lhs: SIPURI, rhs: SIPURI) -> Bool {
        lhs.scheme == rhs.scheme && lhs.port == rhs.port && lhs.host == rhs.host && lhs.user == rhs.user
            && lhs.password == rhs.password && lhs.parameterList == rhs.parameterList && lhs.headerList == rhs.headerList
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(scheme)
        hasher.combine(port)
        hasher.combine(host)
        hasher.combine(user)
        hasher.combine(password)
        hasher.combine(parameterList)
        hasher.combine(headerList)
    }

    public var isIPv6: Bool {
        switch parts {
        case .built(let built): return built.host.utf8.contains(ASCII.colon)
        case .wire(let wire): return wire.slice(wire.host).contains(ASCII.colon)
        }
    }

    /// `host` as it appears in a URI or Via: IPv6 addresses in brackets.
    public var hostReference: String { isIPv6 ? "[\(host)]" : host }

    /// The value of a URI parameter (names compare case-insensitively); `""` for a parameter without value.
    public func parameter(_ name: String) -> String? { parameterList.value(name) }

    public var transportParameter: String? { parameter("transport")?.lowercased() }

    public mutating func setParameter(_ name: String, _ value: String?) {
        change { $0.parameters.set(name, value) }
    }

    // MARK: Parsing

    public init(parsing text: String) throws(SIPSyntaxError) {
        try self.init(bytes: Array(text.utf8)[...])
    }

    init(bytes: ArraySlice<UInt8>) throws(SIPSyntaxError) {
        // Scanned through a raw buffer (an ArraySlice checks bounds and may retain on every access); the parts are
        // then kept as slices of `bytes`.
        let layout = try bytes.withUnsafeBufferPointer { (buffer) throws(SIPSyntaxError) -> Layout in try Layout(buffer) }
        scheme = layout.scheme
        port = layout.port
        parts = .wire(
            Wire(
                bytes: bytes, user: layout.user.map(Span.init), password: layout.password.map(Span.init), host: Span(layout.host),
                parameters: Span(layout.parameters), headers: layout.headers.map(Span.init)))
    }

    /// Where each part of a URI is (offsets from its first byte), checked against RFC 3261 §19.1 and RFC 5118.
    private struct Layout {
        var scheme = Scheme.sip
        var user: Range<Int>?
        var password: Range<Int>?
        var host = 0..<0
        var port: Int?
        var parameters = 0..<0
        var headers: Range<Int>?

        init(_ bytes: UnsafeBufferPointer<UInt8>) throws(SIPSyntaxError) {
            func fail(_ reason: String, _ at: Int) -> SIPSyntaxError { SIPSyntaxError("SIP URI", reason, offset: at) }
            let end = bytes.count

            var colon = 0
            while colon < end, bytes[colon] != ASCII.colon { colon += 1 }
            guard colon < end else { throw fail("missing scheme (expected sip: or sips:)", 0) }
            let sip = colon >= 3 && ASCII.lowercased(bytes[0]) == UInt8(ascii: "s")
                && ASCII.lowercased(bytes[1]) == UInt8(ascii: "i") && ASCII.lowercased(bytes[2]) == UInt8(ascii: "p")
            if sip, colon == 3 {
                scheme = .sip
            } else if sip, colon == 4, ASCII.lowercased(bytes[3]) == UInt8(ascii: "s") {
                scheme = .sips
            } else {
                throw fail("scheme '\(String(decoding: bytes[0..<colon], as: UTF8.self).lowercased())' is not sip or sips", 0)
            }
            var index = colon + 1

            // userinfo: everything up to the first '@' (user may contain ';', '?' and '/', RFC 3261 user-unreserved).
            let at = ASCII.firstIndex(of: ASCII.at, in: bytes, from: index)
            if at < end {
                var passwordColon: Int?
                var cursor = index
                var escaped = false
                while cursor < at {
                    // One class lookup per byte; ':', '%' and anything else are looked at where the run stops.
                    while cursor < at, URIChar.userUnescaped.contains(bytes[cursor]) { cursor &+= 1 }
                    guard cursor < at else { break }
                    let byte = bytes[cursor]
                    if byte == ASCII.colon { passwordColon = cursor; break }
                    guard byte == ASCII.percent else {
                        throw fail("character '\(ASCII.printable([byte]))' is not allowed in the user part", cursor)
                    }
                    escaped = true
                    cursor &+= 1
                }
                guard cursor > index else { throw fail("empty user part before '@'", index) }
                guard !escaped || PercentEncoding.isWellFormed(bytes[index..<cursor]) else {
                    throw fail("bad %-escape in the user part", index)
                }
                user = index..<cursor
                if let passwordColon {
                    for position in (passwordColon + 1)..<at where !URIChar.isPassword(bytes[position]) {
                        throw fail("character '\(ASCII.printable([bytes[position]]))' is not allowed in the password", position)
                    }
                    guard PercentEncoding.isWellFormed(bytes[(passwordColon + 1)..<at]) else {
                        throw fail("bad %-escape in the password", passwordColon + 1)
                    }
                    password = (passwordColon + 1)..<at
                }
                index = at + 1
            }

            // hostport
            let hostStart = index
            if index < end, bytes[index] == ASCII.openBracket {
                var close = index
                while close < end, bytes[close] != ASCII.closeBracket { close += 1 }
                guard close < end else { throw fail("IPv6 reference is missing its closing ']'", index) }
                guard IPAddress.isIPv6(bytes: bytes[(index + 1)..<close]) else {
                    throw fail("'\(String(decoding: bytes[(index + 1)..<close], as: UTF8.self))' is not a valid IPv6 address", index + 1)
                }
                host = (index + 1)..<close
                index = close + 1
            } else {
                // The host ends at the first ':' (a port follows), ';' or '?'; a second ':' before ';' or '?' is an
                // unbracketed IPv6 address.
                index = ASCII.firstIndex(of: ASCII.colon, ASCII.semicolon, ASCII.question, in: bytes, from: index)
                if index < end, bytes[index] == ASCII.colon {
                    let next = ASCII.firstIndex(of: ASCII.colon, ASCII.semicolon, ASCII.question, in: bytes, from: index + 1)
                    if next < end, bytes[next] == ASCII.colon {
                        throw fail("an IPv6 address must be written in brackets, e.g. sip:[2001:db8::1] (RFC 5118 §4.2)", hostStart)
                    }
                }
                if let problem = HostName.problem(bytes: bytes[hostStart..<index]) { throw fail(problem, hostStart) }
                host = hostStart..<index
            }
            if index < end, bytes[index] == ASCII.colon {
                let portStart = index + 1
                index = portStart
                while index < end, ASCII.isDigit(bytes[index]) { index += 1 }
                guard let value = ASCII.decimal(bytes[portStart..<index], maxDigits: 5), value <= 65535 else {
                    throw fail("port '\(ASCII.printable(bytes[portStart..<min(end, portStart + 12)]))' is not a number from 0 to 65535", portStart)
                }
                port = value
            }

            // uri-parameters
            let parametersStart = index
            while index < end, bytes[index] == ASCII.semicolon {
                let start = index + 1
                index = start
                var equals: Int?
                var percent = false
                while index < end {
                    // One class lookup per byte ('=', '%', ';' and '?' are in no run).
                    while index < end, URIChar.paramUnescaped.contains(bytes[index]) { index &+= 1 }
                    guard index < end else { break }
                    let byte = bytes[index]
                    if byte == ASCII.semicolon || byte == ASCII.question { break }
                    if byte == ASCII.equals {
                        if equals == nil { equals = index }
                    } else {
                        guard byte == ASCII.percent else {
                            throw fail("character '\(ASCII.printable([byte]))' is not allowed in a URI parameter", index)
                        }
                        percent = true
                    }
                    index &+= 1
                }
                guard (equals ?? index) > start else { throw fail("empty or badly escaped URI parameter name", start) }
                // Without a '%' there is no escape to check.
                guard percent else { continue }
                let nameBytes = bytes[start..<(equals ?? index)]
                guard PercentEncoding.isWellFormed(nameBytes) else { throw fail("empty or badly escaped URI parameter name", start) }
                if let equals, !PercentEncoding.isWellFormed(bytes[(equals + 1)..<index]) {
                    let name = PercentEncoding.decodeString(Array(nameBytes)[...]) ?? ""
                    throw fail("bad %-escape in URI parameter '\(name)'", equals + 1)
                }
            }
            parameters = parametersStart..<index

            // headers
            guard index < end else { return }
            guard bytes[index] == ASCII.question else {
                throw fail("unexpected '\(ASCII.printable([bytes[index]]))' after the host", index)
            }
            let headersStart = index + 1
            index += 1
            while index <= end {
                let start = index
                var equals: Int?
                while index < end, bytes[index] != ASCII.ampersand {
                    if equals == nil, bytes[index] == ASCII.equals { equals = index }
                    index += 1
                }
                guard let equals, equals > start else { throw fail("URI header must be name=value", start) }
                for position in start..<index where !URIChar.isHeader(bytes[position]) && bytes[position] != ASCII.equals {
                    throw fail("character '\(ASCII.printable([bytes[position]]))' is not allowed in a URI header", position)
                }
                guard PercentEncoding.isWellFormed(bytes[start..<equals]), PercentEncoding.isWellFormed(bytes[(equals + 1)..<index])
                else { throw fail("bad %-escape in a URI header", start) }
                index += 1
            }
            headers = headersStart..<end
        }
    }

    // MARK: Rendering

    public var description: String {
        var out = scheme.rawValue + ":"
        if let user {
            out += PercentEncoding.encode(user, allowed: URIChar.isUserUnescaped)
            if let password { out += ":" + PercentEncoding.encode(password, allowed: URIChar.isPasswordUnescaped) }
            out += "@"
        }
        out += hostReference
        if let port { out += ":\(port)" }
        for parameter in parameters {
            out += ";" + PercentEncoding.encode(parameter.name, allowed: URIChar.isParamUnescaped)
            if let value = parameter.value { out += "=" + PercentEncoding.encode(value, allowed: URIChar.isParamUnescaped) }
        }
        for (offset, header) in headers.enumerated() {
            out += offset == 0 ? "?" : "&"
            out += PercentEncoding.encode(header.name, allowed: URIChar.isHeaderUnescaped)
            out += "=" + PercentEncoding.encode(header.value ?? "", allowed: URIChar.isHeaderUnescaped)
        }
        return out
    }

    // MARK: Comparison

    /// URI equivalence as RFC 3261 §19.1.4 defines it.
    ///
    /// Scheme, user and password compare case-sensitively after unescaping; host case-insensitively; an absent
    /// port differs from an explicit default; `user`, `ttl`, `method`, `maddr` and `transport` parameters must
    /// match when either side has them; other parameters only when both have them; headers must all match.
    public func isEquivalent(to other: SIPURI) -> Bool {
        guard scheme == other.scheme, user == other.user, password == other.password,
            host.lowercased() == other.host.lowercased() || (isIPv6 && IPAddress.ipv6Equal(host, other.host)),
            port == other.port
        else { return false }
        let mine = Dictionary(parameters.map { ($0.name.lowercased(), $0.value?.lowercased() ?? "") }) { first, _ in first }
        let theirs = Dictionary(other.parameters.map { ($0.name.lowercased(), $0.value?.lowercased() ?? "") }) { first, _ in first }
        for special in ["user", "ttl", "method", "maddr", "transport"] where mine[special] != theirs[special] {
            return false
        }
        for (name, value) in mine {
            if let theirValue = theirs[name], theirValue != value { return false }
        }
        // Header names are case-insensitive, values case-sensitive.
        let myHeaders = Dictionary(headers.map { ($0.name.lowercased(), $0.value ?? "") }) { first, _ in first }
        let theirHeaders = Dictionary(other.headers.map { ($0.name.lowercased(), $0.value ?? "") }) { first, _ in first }
        return myHeaders == theirHeaders
    }
}

/// A set of ASCII bytes as two 64-bit masks: membership is a shift and an AND.
/// A class of bytes of the RFC 3261 §25.1 grammar: one bit of a 256-byte table, so a test is one load and one AND.
/// The table is a `StaticString` literal — constant data, with no lazy initialisation and no bounds check (every
/// byte value indexes it); `URITests` and `HostileInputTests` check each class against the grammar's lists.
struct ByteClass {
    let bit: UInt8

    @inline(__always)
    func contains(_ byte: UInt8) -> Bool { Self.table.utf8Start[Int(byte)] & bit != 0 }

    static var token: ByteClass { ByteClass(bit: 0x01) }
    static var unreserved: ByteClass { ByteClass(bit: 0x02) }
    static var userUnescaped: ByteClass { ByteClass(bit: 0x04) }
    static var passwordUnescaped: ByteClass { ByteClass(bit: 0x08) }
    static var paramUnescaped: ByteClass { ByteClass(bit: 0x10) }
    static var headerUnescaped: ByteClass { ByteClass(bit: 0x20) }
    /// Letters, digits and '_' (host name labels; '-' is checked apart).
    static var hostLabel: ByteClass { ByteClass(bit: 0x40) }

    /// Byte value -> its classes' bits (bytes 128-255 are in none).
    static let table: StaticString = """
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{3F}\u{00}\u{00}\u{3C}\u{01}\u{1C}\u{3F}\u{3E}\u{3E}\u{3F}\u{3D}\u{0C}\u{3F}\u{3F}\u{34}\
        \u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{30}\u{04}\u{00}\u{0C}\u{00}\u{24}\
        \u{00}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\
        \u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{30}\u{00}\u{30}\u{00}\u{7F}\
        \u{01}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\
        \u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{00}\u{00}\u{00}\u{3F}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}
        """
}

/// Character classes of RFC 3261 §25.1 used inside URIs (masks generated from the grammar's character lists;
/// `URITests` checks each against the lists).
enum URIChar {
    static var unreserved: ByteClass { .unreserved }
    static var userUnescaped: ByteClass { .userUnescaped }
    static var passwordUnescaped: ByteClass { .passwordUnescaped }
    static var paramUnescaped: ByteClass { .paramUnescaped }
    static var headerUnescaped: ByteClass { .headerUnescaped }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        ASCII.isDigit(byte) || ASCII.lowercased(byte) &- 0x61 < 26
    }

    /// unreserved = alphanum / mark
    static func isUnreserved(_ byte: UInt8) -> Bool { unreserved.contains(byte) }
    static func isUserUnescaped(_ byte: UInt8) -> Bool { userUnescaped.contains(byte) }
    static func isUser(_ byte: UInt8) -> Bool { userUnescaped.contains(byte) || byte == ASCII.percent }
    static func isPasswordUnescaped(_ byte: UInt8) -> Bool { passwordUnescaped.contains(byte) }
    static func isPassword(_ byte: UInt8) -> Bool { passwordUnescaped.contains(byte) || byte == ASCII.percent }
    static func isParamUnescaped(_ byte: UInt8) -> Bool { paramUnescaped.contains(byte) }
    static func isParam(_ byte: UInt8) -> Bool { paramUnescaped.contains(byte) || byte == ASCII.percent }
    static func isHeaderUnescaped(_ byte: UInt8) -> Bool { headerUnescaped.contains(byte) }
    static func isHeader(_ byte: UInt8) -> Bool { headerUnescaped.contains(byte) || byte == ASCII.percent }
}
