import Foundation
import SIPCore
import SIPEngine
import TrunkStore

/// One endpoint of one configuration, as the monitor probes it.
public struct MonitorMember: Hashable, Sendable {
    public var configId: String
    public var role: EndpointRole

    public init(configId: String, role: EndpointRole) {
        self.configId = configId
        self.role = role
    }
}

/// A probe's result for one member, with the member's tracker after it.
public struct MonitorSample: Sendable {
    public var member: MonitorMember
    public var result: HealthSampleResult
    public var tracker: HealthTracker

    public init(member: MonitorMember, result: HealthSampleResult, tracker: HealthTracker) {
        self.member = member
        self.result = result
        self.tracker = tracker
    }
}

/// The guide's alert rules (README, "Alerts"), judged on every sample of every endpoint:
/// - `unreachable`: the endpoint has been unreachable for at least `unreachable_minutes`; resolves when it answers again;
/// - `failure_rate`: at least `failure_rate_percent` of the probes in the last `failure_rate_window_minutes` failed
///   (from 3 probes on); resolves when the rate falls below;
/// - `response_time`: 3 answered probes in a row slower than `response_time_ms`; resolves after 3 in a row at or below.
public enum AlertRule: String, CaseIterable, Codable, Sendable {
    case unreachable
    case failureRate = "failure_rate"
    case responseTime = "response_time"

    /// Answered probes in a row that open (too slow) or resolve (fast again) a response-time alert.
    public static let responseStreak = 3
    /// Probes in the window before a failure rate is judged.
    public static let minimumWindowProbes = 3
}

/// What the judge decided for the store to do, in the transaction that stores the samples.
public enum MonitorAction: Sendable {
    case switchEndpoint(configId: String, FailoverPlan, at: Date, [OutboxDelivery])
    case openAlert(AlertRecord, [OutboxDelivery])
    case notifyAgain(alertId: String, at: Date, [OutboxDelivery])
    case resolveAlert(alertId: String, at: Date, [OutboxDelivery])
}

extension MonitorAction {
    /// Whether storing this action put notifications in the outbox.
    public var queuesDeliveries: Bool {
        switch self {
        case .switchEndpoint(_, _, _, let deliveries), .openAlert(_, let deliveries), .notifyAgain(_, _, let deliveries), .resolveAlert(_, _, let deliveries):
            return !deliveries.isEmpty
        }
    }
}

/// The monitor's judgement: failover and alert rules over the samples as they are stored. A value: the runner
/// judges on a copy and keeps it only when the store took the samples and the actions together.
public struct MonitorJudge: Sendable {
    public struct Configuration: Sendable {
        public var number: String
        public var direction: String
        public var endpoints: [EndpointRole: String]
        public var failover: FailoverPolicy
        public var alerts: AlertSettings?
        public init(number: String, direction: String, endpoints: [EndpointRole: String], failover: FailoverPolicy, alerts: AlertSettings?) {
            self.number = number
            self.direction = direction
            self.endpoints = endpoints
            self.failover = failover
            self.alerts = alerts
        }
    }

    struct AlertKey: Hashable {
        var member: MonitorMember
        var rule: AlertRule
    }

    /// Failure-rate window and response-time streaks of one member.
    struct Record {
        var probes: [(at: Date, ok: Bool)] = []
        var slow = 0
        var fast = 0
    }

    public var configurations: [String: Configuration]
    public var renotifyInterval: TimeInterval
    var statuses: [MonitorMember: EndpointStatus] = [:]
    var records: [MonitorMember: Record] = [:]
    var open: [AlertKey: AlertRecord] = [:]

    public init(configurations: [String: Configuration], renotifyInterval: TimeInterval) {
        self.configurations = configurations
        self.renotifyInterval = renotifyInterval
    }

    /// Alerts not yet resolved (restored at start, so an alert opens once across restarts).
    public mutating func restore(alerts: [AlertRecord]) {
        open = [:]
        for alert in alerts {
            guard let role = EndpointRole(rawValue: alert.priority), let rule = AlertRule(rawValue: alert.rule) else { continue }
            open[AlertKey(member: MonitorMember(configId: alert.configId, role: role), rule: rule)] = alert
        }
    }

