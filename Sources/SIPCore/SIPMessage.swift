/// A SIP request or response (RFC 3261 §7).
///
/// Headers are kept in their original order with their original bytes; typed views (`via`, `from`, `cseq`, ...)
/// parse a header's value when asked. A message that was parsed and not changed serializes byte-identically.
public struct SIPMessage: Sendable, Hashable {
    public enum StartLine: Sendable, Hashable {
        case request(RequestLine)
        case response(StatusLine)
    }

    public var startLine: StartLine {
        didSet { rawStartLine = nil }
    }

    /// The start line's exact bytes when the message came from the wire and the start line was not replaced.
    var rawStartLine: ArraySlice<UInt8>?
    public var headers: [SIPHeaderField]
    public var body: [UInt8]

    /// Messages are equal when their start lines, headers (bytes and order) and bodies are.
    public static func == (lhs: SIPMessage, rhs: SIPMessage) -> Bool {
        lhs.startLine == rhs.startLine && lhs.headers == rhs.headers && lhs.body == rhs.body
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(startLine)
        hasher.combine(headers)
        hasher.combine(body)
    }

    public init(startLine: StartLine, headers: [SIPHeaderField] = [], body: [UInt8] = []) {
        self.startLine = startLine
        self.rawStartLine = nil
        self.headers = headers
        self.body = body
    }

    init(startLine: StartLine, rawStartLine: ArraySlice<UInt8>, headers: [SIPHeaderField], body: [UInt8]) {
        self.startLine = startLine
        self.rawStartLine = rawStartLine
        self.headers = headers
        self.body = body
    }

    public var isRequest: Bool {
        if case .request = startLine { return true }
        return false
    }

    public var requestLine: RequestLine? {
        if case .request(let line) = startLine { return line }
        return nil
    }

    public var statusLine: StatusLine? {
        if case .response(let line) = startLine { return line }
        return nil
    }

    /// The request method, or for a response nil (use `cseq.method`).
    public var method: SIPMethod? { requestLine?.method }

    /// The status code of a response.
    public var statusCode: Int? { statusLine?.code }

    // MARK: Header access

    /// All fields with this recognised name, in message order.
    public func fields(_ name: SIPHeaderName) -> [SIPHeaderField] {
        var result: [SIPHeaderField] = []
        for index in headers.indices where headers[index].kind == name { result.append(headers[index]) }
        return result
    }

    /// All fields with this name (any spelling or compact form).
    public func fields(named name: String) -> [SIPHeaderField] {
        headers.filter { $0.hasName(name) }
    }

    /// The first field with this name.
    public func field(_ name: SIPHeaderName) -> SIPHeaderField? {
        fieldIndex(name).map { headers[$0] }
    }

    /// Where the first field with this name is. The typed accessors read `headers[index]` in place: a returned
    /// `SIPHeaderField?` is retained, and released through the run-time's generic Optional witness.
    func fieldIndex(_ name: SIPHeaderName) -> Int? {
        // By index: comparing the kind of each field does not copy (and retain) the field.
        for index in headers.indices where headers[index].kind == name { return index }
        return nil
    }

    /// The value of the first field with this name.
    public subscript(_ name: SIPHeaderName) -> String? {
        guard let index = fieldIndex(name) else { return nil }
        return headers[index].value
    }

    /// The value of the first field with this name (any spelling or compact form).
    public subscript(_ name: String) -> String? { headers.first { $0.hasName(name) }?.value }

    /// Appends a header after the existing ones.
    public mutating func append(_ name: SIPHeaderName, _ value: String) {
        headers.append(SIPHeaderField(name, value))
    }

    public mutating func append(name: String, value: String) {
        headers.append(SIPHeaderField(name: name, value: value))
    }

    /// Replaces every field of this name with one field holding `value`, in the place of the first one.
    public mutating func set(_ name: SIPHeaderName, _ value: String) {
        let field = SIPHeaderField(name, value)
        if let first = headers.firstIndex(where: { $0.kind == name }) {
            headers[first] = field
            var index = headers.endIndex - 1
            while index > first {
                if headers[index].kind == name { headers.remove(at: index) }
                index -= 1
            }
        } else {
            headers.append(field)
        }
    }

