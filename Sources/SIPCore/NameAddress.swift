/// `( name-addr / addr-spec ) *( SEMI generic-param )`: the value of From, To, Contact, Route, Record-Route,
/// Reply-To, Refer-To and P-Asserted-Identity (RFC 3261 §20.10, §25.1).
public struct NameAddress: Sendable, Hashable, CustomStringConvertible {
    /// The display name as written (decoded when read) or as given.
    var displayText: LazyText?

    public var displayName: String? {
        get { displayText?.string }
        set { displayText = newValue.map(LazyText.init) }
    }
    public var uri: AnyURI
    /// Header parameters as written (parsed) or as given (built).
    var parameterList: ParameterList
    /// Whether the URI was enclosed in `<...>` (name-addr form).
    public var isBracketed: Bool

    /// Header parameters (after the URI), e.g. `tag`, `expires`, `q`.
    public var parameters: [SIPURI.Parameter] {
        get { parameterList.elements }
        set { parameterList = ParameterList(newValue) }
    }

    public init(displayName: String? = nil, uri: AnyURI, parameters: [SIPURI.Parameter] = []) {
        self.displayText = displayName.map(LazyText.init)
        self.uri = uri
        self.parameterList = ParameterList(parameters)
        self.isBracketed = true
    }

    public init(displayName: String? = nil, uri: SIPURI, parameters: [SIPURI.Parameter] = []) {
        self.init(displayName: displayName, uri: .sip(uri), parameters: parameters)
    }

    public func parameter(_ name: String) -> String? { parameterList.value(name) }

    public var tag: String? { parameter("tag") }
    public var sipURI: SIPURI? { uri.sipURI }

    public mutating func setParameter(_ name: String, _ value: String?) {
        parameterList.set(name, value)
    }

    public var description: String {
        var out = ""
        if let displayName, !displayName.isEmpty {
            let escaped = displayName.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
            out += "\"\(escaped)\" "
        }
        out += "<\(uri)>"
        for parameter in parameters {
            out += ";" + parameter.name
            if let value = parameter.value {
                let needsQuotes = value.isEmpty || !value.utf8.allSatisfy { ASCII.isToken($0) || $0 == ASCII.colon || $0 == ASCII.openBracket || $0 == ASCII.closeBracket }
                out += "=" + (needsQuotes ? "\"\(value)\"" : value)
            }
        }
        return out
    }

    /// Parses one element (the caller splits lists at top-level commas).
    init(scanning scanner: inout HeaderValueScanner) throws(SIPSyntaxError) {
        scanner.skipLWS()
        guard !scanner.isAtEnd else { throw scanner.error("the value is empty") }
        var display: LazyText?
        var bracketed = false
        if scanner.peek == ASCII.quote {
            let start = scanner.index
            try scanner.skipQuotedString()
            display = LazyText(wire: scanner.bytes[start..<scanner.index], .quoted)
            scanner.skipLWS()
            guard scanner.peek == ASCII.lessThan else {
                throw scanner.error("a quoted display name must be followed by '<URI>'")
            }
            bracketed = true
        } else if scanner.peek == ASCII.lessThan {
            bracketed = true
        } else {
            // display-name = *(token LWS): look for '<' after tokens and whitespace only.
            var probe = scanner
            var wordsEnd = probe.index
            while probe.token() != nil {
                wordsEnd = probe.index
                probe.skipLWS()
            }
            if probe.peek == ASCII.lessThan, wordsEnd > scanner.index {
                display = LazyText(wire: scanner.bytes[scanner.index..<wordsEnd], .words)
                scanner = probe
                bracketed = true
            } else if let angle = scanner.bytes[scanner.index...].firstIndex(of: ASCII.lessThan),
                !scanner.bytes[scanner.index..<angle].contains(ASCII.colon) || probe.peek == ASCII.comma
            {
                let shown = String(decoding: HeaderValueScanner.trim(scanner.bytes[scanner.index..<angle]), as: UTF8.self)
                throw scanner.error("display name '\(shown)' has characters that are not allowed unquoted; enclose it in double quotes")
            }
        }

        if bracketed {
            guard scanner.peek == ASCII.lessThan else { throw scanner.error("expected '<'") }
            scanner.index += 1
            let start = scanner.index
            // One pass, eight bytes at a time, to the '>' or to whitespace before it.
            let stop = ASCII.firstIndex(of: ASCII.greaterThan, orWhitespaceIn: scanner.bytes, from: start)
            guard stop < scanner.bytes.endIndex, scanner.bytes[stop] == ASCII.greaterThan else {
                // Without a '>' at all, that is the problem to name (whitespace or not).
                guard stop < scanner.bytes.endIndex, scanner.bytes[stop...].contains(ASCII.greaterThan) else {
                    throw scanner.error("'<' without a closing '>'", at: start - 1)
                }
                throw scanner.error("whitespace inside '<...>' is not allowed around or within the URI", at: stop)
            }
            let close = stop
            let uriBytes = scanner.bytes[start..<close]
            uri = try Self.parseURI(uriBytes, scanner: scanner)
            scanner.index = close + 1
        } else {
            // addr-spec: the URI runs to ';' or whitespace. RFC 3261 §20.10: a URI holding ',', '?' or ';' must
            // be in name-addr form, so anything after it belongs to the header's parameters.
            let start = scanner.index
            while let byte = scanner.peek, byte != ASCII.semicolon, !HeaderValueScanner.isLWS(byte), byte != ASCII.comma {
                if byte == ASCII.question {
                    throw scanner.error("a URI with '?' headers must be enclosed in '<' and '>' (RFC 3261 §20.10)")
                }
                if byte == ASCII.lessThan || byte == ASCII.greaterThan || byte == ASCII.quote {
                    throw scanner.error("unexpected '\(ASCII.printable([byte]))' in the address")
                }
                scanner.index += 1
            }
            uri = try Self.parseURI(scanner.bytes[start..<scanner.index], scanner: scanner)
        }
        displayText = display
        isBracketed = bracketed
        parameterList = try scanner.parameterSection().parameters
        scanner.skipLWS()
        if let byte = scanner.peek {
            throw scanner.error("unexpected '\(ASCII.printable([byte]))' after the address")
        }
    }

    /// Tokens separated by linear whitespace, joined by single spaces (`Alice  \r\n Smith` → `Alice Smith`).
    static func joinedWords(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(where: { HeaderValueScanner.isLWS($0) }) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var inSpace = false
        for byte in bytes {
            if HeaderValueScanner.isLWS(byte) {
                inSpace = true
            } else {
                if inSpace { out.append(ASCII.space) }
                inSpace = false
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func parseURI(_ bytes: ArraySlice<UInt8>, scanner: HeaderValueScanner) throws(SIPSyntaxError) -> AnyURI {
        guard !bytes.isEmpty else { throw scanner.error("the URI is empty", at: bytes.startIndex) }
        do {
            return try AnyURI(bytes: bytes)
        } catch {
            throw scanner.error("\(error.context): \(error.reason)", at: bytes.startIndex + error.offset)
        }
    }

    /// Parses a single-valued header (From, To).
    static func parse(_ value: ArraySlice<UInt8>, context: String) throws(SIPSyntaxError) -> NameAddress {
        var scanner = HeaderValueScanner(value, context: context)
        return try NameAddress(scanning: &scanner)
    }
}

extension String {
    /// Replaces every occurrence of `target` (no Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
