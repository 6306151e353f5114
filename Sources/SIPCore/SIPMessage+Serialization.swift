extension SIPMessage.StartLine {
    /// The start line as text, without the line end.
    public var text: String {
        switch self {
        case .request(let line): return "\(line.method.rawValue) \(line.requestURI) \(line.version)"
        case .response(let line): return "\(line.version) \(line.code) \(line.reason)"
        }
    }
}

extension SIPMessage {
    private static let crlf: [UInt8] = [ASCII.cr, ASCII.lf]

    /// The message as bytes for the wire: start line, each header's bytes, an empty line, the body.
    ///
    /// Fields that came from the wire are written exactly as received (case, compact names, spacing, folding).
    /// Content-Length is not adjusted here; `setBody(_:contentType:)` keeps it right.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        var size = (rawStartLine?.count ?? 64) + 4 + body.count
        for field in headers { size += field.raw.count + 2 }
        out.reserveCapacity(size)
        if let raw = rawStartLine {
            out.append(contentsOf: raw)
        } else {
            out.append(contentsOf: startLine.text.utf8)
        }
        out.append(contentsOf: Self.crlf)
        for field in headers {
            out.append(contentsOf: field.raw)
            out.append(contentsOf: Self.crlf)
        }
        out.append(contentsOf: Self.crlf)
        out.append(contentsOf: body)
        return out
    }

    /// The message as text (the body decoded as UTF-8, invalid sequences replaced).
    public var text: String { String(decoding: serialized(), as: UTF8.self) }

    /// Replaces the body and sets Content-Length (and Content-Type when given) to match.
    public mutating func setBody(_ bytes: [UInt8], contentType: String? = nil) {
        body = bytes
        if let contentType { set(.contentType, contentType) }
        set(.contentLength, String(bytes.count))
    }
}
