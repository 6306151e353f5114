import Foundation
import Testing
import TrunkCore
import TrunkStore

/// A kamailio of its own on one loopback address (UDP 5060), answering OPTIONS and refusing calls with its name.
final class EndpointKamailio {
    let address: String
    let name: String
    let directory: String
    private(set) var pid: pid_t = 0

    init(address: String, name: String) throws {
        self.address = address
        self.name = name
        directory = NSTemporaryDirectory() + "siptrunk-\(name)-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let modules = try #require(
            ["/usr/lib/x86_64-linux-gnu/kamailio/modules", "/usr/lib/aarch64-linux-gnu/kamailio/modules", "/usr/lib/kamailio/modules"]
                .first { FileManager.default.fileExists(atPath: $0 + "/sl.so") }, "kamailio is not installed")
        let template = try #require(Bundle.module.url(forResource: "kamailio-endpoint.cfg", withExtension: nil, subdirectory: "Fixtures/alerts"))
        let text = try String(contentsOf: template, encoding: .utf8)
            .replacingOccurrences(of: "@ADDR@", with: address).replacingOccurrences(of: "@NAME@", with: name).replacingOccurrences(of: "@MODULES@", with: modules + "/")
        try text.write(toFile: directory + "/kamailio.cfg", atomically: true, encoding: .utf8)
        try start()
    }

    func start() throws {
        pid = try TestProcess.start(
            "/usr/sbin/kamailio", ["-DD", "-E", "-f", directory + "/kamailio.cfg", "-Y", directory, "-w", directory, "-P", directory + "/kamailio.pid", "-m", "16", "-M", "4"],
            log: directory + "/kamailio.log")
        // Ready when it answers an OPTIONS.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let probe = try TestProcess.siptrunk(["probe", "\(address):5060", "--transport", "udp", "--count", "1", "--timeout", "1"])
            if probe.status == 0 { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw TestFailure("kamailio \(name) on \(address) did not answer: \((try? String(contentsOfFile: directory + "/kamailio.log", encoding: .utf8)) ?? "")")
    }

    func stop() {
        guard pid > 0 else { return }
        _ = TestProcess.terminate(pid, within: 5)
        pid = 0
    }

    deinit { stop() }
}

/// Issue 15's end-to-end run with real components on loopback: two kamailio instances as primary and secondary,
/// a webhook receiver that fails its first requests, an SMS receiver, aiosmtpd with STARTTLS and AUTH, the monitor
/// as its own process, the dashboard in tmux and test-call from the command line.
///
/// Primary stopped → unreachable → failover to the secondary (shown in the dashboard, used by test-call) → the
/// monitor killed with SIGKILL while its outbox holds undelivered notifications, restarted → unreachable for a
/// minute: the alert by webhook, email and SMS → primary restarted → automatic failback and recovery notices;
/// every notification delivered once per channel after deduplication by event id, none lost.
@Suite(.serialized)
struct FailoverEndToEndTests {
    static let number = "+14155550177"

    /// Waits for `condition`. The deadlines bound a hang, they do not measure speed: two probes 10 s apart after
    /// kamailio restarts have taken over 40 s on a loaded CI machine, so the monitor's steps get 90 s each.
    static func eventually(_ what: String, seconds: Double, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw TestFailure("\(what) did not happen within \(seconds) s")
    }

