import Foundation
import SIPCore
import SIPEngine
import Testing
import TrunkCore
import TrunkStore

/// Failover and alerts through the use cases on a real SQLite file: the judge decides on samples as the monitor
/// stores them; switches, alerts, their history and the outbox land in the same transaction.
struct FailoverAlertTests {
    final class Clock: @unchecked Sendable {
        var now = Date(timeIntervalSince1970: 1_800_000_000)
    }

    struct Fixture {
        var service: SIPTrunkService
        var clock: Clock
        var configId: String
        var judge: MonitorJudge
        var trackers: [EndpointRole: HealthTracker] = [:]
        let policy = HealthPolicy(failAfter: 3, recoverAfter: 2)

        /// One probe of one endpoint, stored and judged as the monitor does; returns the actions.
        @discardableResult
        mutating func probe(_ role: EndpointRole, ok: Bool, code: Int? = nil, ms: Double = 20, outcome: String? = nil) throws -> [MonitorAction] {
            var tracker = trackers[role] ?? HealthTracker()
            let answered = ok
            let changed = tracker.record(answered: answered, policy: policy) != nil
            trackers[role] = tracker
            let result = HealthSampleResult(
                endpointID: configId, wallTime: clock.now.timeIntervalSince1970, outcome: outcome ?? (ok ? "ok" : "icmp_unreachable"),
                responseCode: code ?? (ok ? 200 : nil), responseTimeMs: ok ? ms : nil, message: ok ? nil : "port unreachable", state: tracker.state, changed: changed)
            let sample = MonitorSample(member: MonitorMember(configId: configId, role: role), result: result, tracker: tracker)
            var next = judge
            let now = clock.now
            let actions = try service.recordMonitorSamples([sample]) { active in next.judge([sample], active: active, now: now) }
            judge = next
            return actions
        }

        mutating func round(primary: Bool, secondary: Bool = true, advance: TimeInterval = 10) throws -> [MonitorAction] {
            clock.now = clock.now.addingTimeInterval(advance)
            return try probe(.primary, ok: primary) + probe(.secondary, ok: secondary)
        }
    }

    func setUp(failback: String = "auto", alerts: Bool = true) throws -> Fixture {
        let clock = Clock()
        let store = try TrunkDatabase(path: NSTemporaryDirectory() + "siptrunk-failover-\(UUID().uuidString).sqlite")
        try Installation.prepare(store, host: Installation.HostFacts(hostName: "siptrunk.test", ipv4: ["192.0.2.1"], ipv6: []), now: clock.now)
        let service = SIPTrunkService(store: store, now: { clock.now })
        let result = try service.attach(AttachRequest(phoneNumber: "+14155550100", directions: [.init(type: "outbound", sipEndpoint: "192.0.2.10", options: .init(port: 5060, transport: "udp"))]))
        #expect(result.failed.isEmpty)
        _ = try service.updateAdvancedConfig(
            AdvancedConfigPatch(
                phoneNumber: "+14155550100", direction: "outbound",
                failoverConfig: .init(enabled: true, endpoints: [.init(host: "192.0.2.11", port: 5060, transport: "udp", priority: 2)], triggers: ["unreachable", "auth_failure", "timeout"], failback: failback),
                alertConfig: .init(
                    enabled: alerts, thresholds: .init(unreachableMinutes: 1, failureRatePercent: 50, failureRateWindowMinutes: 5, responseTimeMs: 200),
                    channels: .init(email: "noc@example.com", webhook: "http://127.0.0.1:9/hook"))))
        let configId = try #require(try service.monitorTargets().first { $0.role == .primary }?.configId)
        #expect(try service.monitorTargets().map(\.role) == [.primary, .secondary], "every configured endpoint is probed")
        return Fixture(service: service, clock: clock, configId: configId, judge: try service.monitorJudge(recoverAfter: 2))
    }

    func switches(_ actions: [MonitorAction]) -> [FailoverPlan] {
        actions.compactMap { if case .switchEndpoint(_, let plan, _, _) = $0 { return plan } else { return nil } }
    }

    func opened(_ actions: [MonitorAction]) -> [AlertRecord] {
        actions.compactMap { if case .openAlert(let alert, _) = $0 { return alert } else { return nil } }
    }

