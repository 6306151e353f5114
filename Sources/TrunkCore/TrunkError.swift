import TrunkStore

/// One broken rule: the field (API name, with index), the value, and the rule.
public struct FieldError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// Why a use case refused or failed. `code` is the API's `error` value.
public enum TrunkError: Error, Hashable, Sendable, CustomStringConvertible {
    case validation([FieldError])
    case notEntitled(orgId: String)
    case notFound(String)
    case store(StoreError)
    /// Too many of an operation in its window; the next is allowed after this many seconds.
    case rateLimited(String, retryAfterSeconds: Int)

    public var code: String {
        switch self {
        case .validation: return "invalid_request"
        case .notEntitled: return "sip_not_entitled"
        case .notFound: return "not_found"
        case .store: return "storage_error"
        case .rateLimited: return "rate_limited"
        }
    }

    public var messages: [String] {
        switch self {
        case .validation(let errors): return errors.map(\.description)
        case .notEntitled(let orgId):
            return ["organisation '\(orgId)' does not have the SIP entitlement: enable it with `siptrunk org set --sip-entitled true` or contact your administrator"]
        case .notFound(let what): return [what]
        case .store(let error): return [error.message]
        case .rateLimited(let what, let seconds):
            return ["\(what): the next one is allowed in \(seconds / 60) min \(seconds % 60) s"]
        }
    }

    public var description: String { messages.joined(separator: "\n") }
}
