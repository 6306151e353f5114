import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TrunkCore
import TrunkRuntime
import TrunkStore

@testable import TrunkAPI

/// A real SQLite file, an API key for its organisation, and the application driven without a socket.
final class APIFixture: @unchecked Sendable {
    let directory: URL
    let store: TrunkDatabase
    let key: String
    let keyId: String
    var service: SIPTrunkService { SIPTrunkService(store: store) }

    init(allowPrivate: Bool = false) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("siptrunk-api-\(UUID().uuidString)")
        store = try TrunkDatabase(path: directory.appendingPathComponent("siptrunk.sqlite").path)
        try Installation.prepare(store, host: .init(hostName: "sbc.test", ipv4: ["192.0.2.10"], ipv6: []))
        let created = try APIKeyService(store: store).create(name: "tests")
        key = created.key
        keyId = created.summary.id
        self.allowPrivate = allowPrivate
    }

    let allowPrivate: Bool

    var settings: APIServer.Settings {
        APIServer.Settings(service: SIPTrunkService(store: store), addressGuard: AddressGuard(allowPrivate: allowPrivate, host: .init(hostName: "sbc.test", ipv4: ["192.0.2.10"], ipv6: [])))
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Runs `body` with a client of the application (no socket: HummingbirdTesting's router mode).
    func withClient(_ body: @escaping @Sendable (any TestClientProtocol, String) async throws -> Void) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let app = APIServer.makeApplication(settings, logger: logger)
        let key = self.key
        try await app.test(.router) { client in try await body(client, key) }
    }
}

/// The envelope as tests read it.
struct EnvelopeView {
    let json: [String: Any]
    var data: Any? { json["data"] is NSNull ? nil : json["data"] }
    var dataObject: [String: Any] { data as? [String: Any] ?? [:] }
    var errors: [[String: Any]] { json["errors"] as? [[String: Any]] ?? [] }
    var errorCodes: [String] { errors.compactMap { $0["error"] as? String } }
    var messages: String { errors.compactMap { $0["message"] as? String }.joined(separator: " | ") }
    var hasBothKeys: Bool { json.keys.contains("data") && json.keys.contains("errors") }

    init(_ response: TestResponse) {
        json = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
    }
}

extension TestClientProtocol {
    func call(
        _ method: HTTPRequest.Method, _ uri: String, key: String?, json: String? = nil, contentType: String = "application/json"
    ) async throws -> (TestResponse, EnvelopeView) {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = contentType
            body = ByteBuffer(string: json)
        }
        let response = try await execute(uri: uri, method: method, headers: headers, body: body)
        return (response, EnvelopeView(response))
    }

    func call(_ method: HTTPRequest.Method, _ uri: String, key: String?, bytes: [UInt8]) async throws -> (TestResponse, EnvelopeView) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key { headers[.authorization] = "Bearer \(key)" }
        let response = try await execute(uri: uri, method: method, headers: headers, body: ByteBuffer(bytes: bytes))
        return (response, EnvelopeView(response))
    }
}

/// An attach body for `numbers` with an outbound endpoint.
func attachBody(_ numbers: [String], endpoint: String = "pbx.example.com", trunk: String = "trk-api") -> String {
    let list = numbers.map { "\"\($0)\"" }.joined(separator: ",")
    return """
        {"phone_numbers":[\(list)],"trunk_id":"\(trunk)","directions":[{"type":"outbound","sip_endpoint":"\(endpoint)","options":{"transport":"tls","port":5061}}]}
        """
}
