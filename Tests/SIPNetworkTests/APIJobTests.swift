import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SIPCore
import SIPNetwork
import SIPRuntime
import Testing
import TrunkAPI
import TrunkCore
import TrunkRuntime
import TrunkStore

/// The API's jobs against real peers on loopback (issue 17): discovery and test calls started by POST, polled by GET,
/// run by the same runners as the CLI; the SSRF guard against names that resolve to private addresses.
@Suite(.serialized)
struct APIJobTests {
    final class Server: @unchecked Sendable {
        let directory = NSTemporaryDirectory() + "siptrunk-apijobs-\(UUID().uuidString)"
        let store: TrunkDatabase
        let key: String
        var settings: APIServer.Settings

        init(allowPrivate: Bool, dnsServer: String? = nil) throws {
            store = try TrunkDatabase(path: directory + "/siptrunk.sqlite")
            try Installation.prepare(store, host: .init(hostName: "sbc.test", ipv4: ["192.0.2.10"], ipv6: []))
            key = try APIKeyService(store: store).create(name: "jobs").key
            settings = APIServer.Settings(
                store: store, dnsServer: dnsServer,
                addressGuard: AddressGuard(allowPrivate: allowPrivate, host: .init(hostName: "sbc.test", ipv4: ["192.0.2.10"], ipv6: [])))
            settings.discoveryTimeout = 1
            settings.testCallDuration = .seconds(1)
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }

        func run(_ body: @escaping @Sendable (any TestClientProtocol, String) async throws -> Void) async throws {
            var logger = Logger(label: "test")
            logger.logLevel = .warning
            let key = self.key
            try await APIServer.makeApplication(settings, logger: logger).test(.router) { client in try await body(client, key) }
        }
    }