    /// Inserts a header before all others (used for Via and Route, whose order matters).
    public mutating func prepend(_ name: SIPHeaderName, _ value: String) {
        headers.insert(SIPHeaderField(name, value), at: 0)
    }

    public mutating func remove(_ name: SIPHeaderName) {
        headers.removeAll { $0.kind == name }
    }
}

/// A SIP method: the six of RFC 3261 and any extension token.
public struct SIPMethod: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }

    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    public static let invite: SIPMethod = "INVITE"
    public static let ack: SIPMethod = "ACK"
    public static let bye: SIPMethod = "BYE"
    public static let cancel: SIPMethod = "CANCEL"
    public static let options: SIPMethod = "OPTIONS"
    public static let register: SIPMethod = "REGISTER"
    public static let refer: SIPMethod = "REFER"
    public static let info: SIPMethod = "INFO"
    public static let update: SIPMethod = "UPDATE"
    public static let prack: SIPMethod = "PRACK"
    public static let subscribe: SIPMethod = "SUBSCRIBE"
    public static let notify: SIPMethod = "NOTIFY"
    public static let message: SIPMethod = "MESSAGE"
}

/// `Request-Line = Method SP Request-URI SP SIP-Version CRLF` (RFC 3261 §7.1).
public struct RequestLine: Sendable, Hashable {
    public var method: SIPMethod

    /// The Request-URI exactly as written; `uri` parses it.
    public var requestURI: String
    public var version: String

    public init(method: SIPMethod, requestURI: String, version: String = "SIP/2.0") {
        self.method = method
        self.requestURI = requestURI
        self.version = version
    }

    /// The Request-URI as a SIP/SIPS URI, when it is one.
    public var uri: SIPURI? { try? SIPURI(parsing: requestURI) }
}

/// `Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF` (RFC 3261 §7.2).
public struct StatusLine: Sendable, Hashable {
    public var version: String
    public var code: Int
    public var reason: String

    public init(code: Int, reason: String, version: String = "SIP/2.0") {
        self.version = version
        self.code = code
        self.reason = reason
    }

    /// The conventional reason phrase for a code (RFC 3261 §21 and later RFCs).
    public static func defaultReason(for code: Int) -> String {
        switch code {
        case 100: return "Trying"
        case 180: return "Ringing"
        case 181: return "Call Is Being Forwarded"
        case 182: return "Queued"
        case 183: return "Session Progress"
        case 200: return "OK"
        case 202: return "Accepted"
        case 300: return "Multiple Choices"
        case 301: return "Moved Permanently"
        case 302: return "Moved Temporarily"
        case 305: return "Use Proxy"
        case 380: return "Alternative Service"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 402: return "Payment Required"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 407: return "Proxy Authentication Required"
        case 408: return "Request Timeout"
        case 410: return "Gone"
        case 413: return "Request Entity Too Large"
        case 414: return "Request-URI Too Long"
        case 415: return "Unsupported Media Type"
        case 416: return "Unsupported URI Scheme"
        case 420: return "Bad Extension"
        case 421: return "Extension Required"
        case 423: return "Interval Too Brief"
        case 480: return "Temporarily Unavailable"
        case 481: return "Call/Transaction Does Not Exist"
        case 482: return "Loop Detected"
        case 483: return "Too Many Hops"
        case 484: return "Address Incomplete"
        case 485: return "Ambiguous"
        case 486: return "Busy Here"
        case 487: return "Request Terminated"
        case 488: return "Not Acceptable Here"
        case 491: return "Request Pending"
        case 493: return "Undecipherable"
        case 500: return "Server Internal Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Server Time-out"
        case 505: return "Version Not Supported"
        case 513: return "Message Too Large"
        case 600: return "Busy Everywhere"
        case 603: return "Decline"
        case 604: return "Does Not Exist Anywhere"
        case 606: return "Not Acceptable"
        default: return "Unknown"
        }
    }
}
