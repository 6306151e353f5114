import Foundation
import SIPCore
import SIPEngine
import TrunkStore

/// An alert for `siptrunk alerts list|show` and the dashboard's Alerts view.
public struct AlertView: Codable, Hashable, Sendable {
    public struct Event: Codable, Hashable, Sendable {
        public var at: Date
        public var kind: String
        public var channel: String?
        public var detail: String?
    }

    public struct Delivery: Codable, Hashable, Sendable {
        public var eventId: String
        public var channel: String
        public var kind: String
        public var status: String
        public var attempts: Int
        public var lastError: String?
        public var response: String?
        public var deliveredAt: Date?
    }

    public var alertId: String
    public var phoneNumber: String
    public var direction: String
    public var endpointRole: String
    public var rule: String
    public var status: String
    public var summary: String
    public var openedAt: Date
    public var lastNotifiedAt: Date?
    public var acknowledgedAt: Date?
    public var acknowledgedBy: String?
    public var resolvedAt: Date?
    /// With `show`: the history and each delivery.
    public var history: [Event]?
    public var deliveries: [Delivery]?
}

/// The notification channels, field by field: the SMTP relay, the SMS provider and the webhook's signing. The settings
/// as shown (secrets only as "set") and as the deliverer sends with them (secrets opened) are both this shape, read
/// from the stored record by one function (`init(_:secret:)`).
public struct NotificationChannels: Codable, Hashable, Sendable {
    public var smtpUrl: String?
    public var smtpUsername: String?
    public var smtpPassword: String?
    public var smtpFrom: String?
    /// `starttls` (required), `tls` (smtps) or `none`.
    public var smtpSecurity: String
    public var smtpCaFile: String?
    public var smsUrl: String?
    public var smsAccount: String?
    public var smsToken: String?
    public var smsFrom: String?
    public var webhookSecret: String?
    public var webhookCaFile: String?

    public init(smtpSecurity: String = "starttls") { self.smtpSecurity = smtpSecurity }

    /// The stored record's channels, each of its three secrets passed through `secret` (shown as set, or opened).
    init<Failure: Error>(_ record: NotificationSettingsRecord, secret: (String) throws(Failure) -> String) throws(Failure) {
        self.init(smtpSecurity: record.smtpSecurity)
        smtpUrl = record.smtpUrl
        smtpUsername = record.smtpUsername
        smtpPassword = try record.smtpPassword.map(secret)
        smtpFrom = record.smtpFrom
        smtpCaFile = record.smtpCaFile
        smsUrl = record.smsUrl
        smsAccount = record.smsAccount
        smsToken = try record.smsToken.map(secret)
        smsFrom = record.smsFrom
        webhookSecret = try record.webhookSecret.map(secret)
        webhookCaFile = record.webhookCaFile
    }
}

/// How notifications leave, as shown: secrets are never shown, only whether they are set. Encoded flat (the
/// channels' fields beside `renotify_minutes`), as the API and `--json` name them.
@dynamicMemberLookup
public struct NotificationSettingsView: Codable, Hashable, Sendable {
    public var channels: NotificationChannels
    public var renotifyMinutes: Int

    public subscript<Value>(dynamicMember path: WritableKeyPath<NotificationChannels, Value>) -> Value {
        get { channels[keyPath: path] }
        set { channels[keyPath: path] = newValue }
    }

    enum CodingKeys: String, CodingKey { case renotifyMinutes }

    public init(channels: NotificationChannels, renotifyMinutes: Int) {
        self.channels = channels
        self.renotifyMinutes = renotifyMinutes
    }

    public init(from decoder: any Decoder) throws {
        channels = try NotificationChannels(from: decoder)
        renotifyMinutes = try decoder.container(keyedBy: CodingKeys.self).decode(Int.self, forKey: .renotifyMinutes)
    }

    public func encode(to encoder: any Encoder) throws {
        try channels.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(renotifyMinutes, forKey: .renotifyMinutes)
    }
}

/// A change to the notification settings; nil leaves a field as it is, "" clears it.
public struct NotificationSettingsChange: Sendable {
    public var smtpUrl: String?
    public var smtpUsername: String?
    public var smtpPassword: String?
    public var smtpFrom: String?
    public var smtpSecurity: String?
    public var smtpCaFile: String?
    public var smsUrl: String?
    public var smsAccount: String?
    public var smsToken: String?
    public var smsFrom: String?
    public var webhookSecret: String?
    public var webhookCaFile: String?
    public var renotifyMinutes: Int?
    public init() {}
}

