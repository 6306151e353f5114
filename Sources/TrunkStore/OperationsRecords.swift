import Foundation
internal import GRDB

/// A secondary or tertiary endpoint's health (the primary's is `health_state`): what the monitor found last.
public struct EndpointStateRecord: Codable, Hashable, Sendable {
    public var configId: String
    public var priority: Int
    public var state: String
    public var failures: Int
    public var successes: Int
    public var since: Date
    public var lastOutcome: String?
    public var lastResponseCode: Int?
    public var lastResponseMs: Double?
    public var lastMessage: String?
    public var updatedAt: Date

    public init(
        configId: String, priority: Int, state: String, failures: Int, successes: Int, since: Date, lastOutcome: String?,
        lastResponseCode: Int?, lastResponseMs: Double?, lastMessage: String?, updatedAt: Date
    ) {
        self.configId = configId
        self.priority = priority
        self.state = state
        self.failures = failures
        self.successes = successes
        self.since = since
        self.lastOutcome = lastOutcome
        self.lastResponseCode = lastResponseCode
        self.lastResponseMs = lastResponseMs
        self.lastMessage = lastMessage
        self.updatedAt = updatedAt
    }
}

/// Which endpoint an outbound configuration's calls use now (no row: the primary).
public struct FailoverStateRecord: Codable, Hashable, Sendable {
    public var configId: String
    public var activePriority: Int
    public var since: Date
    public var reason: String?

    public init(configId: String, activePriority: Int, since: Date, reason: String?) {
        self.configId = configId
        self.activePriority = activePriority
        self.since = since
        self.reason = reason
    }
}

/// One switch of the active endpoint: "failed over from A to B at T because …".
public struct FailoverEvent: Codable, Hashable, Sendable {
    public var id: Int64?
    public var configId: String
    public var at: Date
    public var fromPriority: Int
    public var toPriority: Int
    public var fromEndpoint: String
    public var toEndpoint: String
    /// `unreachable`, `auth_failure`, `timeout`, `failback` or `manual`.
    public var trigger: String
    public var reason: String
    /// `monitor` or who switched by hand.
    public var actor: String

    public init(
        configId: String, at: Date, fromPriority: Int, toPriority: Int, fromEndpoint: String, toEndpoint: String, trigger: String,
        reason: String, actor: String
    ) {
        self.configId = configId
        self.at = at
        self.fromPriority = fromPriority
        self.toPriority = toPriority
        self.fromEndpoint = fromEndpoint
        self.toEndpoint = toEndpoint
        self.trigger = trigger
        self.reason = reason
        self.actor = actor
    }
}

/// An alert: one rule breached on one endpoint of one configuration, from opening to resolution.
public struct AlertRecord: Codable, Hashable, Sendable {
    public var id: String
    public var configId: String
    public var priority: Int
    /// `unreachable`, `failure_rate` or `response_time`.
    public var rule: String
    /// `open`, `acknowledged` or `resolved`.
    public var status: String
    public var summary: String
    public var openedAt: Date
    public var lastNotifiedAt: Date?
    public var acknowledgedAt: Date?
    public var acknowledgedBy: String?
    public var resolvedAt: Date?

    public init(
        id: String, configId: String, priority: Int, rule: String, status: String, summary: String, openedAt: Date,
        lastNotifiedAt: Date? = nil, acknowledgedAt: Date? = nil, acknowledgedBy: String? = nil, resolvedAt: Date? = nil
    ) {
        self.id = id
        self.configId = configId
        self.priority = priority
        self.rule = rule
        self.status = status
        self.summary = summary
        self.openedAt = openedAt
        self.lastNotifiedAt = lastNotifiedAt
        self.acknowledgedAt = acknowledgedAt
        self.acknowledgedBy = acknowledgedBy
        self.resolvedAt = resolvedAt
    }
}

/// A line of an alert's history: opened, queued, delivered or failed per channel, acknowledged, resolved.
public struct AlertEvent: Codable, Hashable, Sendable {
    public var id: Int64?
    public var alertId: String
    public var at: Date
    public var kind: String
    public var channel: String?
    public var detail: String?

    public init(alertId: String, at: Date, kind: String, channel: String? = nil, detail: String? = nil) {
        self.alertId = alertId
        self.at = at
        self.kind = kind
        self.channel = channel
        self.detail = detail
    }
}

