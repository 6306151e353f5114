import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TrunkCore
import TrunkStore

@testable import TrunkAPI

/// The HTTP contract of `siptrunk serve` (issue 17): envelope, status codes, authentication, entitlement, strict
/// payloads — driven through Hummingbird's router on a real SQLite file.
struct APIContractTests {
    @Test func withoutAValidKeyEveryRouteAnswers401InTheEnvelope() async throws {
        let fixture = try APIFixture()
        let revoked = try APIKeyService(store: fixture.store).create(name: "old")
        try APIKeyService(store: fixture.store).revoke(id: revoked.summary.id)
        let wrongSecret = String(fixture.key.dropLast(3)) + "AAA"
        try await fixture.withClient { client, _ in
            for key in [nil, "nonsense", wrongSecret, revoked.key, "stk_000000000000_x"] as [String?] {
                let (response, envelope) = try await client.call(.get, "/v1/sip/numbers", key: key)
                #expect(response.status == .unauthorized, "key \(key ?? "none")")
                #expect(envelope.hasBothKeys && envelope.data == nil && envelope.errorCodes == ["unauthorized"])
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            // The guide's plain form works as well as Bearer.
            let plain = try await client.execute(uri: "/v1/sip/numbers", method: .get, headers: [.authorization: fixture.key])
            #expect(plain.status == .ok)
        }
    }

    @Test func healthAndTheOpenAPIDocumentNeedNoKey() async throws {
        let fixture = try APIFixture()
        try await fixture.withClient { client, _ in
            let (health, envelope) = try await client.call(.get, "/healthz", key: nil)
            #expect(health.status == .ok)
            #expect(envelope.dataObject["status"] as? String == "ok")
            let document = try await client.execute(uri: "/v1/openapi.json", method: .get)
            #expect(document.status == .ok)
            let json = try JSONSerialization.jsonObject(with: Data(document.body.readableBytesView)) as? [String: Any]
            #expect(json?["openapi"] as? String == "3.1.0")
        }
    }

    /// The committed OpenAPI document and the router agree: every served route is documented, and every
    /// documented route is served (answers something other than "no such endpoint").
    @Test func theOpenAPIDocumentListsExactlyTheServedRoutes() async throws {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.bytes)) as? [String: Any])
        let paths = try #require(json["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
        let served = Set(Handlers.routes.map(\.description))
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")

        let fixture = try APIFixture()
        try await fixture.withClient { client, key in
            for route in Handlers.routes {
                let uri = route.path.replacingOccurrences(of: "{call_id}", with: "none")
                let method = HTTPRequest.Method(route.method) ?? .get
                let (response, envelope) = try await client.call(method, uri, key: key, json: method == .get ? nil : "{}")
                #expect(!envelope.messages.contains("no such endpoint"), "\(route) is not routed")
                #expect(response.status != .methodNotAllowed, "\(route)")
                #expect(envelope.hasBothKeys || uri == "/v1/openapi.json", "\(route) answered without the envelope")
            }
        }
    }

    @Test func anOrganisationWithoutTheSIPEntitlementGets403() async throws {
        let fixture = try APIFixture()
        _ = try fixture.service.setEntitlement(false)
        try await fixture.withClient { client, key in
            let (response, envelope) = try await client.call(.get, "/v1/sip/numbers", key: key)
            #expect(response.status == .forbidden)
            #expect(envelope.errorCodes == ["sip_not_entitled"])
            #expect(envelope.messages.contains("siptrunk org set --sip-entitled true"))
        }
    }

    @Test func wrongMethodUnknownPathAndOversizedBodiesAreRefusedByName() async throws {
        let fixture = try APIFixture()
        try await fixture.withClient { client, key in
            let (wrong, wrongEnvelope) = try await client.call(.delete, "/v1/sip/config", key: key)
            #expect(wrong.status == .methodNotAllowed)
            #expect(wrong.headers[.allow] == "GET, PATCH")
            #expect(wrongEnvelope.errorCodes == ["method_not_allowed"])

            let (missing, missingEnvelope) = try await client.call(.get, "/v1/sip/nothing-here", key: key)
            #expect(missing.status == .notFound)
            #expect(missingEnvelope.errorCodes == ["not_found"])

            let huge = "{\"destination\":\"" + String(repeating: "a", count: APIServer.maximumBodyBytes) + "\"}"
            let (tooLarge, tooLargeEnvelope) = try await client.call(.post, "/v1/sip/parse-destination", key: key, json: huge)
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLargeEnvelope.errorCodes == ["request_too_large"])

            let (form, formEnvelope) = try await client.call(.post, "/v1/sip/attach", key: key, json: "phone_number=1", contentType: "application/x-www-form-urlencoded")
            #expect(form.status == .unsupportedMediaType)
            #expect(formEnvelope.messages.contains("application/json"))
        }
    }

    /// Bad payloads: each gets a 4xx naming what was wrong, and nothing is written.
    @Test func badPayloadsAre400WithTheFieldNamedAndWriteNothing() async throws {
        let fixture = try APIFixture()
        let tooMany = (0..<101).map { String(format: "+1415555%04d", $0) }
        let cases: [(String, String, String)] = [
            ("{\"phone_numbers\": [", "body", "malformed JSON"),
            (String(repeating: "[", count: 100_000), "body", "deeply nested"),
            (String(repeating: "{\"a\":", count: 40) + "1" + String(repeating: "}", count: 40), "body", "nested objects"),
            ("[1,2]", "body", "not an object"),
            ("{\"directions\":[]}", "phone_numbers", "no numbers"),
            ("{\"phone_number\":\"+14155550100\"}", "directions", "missing field"),
            ("{\"phone_number\":14155550100,\"directions\":[]}", "phone_number", "wrong type"),
            ("{\"phone_number\":\"+14155550100\",\"directions\":[{\"type\":\"outbound\",\"sip_endpoint\":\"pbx.example.com\",\"optoins\":{}}]}", "directions[0].optoins", "unknown nested field"),
            ("{\"phone_number\":\"+14155550100\",\"colour\":\"red\",\"directions\":[{\"type\":\"outbound\",\"sip_endpoint\":\"pbx.example.com\"}]}", "colour", "unknown field"),
            (attachBody(tooMany), "phone_numbers", "101 numbers"),
            ("{\"phone_number\":\"+14155550100\",\"directions\":[{\"type\":\"outbound\",\"sip_endpoint\":\"pbx.example.com\",\"options\":{\"port\":1e400}}]}", "", "huge number"),
            ("{\"phone_number\":\"not a number\",\"directions\":[{\"type\":\"outbound\",\"sip_endpoint\":\"pbx.example.com\"}]}", "phone_numbers", "invalid number"),
        ]
        try await fixture.withClient { client, key in
            for (body, field, what) in cases {
                let (response, envelope) = try await client.call(.post, "/v1/sip/attach", key: key, json: body)
                #expect(response.status == .badRequest, "\(what): \(response.status) \(envelope.messages)")
                #expect(envelope.hasBothKeys && envelope.data == nil && !envelope.errors.isEmpty, "\(what)")
                if !field.isEmpty {
                    #expect(envelope.errors.contains { ($0["field"] as? String) == field || (($0["message"] as? String) ?? "").contains(field) }, "\(what): \(envelope.messages)")
                }
            }
            let (invalidUTF8, invalidEnvelope) = try await client.call(.post, "/v1/sip/parse-destination", key: key, bytes: [0x7B, 0x22, 0x64, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D])
            #expect(invalidUTF8.status == .badRequest)
            #expect(invalidEnvelope.errorCodes == ["invalid_request"])
        }
        #expect(try fixture.service.numbers().isEmpty)
        #expect(try fixture.service.trunkCount() == 0)

        // One good number and one bad: the good one is configured (200), the other listed in failed with why.
        try await fixture.withClient { client, key in
            let (response, envelope) = try await client.call(.post, "/v1/sip/attach", key: key, json: attachBody(["+14155550100", "+1415555"]))
            #expect(response.status == .ok)
            let failed = try #require(envelope.dataObject["failed"] as? [[String: Any]])
            #expect(failed.count == 1)
            #expect((failed.first?["reason"] as? String)?.contains("phone_numbers[1]") == true)
        }
    }

    @Test func aTrunkIsAttachedReadUpdatedConfiguredAndDetachedOverHTTP() async throws {
        let fixture = try APIFixture()
        try await fixture.withClient { client, key in
            let (attached, attachEnvelope) = try await client.call(.post, "/v1/sip/attach", key: key, json: attachBody(["+14155550100", "+14155550101"]))
            #expect(attached.status == .ok, "\(attachEnvelope.messages)")
            #expect((attachEnvelope.dataObject["configured"] as? [Any])?.count == 2)

            let (read, readEnvelope) = try await client.call(.get, "/v1/sip?phone_number=%2B14155550100", key: key)
            #expect(read.status == .ok)
            let outbound = try #require(readEnvelope.dataObject["outbound"] as? [String: Any])
            #expect(outbound["sip_endpoint"] as? String == "sip:pbx.example.com")

            let (_, numbers) = try await client.call(.get, "/v1/sip/numbers", key: key)
            #expect((numbers.dataObject["numbers"] as? [[String: Any]])?.map { $0["phone_number"] as? String } == ["+14155550100", "+14155550101"])

            let (updated, updateEnvelope) = try await client.call(
                .post, "/v1/sip/update", key: key,
                json: "{\"phone_number\":\"+14155550100\",\"updates\":{\"type\":\"outbound\",\"sip_endpoint\":\"pbx2.example.com\"}}")
            #expect(updated.status == .ok, "\(updateEnvelope.messages)")
            #expect(updateEnvelope.dataObject.keys.contains("register_password_for_pbx"))
            #expect(try fixture.service.configuration(number: "+14155550100").outbound?.sipEndpoint == "sip:pbx2.example.com")

            let (patched, patchEnvelope) = try await client.call(
                .patch, "/v1/sip/config", key: key,
                json: "{\"phone_number\":\"+14155550100\",\"direction\":\"outbound\",\"codec_config\":{\"codecs\":[\"PCMA\",\"PCMU\"],\"transcode\":false}}")
            #expect(patched.status == .ok, "\(patchEnvelope.messages)")
            let (_, config) = try await client.call(.get, "/v1/sip/config?phone_number=%2B14155550100&direction=outbound", key: key)
            #expect((config.dataObject["codec_config"] as? [String: Any])?["codecs"] as? [String] == ["PCMA", "PCMU"])

            let (status, statusEnvelope) = try await client.call(.get, "/v1/sip/status?phone_number=%2B14155550100", key: key)
            #expect(status.status == .ok)
            #expect(statusEnvelope.dataObject["status"] as? String == "unchecked")
            #expect(statusEnvelope.dataObject.keys.contains("response_time_ms"))

            let (calls, callsEnvelope) = try await client.call(.get, "/v1/sip/calls?phone_number=%2B14155550100&limit=10", key: key)
            #expect(calls.status == .ok)
            #expect((callsEnvelope.dataObject["calls"] as? [Any])?.isEmpty == true)
            let (badLimit, _) = try await client.call(.get, "/v1/sip/calls?phone_number=%2B14155550100&limit=0", key: key)
            #expect(badLimit.status == .badRequest)

            let (detached, detachEnvelope) = try await client.call(.post, "/v1/sip/detach", key: key, json: "{\"phone_number\":\"+14155550101\",\"directions\":[\"outbound\"]}")
            #expect(detached.status == .ok)
            #expect(detachEnvelope.dataObject["detached"] as? [String] == ["outbound"])
            let (gone, _) = try await client.call(.get, "/v1/sip?phone_number=%2B14155550101", key: key)
            #expect(gone.status == .notFound)
        }
    }

    @Test func callLogsPageWithBeforeAndTraceByCallID() async throws {
        let fixture = try APIFixture()
        _ = try fixture.service.attach(AttachRequest(phoneNumber: "+14155550100", directions: [.init(type: "outbound", sipEndpoint: "pbx.example.com")]))
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        try fixture.store.write { writer in
            for index in 0..<5 {
                try writer.insert(CallLog(
                    callId: "call-\(index)", number: "+14155550100", direction: "outbound", fromUri: "sip:a@b", toUri: "sip:c@d", status: "completed",
                    sipCode: 200, durationSeconds: Double(index), startedAt: start.addingTimeInterval(Double(index)), endedAt: nil, sourceIp: nil))
            }
            try writer.insert(TraceMessage(
                sipCallId: "call-4", monotonicNs: 1, wallTime: start, direction: "sent", transport: "udp", localAddress: "192.0.2.10:5060",
                remoteAddress: "198.51.100.1:5060", raw: Data("OPTIONS sip:x SIP/2.0\r\nCall-ID: call-4\r\n\r\n".utf8)))
        }
        try await fixture.withClient { client, key in
            let (_, first) = try await client.call(.get, "/v1/sip/calls?phone_number=%2B14155550100&limit=2", key: key)
            #expect((first.dataObject["calls"] as? [[String: Any]])?.map { $0["call_id"] as? String } == ["call-4", "call-3"])
            let next = try #require(first.dataObject["next_before"] as? String)
            #expect(next == "call-3")
            let (_, second) = try await client.call(.get, "/v1/sip/calls?phone_number=%2B14155550100&limit=2&before=\(next)", key: key)
            #expect((second.dataObject["calls"] as? [[String: Any]])?.map { $0["call_id"] as? String } == ["call-2", "call-1"])
            let row = try #require((second.dataObject["calls"] as? [[String: Any]])?.first)
            #expect(Set(row.keys) == ["call_id", "direction", "from", "to", "status", "sip_code", "duration_seconds", "started_at", "ended_at", "source_ip"])
            let (badCursor, _) = try await client.call(.get, "/v1/sip/calls?phone_number=%2B14155550100&before=nope", key: key)
            #expect(badCursor.status == .badRequest)

            let (trace, traceEnvelope) = try await client.call(.get, "/v1/sip/calls/call-4/trace", key: key)
            #expect(trace.status == .ok)
            let messages = try #require(traceEnvelope.dataObject["messages"] as? [[String: Any]])
            #expect(messages.first?["summary"] as? String == "OPTIONS sip:x SIP/2.0")
            let (noTrace, _) = try await client.call(.get, "/v1/sip/calls/call-0/trace", key: key)
            #expect(noTrace.status == .notFound)
        }
    }

    @Test func testCallsAreRateLimitedWith429AndRetryAfter() async throws {
        let fixture = try APIFixture()
        _ = try fixture.service.attach(AttachRequest(phoneNumber: "+14155550100", directions: [.init(type: "outbound", sipEndpoint: "pbx.example.com")]))
        for index in 0..<SIPTrunkService.testCallLimit {
            try fixture.service.beginTestCall(callId: "earlier-\(index)", number: "+14155550100")
        }
        try await fixture.withClient { client, key in
            let (response, envelope) = try await client.call(.post, "/v1/sip/test-call", key: key, json: "{\"phone_number\":\"+14155550100\"}")
            #expect(response.status == .tooManyRequests)
            #expect(envelope.errorCodes == ["rate_limited"])
            let retry = try #require(response.headers[.retryAfter].flatMap { Int($0) })
            #expect(retry > 0 && retry <= 900)
            // A number without an outbound endpoint is refused before any limit is spent.
            let (unknown, _) = try await client.call(.post, "/v1/sip/test-call", key: key, json: "{\"phone_number\":\"+14155550199\"}")
            #expect(unknown.status == .tooManyRequests || unknown.status == .notFound)
        }
    }

    @Test func discoveryOfPrivateLoopbackAndMappedAddressesIsRefusedUnlessAllowed() async throws {
        let fixture = try APIFixture()
        try await fixture.withClient { client, key in
            for host in ["127.0.0.1", "10.1.2.3", "[::1]", "[::ffff:127.0.0.1]", "169.254.169.254", "0.0.0.0", "192.0.2.10", "224.0.0.1"] {
                let (response, envelope) = try await client.call(.post, "/v1/sip/discover", key: key, json: "{\"host\":\"\(host)\"}")
                #expect(response.status == .badRequest, "\(host)")
                #expect(envelope.errorCodes == ["address_not_allowed"], "\(host): \(envelope.messages)")
            }
            let (port, _) = try await client.call(.post, "/v1/sip/discover", key: key, json: "{\"host\":\"pbx.example.com\",\"port\":70000}")
            #expect(port.status == .badRequest)
            let (unknownID, _) = try await client.call(.get, "/v1/sip/discover/status?discovery_id=disc_nothing", key: key)
            #expect(unknownID.status == .notFound)
        }
    }

    @Test func parseDestinationAnswersTheFieldsOrNamesTheProblem() async throws {
        let fixture = try APIFixture()
        try await fixture.withClient { client, key in
            let (good, envelope) = try await client.call(.post, "/v1/sip/parse-destination", key: key, json: "{\"destination\":\"sip:pbx.example.com:5061;transport=tls\"}")
            #expect(good.status == .ok)
            #expect(envelope.dataObject["transport"] as? String == "tls")
            #expect(envelope.dataObject["port"] as? Int == 5061)
            #expect(envelope.dataObject.keys.contains("user"))
            let (bad, badEnvelope) = try await client.call(.post, "/v1/sip/parse-destination", key: key, json: "{\"destination\":\"sip:pbx.example.com:99999\"}")
            #expect(bad.status == .badRequest)
            #expect(badEnvelope.errorCodes == ["invalid_destination"])
        }
    }

    @Test func keysAreStoredOnlyAsHashesAndListedWithoutSecrets() throws {
        let fixture = try APIFixture()
        let keys = APIKeyService(store: fixture.store)
        let created = try keys.create(name: "crm")
        let stored = try #require(try fixture.store.read { try $0.apiKey(id: created.summary.id) })
        // The secret is everything after `stk_<id>_`: URL-safe base64, so it may hold '_' itself (splitting at the
        // last '_' once left a one-character "secret" that the hash's hex happened to contain).
        let secret = String(created.key.split(separator: "_", maxSplits: 2).last ?? "")
        #expect(secret.count >= 40)
        #expect(!stored.keyHash.contains(secret))
        #expect(stored.keyHash.count == 64)
        let listed = try JSONEncoder().encode(try keys.list())
        #expect(!String(decoding: listed, as: UTF8.self).contains(created.key))
        #expect(try keys.authenticate(created.key)?.keyId == created.summary.id)
        try keys.revoke(id: created.summary.id)
        #expect(try keys.authenticate(created.key) == nil)
        #expect(throws: TrunkError.self) { try keys.revoke(id: created.summary.id) }
        #expect(throws: TrunkError.self) { try keys.create(name: "  ") }
    }
}
