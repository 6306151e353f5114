import Foundation
import Hummingbird
import NIOCore
import TrunkCore

/// A request the API refuses: its HTTP status, the API's error code, what was wrong (one message per problem), and
/// headers such as `Retry-After` and `Allow`.
struct APIFailure: Error, Sendable {
    var status: HTTPResponse.Status
    var items: [Envelope<String>.ErrorItem]
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        items = [.init(error: code, message: message, field: field)]
        self.headers = headers
    }

    /// A use case's refusal as HTTP: 400 invalid, 403 not entitled, 404 not found, 429 rate limited, 503 the store.
    init(_ error: TrunkError) {
        switch error {
        case .validation(let problems):
            status = .badRequest
            items = problems.map { .init(error: error.code, message: $0.description, field: $0.field) }
        case .notEntitled:
            status = .forbidden
            items = error.messages.map { .init(error: error.code, message: $0) }
        case .notFound:
            status = .notFound
            items = error.messages.map { .init(error: error.code, message: $0) }
        case .rateLimited(_, let seconds):
            status = .tooManyRequests
            items = error.messages.map { .init(error: error.code, message: $0) }
            headers[.retryAfter] = String(seconds)
        case .store:
            // The database is busy or unreadable: the client may retry; the details go to the server's log only.
            status = .serviceUnavailable
            items = [.init(error: error.code, message: "the database is busy or unavailable; retry shortly")]
            headers[.retryAfter] = "1"
        }
    }

    static func invalid(_ field: String, _ rule: String) -> APIFailure {
        APIFailure(.badRequest, "invalid_request", "\(field): \(rule)", field: field)
    }
}

enum APIJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// For payloads whose coding keys are already the API's snake_case names (large lists): no key conversion.
    static let literalEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    static func response<Payload: Encodable>(_ payload: Payload, status: HTTPResponse.Status = .ok) throws -> Response {
        try body(Envelope(data: payload, errors: nil), status: status, headers: [:])
    }

    static func literalResponse<Payload: Encodable>(_ payload: Payload) throws -> Response {
        let data = try literalEncoder.encode(Envelope(data: payload, errors: nil))
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func failure(_ failure: APIFailure) -> Response {
        (try? body(Envelope<String>(data: nil, errors: failure.items), status: failure.status, headers: failure.headers))
            ?? Response(status: .internalServerError)
    }

    static func body(_ value: some Encodable, status: HTTPResponse.Status, headers: HTTPFields) throws -> Response {
        let data = try encoder.encode(value)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// `data: {}` for operations that return nothing (the guide's "—").
struct Empty: Encodable, Sendable {}
