/// A problem in a message that parsed: a header whose value breaks its grammar, a required header that is
/// missing, a single-valued header given twice, a CSeq method that contradicts the request line.
public struct SIPMessageProblem: Sendable, Hashable, CustomStringConvertible {
    /// `start line`, `Request-URI`, or the header's name as written.
    public var location: String
    public var reason: String
    /// Byte offset in the message, when one place is to blame.
    public var offset: Int?
    /// The response a server would send for it: 400, or 416 for an unsupported Request-URI scheme.
    public var statusCode: Int

    public init(location: String, reason: String, offset: Int? = nil, statusCode: Int = 400) {
        self.location = location
        self.reason = reason
        self.offset = offset
        self.statusCode = statusCode
    }

    init(_ error: SIPParseError) {
        self.init(location: error.location, reason: error.reason, offset: error.offset)
    }

    public var description: String {
        let place = offset.map { " at byte \($0)" } ?? ""
        return "\(location)\(place): \(reason) (\(statusCode) \(StatusLine.defaultReason(for: statusCode)))"
    }
}

extension SIPMessage {
    /// Headers every request and response must carry (RFC 3261 §8.1.1; Max-Forwards is added by proxies
    /// when missing, and RFC 2543 peers omit it, so it is not required of a received message).
    static let mandatoryHeaders: [SIPHeaderName] = [.to, .from, .cseq, .callID, .via]

    /// Checks a parsed message against RFC 3261's rules beyond framing. An empty result means a server
    /// could process it.
    public func validate() -> [SIPMessageProblem] {
        var problems: [SIPMessageProblem] = []
        func check(_ body: () throws(SIPParseError) -> Void) {
            do { try body() } catch { problems.append(SIPMessageProblem(error)) }
        }

        for name in Self.mandatoryHeaders where field(name) == nil {
            problems.append(SIPMessageProblem(location: name.canonical, reason: "the required \(name.canonical) header is missing"))
        }

        var seen: [SIPHeaderName: SIPHeaderField] = [:]
        for field in headers where field.kind != .extension_ && field.kind.isSingleValued {
            if let first = seen[field.kind] {
                if first.valueBytes.elementsEqual(field.valueBytes) && field.kind == .contentLength { continue }
                problems.append(
                    SIPMessageProblem(
                        location: field.name, reason: "\(field.kind.canonical) may appear only once but appears again",
                        offset: field.raw.startIndex))
            } else {
                seen[field.kind] = field
            }
        }

        check { () throws(SIPParseError) in _ = try via }
        check { () throws(SIPParseError) in _ = try from }
        check { () throws(SIPParseError) in _ = try to }
        check { () throws(SIPParseError) in _ = try maxForwards }
        check { () throws(SIPParseError) in _ = try contact }
        check { () throws(SIPParseError) in _ = try route }
        check { () throws(SIPParseError) in _ = try recordRoute }
        check { () throws(SIPParseError) in _ = try expires }
        check { () throws(SIPParseError) in _ = try retryAfter }
        check { () throws(SIPParseError) in _ = try wwwAuthenticate }
        check { () throws(SIPParseError) in _ = try proxyAuthenticate }
        if let callID, callID.isEmpty || callID.contains(where: { $0 == " " || $0 == "\t" }) {
            problems.append(SIPMessageProblem(location: "Call-ID", reason: "Call-ID must be one word without whitespace"))
        }
        if let field = field(.date), let reason = Self.dateProblem(field.value) {
            problems.append(SIPMessageProblem(location: field.name, reason: reason, offset: field.valueBytes.startIndex))
        }

        do {
            if let cseq = try cseq, let method = requestLine?.method, cseq.method != method {
                problems.append(
                    SIPMessageProblem(
                        location: field(.cseq)?.name ?? "CSeq",
                        reason: "CSeq method \(cseq.method) does not match the request method \(method)",
                        offset: field(.cseq)?.valueBytes.startIndex))
            }
        } catch {
            problems.append(SIPMessageProblem(error))
        }

        if let line = requestLine {
            problems += Self.requestURIProblems(line.requestURI)
        }
        return problems
    }

    static func requestURIProblems(_ text: String) -> [SIPMessageProblem] {
        let scheme = text.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        switch scheme {
        case "sip", "sips":
            do {
                let uri = try SIPURI(parsing: text)
                if !uri.headers.isEmpty {
                    return [
                        SIPMessageProblem(
                            location: "Request-URI", reason: "a Request-URI must not contain URI headers ('?...', RFC 3261 §19.1.1)")
                    ]
                }
            } catch {
                return [SIPMessageProblem(location: "Request-URI", reason: error.reason)]
            }
        case "tel":
            do { _ = try TelURI(parsing: text) } catch {
                return [SIPMessageProblem(location: "Request-URI", reason: error.reason)]
            }
        default:
            return [
                SIPMessageProblem(location: "Request-URI", reason: "URI scheme '\(scheme)' is not supported", statusCode: 416)
            ]
        }
        return []
    }

    /// RFC 3261 §20.17: `Date` is an RFC 1123 date and always in GMT.
    static func dateProblem(_ value: String) -> String? {
        let parts = value.split(separator: " ", omittingEmptySubsequences: true)
        let weekdays = ["Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, weekdays.contains(String(parts[0])), parts[1].count == 2, parts[1].allSatisfy(\.isASCIIDigit),
            months.contains(String(parts[2])), parts[3].count == 4, parts[3].allSatisfy(\.isASCIIDigit)
        else { return "'\(value)' is not an RFC 1123 date such as 'Sat, 13 Nov 2010 23:29:00 GMT'" }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, time.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCIIDigit) }) else {
            return "'\(parts[4])' is not a time of the form HH:MM:SS"
        }
        guard parts[5] == "GMT" else { return "the time zone must be GMT, not '\(parts[5])'" }
        return nil
    }
}