    public mutating func restore(status: EndpointStatus, of member: MonitorMember) { statuses[member] = status }

    /// Past probes for the failure-rate window, oldest first.
    public mutating func restore(probes: [(at: Date, ok: Bool)], of member: MonitorMember) { records[member, default: Record()].probes = probes }

    public var unresolvedAlerts: Int { open.count }

    /// Takes the settings and unresolved alerts of a judge freshly read from the store, keeping this one's streaks
    /// and windows (a `siptrunk config set` or an acknowledgement elsewhere takes effect without losing them).
    public mutating func adopt(settingsOf fresh: MonitorJudge) {
        configurations = fresh.configurations
        renotifyInterval = fresh.renotifyInterval
        open = fresh.open
        for (member, status) in fresh.statuses where statuses[member] == nil { statuses[member] = status }
        for (member, record) in fresh.records where records[member] == nil { records[member] = record }
    }

    /// Judges a batch of samples; `active` is each configuration's active endpoint as stored now (absent: primary).
    public mutating func judge(_ samples: [MonitorSample], active: [String: EndpointRole], now: Date) -> [MonitorAction] {
        var actions: [MonitorAction] = []
        var current = active
        var touched: Set<String> = []
        for sample in samples {
            // Numbers with neither failover nor alerts have nothing to judge (their health is stored all the same).
            guard let config = configurations[sample.member.configId], config.failover.enabled || config.alerts?.enabled == true else { continue }
            let member = sample.member
            let at = Date(timeIntervalSince1970: sample.result.wallTime)
            var status = statuses[member] ?? EndpointStatus(role: member.role, endpoint: config.endpoints[member.role] ?? "", state: .unchecked)
            status.endpoint = config.endpoints[member.role] ?? status.endpoint
            if status.state != sample.tracker.state || status.since == nil { status.since = at }
            status.state = sample.tracker.state
            status.successes = sample.tracker.successes
            status.lastOutcome = sample.result.outcome
            status.lastResponseCode = sample.result.responseCode
            statuses[member] = status
            if config.failover.enabled { touched.insert(member.configId) }
            if let settings = config.alerts, settings.enabled {
                actions += judgeAlerts(member, sample: sample.result, status: status, settings: settings, config: config, at: at, now: now)
            }
        }
        for configId in touched.sorted() {
            guard let config = configurations[configId] else { continue }
            let role = current[configId] ?? .primary
            let endpoints = EndpointRole.allCases.compactMap { statuses[MonitorMember(configId: configId, role: $0)] }
            if let plan = FailoverRules.decide(policy: config.failover, active: role, endpoints: endpoints) {
                actions.append(.switchEndpoint(configId: configId, plan, at: now, AlertNotice.deliveries(failover: plan, config: config, at: now)))
                current[configId] = plan.to
            }
        }
        return actions
    }