/// What the deliverer needs to send: the channels with their secrets opened. Never encoded or printed.
@dynamicMemberLookup
public struct NotificationCredentials: Sendable, CustomStringConvertible {
    public var channels: NotificationChannels

    public init(smtpSecurity: String = "starttls") { channels = NotificationChannels(smtpSecurity: smtpSecurity) }
    init(channels: NotificationChannels) { self.channels = channels }

    public subscript<Value>(dynamicMember path: WritableKeyPath<NotificationChannels, Value>) -> Value {
        get { channels[keyPath: path] }
        set { channels[keyPath: path] = newValue }
    }

    public var description: String { "NotificationCredentials(redacted)" }
}

/// How a delivery attempt ended.
public enum DeliveryOutcome: Sendable, Hashable {
    case delivered(response: String)
    /// Worth another attempt (down, 5xx, timeout, refused AUTH...).
    case failed(reason: String)
}

extension SIPTrunkService {
    static let secretScope = "notification-settings"
    /// How a set secret is shown (its value never is).
    static let secretShown = redacted

    // MARK: The monitor's judgement

    /// The judge with the configuration, the endpoints' states, the unresolved alerts and each alerting endpoint's
    /// failure-rate window restored from the store (at the monitor's start).
    public func monitorJudge(recoverAfter: Int) throws(TrunkError) -> MonitorJudge {
        var judge = try monitorSettings(recoverAfter: recoverAfter)
        let now = now()
        let watched = judge.configurations.filter { $0.value.failover.enabled || $0.value.alerts?.enabled == true }
        try read { reader in
            for (configId, configuration) in watched {
                guard let config = try reader.configuration(id: configId) else { continue }
                for status in try Self.endpointStatuses(config, reader: reader) {
                    judge.restore(status: status, of: MonitorMember(configId: config.id, role: status.role))
                }
                if let settings = configuration.alerts, settings.enabled {
                    let since = now.addingTimeInterval(-TimeInterval(settings.failureRateWindowMinutes ?? 15) * 60)
                    let probes = try reader.healthOutcomes(configId: config.id, since: since)
                    judge.restore(probes: probes.map { ($0.at, $0.ok) }, of: MonitorMember(configId: config.id, role: .primary))
                }
            }
        }
        return judge
    }

    /// The judge's settings only (each configuration's endpoints, failover and alert settings, the reminder
    /// interval, the unresolved alerts) in a handful of queries whatever the number of configurations: re-read
    /// every 30 s, `MonitorJudge.adopt` keeping the running streaks.
    public func monitorSettings(recoverAfter: Int) throws(TrunkError) -> MonitorJudge {
        try read { reader in
            var judge = MonitorJudge(configurations: [:], renotifyInterval: 3600)
            judge.renotifyInterval = TimeInterval(try reader.notificationSettings(orgId: orgId)?.renotifyMinutes ?? 60) * 60
            let failovers = Dictionary(uniqueKeysWithValues: try reader.failoverSettings().map { ($0.configId, $0) })
            let alerts = Dictionary(uniqueKeysWithValues: try reader.alertSettings().map { ($0.configId, $0) })
            let configurations = try reader.outboundConfigurations(orgId: orgId)
            let byId = Dictionary(uniqueKeysWithValues: configurations.map { ($0.id, $0) })
            var endpoints: [String: [EndpointRole: String]] = [:]
            for endpoint in try reader.outboundEndpoints(orgId: orgId) {
                guard let role = EndpointRole(rawValue: endpoint.priority), let config = byId[endpoint.configId] else { continue }
                endpoints[endpoint.configId, default: [:]][role] = Self.endpointText(endpoint, config: config)
            }
            for config in configurations {
                judge.configurations[config.id] = MonitorJudge.Configuration(
                    number: config.number, direction: config.direction.rawValue, endpoints: endpoints[config.id] ?? [:],
                    failover: FailoverPolicy(failovers[config.id], recoverAfter: recoverAfter), alerts: alerts[config.id])
            }
            judge.restore(alerts: try reader.unresolvedAlerts())
            return judge
        }
    }