    static func json(_ response: TestResponse) -> [String: Any] {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any]
        return object?["data"] as? [String: Any] ?? object ?? [:]
    }

    static func send(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, key: String, body: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(key)"]
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// Polls `uri` until `done` says the job finished (at most `seconds`).
    static func poll(_ client: any TestClientProtocol, _ uri: String, key: String, seconds: Double, done: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        var last: [String: Any] = [:]
        while Date() < deadline {
            last = json(try await send(client, .get, uri, key: key))
            if done(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        return last
    }

    @Test func discoveryRunsAsAJobThatAnswersAtOnceAndIsPolledToItsRecommendation() async throws {
        let sipp = try ProbeIntegrationTests.SippServer(transport: .udp)
        defer { sipp.stop() }
        let server = try Server(allowPrivate: true)
        let port = sipp.port
        // A peer that reads and never answers keeps the first discovery running for its timeout (1 s).
        let silent = ProbeIntegrationTests.UDPSocket(answer: nil)
        let silentPort = silent.port
        try await server.run { client, key in
            let busy = try await Self.send(client, .post, "/v1/sip/discover", key: key, body: "{\"host\":\"127.0.0.1\",\"port\":\(silentPort),\"transport\":\"udp\"}")
            #expect(busy.status == .ok)
            let busyID = try #require(Self.json(busy)["discovery_id"] as? String)
            // One discovery per organisation at a time.
            let second = try await Self.send(client, .post, "/v1/sip/discover", key: key, body: "{\"host\":\"127.0.0.1\",\"port\":\(port)}")
            #expect(second.status == .tooManyRequests)
            #expect(second.headers[.retryAfter] != nil)
            let unanswered = try await Self.poll(client, "/v1/sip/discover/status?discovery_id=\(busyID)", key: key, seconds: 15) { ($0["status"] as? String) != "running" }
            #expect(unanswered["status"] as? String == "failed")
            #expect((unanswered["error"] as? [String: Any])?["kind"] as? String == "no_answer", "\(unanswered)")

            let started = try await Self.send(client, .post, "/v1/sip/discover", key: key, body: "{\"host\":\"127.0.0.1\",\"port\":\(port),\"transport\":\"udp\"}")
            #expect(started.status == .ok)
            let first = Self.json(started)
            #expect(first["status"] as? String == "running")
            let id = try #require(first["discovery_id"] as? String)

            let result = try await Self.poll(client, "/v1/sip/discover/status?discovery_id=\(id)", key: key, seconds: 15) { ($0["status"] as? String) != "running" }
            #expect(result["status"] as? String == "completed", "\(result)")
            let recommended = try #require(result["recommended"] as? [String: Any])
            #expect(recommended["port"] as? Int == port)
            #expect(recommended["transport"] as? String == "udp")
            #expect((result["attempts"] as? [[String: Any]])?.contains { $0["response_code"] as? Int == 200 } == true)
        }
        // Stored as the CLI's discoveries are.
        #expect(try SIPTrunkService(store: server.store).discoveryRun(id: nil)?.run.status == "completed")
        withExtendedLifetime(silent) {}
    }

    @Test func aTestCallRunsAsAJobToTheNumbersEndpointAndIsStoredWithItsTrace() async throws {
        let sipp = try SippUAS(scenario: "uas", echo: true)
        defer { sipp.stop() }
        let server = try Server(allowPrivate: true)
        _ = try SIPTrunkService(store: server.store).attach(AttachRequest(
            phoneNumber: "+14155554567",
            directions: [.init(type: "outbound", sipEndpoint: "127.0.0.1:\(sipp.port)", options: .init(transport: "udp"))]))
        try await server.run { client, key in
            let started = try await Self.send(client, .post, "/v1/sip/test-call", key: key, body: "{\"phone_number\":\"+14155554567\"}")
            #expect(started.status == .ok)
            let callID = try #require(Self.json(started)["call_id"] as? String)
            let final = try await Self.poll(client, "/v1/sip/test-call/status?call_id=\(callID)", key: key, seconds: 30) {
                !["queued", "initiated", "ringing", "in-progress"].contains($0["status"] as? String ?? "")
            }
            #expect(final["status"] as? String == "completed", "\(final)")
            #expect(final["result"] as? String == "connected")
            #expect(final["sip_code"] as? Int == 200)
            let events = (final["timeline"] as? [[String: Any]] ?? []).compactMap { $0["event"] as? String }
            #expect(events.contains("answered") && events.contains("bye_sent"), "\(events)")
            let trace = (final["trace"] as? [[String: Any]] ?? []).compactMap { $0["summary"] as? String }
            #expect(trace.first?.hasPrefix("INVITE sip:+14155554567") == true, "\(trace)")
            #expect(trace.contains { $0.hasPrefix("BYE ") })

            // The call's trace by its Call-ID, and the call in the number's logs.
            let traceResponse = try await Self.send(client, .get, "/v1/sip/calls/\(callID)/trace", key: key)
            #expect(traceResponse.status == .ok)
            let calls = Self.json(try await Self.send(client, .get, "/v1/sip/calls?phone_number=%2B14155554567", key: key))
            #expect((calls["calls"] as? [[String: Any]])?.first?["call_id"] as? String == callID)
        }
    }

    /// A name that resolves to loopback is refused after resolution (the server was not started for a lab), and
    /// the job says why; nothing is sent to the address.
    @Test func namesThatResolveToPrivateAddressesAreRefusedAfterResolution() async throws {
        let dnsmasq = try DNSResolverTests.answeringDnsmasq()
        defer { dnsmasq.stop() }
        let server = try Server(allowPrivate: false, dnsServer: dnsmasq.server)
        _ = try SIPTrunkService(store: server.store).attach(AttachRequest(
            phoneNumber: "+14155554567", directions: [.init(type: "outbound", sipEndpoint: "pbx.test:5070", options: .init(transport: "udp"))]))
        try await server.run { client, key in
            let started = try await Self.send(client, .post, "/v1/sip/discover", key: key, body: "{\"host\":\"pbx.test\"}")
            #expect(started.status == .ok)
            let id = try #require(Self.json(started)["discovery_id"] as? String)
            let result = try await Self.poll(client, "/v1/sip/discover/status?discovery_id=\(id)", key: key, seconds: 15) { ($0["status"] as? String) != "running" }
            #expect(result["status"] as? String == "failed")
            let error = try #require(result["error"] as? [String: Any])
            #expect((error["message"] as? String)?.contains("loopback address") == true, "\(result)")
            #expect((result["attempts"] as? [Any])?.isEmpty == true)

            let call = try await Self.send(client, .post, "/v1/sip/test-call", key: key, body: "{\"phone_number\":\"+14155554567\"}")
            let callID = try #require(Self.json(call)["call_id"] as? String)
            let final = try await Self.poll(client, "/v1/sip/test-call/status?call_id=\(callID)", key: key, seconds: 15) { ($0["status"] as? String) == "failed" }
            #expect(final["status"] as? String == "failed")
            let detail = (final["timeline"] as? [[String: Any]])?.last?["detail"] as? String ?? ""
            #expect(detail.contains("loopback address") && detail.contains("--allow-private"), "\(final)")
        }
        // Refused before the call: no record spends the rate limit.
        #expect(try SIPTrunkService(store: server.store).testCalls().isEmpty)
    }

    /// The connect-time check: a prober whose link refuses an address sends nothing to it, whatever resolved it.
    @Test func theLinkRefusesAddressesItsAdmissionRefusesAtConnectTime() throws {
        let sipp = try ProbeIntegrationTests.SippServer(transport: .udp)
        defer { sipp.stop() }
        let prober = NetworkProber(timers: ProbeIntegrationTests.fast)
        defer { prober.shutdown() }
        prober.link.admission = AddressGuard(allowPrivate: false, host: .init(hostName: "h", ipv4: [], ipv6: [])).admission
        let outcome = try prober.probe(PeerAddress(host: "127.0.0.1", port: sipp.port, transport: .udp)).wait()
        guard case .failure(let failure) = outcome else {
            Issue.record("a loopback probe was answered through the guard: \(outcome)")
            return
        }
        #expect(failure.message.contains("loopback address"), "\(failure.message)")
    }
}
