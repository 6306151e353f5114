/// Frames SIP messages out of a byte stream (TCP, TLS) by their Content-Length (RFC 3261 §18.3).
///
/// Feed bytes as they arrive with `append`, then call `next()` until it returns nil ("need more bytes").
/// A message may arrive split at any byte, and one read may hold several messages. CRLF keep-alives between
/// messages (RFC 5626 §3.5.1) are skipped. Bytes are buffered only as they arrive: a large Content-Length
/// allocates nothing up front, and the total is capped by the parser limits.
///
/// After an error the stream's framing is lost; the connection should be closed.
public struct SIPStreamParser: Sendable {
    public var limits: SIPParserLimits
    private var buffer: [UInt8] = []
    private var readIndex = 0

    /// Where the search for the end of the header section resumes, so bytes are not scanned twice.
    private var scanIndex = 0

    /// Bytes consumed and dropped from the front of `buffer`; error offsets count from the stream's start.
    private var droppedBytes = 0
    private var pending: Pending?

    /// Number of CRLF keep-alives seen (a ping/pong counter for the transport).
    public private(set) var keepAlivesSeen = 0

    private struct Pending: Sendable {
        var head: SIPMessageParser.Head
        var bodyLength: Int
    }

    public init(limits: SIPParserLimits = SIPParserLimits()) {
        self.limits = limits
    }

    /// Bytes received but not yet returned as part of a message.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message, or nil when more bytes are needed.
    public mutating func next() throws(SIPParseError) -> SIPMessage? {
        // The head moves out of `pending` (kept there only while its body is still to come): storing and copying it
        // back out retained every string and array it holds.
        let waiting: Pending
        if let held = pending.take() {
            waiting = held
        } else {
            guard let head = try nextHead() else {
                compact()
                return nil
            }
            waiting = head
        }
        guard buffer.count - readIndex >= waiting.bodyLength else {
            pending = consume waiting
            compact()
            return nil
        }
        let body = waiting.bodyLength == 0 ? [] : Array(buffer[readIndex..<(readIndex + waiting.bodyLength)])
        readIndex += waiting.bodyLength
        scanIndex = readIndex
        compact()
        return SIPMessage(
            startLine: waiting.head.startLine, rawStartLine: waiting.head.rawStartLine, headers: waiting.head.headers,
            body: body)
    }

    private mutating func nextHead() throws(SIPParseError) -> Pending? {
        // Keep-alives: CRLF (or bare LF) before a start line.
        var sawKeepAlive = false
        while readIndex < buffer.count, buffer[readIndex] == ASCII.cr || buffer[readIndex] == ASCII.lf {
            if buffer[readIndex] == ASCII.lf { sawKeepAlive = true }
            readIndex += 1
        }
        if sawKeepAlive { keepAlivesSeen += 1 }
        if scanIndex < readIndex { scanIndex = readIndex }
        guard readIndex < buffer.count else { return nil }

        guard let headEnd = findHeadEnd() else {
            try checkStartLine()
            if buffer.count - readIndex > limits.maxMessageBytes {
                throw SIPParseError(
                    .messageTooLarge(limit: limits.maxMessageBytes), location: "header section",
                    offset: droppedBytes + readIndex + limits.maxMessageBytes)
            }
            return nil
        }
        let base = droppedBytes + readIndex
        let headBytes = Array(buffer[readIndex..<headEnd])
        let head: SIPMessageParser.Head
        do {
            head = try SIPMessageParser.parseHead(headBytes, from: 0, end: headBytes.count, terminatorRequired: true, limits: limits)
        } catch {
            var shifted = error
            shifted.offset += base
            throw shifted
        }
        let bodyLength = head.contentLength ?? 0
        if headBytes.count + bodyLength > limits.maxMessageBytes {
            throw SIPParseError(.messageTooLarge(limit: limits.maxMessageBytes), location: "body", offset: base + headBytes.count)
        }
        readIndex = headEnd
        return Pending(head: head, bodyLength: bodyLength)
    }

    /// Garbage is refused as soon as it shows, not when the peer stops sending (a TCP peer that answers with an
    /// HTTP banner or binary noise without an empty line once read as a timeout, issue 19): the first byte of a
    /// message is a token character (a method) or 'S' (SIP/2.0), and once the first line has arrived it must parse as
    /// a start line.
    private func checkStartLine() throws(SIPParseError) {
        let first = buffer[readIndex]
        guard ASCII.isToken(first) else {
            throw SIPParseError(.malformedStartLine("the stream does not start with a SIP request or status line (byte 0x\(String(first, radix: 16, uppercase: true)))"), location: "start line", offset: droppedBytes + readIndex)
        }
        var index = readIndex
        while index < buffer.count, buffer[index] != ASCII.lf { index += 1 }
        guard index < buffer.count else { return }
        var line = Array(buffer[readIndex...index])
        line += [ASCII.cr, ASCII.lf]
        do {
            _ = try SIPMessageParser.parseHead(line, from: 0, end: line.count, terminatorRequired: true, limits: limits)
        } catch {
            var shifted = error
            shifted.offset += droppedBytes + readIndex
            throw shifted
        }
    }

    /// Index just past the empty line that ends the header section, if it has arrived.
    private mutating func findHeadEnd() -> Int? {
        let count = buffer.count
        let (start, readIndex) = (scanIndex, self.readIndex)
        let (end, resume): (Int?, Int) = buffer.withUnsafeBufferPointer { bytes in
            var index = start
            while true {
                // The next line end, eight bytes at a time.
                index = ASCII.firstIndex(of: ASCII.lf, in: bytes, from: index)
                guard index < count else { return (nil, max(readIndex, count - 1)) }
                let next = index + 1
                if next < count, bytes[next] == ASCII.lf { return (next + 1, index) }
                if next + 1 < count, bytes[next] == ASCII.cr, bytes[next + 1] == ASCII.lf { return (next + 2, index) }
                // The blank line may still be on its way: resume from this line end.
                if next >= count || (next + 1 >= count && bytes[next] == ASCII.cr) { return (nil, index) }
                index = next
            }
        }
        if end == nil { scanIndex = resume }
        return end
    }

    /// Drops consumed bytes once they are the larger part of the buffer.
    private mutating func compact() {
        guard readIndex > 0, readIndex >= 4096 || readIndex == buffer.count, readIndex * 2 >= buffer.count else { return }
        buffer.removeFirst(readIndex)
        droppedBytes += readIndex
        scanIndex -= readIndex
        readIndex = 0
    }
}