    /// Stores a batch of samples (primaries as samples and state, secondaries and tertiaries as state), then lets
    /// `judge` decide with the active endpoints as stored now, and stores its decisions — in one transaction, so a
    /// failover, an alert and its notifications are stored together with the samples that caused them, or not at all.
    @discardableResult
    public func recordMonitorSamples(
        _ samples: [MonitorSample], judge: (_ active: [String: EndpointRole]) -> [MonitorAction]
    ) throws(TrunkError) -> [MonitorAction] {
        guard !samples.isEmpty else { return [] }
        var primaries: [(sample: HealthSample, state: HealthStateRecord)] = []
        var others: [EndpointStateRecord] = []
        for item in samples {
            let result = item.result, tracker = item.tracker
            let at = Date(timeIntervalSince1970: result.wallTime)
            if item.member.role == .primary {
                primaries.append((
                    HealthSample(
                        configId: item.member.configId, checkedAt: at, outcome: result.outcome, responseCode: result.responseCode,
                        responseTimeMs: result.responseTimeMs, message: result.message, remedy: result.remedy),
                    HealthStateRecord(
                        configId: item.member.configId, state: tracker.state.rawValue, failures: tracker.failures, successes: tracker.successes,
                        since: at, lastOutcome: result.outcome, lastMessage: result.message, lastRemedy: result.remedy, updatedAt: at)
                ))
            } else {
                others.append(EndpointStateRecord(
                    configId: item.member.configId, priority: item.member.role.rawValue, state: tracker.state.rawValue, failures: tracker.failures,
                    successes: tracker.successes, since: at, lastOutcome: result.outcome, lastResponseCode: result.responseCode,
                    lastResponseMs: result.responseTimeMs, lastMessage: result.message, updatedAt: at))
            }
        }
        return try write { writer in
            try writer.recordHealth(primaries)
            for state in others { try writer.upsert(state) }
            var active: [String: EndpointRole] = [:]
            for state in try writer.reader.failoverStates() { active[state.configId] = EndpointRole(rawValue: state.activePriority) }
            let actions = judge(active)
            for action in actions { try apply(action, writer: writer) }
            return actions
        }
    }

    func apply(_ action: MonitorAction, writer: StoreWriter) throws {
        switch action {
        case .switchEndpoint(let configId, let plan, let at, let deliveries):
            guard let config = try writer.reader.configuration(id: configId) else { return }
            let endpoints = try writer.reader.endpoints(configId: configId)
            guard let from = endpoints.first(where: { $0.priority == plan.from.rawValue }), let to = endpoints.first(where: { $0.priority == plan.to.rawValue }) else { return }
            try Self.recordSwitch(config: config, from: from, to: to, trigger: plan.trigger, reason: plan.reason, actor: "monitor", at: at, writer: writer)
            for delivery in deliveries { try writer.save(delivery) }
        case .openAlert(let alert, let deliveries):
            try writer.save(alert)
            try writer.insert(AlertEvent(alertId: alert.id, at: alert.openedAt, kind: "opened", detail: alert.summary))
            try queue(deliveries, alertId: alert.id, writer: writer)
        case .notifyAgain(let alertId, let at, let deliveries):
            // Acknowledged meanwhile (by another process): no reminder.
            guard var alert = try writer.reader.alert(id: alertId), alert.status == "open" else { return }
            alert.lastNotifiedAt = at
            try writer.save(alert)
            try writer.insert(AlertEvent(alertId: alertId, at: at, kind: "reminder"))
            try queue(deliveries, alertId: alertId, writer: writer)
        case .resolveAlert(let alertId, let at, let deliveries):
            guard var alert = try writer.reader.alert(id: alertId), alert.status != "resolved" else { return }
            alert.status = "resolved"
            alert.resolvedAt = at
            try writer.save(alert)
            try writer.insert(AlertEvent(alertId: alertId, at: at, kind: "resolved"))
            try queue(deliveries, alertId: alertId, writer: writer)
        }
    }

    func queue(_ deliveries: [OutboxDelivery], alertId: String, writer: StoreWriter) throws {
        for delivery in deliveries {
            try writer.save(delivery)
            try writer.insert(AlertEvent(alertId: alertId, at: delivery.createdAt, kind: "queued", channel: delivery.channel, detail: "\(delivery.kind) \(delivery.eventId) to \(delivery.recipient)"))
        }
    }

    // MARK: Alerts