    mutating func judgeAlerts(
        _ member: MonitorMember, sample: HealthSampleResult, status: EndpointStatus, settings: AlertSettings, config: Configuration, at: Date, now: Date
    ) -> [MonitorAction] {
        let ok = sample.isAnswered
        let window = TimeInterval(settings.failureRateWindowMinutes ?? 15) * 60
        let cutoff = at.addingTimeInterval(-window)
        // Mutated in place (a copy taken out of the dictionary would copy the window on every append).
        let slowLimit = Double(settings.responseTimeMs ?? 500)
        let record = Self.update(&records[member, default: Record()], ok: ok, at: at, cutoff: cutoff, ms: sample.responseTimeMs, slowLimit: slowLimit)

        var actions: [MonitorAction] = []
        let who = "\(config.number) \(member.role.name) \(status.endpoint)"
        // unreachable for N minutes
        let minutes = settings.unreachableMinutes ?? 5
        let down = status.state == .unreachable ? at.timeIntervalSince(status.since ?? at) : -1
        actions += step(
            AlertKey(member: member, rule: .unreachable), breached: down >= TimeInterval(minutes) * 60, cleared: status.state == .healthy,
            summary: "\(who) unreachable for \(max(minutes, Int(down / 60))) min (last probe: \(sample.outcome)\(sample.message.map { ": \($0)" } ?? ""))",
            recovery: "\(who) answers again", settings: settings, config: config, at: at, now: now)
        // failure rate over the window
        let percent = settings.failureRatePercent ?? 20
        let failed = record.probes.filter { !$0.ok }.count
        let rate = record.probes.isEmpty ? 0 : Double(failed) * 100 / Double(record.probes.count)
        let judged = record.probes.count >= AlertRule.minimumWindowProbes
        actions += step(
            AlertKey(member: member, rule: .failureRate), breached: judged && rate >= Double(percent), cleared: rate < Double(percent),
            summary: "\(who): \(Int(rate.rounded())) % of \(record.probes.count) probes failed in the last \(Int(window / 60)) min (threshold \(percent) %)",
            recovery: "\(who): failure rate back to \(Int(rate.rounded())) %", settings: settings, config: config, at: at, now: now)
        // response time
        let limit = settings.responseTimeMs ?? 500
        actions += step(
            AlertKey(member: member, rule: .responseTime), breached: record.slow >= AlertRule.responseStreak, cleared: record.fast >= AlertRule.responseStreak,
            summary: "\(who) answered \(record.slow) probes in a row slower than \(limit) ms (last \(sample.responseTimeMs.map { String(format: "%.0f", $0) } ?? "?") ms)",
            recovery: "\(who) answers within \(limit) ms again", settings: settings, config: config, at: at, now: now)
        return actions
    }

    static func update(_ record: inout Record, ok: Bool, at: Date, cutoff: Date, ms: Double?, slowLimit: Double) -> Record {
        record.probes.append((at, ok))
        if let first = record.probes.firstIndex(where: { $0.at >= cutoff }), first > 0 { record.probes.removeFirst(first) }
        if ok, let ms {
            if ms > slowLimit {
                record.slow += 1
                record.fast = 0
            } else {
                record.fast += 1
                record.slow = 0
            }
        }
        return record
    }

    /// One rule's step: open when breached and not open, repeat when due, resolve when cleared. The texts are made
    /// only when a notice is (most samples change nothing).
    mutating func step(
        _ key: AlertKey, breached: Bool, cleared: Bool, summary: @autoclosure () -> String, recovery: @autoclosure () -> String, settings: AlertSettings,
        config: Configuration, at: Date, now: Date
    ) -> [MonitorAction] {
        if var alert = open[key] {
            if cleared {
                open[key] = nil
                var resolved = alert
                resolved.status = "resolved"
                resolved.resolvedAt = at
                return [.resolveAlert(alertId: alert.id, at: at, AlertNotice.deliveries(for: resolved, kind: "alert.resolved", text: recovery(), settings: settings, config: config, at: now))]
            }
            if alert.status == "open", now.timeIntervalSince(alert.lastNotifiedAt ?? alert.openedAt) >= renotifyInterval {
                alert.lastNotifiedAt = now
                open[key] = alert
                return [.notifyAgain(alertId: alert.id, at: now, AlertNotice.deliveries(for: alert, kind: "alert.reminder", text: summary(), settings: settings, config: config, at: now))]
            }
            return []
        }
        guard breached else { return [] }
        let summary = summary()
        let alert = AlertRecord(
            id: "alr_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20), configId: key.member.configId,
            priority: key.member.role.rawValue, rule: key.rule.rawValue, status: "open", summary: summary, openedAt: at, lastNotifiedAt: now)
        open[key] = alert
        return [.openAlert(alert, AlertNotice.deliveries(for: alert, kind: "alert.opened", text: summary, settings: settings, config: config, at: now))]
    }
}