/// One notification to deliver on one channel, kept until it is delivered or given up on (the durable outbox).
/// The event id is the same on every channel of one event; receivers dedupe by it.
public struct OutboxDelivery: Codable, Hashable, Sendable {
    public var eventId: String
    public var channel: String
    public var alertId: String?
    /// `alert.opened`, `alert.reminder`, `alert.resolved`, `port.status`, `test`.
    public var kind: String
    public var recipient: String
    public var subject: String
    public var text: String
    /// The webhook's JSON body.
    public var payload: String
    public var createdAt: Date
    public var attempts: Int
    public var nextAttemptAt: Date
    /// `pending`, `delivered` or `failed`.
    public var status: String
    public var lastError: String?
    public var deliveredAt: Date?
    /// What the receiver said (HTTP status and the start of its body, or the SMTP server's last reply).
    public var response: String?

    public init(
        eventId: String, channel: String, alertId: String?, kind: String, recipient: String, subject: String, text: String, payload: String,
        createdAt: Date
    ) {
        self.eventId = eventId
        self.channel = channel
        self.alertId = alertId
        self.kind = kind
        self.recipient = recipient
        self.subject = subject
        self.text = text
        self.payload = payload
        self.createdAt = createdAt
        self.attempts = 0
        self.nextAttemptAt = createdAt
        self.status = "pending"
    }
}

/// How notifications leave this deployment: the SMTP relay, the SMS provider, the webhook signing secret (secrets
/// sealed by TrunkCore), and how often an open alert is repeated.
public struct NotificationSettingsRecord: Codable, Hashable, Sendable {
    public var orgId: String
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
    public var renotifyMinutes: Int

    public init(orgId: String) {
        self.orgId = orgId
        self.smtpSecurity = "starttls"
        self.renotifyMinutes = 60
    }
}

extension EndpointStateRecord: SnakeCaseRecord { public static let databaseTableName = "endpoint_state" }
extension FailoverStateRecord: SnakeCaseRecord { public static let databaseTableName = "failover_state" }
extension FailoverEvent: SnakeCaseRecord {
    public static let databaseTableName = "failover_event"
    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
extension AlertRecord: SnakeCaseRecord { public static let databaseTableName = "alert" }
extension AlertEvent: SnakeCaseRecord {
    public static let databaseTableName = "alert_event"
    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
extension OutboxDelivery: SnakeCaseRecord { public static let databaseTableName = "outbox" }
extension NotificationSettingsRecord: SnakeCaseRecord { public static let databaseTableName = "notification_settings" }

extension StoreReader {
    public func endpointStates(configId: String? = nil) throws -> [EndpointStateRecord] {
        guard let configId else { return try EndpointStateRecord.fetchAll(db) }
        return try EndpointStateRecord.filter(Column("config_id") == configId).order(Column("priority")).fetchAll(db)
    }

    public func failoverStates() throws -> [FailoverStateRecord] { try FailoverStateRecord.fetchAll(db) }
    public func failoverState(configId: String) throws -> FailoverStateRecord? { try FailoverStateRecord.fetchOne(db, key: configId) }

    public func failoverEvents(configId: String, limit: Int = 20) throws -> [FailoverEvent] {
        try FailoverEvent.filter(Column("config_id") == configId).order(Column("id").desc).limit(limit).fetchAll(db)
    }

    /// An organisation's outbound configurations and all their endpoints, in two queries (the monitor re-reads its
    /// settings every 30 s for thousands of numbers): those a monitor watches, every one but the demo data set's.
    public func outboundConfigurations(orgId: String) throws -> [SIPConfiguration] {
        try SIPConfiguration.fetchAll(
            db,
            sql: "SELECT c.* FROM sip_configuration c JOIN trunk t ON t.id = c.trunk_id WHERE t.org_id = ? AND c.direction = 'outbound' AND NOT t.demo ORDER BY c.number",
            arguments: [orgId])
    }

    /// The endpoints a monitor probes: those of every outbound configuration but the demo data set's.
    public func outboundEndpoints(orgId: String) throws -> [OutboundEndpoint] {
        try OutboundEndpoint.fetchAll(
            db,
            sql: """
                SELECT e.* FROM outbound_endpoint e JOIN sip_configuration c ON c.id = e.config_id JOIN trunk t ON t.id = c.trunk_id
                WHERE t.org_id = ? AND c.direction = 'outbound' AND NOT t.demo ORDER BY e.config_id, e.priority
                """,
            arguments: [orgId])
    }

    /// Every failover setting at once (the monitor reads them on each refresh).
    public func failoverSettings() throws -> [FailoverSettings] { try FailoverSettings.fetchAll(db) }
    public func alertSettings() throws -> [AlertSettings] { try AlertSettings.fetchAll(db) }

    public func unresolvedAlerts() throws -> [AlertRecord] {
        try AlertRecord.filter(Column("status") != "resolved").order(Column("opened_at")).fetchAll(db)
    }

