import Foundation
import SIPCore
import Testing
import TrunkCore
import TrunkStore

struct DemoDataTests {
    @Test func fillsAFreshDatabaseWithEverythingTheScreensShow() throws {
        let database = try TestDatabase()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let summary = try DemoData.populate(database.store, now: now)
        #expect(summary.trunks == 4)
        #expect(summary.numbers == 8)
        #expect(summary.healthSamples == 6 * 7 * 24 * 60)
        #expect((300...1000).contains(summary.callLogs))
        let numbers = try database.service.numbers()
        #expect(Set(numbers.map(\.healthStatus)) == [.healthy, .unreachable, .unchecked])
        #expect(numbers.allSatisfy { $0.phoneNumber.contains("55501") || $0.phoneNumber.hasPrefix("+44") })

        // The traced test call holds real SIP messages, in ladder order.
        let (calls, trace) = try database.store.read { reader in
            let calls = try reader.testCalls(orgId: Installation.defaultOrgId)
            return (calls, try reader.trace(sipCallId: calls[0].callId))
        }
        #expect(calls.first?.result == "connected")
        let messages = try trace.map { try SIPMessageParser().parse(datagram: Array($0.raw)) }
        #expect(messages.map { $0.method?.rawValue ?? String($0.statusCode ?? 0) } == ["INVITE", "100", "180", "200", "ACK", "BYE", "200"])
        #expect(messages.allSatisfy { $0.validate().isEmpty })
        let offer = try SessionDescription(bytes: messages[0].body)
        #expect(offer.media[0].cryptos.first?.suite == "AES_CM_128_HMAC_SHA1_80")

        // Deterministic: a second fresh database gets the same data.
        let other = try TestDatabase()
        #expect(try DemoData.populate(other.store, now: now) == summary)
    }

    /// The demo's endpoints are fictional (.example names, documentation addresses): a monitor on a demo database
    /// probes none of them — only trunks added to it later.
    @Test func noMonitorProbesTheDemoTrunks() throws {
        let database = try TestDatabase()
        _ = try DemoData.populate(database.store, now: Date())
        #expect(try database.service.monitorTargets().isEmpty)
        #expect(try database.service.monitorSettings(recoverAfter: 2).configurations.isEmpty)
        // Still shown: the dashboard's overview lists them with their stored health.
        let overview = try database.service.healthOverview()
        #expect(overview.count == 12, "\(overview.map(\.phoneNumber))")
        _ = try database.service.attach(AttachRequest(
            phoneNumber: "+14155550999", trunkId: "real", directions: [.init(type: "outbound", sipEndpoint: "127.0.0.1", options: .init(port: 5060, transport: "udp"))]))
        #expect(try database.service.monitorTargets().map(\.number) == ["+14155550999"])
    }

    @Test func refusesADatabaseThatHoldsTrunks() throws {
        let database = try TestDatabase()
        _ = try database.service.attach(AttachRequest(phoneNumber: "+14155550123", directions: [.init(type: "inbound")]))
        #expect(throws: TrunkError.self) { try DemoData.populate(database.store) }
        #expect(try database.service.numbers().count == 1)
    }
}