    /// `siptrunk alerts list`: open and acknowledged alerts first, then (with `all`) resolved ones.
    public func alerts(all: Bool = false, limit: Int = 200) throws(TrunkError) -> [AlertView] {
        try read { reader in
            _ = try requireEntitlement(reader)
            return try reader.alerts(configIds: nil, includeResolved: all, limit: limit).compactMap { try Self.alertView($0, reader: reader, detail: false) }
        }
    }

    /// `siptrunk alerts show ID`: with the history and every delivery.
    public func alert(id: String) throws(TrunkError) -> AlertView {
        try read { reader in
            _ = try requireEntitlement(reader)
            guard let alert = try reader.alert(id: id), let view = try Self.alertView(alert, reader: reader, detail: true) else {
                throw TrunkError.notFound("no alert '\(id)': `siptrunk alerts list --all` shows them")
            }
            return view
        }
    }

    static func alertView(_ alert: AlertRecord, reader: StoreReader, detail: Bool) throws -> AlertView? {
        guard let config = try reader.configuration(id: alert.configId) else { return nil }
        var view = AlertView(
            alertId: alert.id, phoneNumber: config.number, direction: config.direction.rawValue,
            endpointRole: EndpointRole(rawValue: alert.priority)?.name ?? "\(alert.priority)", rule: alert.rule, status: alert.status, summary: alert.summary,
            openedAt: alert.openedAt, lastNotifiedAt: alert.lastNotifiedAt, acknowledgedAt: alert.acknowledgedAt, acknowledgedBy: alert.acknowledgedBy,
            resolvedAt: alert.resolvedAt)
        if detail {
            view.history = try reader.alertEvents(alertId: alert.id).map { AlertView.Event(at: $0.at, kind: $0.kind, channel: $0.channel, detail: $0.detail) }
            view.deliveries = try reader.deliveries(alertId: alert.id).map {
                AlertView.Delivery(
                    eventId: $0.eventId, channel: $0.channel, kind: $0.kind, status: $0.status, attempts: $0.attempts, lastError: $0.lastError,
                    response: $0.response, deliveredAt: $0.deliveredAt)
            }
        }
        return view
    }

    /// `siptrunk alerts ack ID`: no more reminders; the alert still resolves (with a recovery notice) on its own.
    public func acknowledgeAlert(id: String, by who: String) throws(TrunkError) -> AlertView {
        let now = now()
        return try write { writer in
            _ = try requireEntitlement(writer.reader)
            guard var alert = try writer.reader.alert(id: id) else { throw TrunkError.notFound("no alert '\(id)': `siptrunk alerts list` shows the open ones") }
            guard alert.status == "open" else {
                throw TrunkError.validation([FieldError("alert_id", "\(id) is \(alert.status); only an open alert is acknowledged")])
            }
            alert.status = "acknowledged"
            alert.acknowledgedAt = now
            alert.acknowledgedBy = who
            try writer.save(alert)
            try writer.insert(AlertEvent(alertId: id, at: now, kind: "acknowledged", detail: who))
            guard let view = try Self.alertView(alert, reader: writer.reader, detail: true) else { throw TrunkError.notFound("alert '\(id)' lost its configuration") }
            return view
        }
    }

    /// `siptrunk alerts test --channel C`: one test notification queued on a channel, to the recipient given or the
    /// first configured for that channel; returns the event id.
    public func queueTestNotification(channel: String, recipient: String?) throws(TrunkError) -> OutboxDelivery {
        let now = now()
        guard ["webhook", "email", "sms"].contains(channel) else {
            throw TrunkError.validation([FieldError("channel", "\"\(channel)\" is not a channel; use webhook, email or sms")])
        }
        // A recipient given here is checked by the alert configuration's own rules.
        if let recipient {
            let given = AdvancedConfig.Channels(email: channel == "email" ? recipient : nil, sms: channel == "sms" ? recipient : nil, webhook: channel == "webhook" ? recipient : nil)
            var errors: [FieldError] = []
            Self.validate(AdvancedConfig.Alerts(enabled: false, thresholds: .init(), channels: given), errors: &errors)
            guard errors.isEmpty else { throw TrunkError.validation(errors.map { FieldError("to", $0.message) }) }
        }
        return try write { writer in
            _ = try requireEntitlement(writer.reader)
            var to = recipient
            if to == nil {
                let settings = try writer.reader.alertSettings()
                to = settings.lazy.compactMap { channel == "webhook" ? $0.webhook : (channel == "email" ? $0.email : $0.sms) }.first
            }
            guard let to else {
                throw TrunkError.validation([FieldError("to", "no \(channel) recipient is configured on any number: give --to, or set one with `siptrunk config set NUMBER --alert-\(channel) …`")])
            }
            var channels = AlertSettings(configId: "", enabled: true)
            switch channel {
            case "webhook": channels.webhook = to
            case "email": channels.email = to
            default: channels.sms = to
            }
            let text = "This is a test notification from siptrunk at \(AlertNotice.timestamp(now)). If you read it, alerts on this channel arrive."
            guard
                let delivery = AlertNotice.outbox(
                    eventId: "evt_" + UUID().uuidString.lowercased(), alertId: nil, kind: "test", subject: "[siptrunk] Test notification", text: text, sms: text,
                    payload: ["type": "test", "summary": text, "sent_at": AlertNotice.timestamp(now)], channels: channels, at: now
                ).first
            else { throw TrunkError.notFound("nothing to send") }
            // Claimed by the caller, who sends it now (a running monitor's deliverer leaves it alone meanwhile).
            var claimed = delivery
            claimed.nextAttemptAt = now.addingTimeInterval(60)
            try writer.save(claimed)
            return claimed
        }
    }

