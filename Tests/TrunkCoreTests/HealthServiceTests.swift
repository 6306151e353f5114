import Foundation
import SIPCore
import SIPEngine
import Testing
import TrunkCore
import TrunkStore

/// Health samples through the use cases: state kept across samples, uptime windows, roll-up that keeps them
/// exact, and the heartbeat that tells a dashboard whether a monitor runs.
struct HealthServiceTests {
    final class Clock: @unchecked Sendable {
        var now = Date(timeIntervalSince1970: 1_800_000_000)
    }

    func setUp() throws -> (SIPTrunkService, Clock, String) {
        let clock = Clock()
        let store = try TrunkDatabase(path: NSTemporaryDirectory() + "siptrunk-health-\(UUID().uuidString).sqlite")
        try Installation.prepare(store, host: Installation.HostFacts(hostName: "siptrunk.test", ipv4: ["192.0.2.1"], ipv6: []), now: clock.now)
        let service = SIPTrunkService(store: store, now: { clock.now })
        let result = try service.attach(AttachRequest(phoneNumber: "+14155550100", directions: [.init(type: "outbound", sipEndpoint: "pbx.example.com")]))
        #expect(result.failed.isEmpty)
        let configId = try #require(try service.monitorTargets().first?.configId)
        return (service, clock, configId)
    }

    func sample(_ configId: String, at time: Date, ok: Bool, tracker: inout HealthTracker) -> HealthSampleResult {
        let changed = tracker.record(answered: ok, policy: HealthPolicy()) != nil
        return HealthSampleResult(
            endpointID: configId, wallTime: time.timeIntervalSince1970, outcome: ok ? "ok" : "timeout", responseCode: ok ? 200 : nil,
            responseTimeMs: ok ? 20 : nil, message: ok ? nil : "no answer", remedy: ok ? nil : "check the PBX", state: tracker.state, changed: changed)
    }

    @Test func uptimeAndStateFromSamplesSurviveTheRollUp() throws {
        let (service, clock, configId) = try setUp()
        var tracker = HealthTracker()
        // Three days of a probe a minute, one failed in ten.
        let start = clock.now.addingTimeInterval(-3 * 86_400)
        for minute in 0..<(3 * 1440) {
            let result = sample(configId, at: start.addingTimeInterval(Double(minute) * 60), ok: minute % 10 != 0, tracker: &tracker)
            try service.recordHealth(result, tracker: tracker)
        }
        let before = try service.health(configId: configId)
        #expect(before.uptime7d == 90.0 && before.uptime24h == 90.0)
        #expect(before.healthStatus == .healthy && before.averageResponseMs == 20)
        #expect(before.lastFailures.first?.remedy == "check the PBX")
        let rolled = try service.rollUpHealth()
        #expect(rolled > 0)
        let after = try service.health(configId: configId)
        #expect(after.uptime7d == 90.0 && after.averageResponseMs == 20, "the roll-up keeps the week's figures")
        #expect(try service.store.read { try $0.healthSampleCount(configId: configId) } < 3 * 1440)
    }

    @Test func theHeartbeatSaysWhetherAMonitorRuns() throws {
        let (service, clock, _) = try setUp()
        #expect(try service.activeMonitor() == nil)
        try service.beatMonitorHeartbeat(owner: "siptrunk monitor (pid 42)")
        #expect(try service.activeMonitor() == "siptrunk monitor (pid 42)")
        clock.now = clock.now.addingTimeInterval(120)
        #expect(try service.activeMonitor() == nil)
    }

    /// Issue 15: a heartbeat from this host counts only while its process lives (a dead monitor's fresh heartbeat
    /// kept a dashboard from monitoring for minutes), and a monitor that stops clears it.
    @Test func aDeadMonitorsHeartbeatDoesNotCount() throws {
        let (service, _, _) = try setUp()
        // A process that has ended: its pid is free (or another process's, with another start time).
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let dead = ProcessIdentity(pid: child.processIdentifier, started: "1", host: ProcessIdentity.hostName())
        try service.beatMonitorHeartbeat(owner: "siptrunk monitor (pid \(dead.pid))", process: dead)
        #expect(try service.activeMonitor() == nil)
        // Another host's process cannot be checked: its heartbeat counts while fresh.
        try service.beatMonitorHeartbeat(owner: "siptrunk monitor on another host", process: ProcessIdentity(pid: dead.pid, started: "1", host: "elsewhere"))
        #expect(try service.activeMonitor() == "siptrunk monitor on another host")
        // This process lives; when it says it stopped, nobody monitors.
        try service.beatMonitorHeartbeat(owner: "me")
        #expect(try service.activeMonitor() == "me")
        try service.endMonitorHeartbeat(owner: "me")
        #expect(try service.activeMonitor() == nil)
    }

    /// The overview (one query) and the per-row figures agree with each number's full health, on the demo set
    /// (samples without a monitor state) and after the monitor has written a state.
    @Test func overviewAndFiguresAgreeWithTheFullHealth() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let store = try TrunkDatabase(path: NSTemporaryDirectory() + "siptrunk-overview-\(UUID().uuidString).sqlite")
        try Installation.prepare(store, host: Installation.HostFacts(hostName: "siptrunk.test", ipv4: ["192.0.2.1"], ipv6: []), now: now)
        _ = try DemoData.populate(store, now: now)
        let service = SIPTrunkService(store: store, now: { now })
        let overview = try service.healthOverview()
        #expect(overview.count == 12 && Set(overview.map(\.configId)).count == 12)
        let figures = try service.healthFigures(configIds: overview.map(\.configId), recent: 20)
        for view in overview {
            let full = try service.health(configId: view.configId, recent: 20)
            #expect(view.healthStatus == full.healthStatus && view.sipEndpoint == full.sipEndpoint && view.lastCheckedAt == full.lastCheckedAt)
            #expect(figures[view.configId]?.uptime24h == full.uptime24h)
            #expect(figures[view.configId]?.averageResponseMs == full.averageResponseMs)
            #expect(figures[view.configId]?.recentResponseMs == full.recentResponseMs)
        }
        // The FreeSWITCH trunk is in an outage: its latest sample failed.
        #expect(overview.first { $0.sipEndpoint?.hasPrefix("fs.globex") == true }?.healthStatus == .unreachable)
        #expect(try service.trunkCount() == 4)
    }
}
