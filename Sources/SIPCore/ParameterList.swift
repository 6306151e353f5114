/// The parameters of a header element, a URI or a challenge.
///
/// A parsed value keeps the parameters as the one slice of the message's bytes they were written in (already
/// checked against their grammar) and scans it when a parameter is asked for: reading a Via's branch makes one
/// `String`, not one per parameter and an array. Values we build are kept as `SIPURI.Parameter`s. Either way,
/// lists compare and hash by their elements (names as written, values unescaped).
struct ParameterList: Sendable, Hashable {
    /// How the slice is written.
    enum Grammar: UInt8, Sendable {
        /// `*( LWS ";" LWS token [ LWS "=" LWS ( token / host / quoted-string ) ] )` (RFC 3261 generic-param).
        case header
        /// `*( ";" pname [ "=" pvalue ] )`, %HH-escaped (RFC 3261 uri-parameters).
        case uri
        /// `hname "=" hvalue *( "&" hname "=" hvalue )`, %HH-escaped (RFC 3261 headers, after '?').
        case uriHeaders
        /// `auth-param *( COMMA auth-param )`, values tokens or quoted strings (RFC 7235 §2.1).
        case auth
    }

    enum Storage: Sendable {
        case wire(ArraySlice<UInt8>, Grammar)
        case built([SIPURI.Parameter])
    }

    private(set) var storage: Storage

    init(_ elements: [SIPURI.Parameter] = []) {
        storage = .built(elements)
    }

    /// A slice that was checked against `grammar` (the parsers call this after validating it).
    init(wire bytes: ArraySlice<UInt8>, grammar: Grammar) {
        storage = bytes.isEmpty ? .built([]) : .wire(bytes, grammar)
    }

    var isEmpty: Bool {
        switch storage {
        case .built(let elements): return elements.isEmpty
        case .wire(let bytes, let grammar):
            var empty = true
            Self.forEach(bytes, grammar) { _, _ in
                empty = false
                return false
            }
            return empty
        }
    }

    /// The parameters in order, names as written, values unescaped.
    var elements: [SIPURI.Parameter] {
        switch storage {
        case .built(let elements): return elements
        case .wire(let bytes, let grammar):
            var result: [SIPURI.Parameter] = []
            Self.forEach(bytes, grammar) { name, value in
                result.append(SIPURI.Parameter(Self.decodeName(bytes[name], grammar), value.map { Self.decodeValue(bytes, $0, grammar) }))
                return true
            }
            return result
        }
    }

    /// The value of the first parameter called `name` (case-insensitively); `""` when it has no value.
    func value(_ name: String) -> String? {
        switch storage {
        case .built(let elements): return SIPURI.Parameter.find(name, in: elements)
        case .wire(let bytes, let grammar):
            var found: String?
            var wanted = name
            wanted.withUTF8 { wanted in
                Self.forEach(bytes, grammar) { nameRange, value in
                    guard Self.nameMatches(bytes[nameRange], wanted, grammar) else { return true }
                    found = value.map { Self.decodeValue(bytes, $0, grammar) } ?? ""
                    return false
                }
            }
            return found
        }
    }

    /// Whether a parameter called `name` is present (case-insensitively), without decoding its value.
    func contains(_ name: String) -> Bool {
        switch storage {
        case .built(let elements): return elements.contains { ASCII.equalsIgnoringCase($0.name, name) }
        case .wire(let bytes, let grammar):
            var found = false
            var wanted = name
            wanted.withUTF8 { wanted in
                Self.forEach(bytes, grammar) { nameRange, _ in
                    found = Self.nameMatches(bytes[nameRange], wanted, grammar)
                    return !found
                }
            }
            return found
        }
    }

    mutating func set(_ name: String, _ value: String?) {
        var elements = elements
        SIPURI.Parameter.set(name, value, in: &elements)
        storage = .built(elements)
    }

    static func == (lhs: ParameterList, rhs: ParameterList) -> Bool {
        if case .wire(let left, let leftGrammar) = lhs.storage, case .wire(let right, let rightGrammar) = rhs.storage,
            leftGrammar == rightGrammar, left.elementsEqual(right)
        {
            return true
        }
        return lhs.elements == rhs.elements
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(elements)
    }

    // MARK: Scanning a checked slice

