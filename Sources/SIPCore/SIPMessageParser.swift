/// Limits that bound what the parser accepts, so a hostile peer cannot make it allocate or loop without end.
public struct SIPParserLimits: Sendable, Hashable {
    /// Largest message, header section plus body (RFC 3261 §18.1.1 suggests 64 KiB is ample for UDP).
    public var maxMessageBytes: Int
    public var maxHeaderCount: Int

    /// Longest physical line, start line included.
    public var maxLineLength: Int

    /// Largest Content-Length accepted. Nothing is allocated up front for it: a stream waits for the bytes.
    public var maxContentLength: Int

    public init(
        maxMessageBytes: Int = 65_536, maxHeaderCount: Int = 256, maxLineLength: Int = 8_192,
        maxContentLength: Int = 65_536
    ) {
        self.maxMessageBytes = maxMessageBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxLineLength = maxLineLength
        self.maxContentLength = maxContentLength
    }
}

/// Parses SIP messages from bytes (RFC 3261 §7, §18.3 framing, §25 grammar).
///
/// The parser is total: any input yields a message or a `SIPParseError` naming the start line or header and
/// the byte offset; it never traps. Header values are split into fields here and parsed into typed values on
/// demand (`SIPMessage.via`, `.from`, ...), so parsing a message costs one pass over its header section.
public struct SIPMessageParser: Sendable {
    public var limits: SIPParserLimits

    public init(limits: SIPParserLimits = SIPParserLimits()) {
        self.limits = limits
    }

    /// Parses one message carried in a datagram (UDP).
    ///
    /// RFC 3261 §18.3: leading CRLFs are ignored; bytes beyond Content-Length are discarded; a Content-Length
    /// larger than what arrived is an error; without Content-Length the body runs to the end of the datagram.
    public func parse(datagram bytes: [UInt8]) throws(SIPParseError) -> SIPMessage {
        guard bytes.count <= limits.maxMessageBytes else {
            throw SIPParseError(.messageTooLarge(limit: limits.maxMessageBytes), location: "message", offset: limits.maxMessageBytes)
        }
        let start = Self.skipKeepAlive(bytes, from: 0)
        guard start < bytes.count else {
            throw SIPParseError(.emptyMessage, location: "message", offset: 0)
        }
        let head = try Self.parseHead(bytes, from: start, end: bytes.count, terminatorRequired: false, limits: limits)
        let available = bytes.count - head.bodyStart
        let bodyLength: Int
        if let declared = head.contentLength {
            guard declared <= available else {
                throw SIPParseError(
                    .truncatedBody(expected: declared, available: available), location: "body", offset: head.bodyStart)
            }
            bodyLength = declared
        } else {
            bodyLength = available
        }
        let body = bodyLength == 0 ? [] : Array(bytes[head.bodyStart..<(head.bodyStart + bodyLength)])
        return SIPMessage(startLine: head.startLine, rawStartLine: head.rawStartLine, headers: head.headers, body: body)
    }

    /// Parses a message given as text (tests, the CLI).
    public func parse(_ text: String) throws(SIPParseError) -> SIPMessage {
        try parse(datagram: Array(text.utf8))
    }

    /// Whether a datagram is only a keep-alive (RFC 5626 §3.5.1: CRLF sequences), not a message.
    public static func isKeepAlive(_ bytes: [UInt8]) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { $0 == ASCII.cr || $0 == ASCII.lf }
    }

    static func skipKeepAlive(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count, bytes[index] == ASCII.cr || bytes[index] == ASCII.lf { index += 1 }
        return index
    }

    // MARK: Head

    struct Head {
        var startLine: SIPMessage.StartLine
        var rawStartLine: ArraySlice<UInt8>
        var headers: [SIPHeaderField]
        var bodyStart: Int
        var contentLength: Int?
    }

    /// Parses the start line and header fields of `bytes[start..<end]`.
    ///
    /// When `terminatorRequired` is false (datagrams) the end of the input also ends the header section.
    static func parseHead(
        _ bytes: [UInt8], from start: Int, end: Int, terminatorRequired: Bool, limits: SIPParserLimits
    ) throws(SIPParseError) -> Head {
        let result: Result<Head, SIPParseError> = bytes.withUnsafeBufferPointer { buffer in
            let scanner = HeadScanner(bytes: buffer, end: end, limits: limits, terminatorRequired: terminatorRequired)
            return scanner.scan(from: start, array: bytes)
        }
        return try result.get()
    }
}