    // MARK: The outbox

    public func dueDeliveries(limit: Int = 50) throws(TrunkError) -> [OutboxDelivery] {
        let now = now()
        return try read { reader in try reader.dueDeliveries(at: now, limit: limit) }
    }

    /// Due deliveries claimed for `lease` seconds by the caller (one sender per delivery across processes).
    public func claimDueDeliveries(limit: Int, lease: TimeInterval) throws(TrunkError) -> [OutboxDelivery] {
        let now = now()
        return try write { writer in try writer.claimDueDeliveries(at: now, until: now.addingTimeInterval(lease), limit: limit) }
    }

    public func delivery(eventId: String, channel: String) throws(TrunkError) -> OutboxDelivery? {
        try read { reader in try reader.deliveries(eventId: eventId).first { $0.channel == channel } }
    }

    public func outboxCounts() throws(TrunkError) -> [String: Int] { try read { reader in try reader.outboxCounts() } }

    /// Records an attempt: delivered; or failed, tried again at `retryAt`, or given up on when `retryAt` is nil.
    /// Each lands in the alert's history.
    public func recordDelivery(_ delivery: OutboxDelivery, outcome: DeliveryOutcome, retryAt: Date?) throws(TrunkError) {
        let now = now()
        try write { writer in
            guard var stored = try writer.reader.deliveries(eventId: delivery.eventId).first(where: { $0.channel == delivery.channel }), stored.status == "pending" else { return }
            stored.attempts += 1
            var event: AlertEvent?
            switch outcome {
            case .delivered(let response):
                stored.status = "delivered"
                stored.deliveredAt = now
                stored.response = String(response.prefix(500))
                event = stored.alertId.map { AlertEvent(alertId: $0, at: now, kind: "delivered", channel: stored.channel, detail: "\(stored.kind) \(stored.eventId): \(stored.response ?? "")") }
            case .failed(let reason):
                stored.lastError = String(reason.prefix(500))
                if let retryAt {
                    stored.nextAttemptAt = retryAt
                    event = stored.alertId.map { AlertEvent(alertId: $0, at: now, kind: "attempt_failed", channel: stored.channel, detail: "attempt \(stored.attempts): \(reason)") }
                } else {
                    stored.status = "failed"
                    event = stored.alertId.map { AlertEvent(alertId: $0, at: now, kind: "delivery_failed", channel: stored.channel, detail: "gave up after \(stored.attempts) attempts: \(reason)") }
                }
            }
            try writer.save(stored)
            if let event { try writer.insert(event) }
        }
    }

    // MARK: Notification settings

    public func notificationSettings() throws(TrunkError) -> NotificationSettingsView {
        try read { reader in
            _ = try requireEntitlement(reader)
            return Self.view(try reader.notificationSettings(orgId: orgId) ?? NotificationSettingsRecord(orgId: orgId))
        }
    }

    static func view(_ record: NotificationSettingsRecord) -> NotificationSettingsView {
        NotificationSettingsView(channels: NotificationChannels(record) { _ in Self.secretShown }, renotifyMinutes: record.renotifyMinutes)
    }

