/// A `tel:` URI (RFC 3966): a global number (`+` and digits) or a local one with `phone-context`.
public struct TelURI: Sendable, Hashable, CustomStringConvertible {
    /// The number as written, visual separators included.
    public var number: String
    public var parameters: [SIPURI.Parameter]

    public init(number: String, parameters: [SIPURI.Parameter] = []) {
        self.number = number
        self.parameters = parameters
    }

    public var isGlobal: Bool { number.hasPrefix("+") }

    /// The number without visual separators (`-`, `.`, `(`, `)`), as RFC 3966 §4 compares numbers.
    public var digits: String { String(number.filter { !"-.()".contains($0) }) }

    public func parameter(_ name: String) -> String? {
        let lower = name.lowercased()
        return parameters.first { $0.name.lowercased() == lower }.map { $0.value ?? "" }
    }

    public init(parsing text: String) throws(SIPSyntaxError) {
        func fail(_ reason: String, _ at: Int) -> SIPSyntaxError { SIPSyntaxError("tel URI", reason, offset: at) }
        let bytes = Array(text.utf8)
        guard bytes.count > 4, ASCII.equalsLowercase(bytes[0..<4], "tel:") else { throw fail("missing 'tel:' scheme", 0) }
        var index = 4
        while index < bytes.count, bytes[index] != ASCII.semicolon { index += 1 }
        let numberBytes = bytes[4..<index]
        let global = numberBytes.first == UInt8(ascii: "+")
        let body = global ? numberBytes.dropFirst() : numberBytes
        let allowed: (UInt8) -> Bool = { byte in
            ASCII.isDigit(byte) || "-.()".utf8.contains(byte) || (!global && ("*#ABCDabcd".utf8.contains(byte)))
        }
        if let bad = body.firstIndex(where: { !allowed($0) }) {
            throw fail("character '\(ASCII.printable([bytes[bad]]))' is not allowed in a telephone number", bad)
        }
        guard body.contains(where: { ASCII.isDigit($0) || (!global && "*#ABCDabcd".utf8.contains($0)) }) else {
            throw fail("the telephone number has no digits", 4)
        }
        self.number = String(decoding: numberBytes, as: UTF8.self)
        var parameters: [SIPURI.Parameter] = []
        while index < bytes.count {
            let start = index + 1
            index = start
            while index < bytes.count, bytes[index] != ASCII.semicolon { index += 1 }
            let param = bytes[start..<index]
            if let bad = param.firstIndex(where: { !URIChar.isParam($0) && $0 != ASCII.equals }) {
                throw fail("character '\(ASCII.printable([bytes[bad]]))' is not allowed in a parameter", bad)
            }
            let equals = param.firstIndex(of: ASCII.equals)
            guard let name = PercentEncoding.decodeString(param[start..<(equals ?? index)]), !name.isEmpty else {
                throw fail("empty parameter name", start)
            }
            let value = equals.flatMap { PercentEncoding.decodeString(param[($0 + 1)...]) }
            parameters.append(SIPURI.Parameter(name, value))
        }
        self.parameters = parameters
        if !global && parameter("phone-context") == nil {
            throw fail("a local number needs a phone-context parameter (RFC 3966 §5.1.5)", 4)
        }
    }

    public var description: String {
        var out = "tel:" + number
        for parameter in parameters {
            out += ";" + parameter.name
            if let value = parameter.value { out += "=" + value }
        }
        return out
    }

    /// RFC 3966 §4: numbers compare digit by digit without visual separators; parameters compare as a set.
    public func isEquivalent(to other: TelURI) -> Bool {
        guard digits.lowercased() == other.digits.lowercased() else { return false }
        let mine = Set(parameters.map { "\($0.name.lowercased())=\($0.value?.lowercased() ?? "")" })
        let theirs = Set(other.parameters.map { "\($0.name.lowercased())=\($0.value?.lowercased() ?? "")" })
        return mine == theirs
    }
}

/// Any URI found in a SIP message: SIP/SIPS, tel, or another absolute URI kept as text (RFC 3261 §19.1.1).
public enum AnyURI: Sendable, Hashable, CustomStringConvertible {
    case sip(SIPURI)
    case tel(TelURI)
    case other(scheme: String, text: String)

    public init(parsing text: String) throws(SIPSyntaxError) {
        try self.init(bytes: Array(text.utf8)[...])
    }

    init(bytes: ArraySlice<UInt8>) throws(SIPSyntaxError) {
        // `sip:` or `sips:` (nearly every URI a trunk sees) goes straight to the SIP URI parser, which reads the
        // scheme again; anything else is checked as a scheme first.
        let start = bytes.startIndex
        if bytes.count > 4, ASCII.lowercased(bytes[start]) == UInt8(ascii: "s"), ASCII.lowercased(bytes[start + 1]) == UInt8(ascii: "i"),
            ASCII.lowercased(bytes[start + 2]) == UInt8(ascii: "p"),
            bytes[start + 3] == ASCII.colon || (ASCII.lowercased(bytes[start + 3]) == UInt8(ascii: "s") && bytes[start + 4] == ASCII.colon)
        {
            self = .sip(try SIPURI(bytes: bytes))
            return
        }
        guard let colon = bytes.firstIndex(of: ASCII.colon) else {
            throw SIPSyntaxError("URI", "missing scheme", offset: 0)
        }
        let scheme = bytes[bytes.startIndex..<colon]
        guard let first = scheme.first, URIChar.isAlphanumeric(first), !ASCII.isDigit(first),
            scheme.allSatisfy({ URIChar.isAlphanumeric($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E })
        else {
            throw SIPSyntaxError("URI", "'\(ASCII.printable(scheme))' is not a valid URI scheme", offset: 0)
        }
        if ASCII.equalsLowercase(scheme, "sip") || ASCII.equalsLowercase(scheme, "sips") {
            self = .sip(try SIPURI(bytes: bytes))
        } else if ASCII.equalsLowercase(scheme, "tel") {
            self = .tel(try TelURI(parsing: String(decoding: bytes, as: UTF8.self)))
        } else {
            if let bad = bytes.firstIndex(where: { $0 <= 0x20 || $0 == 0x7F || $0 == ASCII.lessThan || $0 == ASCII.greaterThan }) {
                throw SIPSyntaxError("URI", "character '\(ASCII.printable([bytes[bad]]))' is not allowed in a URI", offset: bad - bytes.startIndex)
            }
            self = .other(scheme: String(decoding: scheme, as: UTF8.self).lowercased(), text: String(decoding: bytes, as: UTF8.self))
        }
    }

    public var description: String {
        switch self {
        case .sip(let uri): return uri.description
        case .tel(let uri): return uri.description
        case .other(_, let text): return text
        }
    }

    public var sipURI: SIPURI? {
        if case .sip(let uri) = self { return uri }
        return nil
    }
}