/// Notifications as each channel carries them: an email's subject and text, an SMS's text, a webhook's JSON.
public enum AlertNotice {
    public static func deliveries(for alert: AlertRecord, kind: String, text: String, settings: AlertSettings, config: MonitorJudge.Configuration, at: Date) -> [OutboxDelivery] {
        let role = EndpointRole(rawValue: alert.priority) ?? .primary
        let word = kind == "alert.resolved" ? "RESOLVED" : (kind == "alert.reminder" ? "STILL OPEN" : "ALERT")
        let subject = "[siptrunk] \(word) \(config.number): \(alert.rule.replacingOccurrences(of: "_", with: " ")) on \(role.name)"
        let body = """
            \(text)

            Alert:     \(alert.id) (\(alert.rule), \(alert.status))
            Number:    \(config.number) (\(config.direction))
            Endpoint:  \(role.name) \(config.endpoints[role] ?? "")
            Opened:    \(timestamp(alert.openedAt))
            \(alert.resolvedAt.map { "Resolved:  \(timestamp($0))\n" } ?? "")
            Acknowledge with: siptrunk alerts ack \(alert.id)
            """
        let payload: [String: String?] = [
            "type": kind, "alert_id": alert.id, "phone_number": config.number, "direction": config.direction, "endpoint_role": role.name,
            "endpoint": config.endpoints[role], "rule": alert.rule, "status": alert.status, "summary": text,
            "opened_at": timestamp(alert.openedAt), "resolved_at": alert.resolvedAt.map(timestamp), "sent_at": timestamp(at),
        ]
        return outbox(
            eventId: "evt_" + UUID().uuidString.lowercased(), alertId: alert.id, kind: kind, subject: subject, text: body, sms: "\(subject): \(text)",
            payload: payload, channels: settings, at: at)
    }

    /// A switch of the active endpoint, told on the configuration's alert channels (when its alerts are on).
    public static func deliveries(failover plan: FailoverPlan, config: MonitorJudge.Configuration, at: Date) -> [OutboxDelivery] {
        guard let settings = config.alerts, settings.enabled else { return [] }
        let back = plan.trigger == "failback"
        let subject = "[siptrunk] \(back ? "FAILBACK" : "FAILOVER") \(config.number): \(plan.from.name) → \(plan.to.name)"
        let text = "\(config.number) outbound calls moved from \(plan.from.name) \(config.endpoints[plan.from] ?? "") to \(plan.to.name) \(config.endpoints[plan.to] ?? "") at \(timestamp(at)) because \(plan.reason)."
        let payload: [String: String?] = [
            "type": back ? "failover.failback" : "failover.switched", "phone_number": config.number, "direction": config.direction,
            "from_role": plan.from.name, "to_role": plan.to.name, "from_endpoint": config.endpoints[plan.from], "to_endpoint": config.endpoints[plan.to],
            "trigger": plan.trigger, "summary": text, "sent_at": timestamp(at),
        ]
        return outbox(eventId: "evt_" + UUID().uuidString.lowercased(), alertId: nil, kind: back ? "failover.failback" : "failover.switched", subject: subject, text: text, sms: text, payload: payload, channels: settings, at: at)
    }

    /// One delivery per configured channel of one event; the event id is in each (the webhook's JSON, the email's
    /// `X-Siptrunk-Event-Id` header and text, the SMS text).
    public static func outbox(
        eventId: String, alertId: String?, kind: String, subject: String, text: String, sms: String, payload: [String: String?], channels: AlertSettings, at: Date
    ) -> [OutboxDelivery] {
        var json = payload
        json["event_id"] = eventId
        let body = (try? JSONSerialization.data(withJSONObject: json.compactMapValues { $0 }, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        var deliveries: [OutboxDelivery] = []
        if let url = channels.webhook {
            deliveries.append(OutboxDelivery(eventId: eventId, channel: "webhook", alertId: alertId, kind: kind, recipient: url, subject: subject, text: text, payload: body, createdAt: at))
        }
        if let email = channels.email {
            deliveries.append(
                OutboxDelivery(eventId: eventId, channel: "email", alertId: alertId, kind: kind, recipient: email, subject: subject, text: text + "\n\nEvent: \(eventId)\n", payload: body, createdAt: at))
        }
        if let number = channels.sms {
            deliveries.append(
                OutboxDelivery(eventId: eventId, channel: "sms", alertId: alertId, kind: kind, recipient: number, subject: subject, text: String("\(sms) [\(eventId.suffix(8))]".prefix(320)), payload: body, createdAt: at))
        }
        return deliveries
    }

    /// RFC 3339 in UTC (a value-type format style: no formatter made per notice, safe on any thread).
    static func timestamp(_ date: Date) -> String { date.formatted(.iso8601) }
}
