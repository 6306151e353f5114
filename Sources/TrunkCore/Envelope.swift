/// The `/v1/sip` API's response envelope, which the CLI's `--json` output also uses:
/// `{ "data": ..., "errors": null | [{ "error", "message", "field"? }] }` — both keys always present.
public struct Envelope<Payload: Encodable>: Encodable {
    public struct ErrorItem: Encodable, Sendable, Hashable {
        /// The API's error code (`invalid_request`, `not_found`, ...).
        public var error: String
        public var message: String
        /// The request field at fault, when one is.
        public var field: String?

        public init(error: String, message: String, field: String? = nil) {
            self.error = error
            self.message = message
            self.field = field
        }
    }

    public var data: Payload?
    public var errors: [ErrorItem]?

    public init(data: Payload?, errors: [ErrorItem]?) {
        self.data = data
        self.errors = errors
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
        try container.encode(errors, forKey: .errors)
    }

    enum CodingKeys: String, CodingKey { case data, errors }
}
