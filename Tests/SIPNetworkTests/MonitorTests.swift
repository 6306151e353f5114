import Foundation
import SIPCore
import Testing
import TrunkCore
import TrunkStore

/// `siptrunk monitor` against kamailio: healthy, then unreachable when kamailio stops, healthy again when it is
/// back; every sample stored with its classification and the uptime computed from them.
@Suite(.serialized)
struct MonitorTests {
    static func waitForLine(containing text: String, in log: String, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let content = try? String(contentsOfFile: log, encoding: .utf8), content.contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    @Test func unreachableWhenKamailioStopsAndHealthyWhenItIsBack() throws {
        var kamailio: KamailioServer? = try KamailioServer()
        defer { kamailio?.stop() }
        let database = TestCallTests.database()
        let attach = try TestProcess.siptrunk([
            "trunks", "attach", "+15558880001", "--trunk", "mon-trunk", "--direction", "outbound", "--endpoint", KamailioServer.good,
            "--port", "5060", "--transport", "udp", "--db", database,
        ])
        #expect(attach.status == 0, "\(attach.output)")
        let inbound = try TestProcess.siptrunk(["trunks", "attach", "+15558880002", "--trunk", "mon-trunk", "--direction", "inbound", "--db", database])
        #expect(inbound.status == 0, "\(inbound.output)")

        let log = NSTemporaryDirectory() + "siptrunk-monitor-\(UUID().uuidString).log"
        let monitor = try TestProcess.start(
            try TestProcess.siptrunkPath(), ["monitor", "--interval", "10", "--fail-after", "1", "--recover-after", "1", "--json", "--db", database], log: log)
        defer { TestProcess.stop(monitor) }

        #expect(Self.waitForLine(containing: "\"health_status\":\"healthy\"", in: log, seconds: 15), "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        kamailio?.stop()
        kamailio = nil
        #expect(Self.waitForLine(containing: "\"health_status\":\"unreachable\"", in: log, seconds: 25), "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")

        // The state is in the database for every other process (the dashboard, siptrunk numbers).
        let service = SIPTrunkService(store: try TrunkDatabase(path: database))
        let down = try #require(try service.healthOverview().first { $0.phoneNumber == "+15558880001" })
        #expect(down.healthStatus == "unreachable")
        #expect(down.lastFailures.first?.outcome == "icmp_unreachable" || down.lastFailures.first?.outcome == "timeout", "\(down.lastFailures)")
        #expect(down.lastFailures.first?.remedy != nil)
        #expect(try service.healthOverview().first { $0.phoneNumber == "+15558880002" }?.healthStatus == "unchecked")

        kamailio = try KamailioServer()
        let start = (try? String(contentsOfFile: log, encoding: .utf8))?.count ?? 0
        let deadline = Date().addingTimeInterval(25)
        var recovered = false
        while Date() < deadline, !recovered {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            recovered = text.dropFirst(start).contains("\"health_status\":\"healthy\"")
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(recovered)
        let up = try #require(try service.healthOverview().first { $0.phoneNumber == "+15558880001" })
        #expect(up.healthStatus == "healthy")
        let uptime = try #require(up.uptime1h)
        #expect(uptime > 0 && uptime < 100, "one failure among the samples: \(uptime)")
        #expect(up.averageResponseMs != nil && up.recentResponseMs.contains { $0 == nil })

        let numbers = try TestProcess.siptrunk(["numbers", "--json", "--db", database])
        #expect(numbers.output.contains("\"health_status\" : \"healthy\""), "\(numbers.output)")
    }

    @Test func intervalsBelowTenSecondsAreRefused() throws {
        let result = try TestProcess.siptrunk(["monitor", "--interval", "5", "--db", TestCallTests.database()])
        #expect(result.status == 2)
    }
}