    /// Calls `body` with each parameter's name range and value range (a quoted value's range includes its quotes)
    /// until it returns false. The slice was checked when it was parsed, so this walk does not re-check it.
    @inline(__always)
    static func forEach(
        _ bytes: ArraySlice<UInt8>, _ grammar: Grammar, _ body: (Range<Int>, Range<Int>?) -> Bool
    ) {
        let end = bytes.endIndex
        var index = bytes.startIndex
        switch grammar {
        case .header, .auth:
            while index < end {
                // Separators: ';' for header parameters, ',' for auth parameters, with whitespace around them.
                while index < end, HeaderValueScanner.isLWS(bytes[index]) || bytes[index] == ASCII.semicolon
                    || bytes[index] == ASCII.comma
                {
                    index += 1
                }
                let nameStart = index
                while index < end, ASCII.isToken(bytes[index]) { index += 1 }
                guard index > nameStart else { return }
                let nameRange = nameStart..<index
                var probe = index
                while probe < end, HeaderValueScanner.isLWS(bytes[probe]) { probe += 1 }
                guard probe < end, bytes[probe] == ASCII.equals else {
                    if !body(nameRange, nil) { return }
                    continue
                }
                index = probe + 1
                while index < end, HeaderValueScanner.isLWS(bytes[index]) { index += 1 }
                let valueStart = index
                if index < end, bytes[index] == ASCII.quote {
                    index += 1
                    while index < end, bytes[index] != ASCII.quote {
                        index += bytes[index] == ASCII.backslash ? 2 : 1
                    }
                    index = min(index + 1, end)
                } else if index < end, bytes[index] == ASCII.openBracket {
                    while index < end, bytes[index] != ASCII.closeBracket { index += 1 }
                    index = min(index + 1, end)
                } else if grammar == .auth {
                    while index < end, isAuthValue(bytes[index]) { index += 1 }
                } else {
                    while index < end, ASCII.isToken(bytes[index]) || bytes[index] == ASCII.colon { index += 1 }
                }
                if !body(nameRange, valueStart..<index) { return }
            }
        case .uri, .uriHeaders:
            let separator = grammar == .uri ? ASCII.semicolon : ASCII.ampersand
            if grammar == .uri, index < end, bytes[index] == separator { index += 1 }
            while index <= end {
                let start = index
                var equals: Int?
                while index < end, bytes[index] != separator {
                    if equals == nil, bytes[index] == ASCII.equals { equals = index }
                    index += 1
                }
                if let equals {
                    if !body(start..<equals, (equals + 1)..<index) { return }
                } else if index > start {
                    if !body(start..<index, nil) { return }
                }
                index += 1
            }
        }
    }

    /// token68-like auth values: base64 may end in '=' or hold '/'.
    @inline(__always)
    static func isAuthValue(_ byte: UInt8) -> Bool {
        ASCII.isToken(byte) || byte == ASCII.slash || byte == ASCII.equals || byte == ASCII.colon
    }

    static func nameMatches(_ name: ArraySlice<UInt8>, _ wanted: UnsafeBufferPointer<UInt8>, _ grammar: Grammar) -> Bool {
        if (grammar == .uri || grammar == .uriHeaders), name.contains(ASCII.percent) {
            guard let decoded = PercentEncoding.decode(name) else { return false }
            return ASCII.equalsIgnoringCase(decoded[...], wanted)
        }
        return ASCII.equalsIgnoringCase(name, wanted)
    }

    static func decodeName(_ name: ArraySlice<UInt8>, _ grammar: Grammar) -> String {
        switch grammar {
        case .header, .auth: return String(decoding: name, as: UTF8.self)
        case .uri, .uriHeaders: return PercentEncoding.decodeString(name) ?? String(decoding: name, as: UTF8.self)
        }
    }

    static func decodeValue(_ bytes: ArraySlice<UInt8>, _ range: Range<Int>, _ grammar: Grammar) -> String {
        let value = bytes[range]
        switch grammar {
        case .header, .auth:
            if value.first == ASCII.quote {
                var scanner = HeaderValueScanner(value, context: "")
                return (try? scanner.quotedString()) ?? String(decoding: value, as: UTF8.self)
            }
            return String(decoding: value, as: UTF8.self)
        case .uri, .uriHeaders:
            return PercentEncoding.decodeString(value) ?? String(decoding: value, as: UTF8.self)
        }
    }
}

extension ASCII {
    /// Case-insensitive equality of ASCII bytes.
    @inline(__always)
    static func equalsIgnoringCase<L: Collection, R: Collection>(_ lhs: L, _ rhs: R) -> Bool
    where L.Element == UInt8, R.Element == UInt8 {
        guard lhs.count == rhs.count else { return false }
        var right = rhs.makeIterator()
        for byte in lhs {
            guard let other = right.next(), lowercased(byte) == lowercased(other) else { return false }
        }
        return true
    }
}
