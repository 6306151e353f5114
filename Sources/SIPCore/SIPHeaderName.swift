/// A header name, recognised once at parse time so look-ups compare a small integer, not text.
///
/// Compact forms (RFC 3261 §7.3.3, RFC 3265, RFC 3515, RFC 4028) map to the same name as the long form.
/// Names this enum does not list are `.extension`, compared byte-wise and case-insensitively.
public enum SIPHeaderName: UInt8, Sendable, Hashable, CaseIterable {
    case extension_ = 0
    case accept, acceptEncoding, acceptLanguage, alertInfo, allow, allowEvents, authenticationInfo, authorization
    case callID, callInfo, contact, contentDisposition, contentEncoding, contentLanguage, contentLength, contentType
    case cseq, date, errorInfo, event, expires, from, inReplyTo, maxForwards, minExpires, mimeVersion
    case organization, pAssertedIdentity, priority, proxyAuthenticate, proxyAuthorization, proxyRequire
    case rack, reason, recordRoute, referTo, referredBy, replyTo, require, retryAfter, route, rseq
    case server, sessionExpires, minSE, subject, subscriptionState, supported, timestamp, to, unsupported
    case userAgent, via, warning, wwwAuthenticate

    /// The canonical spelling, used when we write a header ourselves.
    public var canonical: String {
        switch self {
        case .extension_: return ""
        case .accept: return "Accept"
        case .acceptEncoding: return "Accept-Encoding"
        case .acceptLanguage: return "Accept-Language"
        case .alertInfo: return "Alert-Info"
        case .allow: return "Allow"
        case .allowEvents: return "Allow-Events"
        case .authenticationInfo: return "Authentication-Info"
        case .authorization: return "Authorization"
        case .callID: return "Call-ID"
        case .callInfo: return "Call-Info"
        case .contact: return "Contact"
        case .contentDisposition: return "Content-Disposition"
        case .contentEncoding: return "Content-Encoding"
        case .contentLanguage: return "Content-Language"
        case .contentLength: return "Content-Length"
        case .contentType: return "Content-Type"
        case .cseq: return "CSeq"
        case .date: return "Date"
        case .errorInfo: return "Error-Info"
        case .event: return "Event"
        case .expires: return "Expires"
        case .from: return "From"
        case .inReplyTo: return "In-Reply-To"
        case .maxForwards: return "Max-Forwards"
        case .minExpires: return "Min-Expires"
        case .mimeVersion: return "MIME-Version"
        case .organization: return "Organization"
        case .pAssertedIdentity: return "P-Asserted-Identity"
        case .priority: return "Priority"
        case .proxyAuthenticate: return "Proxy-Authenticate"
        case .proxyAuthorization: return "Proxy-Authorization"
        case .proxyRequire: return "Proxy-Require"
        case .rack: return "RAck"
        case .reason: return "Reason"
        case .recordRoute: return "Record-Route"
        case .referTo: return "Refer-To"
        case .referredBy: return "Referred-By"
        case .replyTo: return "Reply-To"
        case .require: return "Require"
        case .retryAfter: return "Retry-After"
        case .route: return "Route"
        case .rseq: return "RSeq"
        case .server: return "Server"
        case .sessionExpires: return "Session-Expires"
        case .minSE: return "Min-SE"
        case .subject: return "Subject"
        case .subscriptionState: return "Subscription-State"
        case .supported: return "Supported"
        case .timestamp: return "Timestamp"
        case .to: return "To"
        case .unsupported: return "Unsupported"
        case .userAgent: return "User-Agent"
        case .via: return "Via"
        case .warning: return "Warning"
        case .wwwAuthenticate: return "WWW-Authenticate"
        }
    }

    /// Headers that may appear at most once (RFC 3261 §7.3 and Table 2); a second copy makes a request invalid.
    public var isSingleValued: Bool {
        switch self {
        case .callID, .contentLength, .contentType, .cseq, .from, .to, .maxForwards, .expires, .minExpires,
            .date, .retryAfter, .server, .userAgent, .subject, .timestamp, .mimeVersion, .rseq, .rack,
            .contentDisposition, .priority, .organization, .replyTo, .sessionExpires, .minSE, .event,
            .subscriptionState, .referTo, .referredBy:
            return true
        default:
            return false
        }
    }

    /// Headers whose values are comma-separated lists (RFC 3261 §7.3.1).
    public var isList: Bool {
        switch self {
        case .via, .contact, .route, .recordRoute, .allow, .supported, .accept, .acceptEncoding, .acceptLanguage,
            .require, .proxyRequire, .unsupported, .allowEvents, .alertInfo, .callInfo, .errorInfo, .warning,
            .contentEncoding, .contentLanguage, .inReplyTo, .pAssertedIdentity, .reason:
            return true
        default:
            return false
        }
    }

    /// Recognises a header name given as bytes (long or compact form, any case).
    public static func recognise<C: Collection>(_ name: C) -> SIPHeaderName where C.Element == UInt8 {
        let count = name.count
        if count == 1, let first = name.first {
            switch ASCII.lowercased(first) {
            case UInt8(ascii: "i"): return .callID
            case UInt8(ascii: "m"): return .contact
            case UInt8(ascii: "e"): return .contentEncoding
            case UInt8(ascii: "l"): return .contentLength
            case UInt8(ascii: "c"): return .contentType
            case UInt8(ascii: "f"): return .from
            case UInt8(ascii: "s"): return .subject
            case UInt8(ascii: "k"): return .supported
            case UInt8(ascii: "t"): return .to
            case UInt8(ascii: "v"): return .via
            case UInt8(ascii: "o"): return .event
            case UInt8(ascii: "r"): return .referTo
            case UInt8(ascii: "b"): return .referredBy
            case UInt8(ascii: "u"): return .allowEvents
            case UInt8(ascii: "x"): return .sessionExpires
            default: return .extension_
            }
        }
        guard count < 32, let first = name.first else { return .extension_ }
        // Candidates share the name's length and lowercase first letter: usually one, never more than three.
        for candidate in table[Self.slot(count: count, first: first)] where ASCII.equalsLowercase(name, candidate.lowercased) {
            return candidate.name
        }
        return .extension_
    }

    struct Entry: Sendable {
        let name: SIPHeaderName
        let lowercased: [UInt8]
    }

    static func slot(count: Int, first: UInt8) -> Int {
        (count & 31) << 5 | Int(ASCII.lowercased(first) & 31)
    }

    /// Long names indexed by (length, first letter), lowercase, for `recognise`.
    static let table: [[Entry]] = {
        var table = [[Entry]](repeating: [], count: 1024)
        for name in SIPHeaderName.allCases where name != .extension_ {
            let bytes = Array(name.canonical.lowercased().utf8)
            table[slot(count: bytes.count, first: bytes[0])].append(Entry(name: name, lowercased: bytes))
        }
        return table
    }()
}

extension ASCII {
    @inline(__always)
    static func equalsLowercase<C: Collection>(_ bytes: C, _ lowercase: [UInt8]) -> Bool where C.Element == UInt8 {
        guard bytes.count == lowercase.count else { return false }
        var index = 0
        for byte in bytes {
            if lowercased(byte) != lowercase[index] { return false }
            index += 1
        }
        return true
    }
}