    /// The newest alerts of the configurations given (all when nil), open ones first.
    public func alerts(configIds: [String]?, includeResolved: Bool, limit: Int) throws -> [AlertRecord] {
        var request = AlertRecord.all()
        if let configIds { request = request.filter(configIds.contains(Column("config_id"))) }
        if !includeResolved { request = request.filter(Column("status") != "resolved") }
        return try request.order(sql: "status = 'resolved', opened_at DESC").limit(limit).fetchAll(db)
    }

    public func alert(id: String) throws -> AlertRecord? { try AlertRecord.fetchOne(db, key: id) }

    public func alertEvents(alertId: String) throws -> [AlertEvent] {
        try AlertEvent.filter(Column("alert_id") == alertId).order(Column("id")).fetchAll(db)
    }

    /// Deliveries whose time has come, oldest first.
    public func dueDeliveries(at time: Date, limit: Int) throws -> [OutboxDelivery] {
        try OutboxDelivery.filter(Column("status") == "pending" && Column("next_attempt_at") <= time)
            .order(Column("next_attempt_at"), Column("created_at")).limit(limit).fetchAll(db)
    }

    public func nextDeliveryTime() throws -> Date? {
        try Date.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'")
    }

    public func deliveries(eventId: String) throws -> [OutboxDelivery] {
        try OutboxDelivery.filter(Column("event_id") == eventId).order(Column("channel")).fetchAll(db)
    }

    public func deliveries(channel: String) throws -> [OutboxDelivery] {
        try OutboxDelivery.filter(Column("channel") == channel).order(Column("created_at")).fetchAll(db)
    }

    public func deliveries(alertId: String) throws -> [OutboxDelivery] {
        try OutboxDelivery.filter(Column("alert_id") == alertId).order(Column("created_at"), Column("channel")).fetchAll(db)
    }

    /// The primary's probes since a time, oldest first: when each was and whether it was answered.
    public func healthOutcomes(configId: String, since: Date) throws -> [(at: Date, ok: Bool)] {
        try Row.fetchAll(
            db, sql: "SELECT checked_at, outcome = 'ok' AS ok FROM health_sample WHERE config_id = ? AND checked_at >= ? ORDER BY checked_at",
            arguments: [configId, since]
        ).map { ($0["checked_at"], $0["ok"]) }
    }

    public func outboxCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM outbox GROUP BY status") { counts[row["status"]] = row["n"] }
        return counts
    }

    public func notificationSettings(orgId: String) throws -> NotificationSettingsRecord? {
        try NotificationSettingsRecord.fetchOne(db, key: orgId)
    }
}

extension StoreWriter {
    public func upsert(_ state: EndpointStateRecord) throws {
        try db.execute(
            sql: """
                INSERT INTO endpoint_state (config_id, priority, state, failures, successes, since, last_outcome, last_response_code,
                                            last_response_ms, last_message, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(config_id, priority) DO UPDATE SET
                    since = CASE WHEN endpoint_state.state = excluded.state THEN endpoint_state.since ELSE excluded.since END,
                    state = excluded.state, failures = excluded.failures, successes = excluded.successes,
                    last_outcome = excluded.last_outcome, last_response_code = excluded.last_response_code,
                    last_response_ms = excluded.last_response_ms, last_message = excluded.last_message, updated_at = excluded.updated_at
                """,
            arguments: [
                state.configId, state.priority, state.state, state.failures, state.successes, state.since, state.lastOutcome,
                state.lastResponseCode, state.lastResponseMs, state.lastMessage, state.updatedAt,
            ])
    }

    public func save(_ state: FailoverStateRecord) throws { try state.save(db) }
    public func insert(_ event: FailoverEvent) throws {
        var event = event
        try event.insert(db)
    }
    public func save(_ alert: AlertRecord) throws { try alert.save(db) }
    public func insert(_ event: AlertEvent) throws {
        var event = event
        try event.insert(db)
    }
    public func save(_ delivery: OutboxDelivery) throws { try delivery.save(db) }

    /// Claims up to `limit` due deliveries for one sender: their next attempt moves to `until`, so no other process
    /// takes them meanwhile; one that is not recorded by then (its sender died) is due again.
    public func claimDueDeliveries(at time: Date, until: Date, limit: Int) throws -> [OutboxDelivery] {
        let due = try reader.dueDeliveries(at: time, limit: limit)
        for delivery in due {
            try db.execute(
                sql: "UPDATE outbox SET next_attempt_at = ? WHERE event_id = ? AND channel = ?", arguments: [until, delivery.eventId, delivery.channel])
        }
        return due
    }
    public func save(_ settings: NotificationSettingsRecord) throws { try settings.save(db) }

    /// Forgets the health of endpoints that are no longer configured.
    public func deleteEndpointStates(configId: String, priorityAbove: Int) throws {
        try db.execute(sql: "DELETE FROM endpoint_state WHERE config_id = ? AND priority > ?", arguments: [configId, priorityAbove])
    }
}