/// The single pass over a header section. Works on a raw buffer; bounds are checked against `end` explicitly.
private struct HeadScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    let end: Int
    let limits: SIPParserLimits
    let terminatorRequired: Bool

    init(bytes: UnsafeBufferPointer<UInt8>, end: Int, limits: SIPParserLimits, terminatorRequired: Bool) {
        self.bytes = bytes
        self.end = min(end, bytes.count)
        self.limits = limits
        self.terminatorRequired = terminatorRequired
    }

    /// Index of the line end (the CR of CRLF, or a bare LF) at or after `index`, or `end` when there is none.
    @inline(__always)
    func lineEnd(from index: Int) -> (contentEnd: Int, next: Int, found: Bool) {
        var cursor = index
        while cursor < end {
            let byte = bytes[cursor]
            if byte == ASCII.lf {
                let contentEnd = cursor > index && bytes[cursor - 1] == ASCII.cr ? cursor - 1 : cursor
                return (contentEnd, cursor + 1, true)
            }
            cursor += 1
        }
        return (end, end, false)
    }

    func scan(from start: Int, array: [UInt8]) -> Result<SIPMessageParser.Head, SIPParseError> {
        // Start line.
        let line = lineEnd(from: start)
        if !line.found && terminatorRequired {
            return .failure(SIPParseError(.missingHeaderTerminator, location: "start line", offset: end))
        }
        if line.contentEnd - start > limits.maxLineLength {
            return .failure(SIPParseError(.lineTooLong(limit: limits.maxLineLength), location: "start line", offset: start))
        }
        let startLine: SIPMessage.StartLine
        switch parseStartLine(start, line.contentEnd) {
        case .success(let parsed): startLine = parsed
        case .failure(let error): return .failure(error)
        }
        let rawStartLine = array[start..<line.contentEnd]

        var headers: [SIPHeaderField] = []
        headers.reserveCapacity(16)
        var contentLength: Int?
        var index = line.next
        var bodyStart = end

        while true {
            if index >= end {
                if terminatorRequired {
                    return .failure(SIPParseError(.missingHeaderTerminator, location: "header section", offset: end))
                }
                bodyStart = end
                break
            }
            let first = bytes[index]
            if first == ASCII.lf {
                bodyStart = index + 1
                break
            }
            if first == ASCII.cr {
                if index + 1 < end, bytes[index + 1] == ASCII.lf {
                    bodyStart = index + 2
                    break
                }
                if index + 1 >= end, !terminatorRequired {
                    bodyStart = end
                    break
                }
                return .failure(SIPParseError(.controlCharacter(ASCII.cr), location: "header section", offset: index))
            }
            if ASCII.isWhitespace(first) {
                return .failure(
                    SIPParseError(
                        .malformedHeaderValue("a folded continuation line has no header before it"),
                        location: headers.last?.name ?? "header section", offset: index))
            }
            if headers.count >= limits.maxHeaderCount {
                return .failure(SIPParseError(.tooManyHeaders(limit: limits.maxHeaderCount), location: "header section", offset: index))
            }

            // Name: a token, then optional whitespace, then ':'.
            let nameStart = index
            while index < end, ASCII.isToken(bytes[index]) { index += 1 }
            let nameEnd = index
            while index < end, ASCII.isWhitespace(bytes[index]) { index += 1 }
            if nameEnd == nameStart || index >= end || bytes[index] != ASCII.colon {
                return .failure(nameError(nameStart: nameStart, nameEnd: nameEnd, at: index))
            }
            index += 1
            let name = UnsafeBufferPointer(rebasing: bytes[nameStart..<nameEnd])

            // Leading whitespace of the value, which may include a line fold (`TO :\r\n sip:...`).
            var physicalLineStart = nameStart
            while index < end {
                let byte = bytes[index]
                if ASCII.isWhitespace(byte) {
                    index += 1
                } else if let foldEnd = foldContinuation(at: index) {
                    physicalLineStart = foldEnd
                    index = foldEnd
                } else {
                    break
                }
            }
            let valueStart = index

            // Value: runs to the line end that is not followed by whitespace.
            var inQuotes = false
            var fieldEnd = end
            var terminated = false
            while index < end {
                // Eight bytes at a time to the first byte that needs a look (see `lookMask`); the last few bytes
                // one by one: printable ASCII other than '"' and '\', and UTF-8 bytes pass.
                index = skipPlain(from: index)
                while index < end, bytes[index] >= 0x20, bytes[index] != ASCII.quote, bytes[index] != ASCII.backslash,
                    bytes[index] != 0x7F
                {
                    index += 1
                }
                guard index < end else { break }
                let byte = bytes[index]
                if byte == ASCII.cr || byte == ASCII.lf {
                    let contentEnd = index
                    var next = index + 1
                    if byte == ASCII.cr {
                        guard next < end, bytes[next] == ASCII.lf else {
                            if next >= end, !terminatorRequired { fieldEnd = contentEnd; index = end; terminated = true; break }
                            return .failure(SIPParseError(.controlCharacter(ASCII.cr), location: fieldName(name), offset: index))
                        }
                        next += 1
                    }
                    if contentEnd - physicalLineStart > limits.maxLineLength {
                        return .failure(SIPParseError(.lineTooLong(limit: limits.maxLineLength), location: fieldName(name), offset: physicalLineStart))
                    }
                    if next < end, ASCII.isWhitespace(bytes[next]) {
                        // RFC 3261 §7.3.1: a line starting with whitespace continues the field.
                        physicalLineStart = next
                        index = next
                        continue
                    }
                    fieldEnd = contentEnd
                    index = next
                    terminated = true
                    break
                }
                if byte == ASCII.quote {
                    inQuotes.toggle()
                    index += 1
                } else if byte == ASCII.backslash {
                    // quoted-pair (RFC 3261 §25.1) may escape any byte but CR and LF, NUL included.
                    if inQuotes, index + 1 < end, bytes[index + 1] != ASCII.cr, bytes[index + 1] != ASCII.lf {
                        index += 2
                    } else {
                        index += 1
                    }
                } else if byte == ASCII.tab {
                    index += 1
                } else {
                    return .failure(SIPParseError(.controlCharacter(byte), location: fieldName(name), offset: index))
                }
            }
            if !terminated {
                if terminatorRequired {
                    return .failure(SIPParseError(.missingHeaderTerminator, location: fieldName(name), offset: end))
                }
                fieldEnd = end
                if end - physicalLineStart > limits.maxLineLength {
                    return .failure(SIPParseError(.lineTooLong(limit: limits.maxLineLength), location: fieldName(name), offset: physicalLineStart))
                }
            }

            let kind = SIPHeaderName.recognise(name)
            let field = SIPHeaderField(
                kind: kind, raw: array[nameStart..<max(fieldEnd, valueStart)], nameEnd: nameEnd,
                valueStart: min(valueStart, max(fieldEnd, valueStart)))
            if kind == .contentLength {
                switch contentLengthValue(valueStart, fieldEnd, name: name) {
                case .failure(let error): return .failure(error)
                case .success(let value):
                    if let existing = contentLength, existing != value {
                        return .failure(SIPParseError(.conflictingContentLength, location: fieldName(name), offset: nameStart))
                    }
                    contentLength = value
                }
            }
            headers.append(field)
        }
        return .success(
            SIPMessageParser.Head(
                startLine: startLine, rawStartLine: rawStartLine, headers: headers, bodyStart: bodyStart,
                contentLength: contentLength))
    }

    /// The index of the first byte at or after `index` that `lookMask` flags, or the first from which fewer than eight
    /// bytes remain. A small function of its own so the loop keeps its constants in registers.
    @inline(never)
    func skipPlain(from index: Int) -> Int {
        guard let base = bytes.baseAddress else { return index }
        var index = index
        while index &+ 8 <= end {
            let mask = Self.lookMask(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            // Little-endian: the lowest set bit is the first byte in memory order.
            if mask != 0 { return index &+ mask.trailingZeroBitCount &>> 3 }
            index &+= 8
        }
        return index
    }

    /// The top bit of each of eight bytes (little-endian) that is a control character (line ends included), '"',
    /// '\\' or DEL — the bytes the value loop must look at one by one. Word-at-a-time tests: `x - 0x01…` borrows
    /// into a byte's top bit where the byte was zero (or below the subtrahend), masked by `~x` so bytes of 0x80 and
    /// above (UTF-8) never count. A borrow can also flag bytes above a flagged one, never below it: the lowest flag
    /// of each test, and so of their union, is exact.
    @inline(__always)
    static func lookMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ value: UInt64) -> UInt64 { (value &- ones) & ~value & highs }
        let control = (word &- ones &* 0x20) & ~word & highs
        return control | hasZero(word ^ (ones &* 0x22)) | hasZero(word ^ (ones &* 0x5C)) | hasZero(word ^ (ones &* 0x7F))
    }

    /// If `index` is at a line end followed by whitespace, the index after the line end.
    @inline(__always)
    func foldContinuation(at index: Int) -> Int? {
        var next = index
        if bytes[next] == ASCII.cr {
            next += 1
            guard next < end, bytes[next] == ASCII.lf else { return nil }
        } else if bytes[next] != ASCII.lf {
            return nil
        }
        next += 1
        guard next < end, ASCII.isWhitespace(bytes[next]) else { return nil }
        return next
    }

    func fieldName(_ name: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: name, as: UTF8.self)
    }

    func nameError(nameStart: Int, nameEnd: Int, at index: Int) -> SIPParseError {
        // Show what stood where the name should be, up to the colon or line end.
        var shownEnd = nameStart
        while shownEnd < end, bytes[shownEnd] != ASCII.colon, bytes[shownEnd] != ASCII.cr, bytes[shownEnd] != ASCII.lf {
            shownEnd += 1
        }
        let shown = ASCII.printable(UnsafeBufferPointer(rebasing: bytes[nameStart..<shownEnd]))
        if index < end {
            let byte = bytes[index]
            if (byte < 0x20 && byte != ASCII.tab && byte != ASCII.cr && byte != ASCII.lf) || byte == 0x7F {
                return SIPParseError(.controlCharacter(byte), location: shown.isEmpty ? "header name" : shown, offset: index)
            }
        }
        // A name followed by something other than ':' where no ':' follows on the line: the colon is missing.
        // With a ':' later on the line, the name itself holds characters a token may not.
        if nameEnd > nameStart, shownEnd >= end || bytes[shownEnd] != ASCII.colon {
            let name = ASCII.printable(UnsafeBufferPointer(rebasing: bytes[nameStart..<nameEnd]))
            return SIPParseError(.missingColon, location: name, offset: nameEnd)
        }
        if index >= end {
            return SIPParseError(.missingColon, location: shown.isEmpty ? "header name" : shown, offset: index)
        }
        return SIPParseError(.invalidHeaderName(shown), location: shown.isEmpty ? "header name" : shown, offset: index)
    }

    func contentLengthValue(_ start: Int, _ stop: Int, name: UnsafeBufferPointer<UInt8>) -> Result<Int, SIPParseError> {
        var index = start
        var valueEnd = stop
        while valueEnd > index, ASCII.isWhitespace(bytes[valueEnd - 1]) || bytes[valueEnd - 1] == ASCII.cr || bytes[valueEnd - 1] == ASCII.lf {
            valueEnd -= 1
        }
        func text() -> String { ASCII.printable(UnsafeBufferPointer(rebasing: bytes[start..<valueEnd])) }
        guard index < valueEnd else {
            return .failure(SIPParseError(.invalidContentLength(text()), location: fieldName(name), offset: start))
        }
        var value = 0
        while index < valueEnd {
            let byte = bytes[index]
            guard ASCII.isDigit(byte) else {
                return .failure(SIPParseError(.invalidContentLength(text()), location: fieldName(name), offset: index))
            }
            value = value * 10 + Int(byte - 0x30)
            if value > limits.maxContentLength {
                return .failure(
                    SIPParseError(.contentLengthTooLarge(limit: limits.maxContentLength), location: fieldName(name), offset: start))
            }
            index += 1
        }
        return .success(value)
    }

    // MARK: Start line

    func parseStartLine(_ start: Int, _ stop: Int) -> Result<SIPMessage.StartLine, SIPParseError> {
        let line = UnsafeBufferPointer(rebasing: bytes[start..<stop])

        func fail(_ kind: SIPParseError.Kind, _ at: Int) -> Result<SIPMessage.StartLine, SIPParseError> {
            .failure(SIPParseError(kind, location: "start line", offset: start + at))
        }
        if line.isEmpty { return fail(.malformedStartLine("the start line is empty"), 0) }
        for offset in 0..<line.count {
            let byte = line[offset]
            if (byte < 0x20 && byte != ASCII.tab) || byte == 0x7F { return fail(.controlCharacter(byte), offset) }
        }
        if line.count >= 4 && ASCII.equalsLowercase(line[0..<4], "sip/") {
            return parseStatusLine(line, fail: fail)
        }
        return parseRequestLine(line, fail: fail)
    }

    func parseStatusLine(
        _ line: UnsafeBufferPointer<UInt8>, fail: (SIPParseError.Kind, Int) -> Result<SIPMessage.StartLine, SIPParseError>
    ) -> Result<SIPMessage.StartLine, SIPParseError> {
        guard let versionEnd = line.firstIndex(of: ASCII.space) else {
            return fail(.malformedStartLine("the status line has no status code"), line.count)
        }
        guard ASCII.equalsLowercase(line[0..<versionEnd], "sip/2.0") else {
            return fail(.unsupportedVersion(String(decoding: line[0..<versionEnd], as: UTF8.self)), 0)
        }
        let version = "SIP/2.0"
        let codeStart = versionEnd + 1
        var codeEnd = codeStart
        while codeEnd < line.count, line[codeEnd] != ASCII.space { codeEnd += 1 }
        let codeBytes = line[codeStart..<codeEnd]
        func codeText() -> String { ASCII.printable(UnsafeBufferPointer(rebasing: codeBytes), limit: 20) }
        guard codeBytes.count == 3, codeBytes.allSatisfy(ASCII.isDigit) else {
            return fail(.invalidStatusCode(codeText()), codeStart)
        }
        let code = codeBytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        guard (100...699).contains(code) else { return fail(.invalidStatusCode(codeText()), codeStart) }
        let reasonStart = min(codeEnd + 1, line.count)
        let reason = String(decoding: line[reasonStart..<line.count], as: UTF8.self)
        return .success(.response(StatusLine(code: code, reason: reason, version: version)))
    }

    func parseRequestLine(
        _ line: UnsafeBufferPointer<UInt8>, fail: (SIPParseError.Kind, Int) -> Result<SIPMessage.StartLine, SIPParseError>
    ) -> Result<SIPMessage.StartLine, SIPParseError> {
        var methodEnd = 0
        while methodEnd < line.count, ASCII.isToken(line[methodEnd]) { methodEnd += 1 }
        guard methodEnd > 0 else {
            return fail(.malformedStartLine("the line starts with neither a method nor 'SIP/2.0'"), 0)
        }
        guard methodEnd < line.count, line[methodEnd] == ASCII.space else {
            if methodEnd == line.count { return fail(.malformedStartLine("the request line has no Request-URI"), methodEnd) }
            return fail(.malformedStartLine("the method contains a character that is not allowed in a token"), methodEnd)
        }
        let uriStart = methodEnd + 1
        guard uriStart < line.count, line[uriStart] != ASCII.space, line[uriStart] != ASCII.tab else {
            return fail(.malformedStartLine("elements of the request line must be separated by exactly one space"), uriStart)
        }
        var uriEnd = uriStart
        while uriEnd < line.count, line[uriEnd] != ASCII.space, line[uriEnd] != ASCII.tab { uriEnd += 1 }
        guard uriEnd < line.count else { return fail(.malformedStartLine("the request line has no SIP version"), uriEnd) }
        let versionStart = uriEnd + 1
        guard versionStart < line.count, line[versionStart] != ASCII.space else {
            return fail(.malformedStartLine("elements of the request line must be separated by exactly one space"), versionStart)
        }
        var versionEnd = versionStart
        while versionEnd < line.count, line[versionEnd] != ASCII.space, line[versionEnd] != ASCII.tab { versionEnd += 1 }
        if versionEnd < line.count {
            let rest = line[versionEnd..<line.count]
            if rest.allSatisfy(ASCII.isWhitespace) {
                return fail(.malformedStartLine("the request line ends with whitespace after the SIP version"), versionEnd)
            }
            return fail(.malformedStartLine("the Request-URI contains whitespace"), uriEnd)
        }
        let uri = line[uriStart..<uriEnd]
        if uri.first == ASCII.lessThan {
            return fail(.malformedStartLine("the Request-URI must not be enclosed in '<' and '>'"), uriStart)
        }
        // absoluteURI / SIP-URI: a scheme, then ':'.
        var schemeEnd = uriStart
        while schemeEnd < uriEnd, line[schemeEnd] != ASCII.colon { schemeEnd += 1 }
        let scheme = line[uriStart..<schemeEnd]
        guard schemeEnd < uriEnd, let firstScheme = scheme.first, ASCII.lowercased(firstScheme) &- 0x61 < 26,
            scheme.allSatisfy({ ASCII.lowercased($0) &- 0x61 < 26 || ASCII.isDigit($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E })
        else {
            return fail(.malformedStartLine("the Request-URI has no scheme (expected sip:, sips: or tel:)"), uriStart)
        }
        guard ASCII.equalsLowercase(line[versionStart..<versionEnd], "sip/2.0") else {
            return fail(.unsupportedVersion(String(decoding: line[versionStart..<versionEnd], as: UTF8.self)), versionStart)
        }
        let version = "SIP/2.0"
        let method = SIPMethod(String(decoding: line[0..<methodEnd], as: UTF8.self))
        let requestURI = String(decoding: uri, as: UTF8.self)
        return .success(.request(RequestLine(method: method, requestURI: requestURI, version: version)))
    }
}
