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

    public var code: String {
        switch self {
        case .validation: return "invalid_request"
        case .notEntitled: return "sip_not_entitled"
        case .notFound: return "not_found"
        case .store: return "storage_error"
        }
    }

    public var messages: [String] {
        switch self {
        case .validation(let errors): return errors.map(\.description)
        case .notEntitled(let orgId):
            return ["organisation '\(orgId)' does not have the SIP entitlement: enable it with `siptrunk org set --sip-entitled true` or contact your administrator"]
        case .notFound(let what): return [what]
        case .store(let error): return [error.message]
        }
    }

    public var description: String { messages.joined(separator: "\n") }
}
