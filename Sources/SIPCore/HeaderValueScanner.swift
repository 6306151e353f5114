/// Reads one header value by the RFC 3261 §25.1 rules: tokens, quoted strings with escapes, `<...>`,
/// separators with optional linear whitespace around them. Line folds count as whitespace.
struct HeaderValueScanner {
    let bytes: ArraySlice<UInt8>
    var index: Int
    /// Names the header in errors.
    let context: String

    init(_ bytes: ArraySlice<UInt8>, context: String) {
        self.bytes = bytes
        self.index = bytes.startIndex
        self.context = context
    }

    var isAtEnd: Bool { index >= bytes.endIndex }
    var peek: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

    func error(_ reason: String, at position: Int? = nil) -> SIPSyntaxError {
        SIPSyntaxError(context, reason, offset: (position ?? index) - bytes.startIndex)
    }

    @inline(__always)
    static func isLWS(_ byte: UInt8) -> Bool {
        byte == ASCII.space || byte == ASCII.tab || byte == ASCII.cr || byte == ASCII.lf
    }

    @inline(__always)
    mutating func skipLWS() {
        while index < bytes.endIndex, Self.isLWS(bytes[index]) { index += 1 }
    }

    /// Consumes `byte` with optional whitespace around it (SEMI, COMMA, EQUAL, SLASH, COLON, ...).
    @inline(__always)
    mutating func consume(_ byte: UInt8) -> Bool {
        let saved = index
        skipLWS()
        if index < bytes.endIndex, bytes[index] == byte {
            index += 1
            skipLWS()
            return true
        }
        index = saved
        return false
    }

    @inline(__always)
    mutating func token() -> ArraySlice<UInt8>? {
        let start = index
        while index < bytes.endIndex, ASCII.isToken(bytes[index]) { index += 1 }
        return index > start ? bytes[start..<index] : nil
    }

    mutating func requireTokenBytes(_ what: String) throws(SIPSyntaxError) -> ArraySlice<UInt8> {
        guard let token = token() else {
            if let byte = peek { throw error("expected \(what), found '\(ASCII.printable([byte]))'") }
            throw error("expected \(what), found the end of the value")
        }
        return token
    }

    mutating func requireToken(_ what: String) throws(SIPSyntaxError) -> String {
        guard let token = token() else {
            if let byte = peek { throw error("expected \(what), found '\(ASCII.printable([byte]))'") }
            throw error("expected \(what), found the end of the value")
        }
        return String(decoding: token, as: UTF8.self)
    }