    /// `siptrunk alerts channels --...`: validated field by field; secrets sealed with the installation key.
    public func updateNotificationSettings(_ change: NotificationSettingsChange) throws(TrunkError) -> NotificationSettingsView {
        var errors: [FieldError] = []
        func url(_ text: String?, field: String, schemes: [String]) {
            guard let text, !text.isEmpty else { return }
            let parsed = URL(string: text)
            if parsed?.scheme.map({ schemes.contains($0.lowercased()) }) != true || (parsed?.host ?? "").isEmpty {
                errors.append(FieldError(field, "\"\(text)\" is not a \(schemes.joined(separator: "/")) URL, e.g. \(schemes[0])://host:port"))
            }
        }
        url(change.smtpUrl, field: "smtp_url", schemes: ["smtp", "smtps"])
        url(change.smsUrl, field: "sms_url", schemes: ["https", "http"])
        if let security = change.smtpSecurity, !["starttls", "tls", "none"].contains(security) {
            errors.append(FieldError("smtp_security", "\"\(security)\" is not starttls, tls or none"))
        }
        if let from = change.smtpFrom, !from.isEmpty, from.split(separator: "@").count != 2 || from.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" }) {
            errors.append(FieldError("smtp_from", "\"\(from)\" is not an email address"))
        }
        if let from = change.smsFrom, !from.isEmpty, let problem = E164Number.validationMessage(for: from) { errors.append(FieldError("sms_from", problem)) }
        if let minutes = change.renotifyMinutes, !(1...10080).contains(minutes) {
            errors.append(FieldError("renotify_minutes", "\(minutes) is outside 1–10080 (a week)"))
        }
        for (field, path) in [("smtp_ca_file", change.smtpCaFile), ("webhook_ca_file", change.webhookCaFile)] {
            if let path, !path.isEmpty, !FileManager.default.isReadableFile(atPath: path) { errors.append(FieldError(field, "cannot read \(path)")) }
        }
        guard errors.isEmpty else { throw TrunkError.validation(errors) }
        let secret: [UInt8]?
        do {
            secret = try store.installationSecret(create: true)
        } catch {
            throw .store(error)
        }
        let scope = Self.secretScope + ":" + orgId
        func sealed(_ value: String?) throws(TrunkError) -> String?? {
            guard let value else { return .none }
            if value.isEmpty { return .some(nil) }
            guard let secret else { return .some(value) }
            return .some(try SealedSecret.seal(value, secret: secret, configId: scope))
        }
        let password = try sealed(change.smtpPassword), token = try sealed(change.smsToken), webhook = try sealed(change.webhookSecret)
        return try write { writer in
            _ = try requireEntitlement(writer.reader)
            var record = try writer.reader.notificationSettings(orgId: orgId) ?? NotificationSettingsRecord(orgId: orgId)
            func set(_ keyPath: WritableKeyPath<NotificationSettingsRecord, String?>, _ value: String?) {
                guard let value else { return }
                record[keyPath: keyPath] = value.isEmpty ? nil : value
            }
            set(\.smtpUrl, change.smtpUrl)
            set(\.smtpUsername, change.smtpUsername)
            set(\.smtpFrom, change.smtpFrom)
            set(\.smtpCaFile, change.smtpCaFile)
            set(\.smsUrl, change.smsUrl)
            set(\.smsAccount, change.smsAccount)
            set(\.smsFrom, change.smsFrom)
            set(\.webhookCaFile, change.webhookCaFile)
            if let security = change.smtpSecurity { record.smtpSecurity = security }
            if let minutes = change.renotifyMinutes { record.renotifyMinutes = minutes }
            if case .some(let value) = password { record.smtpPassword = value }
            if case .some(let value) = token { record.smsToken = value }
            if case .some(let value) = webhook { record.webhookSecret = value }
            try writer.save(record)
            return Self.view(record)
        }
    }

    /// The settings with secrets opened, for the deliverer only.
    public func notificationCredentials() throws(TrunkError) -> NotificationCredentials {
        let record = try read { reader in try reader.notificationSettings(orgId: orgId) } ?? NotificationSettingsRecord(orgId: orgId)
        let secret: [UInt8]?
        do {
            secret = try store.installationSecret(create: false)
        } catch {
            throw .store(error)
        }
        let scope = Self.secretScope + ":" + orgId
        return NotificationCredentials(channels: try NotificationChannels(record) { value throws(TrunkError) in
            try SealedSecret.open(value, secret: secret, configId: scope)
        })
    }
}