    @Test func unreachablePrimaryFailsOverAlertsOnceAndFailsBackAutomatically() throws {
        var f = try setUp()
        #expect(switches(try f.round(primary: true)).isEmpty)
        #expect(try f.service.activeEndpoint(number: "+14155550100")?.role == .primary)
        // Two failures: degraded, no switch yet; the third: unreachable → failover to the healthy secondary.
        #expect(switches(try f.round(primary: false) + f.round(primary: false)).isEmpty)
        let plan = try #require(switches(try f.round(primary: false)).first)
        #expect(plan.from == .primary && plan.to == .secondary && plan.trigger == "unreachable")
        let active = try #require(try f.service.activeEndpoint(number: "+14155550100"))
        #expect(active.role == .secondary && active.destination == "192.0.2.11:5060")
        let view = try f.service.failoverView(number: "+14155550100")
        #expect(view.activeRole == "secondary" && view.history.count == 1)
        #expect(view.history.first?.reason.contains("primary 192.0.2.10:5060/udp is unreachable") == true, "\(view.history)")
        #expect(try f.service.outboundSetup(number: "+14155550100").notes.contains { $0.contains("secondary endpoint 192.0.2.11:5060") })

        // Unreachable for a minute: one alert, notified on both channels with one event id.
        var alerts: [AlertRecord] = []
        var queued: [OutboxDelivery] = []
        for _ in 0..<8 {
            let actions = try f.round(primary: false)
            alerts += opened(actions)
            for case .openAlert(let alert, let deliveries) in actions where alert.rule == "unreachable" { queued = deliveries }
        }
        let unreachable = alerts.filter { $0.rule == "unreachable" }
        #expect(unreachable.count == 1, "an alert opens once: \(alerts.map(\.rule))")
        #expect(Set(queued.map(\.channel)) == ["webhook", "email"] && Set(queued.map(\.eventId)).count == 1)
        let due = try f.service.dueDeliveries(limit: 100)
        #expect(due.contains { $0.kind == "failover.switched" }, "the failover is told on the alert channels")
        #expect(due.contains { $0.eventId == queued.first?.eventId && $0.payload.contains("\"rule\":\"unreachable\"") })

        // A restarted monitor does not open it again.
        f.judge = try f.service.monitorJudge(recoverAfter: 2)
        #expect(opened(try f.round(primary: false)).filter { $0.rule == "unreachable" }.isEmpty)

        // The primary answers twice: failback (auto) and the alert resolves with a recovery notice.
        var back = try f.round(primary: true)
        back += try f.round(primary: true)
        let failback = try #require(switches(back).first)
        #expect(failback.to == .primary && failback.trigger == "failback")
        #expect(back.contains { if case .resolveAlert(let id, _, let deliveries) = $0 { return id == unreachable.first?.id && deliveries.count == 2 } else { return false } })
        let stored = try f.service.alert(id: try #require(unreachable.first?.id))
        #expect(stored.status == "resolved")
        #expect(stored.history?.map(\.kind).starts(with: ["opened", "queued", "queued"]) == true, "\(stored.history ?? [])")
        #expect(stored.history?.last?.kind == "queued" && stored.history?.contains { $0.kind == "resolved" } == true)
        #expect(try f.service.failoverView(number: "+14155550100").history.count == 2)
    }

    @Test func manualFailbackWaitsForTheUserAndTheRehearsalSwitchesNothing() throws {
        var f = try setUp(failback: "manual", alerts: false)
        _ = try f.round(primary: true)
        let rehearsal = try #require(try f.service.failoverView(number: "+14155550100", rehearse: true).rehearsal)
        #expect(rehearsal.contains("would move to secondary 192.0.2.11:5060/udp") && rehearsal.contains("failback is manual"), "\(rehearsal)")
        #expect(try f.service.activeEndpoint(number: "+14155550100")?.role == .primary, "a rehearsal switches nothing")
        for _ in 0..<3 { _ = try f.round(primary: false) }
        #expect(try f.service.activeEndpoint(number: "+14155550100")?.role == .secondary)
        for _ in 0..<5 { #expect(switches(try f.round(primary: true)).isEmpty, "manual failback: no automatic return") }
        let view = try f.service.switchEndpoint(number: "+14155550100", to: .primary, actor: "test")
        #expect(view.activeRole == "primary" && view.history.first?.trigger == "manual" && view.history.first?.actor == "test")
        #expect(throws: TrunkError.self) { try f.service.switchEndpoint(number: "+14155550100", to: .tertiary, actor: "test") }
        // With the secondary down too, nowhere to go: no switch, and the rehearsal says so.
        for _ in 0..<3 { _ = try f.round(primary: true, secondary: false) }
        let nowhere = try #require(try f.service.failoverView(number: "+14155550100", rehearse: true).rehearsal)
        #expect(nowhere.contains("nowhere to go") && nowhere.contains("secondary 192.0.2.11:5060/udp is unreachable"), "\(nowhere)")
    }

    @Test func authFailureAndTimeoutTriggerAtOnce() throws {
        var f = try setUp(alerts: false)
        _ = try f.round(primary: true)
        f.clock.now = f.clock.now.addingTimeInterval(10)
        let plan = try #require(switches(try f.probe(.primary, ok: false, code: 403, outcome: "rejected")).first)
        #expect(plan.trigger == "auth_failure" && plan.reason.contains("answered 403"))
        _ = try f.service.switchEndpoint(number: "+14155550100", to: .primary, actor: "test")
        _ = try f.round(primary: true)
        _ = try f.round(primary: true)
        let timeout = try #require(switches(try f.probe(.primary, ok: false, outcome: "timeout")).first)
        #expect(timeout.trigger == "timeout")
    }

    @Test func aCallRefusedForItsCredentialsFailsOverAtOnce() throws {
        var f = try setUp()
        _ = try f.round(primary: true)
        // The secondary is not the active endpoint: a refusal there moves nothing.
        #expect(try f.service.callRefused(number: "+14155550100", role: .secondary, code: 403) == nil)
        let plan = try #require(try f.service.callRefused(number: "+14155550100", role: .primary, code: 407))
        #expect(plan.to == .secondary && plan.trigger == "auth_failure" && plan.reason.contains("answered 407"))
        let view = try f.service.failoverView(number: "+14155550100")
        #expect(view.activeRole == "secondary" && view.history.first?.actor == "test call")
        #expect(try f.service.dueDeliveries(limit: 50).contains { $0.kind == "failover.switched" && $0.text.contains("answered 407") })
        // Without the trigger configured, nothing moves.
        _ = try f.service.switchEndpoint(number: "+14155550100", to: .primary, actor: "test")
        _ = try f.service.updateAdvancedConfig(AdvancedConfigPatch(
            phoneNumber: "+14155550100", direction: "outbound",
            failoverConfig: .init(enabled: true, endpoints: [.init(host: "192.0.2.11", port: 5060, transport: "udp", priority: 2)], triggers: ["unreachable"], failback: "auto")))
        #expect(try f.service.callRefused(number: "+14155550100", role: .primary, code: 403) == nil)
    }

    @Test func failureRateAndResponseTimeAlertsOpenAndResolve() throws {
        var f = try setUp()
        _ = try f.service.updateAdvancedConfig(
            AdvancedConfigPatch(phoneNumber: "+14155550100", direction: "outbound", failoverConfig: .init(enabled: false, endpoints: [], triggers: [], failback: "auto")))
        f.judge = try f.service.monitorJudge(recoverAfter: 2)
        var rules: [String] = []
        // Slow answers: 3 in a row over 200 ms open a response-time alert.
        for _ in 0..<3 {
            f.clock.now = f.clock.now.addingTimeInterval(10)
            rules += opened(try f.probe(.primary, ok: true, ms: 350)).map(\.rule)
        }
        #expect(rules == ["response_time"])
        var resolved = 0
        for _ in 0..<3 {
            f.clock.now = f.clock.now.addingTimeInterval(10)
            resolved += try f.probe(.primary, ok: true, ms: 40).filter { if case .resolveAlert = $0 { return true } else { return false } }.count
        }
        #expect(resolved == 1)
        // Every other probe failing: 50 % over the window opens a failure-rate alert (no unreachable: never 3 in a row).
        rules = []
        f.clock.now = f.clock.now.addingTimeInterval(6 * 60)  // the answered probes above leave the 5-minute window
        for index in 0..<8 {
            f.clock.now = f.clock.now.addingTimeInterval(10)
            rules += opened(try f.probe(.primary, ok: index % 2 == 1)).map(\.rule)
        }
        #expect(rules == ["failure_rate"])
    }

    @Test func remindersStopWhenAcknowledged() throws {
        var f = try setUp()
        _ = try f.service.updateNotificationSettings({ var c = NotificationSettingsChange(); c.renotifyMinutes = 1; return c }())
        f.judge = try f.service.monitorJudge(recoverAfter: 2)
        var alertId: String?
        var reminders = 0
        for _ in 0..<20 {
            for action in try f.round(primary: false, advance: 15) {
                if case .openAlert(let alert, _) = action, alert.rule == "unreachable" { alertId = alert.id }
                if case .notifyAgain = action { reminders += 1 }
            }
        }
        #expect(alertId != nil && reminders >= 2, "reminded every minute: \(reminders)")
        let acknowledged = try f.service.acknowledgeAlert(id: try #require(alertId), by: "test")
        #expect(acknowledged.status == "acknowledged")
        f.judge.adopt(settingsOf: try f.service.monitorJudge(recoverAfter: 2))
        var after = 0
        for _ in 0..<10 {
            after += try f.round(primary: false, advance: 15).filter { if case .notifyAgain(let id, _, _) = $0 { return id == alertId } else { return false } }.count
        }
        #expect(after == 0, "no reminder once acknowledged")
        #expect(throws: TrunkError.self) { try f.service.acknowledgeAlert(id: try #require(alertId), by: "test") }
    }

    @Test func deliveriesAreRetriedThenFailedWithTheReasonInTheHistory() throws {
        var f = try setUp()
        for _ in 0..<10 { _ = try f.round(primary: false, advance: 15) }
        let delivery = try #require(try f.service.dueDeliveries(limit: 50).first { $0.alertId != nil && $0.channel == "webhook" })
        try f.service.recordDelivery(delivery, outcome: .failed(reason: "HTTP 500: boom"), retryAt: f.clock.now.addingTimeInterval(60))
        var stored = try #require(try f.service.delivery(eventId: delivery.eventId, channel: "webhook"))
        #expect(stored.status == "pending" && stored.attempts == 1 && stored.lastError == "HTTP 500: boom")
        #expect(try !f.service.dueDeliveries(limit: 50).contains { $0.eventId == delivery.eventId && $0.channel == "webhook" }, "not due before its retry time")
        try f.service.recordDelivery(stored, outcome: .failed(reason: "connection refused"), retryAt: nil)
        stored = try #require(try f.service.delivery(eventId: delivery.eventId, channel: "webhook"))
        #expect(stored.status == "failed" && stored.attempts == 2)
        let history = try f.service.alert(id: try #require(delivery.alertId)).history ?? []
        #expect(history.contains { $0.kind == "attempt_failed" && $0.detail?.contains("HTTP 500") == true })
        #expect(history.contains { $0.kind == "delivery_failed" && $0.channel == "webhook" && $0.detail?.contains("connection refused") == true })
        // Delivered once: a second record of the same delivery changes nothing.
        let email = try #require(try f.service.dueDeliveries(limit: 50).first { $0.eventId == delivery.eventId && $0.channel == "email" })
        try f.service.recordDelivery(email, outcome: .delivered(response: "SMTP 250"), retryAt: nil)
        try f.service.recordDelivery(email, outcome: .failed(reason: "late"), retryAt: nil)
        #expect(try f.service.delivery(eventId: delivery.eventId, channel: "email")?.status == "delivered")
    }

    @Test func notificationSecretsAreSealedAndNeverShown() throws {
        let f = try setUp()
        var change = NotificationSettingsChange()
        change.smtpUrl = "smtp://127.0.0.1:2525"
        change.smtpFrom = "siptrunk@example.com"
        change.smtpUsername = "noc"
        change.smtpPassword = "relay-password-1"
        change.smsToken = "sms-token-2"
        change.webhookSecret = "webhook-secret-3"
        let view = try f.service.updateNotificationSettings(change)
        #expect(view.smtpPassword == "[redacted]" && view.smsToken == "[redacted]" && view.webhookSecret == "[redacted]")
        let json = String(decoding: try JSONEncoder().encode(view), as: UTF8.self)
        #expect(!json.contains("relay-password-1") && !json.contains("sms-token-2") && !json.contains("webhook-secret-3"))
        // Encoded flat, under the API's names, and read back the same.
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let fields = try JSONSerialization.jsonObject(with: try encoder.encode(view)) as? [String: Any]
        #expect(Set(fields?.keys.map { $0 } ?? []) == ["smtp_url", "smtp_from", "smtp_username", "smtp_password", "smtp_security", "sms_token", "webhook_secret", "renotify_minutes"])
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        #expect(try decoder.decode(NotificationSettingsView.self, from: try encoder.encode(view)) == view)
        let raw = try f.service.store.read { try $0.notificationSettings(orgId: Installation.defaultOrgId) }
        #expect(raw?.smtpPassword?.hasPrefix("sealed:v1:") == true && raw?.webhookSecret?.hasPrefix("sealed:v1:") == true)
        let credentials = try f.service.notificationCredentials()
        #expect(credentials.smtpPassword == "relay-password-1" && credentials.webhookSecret == "webhook-secret-3")
        #expect(!"\(credentials)".contains("relay-password-1"))
        var bad = NotificationSettingsChange()
        bad.smtpUrl = "http://relay"
        bad.renotifyMinutes = 0
        #expect(throws: TrunkError.self) { try f.service.updateNotificationSettings(bad) }
    }
}