    /// A quoted-string starting at the current `"`; returns its content with quoted-pairs resolved.
    mutating func quotedString() throws(SIPSyntaxError) -> String {
        let start = index
        guard peek == ASCII.quote else { throw error("expected '\"'") }
        index += 1
        var out: [UInt8] = []
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == ASCII.quote {
                index += 1
                return String(decoding: out, as: UTF8.self)
            }
            if byte == ASCII.backslash {
                guard index + 1 < bytes.endIndex else { break }
                out.append(bytes[index + 1])
                index += 2
                continue
            }
            if byte == ASCII.cr || byte == ASCII.lf {
                // A fold inside quotes is whitespace.
                if out.last != ASCII.space { out.append(ASCII.space) }
                index += 1
                while index < bytes.endIndex, Self.isLWS(bytes[index]) { index += 1 }
                continue
            }
            out.append(byte)
            index += 1
        }
        throw error("unterminated quoted string", at: start)
    }

    /// A parameter value: token, quoted string, or (for host-like values) an IPv6 reference in brackets.
    mutating func parameterValue() throws(SIPSyntaxError) -> String {
        if peek == ASCII.quote { return try quotedString() }
        if peek == ASCII.openBracket {
            let start = index
            guard let close = bytes[index...].firstIndex(of: ASCII.closeBracket) else {
                throw error("IPv6 reference is missing its closing ']'")
            }
            index = close + 1
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        let start = index
        // gen-value = token / host / quoted-string; hosts include ':' for bare IPv6 (RFC 5118 §4.6).
        while index < bytes.endIndex, ASCII.isToken(bytes[index]) || bytes[index] == ASCII.colon { index += 1 }
        guard index > start else {
            if let byte = peek { throw error("expected a parameter value, found '\(ASCII.printable([byte]))'") }
            throw error("expected a parameter value, found the end of the value")
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// Steps over a quoted-string starting at the current `"`, checking that it ends.
    mutating func skipQuotedString() throws(SIPSyntaxError) {
        let start = index
        let base = bytes.startIndex
        // The closing quote or a backslash, eight bytes at a time (a nonce or a digest response is long).
        let after: Int? = bytes.withUnsafeBufferPointer { buffer in
            var position = start - base + 1
            while true {
                position = ASCII.firstIndex(of: ASCII.quote, ASCII.backslash, ASCII.quote, in: buffer, from: position)
                guard position < buffer.count else { return nil }
                if buffer[position] == ASCII.quote { return position + 1 }
                // A quoted-pair: the byte after the backslash is taken as it is.
                guard position + 1 < buffer.count else { return nil }
                position += 2
            }
        }
        guard let after else { throw error("unterminated quoted string", at: start) }
        index = base + after
    }

    /// `*( SEMI generic-param )`, checked by the rules of `parameters()`, kept as the slice it covers: no
    /// string is made until a parameter is read.
    ///
    /// `check` sees each parameter's name and raw value (a quoted value with its quotes) in the same pass, as
    /// buffers valid for the call only; the first problem it names is returned beside the list, for the caller to
    /// throw where its grammar says.
    mutating func parameterSection(
        check: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>?) -> String? = { _, _ in nil }
    ) throws(SIPSyntaxError) -> (parameters: ParameterList, problem: String?) {
        let start = index
        // The usual form first — `;name` or `;name=value` with token values and no whitespace — read through a
        // pointer (no bounds checks, no slices per parameter); anything else (whitespace, a quoted or bracketed
        // value, a missing name) leaves the rest to the scanner below, from the parameter it stopped at.
        let base = bytes.startIndex
        let (stop, found) = bytes.withUnsafeBufferPointer { buffer -> (Int, String?) in
            let end = buffer.count
            var position = index - base
            while position < end, buffer[position] == ASCII.semicolon {
                let nameStart = position &+ 1
                var cursor = nameStart
                while cursor < end, ASCII.isToken(buffer[cursor]) { cursor &+= 1 }
                guard cursor > nameStart else { break }
                let nameEnd = cursor
                var valueRange: Range<Int>?
                if cursor < end, buffer[cursor] == ASCII.equals {
                    let valueStart = cursor &+ 1
                    cursor = valueStart
                    while cursor < end, ASCII.isToken(buffer[cursor]) || buffer[cursor] == ASCII.colon { cursor &+= 1 }
                    guard cursor > valueStart else { break }
                    valueRange = valueStart..<cursor
                }
                // The parameter must end here: at the end, or at the next ';' (whitespace, a quote ... go the long way).
                guard cursor == end || buffer[cursor] == ASCII.semicolon else { break }
                let problem = check(
                    UnsafeBufferPointer(rebasing: buffer[nameStart..<nameEnd]), valueRange.map { UnsafeBufferPointer(rebasing: buffer[$0]) })
                position = cursor
                if let problem { return (position, problem) }
            }
            return (position, nil)
        }
        index = base + stop
        var problem = found
        while consume(ASCII.semicolon) {
            guard let name = token() else {
                if let byte = peek { throw error("expected a parameter name after ';', found '\(ASCII.printable([byte]))'") }
                throw error("expected a parameter name after ';', found the end of the value")
            }
            guard consume(ASCII.equals) else {
                if problem == nil { problem = name.withUnsafeBufferPointer { check($0, nil) } }
                continue
            }
            let valueStart = index
            defer {
                if problem == nil {
                    problem = name.withUnsafeBufferPointer { name in
                        bytes[valueStart..<index].withUnsafeBufferPointer { value in check(name, value) }
                    }
                }
            }
            if peek == ASCII.quote {
                try skipQuotedString()
            } else if peek == ASCII.openBracket {
                guard let close = bytes[index...].firstIndex(of: ASCII.closeBracket) else {
                    throw error("IPv6 reference is missing its closing ']'")
                }
                index = close + 1
            } else {
                let valueStart = index
                while index < bytes.endIndex, ASCII.isToken(bytes[index]) || bytes[index] == ASCII.colon { index += 1 }
                guard index > valueStart else {
                    if let byte = peek { throw error("expected a parameter value, found '\(ASCII.printable([byte]))'") }
                    throw error("expected a parameter value, found the end of the value")
                }
            }
        }
        return (ParameterList(wire: bytes[start..<index], grammar: .header), problem)
    }

    /// `*( SEMI generic-param )` — `;name[=value]` pairs until a comma or the end.
    mutating func parameters() throws(SIPSyntaxError) -> [SIPURI.Parameter] {
        var result: [SIPURI.Parameter] = []
        while consume(ASCII.semicolon) {
            let name = try requireToken("a parameter name after ';'")
            if consume(ASCII.equals) {
                result.append(SIPURI.Parameter(name, try parameterValue()))
            } else {
                result.append(SIPURI.Parameter(name, nil))
            }
        }
        return result
    }

    /// Ranges of the comma-separated elements at top level (commas inside quotes or `<>` do not split).
    static func splitList(_ bytes: ArraySlice<UInt8>, context: String) throws(SIPSyntaxError) -> [ArraySlice<UInt8>] {
        var parts: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        var inQuotes = false
        var inAngle = false
        while index < bytes.endIndex {
            let byte = bytes[index]
            if inQuotes {
                if byte == ASCII.backslash {
                    index += 2
                    continue
                }
                if byte == ASCII.quote { inQuotes = false }
            } else if byte == ASCII.quote {
                inQuotes = true
            } else if byte == ASCII.lessThan {
                inAngle = true
            } else if byte == ASCII.greaterThan {
                inAngle = false
            } else if byte == ASCII.comma && !inAngle {
                parts.append(bytes[start..<index])
                start = index + 1
            }
            index += 1
        }
        if inQuotes { throw SIPSyntaxError(context, "unterminated quoted string", offset: start - bytes.startIndex) }
        if inAngle { throw SIPSyntaxError(context, "'<' without a closing '>'", offset: start - bytes.startIndex) }
        parts.append(bytes[start..<min(index, bytes.endIndex)])
        return parts
    }

    /// Parses each comma-separated element with `element`; error offsets count from the start of `value`.
    static func parseList<T>(
        _ value: ArraySlice<UInt8>, context: String, element: (inout HeaderValueScanner) throws(SIPSyntaxError) -> T
    ) throws(SIPSyntaxError) -> [T] {
        var result: [T] = []
        try parseList(value, context: context, into: &result, element: element)
        return result
    }

    /// `parseList`, appending to `result`: the fields of a header that is repeated (a Via per hop, a Record-Route
    /// per proxy) fill one array instead of an array each, concatenated.
    static func parseList<T>(
        _ value: ArraySlice<UInt8>, context: String, into result: inout [T],
        element: (inout HeaderValueScanner) throws(SIPSyntaxError) -> T
    ) throws(SIPSyntaxError) {
        // Most values hold one element: parse it in place without building a list of parts. An unbalanced
        // quote or '<' in it is still refused, by the element's own parser.
        guard ASCII.contains(ASCII.comma, in: value) else {
            result.append(try parseElement(value, value, context: context, parse: element))
            return
        }
        let parts = try splitList(value, context: context)
        result.reserveCapacity(result.count + parts.count)
        for part in parts {
            result.append(try parseElement(part, value, context: context, parse: element))
        }
    }

    /// The first element of a list, every element checked as `parseList` does; a value of one element (the usual
    /// case) is parsed without building an array.
    static func parseFirst<T>(
        _ value: ArraySlice<UInt8>, context: String, element: (inout HeaderValueScanner) throws(SIPSyntaxError) -> T
    ) throws(SIPSyntaxError) -> T? {
        guard ASCII.contains(ASCII.comma, in: value) else { return try parseElement(value, value, context: context, parse: element) }
        return try parseList(value, context: context, element: element).first
    }

    /// Parses one element of a list; error offsets count from the start of `value`.
    private static func parseElement<T>(
        _ part: ArraySlice<UInt8>, _ value: ArraySlice<UInt8>, context: String,
        parse element: (inout HeaderValueScanner) throws(SIPSyntaxError) -> T
    ) throws(SIPSyntaxError) -> T {
        let trimmed = trim(part)
        guard !trimmed.isEmpty else {
            throw SIPSyntaxError(context, "empty element in the list", offset: part.startIndex - value.startIndex)
        }
        var scanner = HeaderValueScanner(trimmed, context: context)
        do {
            return try element(&scanner)
        } catch {
            var shifted = error
            shifted.offset += trimmed.startIndex - value.startIndex
            throw shifted
        }
    }

    /// Trims linear whitespace at both ends.
    static func trim(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isLWS(bytes[start]) { start += 1 }
        while end > start, isLWS(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }
}

extension SIPURI.Parameter {
    /// Finds a parameter by name, case-insensitively; `""` when present without a value.
    static func find(_ name: String, in parameters: [SIPURI.Parameter]) -> String? {
        parameters.first { ASCII.equalsIgnoringCase($0.name, name) }.map { $0.value ?? "" }
    }

    /// Sets a parameter's value in place, or appends it when absent.
    static func set(_ name: String, _ value: String?, in parameters: inout [SIPURI.Parameter]) {
        if let index = parameters.firstIndex(where: { ASCII.equalsIgnoringCase($0.name, name) }) {
            parameters[index].value = value
        } else {
            parameters.append(SIPURI.Parameter(name, value))
        }
    }
}