    @Test func primaryDownFailoverAlertsKillRestartFailback() throws {
        let primary = try EndpointKamailio(address: "127.0.0.41", name: "primary")
        let secondary = try EndpointKamailio(address: "127.0.0.42", name: "secondary")
        defer {
            primary.stop()
            secondary.stop()
        }
        let webhook = try AlertReceiver("receiver.py", ["--fail-first", "2"])
        let sms = try AlertReceiver("receiver.py")
        let (cert, key) = try AlertReceiver.certificate()
        let smtp = try AlertReceiver("smtp.py", ["--user", "noc", "--password", "relay-secret", "--cert", cert, "--key", key])

        let database = TestCallTests.database()
        func cli(_ arguments: [String]) throws -> String {
            let result = try TestProcess.siptrunk(arguments + ["--db", database])
            #expect(result.status == 0, "siptrunk \(arguments.joined(separator: " ")): \(result.output)")
            return result.output
        }
        _ = try cli(["trunks", "attach", Self.number, "--trunk", "fo-trunk", "--direction", "outbound", "--endpoint", "127.0.0.41", "--port", "5060", "--transport", "udp"])
        _ = try cli([
            "config", "set", Self.number, "--failover", "on", "--failover-endpoint", "127.0.0.42:5060:udp", "--failback", "auto", "--alerts", "on",
            "--unreachable-minutes", "1", "--alert-webhook", "http://127.0.0.1:\(webhook.port)/hook", "--alert-email", "oncall@example.com",
            "--alert-sms", "+14155550199",
        ])
        let files = NSTemporaryDirectory() + "siptrunk-fo-" + UUID().uuidString
        for (name, value) in [("smtp", "relay-secret"), ("sms", "sms-token"), ("hook", "whsec-e2e")] {
            try (value + "\n").write(toFile: files + name, atomically: true, encoding: .utf8)
        }
        _ = try cli([
            "alerts", "channels", "--smtp-url", "smtp://127.0.0.1:\(smtp.port)", "--smtp-from", "siptrunk@example.com", "--smtp-username", "noc",
            "--smtp-password-file", files + "smtp", "--smtp-ca-file", cert, "--sms-url", "http://127.0.0.1:\(sms.port)", "--sms-account", "AC77",
            "--sms-token-file", files + "sms", "--sms-from", "+14155550100", "--webhook-secret-file", files + "hook",
        ])
        let service = SIPTrunkService(store: try TrunkDatabase(path: database))
        let monitorArguments = ["monitor", "--interval", "10", "--fail-after", "2", "--recover-after", "2", "--json", "--db", database]
        let log = NSTemporaryDirectory() + "siptrunk-fo-monitor-\(UUID().uuidString).log"
        var monitor = try TestProcess.start(try TestProcess.siptrunkPath(), monitorArguments, log: log)
        defer { TestProcess.stop(monitor) }
        func monitorLog() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        // Both endpoints are probed, one OPTIONS each per interval.
        try Self.eventually("both endpoints healthy", seconds: 25) {
            try service.failoverView(number: Self.number).endpoints.allSatisfy { $0.healthStatus == .healthy }
        }
        #expect(monitorLog().contains("\"endpoint_role\":\"secondary\""), "\(monitorLog())")

        // The primary stops: unreachable after two failed probes, and calls move to the secondary.
        primary.stop()
        try Self.eventually("failover to the secondary", seconds: 90) { try service.activeEndpoint(number: Self.number)?.role == .secondary }
        let view = try service.failoverView(number: Self.number)
        #expect(view.history.first?.trigger == "unreachable" && view.history.first?.reason.contains("primary 127.0.0.41:5060/udp is unreachable") == true, "\(view.history)")

        // Killed while the outbox holds what the webhook receiver refused (it fails its first two requests).
        try Self.eventually("a webhook attempt refused", seconds: 20) {
            try service.store.read { try $0.dueDeliveries(at: .distantFuture, limit: 100) }.contains { $0.channel == "webhook" && $0.attempts >= 1 }
        }
        kill(monitor, SIGKILL)
        _ = TestProcess.wait(monitor)
        let waiting = try service.store.read { try $0.dueDeliveries(at: .distantFuture, limit: 100) }
        #expect(!waiting.isEmpty, "undelivered notifications wait in the outbox after SIGKILL")
        monitor = try TestProcess.start(try TestProcess.siptrunkPath(), monitorArguments, log: log)

        // The dashboard shows where calls go now.
        let dashboard = try TmuxSession(
            command: "env LANG=C.UTF-8 TERM=xterm-256color \(try TestProcess.siptrunkPath()) dashboard --refresh 1 --db \(database); sleep 30", width: 100, height: 30)
        defer { dashboard.kill() }
        try dashboard.waitFor(Self.number)
        try dashboard.keys("Enter")
        let health = try dashboard.waitFor("Calls go to")
        #expect(health.contains("secondary 127.0.0.42:5060/udp"), "\(health)")

        // test-call uses the active endpoint and says so.
        let call = try TestProcess.siptrunk(["test-call", "--number", Self.number, "--duration", "1", "--ring-timeout", "3", "--db", database])
        #expect(call.output.contains("calling through the secondary endpoint 127.0.0.42:5060"), "\(call.output)")
        #expect(call.output.contains("486") && call.output.contains("at secondary"), "the call reached the secondary: \(call.output)")

        // Unreachable for a minute: the alert arrives on all three channels (the monitor's restart kept the since-time).
        try Self.eventually("the unreachable alert", seconds: 100) { try service.alerts().contains { $0.rule == "unreachable" && $0.endpointRole == "primary" } }
        let alert = try #require(try service.alerts().first { $0.rule == "unreachable" })
        try Self.eventually("the alert's notifications delivered", seconds: 30) {
            try service.alert(id: alert.alertId).deliveries?.filter { $0.kind == "alert.opened" }.allSatisfy { $0.status == "delivered" } == true
        }
        let openedEvent = try #require(try service.alert(id: alert.alertId).deliveries?.first { $0.kind == "alert.opened" }?.eventId)
        #expect(webhook.received.contains { ($0["body"] as? String)?.contains(openedEvent) == true && ($0["status"] as? Int) == 200 })
        #expect(smtp.waitFor(1).contains { ($0["data"] as? String)?.contains("X-Siptrunk-Event-Id: \(openedEvent)") == true })
        #expect(sms.received.contains { ($0["headers"] as? [String: String])?["x-siptrunk-event-id"] == openedEvent })

        // The primary is back: two answers, automatic failback, the alert resolves with a recovery notice.
        try primary.start()
        try Self.eventually("failback to the primary", seconds: 90) { try service.activeEndpoint(number: Self.number)?.role == .primary }
        try Self.eventually("the alert resolved", seconds: 20) { try service.alert(id: alert.alertId).status == "resolved" }
        #expect(try service.failoverView(number: Self.number).history.first?.trigger == "failback")

        // A call through the trunk refused 403 at the active endpoint: auth_failure fails over at once.
        let refused = try TestProcess.siptrunk(["test-call", "--number", "+14155550178", "--trunk", "fo-trunk", "--duration", "1", "--ring-timeout", "3", "--db", database])
        #expect(refused.output.contains("403") && refused.output.contains("failed over: \(Self.number) calls now go to the secondary endpoint"), "\(refused.output)")
        #expect(try service.failoverView(number: Self.number).history.first?.trigger == "auth_failure")
        // Probes of the primary still answer: automatic failback follows.
        try Self.eventually("failback after the refused call", seconds: 90) { try service.activeEndpoint(number: Self.number)?.role == .primary }

        // Every notification delivered; per channel, each event id accepted — once, after deduplication.
        try Self.eventually("the outbox drained", seconds: 90) {
            let counts = try service.outboxCounts()
            return counts["pending", default: 0] == 0
        }
        let all = try service.store.read { reader in try reader.outboxCounts() }
        #expect(all["failed", default: 0] == 0 && all["delivered", default: 0] >= 9, "\(all)")
        let rows = try service.store.read { reader in
            try ["webhook", "email", "sms"].flatMap { channel in try reader.deliveries(channel: channel) }
        }
        let accepted = Set(webhook.received.filter { ($0["status"] as? Int) == 200 }.compactMap { ($0["headers"] as? [String: String])?["x-siptrunk-event-id"] })
        #expect(Set(rows.filter { $0.channel == "webhook" }.map(\.eventId)).isSubset(of: accepted), "every webhook event accepted")
        let mailed = Set(smtp.received.compactMap { ($0["data"] as? String)?.split(separator: "\r\n").first { $0.hasPrefix("X-Siptrunk-Event-Id: ") }.map { String($0.dropFirst(21)) } })
        #expect(Set(rows.filter { $0.channel == "email" }.map(\.eventId)) == mailed, "every email event, no other")
        let texted = Set(sms.received.compactMap { ($0["headers"] as? [String: String])?["x-siptrunk-event-id"] })
        #expect(Set(rows.filter { $0.channel == "sms" }.map(\.eventId)) == texted)
        #expect(rows.contains { $0.kind == "alert.resolved" } && rows.contains { $0.kind == "failover.failback" })
        TestProcess.stop(monitor)
    }
}
