import Foundation
internal import GRDB

/// Reads inside one transaction.
public struct StoreReader {
    let db: Database

    public func organisation(id: String) throws -> Organisation? {
        try Organisation.fetchOne(db, key: id)
    }

    public func organisations() throws -> [Organisation] {
        try Organisation.order(Column("created_at")).fetchAll(db)
    }

    public func trunk(id: String) throws -> Trunk? {
        try Trunk.fetchOne(db, key: id)
    }

    public func trunks(orgId: String) throws -> [Trunk] {
        try Trunk.filter(Column("org_id") == orgId).order(Column("created_at"), Column("id")).fetchAll(db)
    }

    public func demoTrunkCount(orgId: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM trunk WHERE org_id = ? AND demo", arguments: [orgId]) ?? 0
    }

    public func phoneNumber(_ number: String) throws -> PhoneNumber? {
        try PhoneNumber.fetchOne(db, key: number)
    }

    public func phoneNumbers(orgId: String) throws -> [PhoneNumber] {
        try PhoneNumber.filter(Column("org_id") == orgId).order(Column("number")).fetchAll(db)
    }

    public func configurations(number: String) throws -> [SIPConfiguration] {
        try SIPConfiguration.filter(Column("number") == number).order(Column("created_at"), Column("id")).fetchAll(db)
    }

    public func configurations(trunkId: String) throws -> [SIPConfiguration] {
        try SIPConfiguration.filter(Column("trunk_id") == trunkId).order(Column("number"), Column("direction")).fetchAll(db)
    }

    public func configuration(id: String) throws -> SIPConfiguration? {
        try SIPConfiguration.fetchOne(db, key: id)
    }

    public func configurationCount(number: String) throws -> Int {
        try SIPConfiguration.filter(Column("number") == number).fetchCount(db)
    }

    public func authentication(configId: String) throws -> Authentication? {
        try Authentication.fetchOne(db, key: configId)
    }

    public func endpoints(configId: String) throws -> [OutboundEndpoint] {
        try OutboundEndpoint.filter(Column("config_id") == configId).order(Column("priority")).fetchAll(db)
    }

    /// The named region, or the default one when `name` is nil.
    public func region(named name: String?) throws -> Region? {
        if let name { return try Region.fetchOne(db, key: name) }
        return try Region.filter(Column("is_default") == true).fetchOne(db)
    }

    public func regions() throws -> [Region] {
        try Region.order(Column("is_default").desc, Column("name")).fetchAll(db)
    }

    /// Every configuration's authentication, for re-sealing stored passwords.
    public func authentications() throws -> [Authentication] {
        try Authentication.fetchAll(db)
    }

    /// The installation secret as databases before the key file kept it (`TrunkDatabase.installationSecret` reads
    /// the key file now).
    func installationSecret() throws -> [UInt8]? {
        try Data.fetchOne(db, sql: "SELECT secret FROM installation_secret WHERE id = 1").map { Array($0) }
    }
}

/// Reads and writes inside one transaction.
public struct StoreWriter {
    let db: Database

    public var reader: StoreReader { StoreReader(db: db) }

    public func save(_ organisation: Organisation) throws { try organisation.save(db) }
    public func save(_ trunk: Trunk) throws { try trunk.save(db) }
    /// Marks trunks as the demo data set's: no monitor probes them.
    public func markDemo(trunkIds: [String]) throws {
        guard !trunkIds.isEmpty else { return }
        try db.execute(
            sql: "UPDATE trunk SET demo = 1 WHERE id IN (\(Array(repeating: "?", count: trunkIds.count).joined(separator: ", ")))",
            arguments: StatementArguments(trunkIds))
    }
    public func save(_ number: PhoneNumber) throws { try number.save(db) }
    public func save(_ configuration: SIPConfiguration) throws { try configuration.save(db) }
    public func save(_ authentication: Authentication) throws { try authentication.save(db) }
    public func save(_ region: Region) throws {
        if region.isDefault {
            try db.execute(sql: "UPDATE region SET is_default = 0 WHERE name != ?", arguments: [region.name])
        }
        try region.save(db)
    }

    /// Replaces a configuration's outbound endpoints (primary, secondary, tertiary).
    public func replaceEndpoints(configId: String, with endpoints: [OutboundEndpoint]) throws {
        _ = try OutboundEndpoint.filter(Column("config_id") == configId).deleteAll(db)
        for var endpoint in endpoints {
            endpoint.id = nil
            try endpoint.insert(db)
        }
    }

    @discardableResult
    public func deleteConfiguration(id: String) throws -> Bool {
        try SIPConfiguration.deleteOne(db, key: id)
    }

    /// Writes the installation secret the way databases before the key file kept it (tests of the move only).
    func insertLegacyInstallationSecret(_ secret: [UInt8]) throws {
        try db.execute(sql: "INSERT INTO installation_secret (id, secret, created_at) VALUES (1, ?, ?)", arguments: [Data(secret), Date()])
    }

    /// Deletes a number that has no configuration left.
    public func deleteNumberIfUnused(_ number: String) throws {
        if try SIPConfiguration.filter(Column("number") == number).fetchCount(db) == 0 {
            _ = try PhoneNumber.deleteOne(db, key: number)
        }
    }
}

/// One OPTIONS probe result for a configuration.
public struct HealthSample: Codable, Hashable, Sendable {
    public var id: Int64?
    public var configId: String
    public var checkedAt: Date
    /// `ok`, or a failure kind such as `timeout` or `connection_refused`.
    public var outcome: String
    public var responseCode: Int?
    public var responseTimeMs: Double?
    /// For failures: what happened and what to do (the probe's classification).
    public var message: String?
    public var remedy: String?

    public init(id: Int64? = nil, configId: String, checkedAt: Date, outcome: String, responseCode: Int?, responseTimeMs: Double?, message: String? = nil, remedy: String? = nil) {
        self.id = id
        self.configId = configId
        self.checkedAt = checkedAt
        self.outcome = outcome
        self.responseCode = responseCode
        self.responseTimeMs = responseTimeMs
        self.message = message
        self.remedy = remedy
    }
}

extension HealthSample: SnakeCaseRecord {
    public static let databaseTableName = "health_sample"
    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A monitored endpoint's current state (written by the monitor, read by every screen).
/// One line of the health overview, as read in one query.
public struct HealthOverviewRow: Hashable, Sendable {
    public var configId: String
    public var number: String
    public var trunkId: String
    public var direction: String
    public var host: String?
    public var port: Int?
    public var state: String?
    public var since: Date?
    public var lastOutcome: String?
    public var lastCheckedAt: Date?
}

public struct HealthStateRecord: Codable, Hashable, Sendable {
    public var configId: String
    public var state: String
    public var failures: Int
    public var successes: Int
    /// When the current state began.
    public var since: Date
    public var lastOutcome: String?
    public var lastMessage: String?
    public var lastRemedy: String?
    public var updatedAt: Date

    public init(configId: String, state: String, failures: Int, successes: Int, since: Date, lastOutcome: String?, lastMessage: String?, lastRemedy: String?, updatedAt: Date) {
        self.configId = configId
        self.state = state
        self.failures = failures
        self.successes = successes
        self.since = since
        self.lastOutcome = lastOutcome
        self.lastMessage = lastMessage
        self.lastRemedy = lastRemedy
        self.updatedAt = updatedAt
    }
}

extension HealthStateRecord: SnakeCaseRecord {
    public static let databaseTableName = "health_state"
}

/// Probes and answers over a window, from raw samples and hourly roll-ups together.
public struct HealthTotals: Hashable, Sendable {
    public var probes: Int
    public var answered: Int
    public var averageResponseMs: Double?
}

/// The last heartbeat of a monitor.
public struct MonitorHeartbeat: Hashable, Sendable {
    public var owner: String
    public var at: Date
    public var pid: Int32?
    public var processStarted: String?
    public var host: String?
}

extension StoreReader {
    /// The process that last said it monitors health, and when.
    public func monitorHeartbeat() throws -> MonitorHeartbeat? {
        guard let row = try Row.fetchOne(db, sql: "SELECT owner, at, pid, process_started, host FROM monitor_heartbeat WHERE id = 1") else { return nil }
        return MonitorHeartbeat(owner: row["owner"], at: row["at"], pid: row["pid"], processStarted: row["process_started"], host: row["host"])
    }

    public func healthState(configId: String) throws -> HealthStateRecord? {
        try HealthStateRecord.fetchOne(db, key: configId)
    }

    public func healthStates() throws -> [HealthStateRecord] {
        try HealthStateRecord.fetchAll(db)
    }

    /// Every configuration of an organisation with its primary endpoint, monitor state and latest sample, in one
    /// query (the dashboard re-reads it every few seconds, for thousands of trunks). The monitor's state row
    /// answers for the latest sample; the samples are looked at only where no monitor has run.
    public func healthOverviewRows(orgId: String) throws -> [HealthOverviewRow] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT c.id, c.number, c.trunk_id, c.direction, e.host, e.port, s.state, s.since,
                       COALESCE(s.last_outcome, (SELECT h.outcome FROM health_sample h WHERE h.config_id = c.id ORDER BY h.checked_at DESC LIMIT 1)) AS last_outcome,
                       COALESCE(s.updated_at, (SELECT MAX(h.checked_at) FROM health_sample h WHERE h.config_id = c.id)) AS last_checked
                FROM sip_configuration c
                JOIN trunk t ON t.id = c.trunk_id
                LEFT JOIN outbound_endpoint e ON e.config_id = c.id AND e.priority = 1
                LEFT JOIN health_state s ON s.config_id = c.id
                WHERE t.org_id = ?
                ORDER BY c.number, c.direction
                """,
            arguments: [orgId]
        ).map { row in
            HealthOverviewRow(
                configId: row["id"], number: row["number"], trunkId: row["trunk_id"], direction: row["direction"], host: row["host"],
                port: row["port"], state: row["state"], since: row["since"], lastOutcome: row["last_outcome"], lastCheckedAt: row["last_checked"])
        }
    }

    /// The newest `limit` samples, newest first.
    public func recentHealthSamples(configId: String, limit: Int) throws -> [HealthSample] {
        try HealthSample.filter(Column("config_id") == configId).order(Column("checked_at").desc).limit(limit).fetchAll(db)
    }

    public func recentHealthFailures(configId: String, limit: Int) throws -> [HealthSample] {
        try HealthSample.filter(Column("config_id") == configId && Column("outcome") != "ok").order(Column("checked_at").desc).limit(limit).fetchAll(db)
    }

    public func healthTotals(configId: String, since: Date) throws -> HealthTotals {
        let raw = try Row.fetchOne(
            db,
            sql: "SELECT COUNT(*) AS probes, COALESCE(SUM(outcome = 'ok'), 0) AS answered, COALESCE(SUM(response_time_ms), 0) AS rtt, COUNT(response_time_ms) AS rtts FROM health_sample WHERE config_id = ? AND checked_at >= ?",
            arguments: [configId, since])
        let hourly = try Row.fetchOne(
            db,
            sql: "SELECT COALESCE(SUM(probes), 0) AS probes, COALESCE(SUM(answered), 0) AS answered, COALESCE(SUM(response_time_sum_ms), 0) AS rtt, COALESCE(SUM(response_time_count), 0) AS rtts FROM health_hourly WHERE config_id = ? AND hour >= ?",
            arguments: [configId, since])
        let probes = (raw?["probes"] as Int? ?? 0) + (hourly?["probes"] as Int? ?? 0)
        let answered = (raw?["answered"] as Int? ?? 0) + (hourly?["answered"] as Int? ?? 0)
        let rtt = (raw?["rtt"] as Double? ?? 0) + (hourly?["rtt"] as Double? ?? 0)
        let rtts = (raw?["rtts"] as Int? ?? 0) + (hourly?["rtts"] as Int? ?? 0)
        return HealthTotals(probes: probes, answered: answered, averageResponseMs: rtts == 0 ? nil : rtt / Double(rtts))
    }

    public func latestHealthSample(configId: String) throws -> HealthSample? {
        try HealthSample.filter(Column("config_id") == configId).order(Column("checked_at").desc).fetchOne(db)
    }
}

extension StoreWriter {
    public func beatMonitorHeartbeat(owner: String, at time: Date, pid: Int32? = nil, processStarted: String? = nil, host: String? = nil) throws {
        try db.execute(
            sql: """
                INSERT INTO monitor_heartbeat (id, owner, at, pid, process_started, host) VALUES (1, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET owner = excluded.owner, at = excluded.at, pid = excluded.pid,
                    process_started = excluded.process_started, host = excluded.host
                """,
            arguments: [owner, time, pid, processStarted, host])
    }

    /// Removes the heartbeat when it is `owner`'s (a monitor that stops says so at once).
    public func clearMonitorHeartbeat(owner: String) throws {
        try db.execute(sql: "DELETE FROM monitor_heartbeat WHERE id = 1 AND owner = ?", arguments: [owner])
    }

    public func save(_ state: HealthStateRecord) throws { try state.save(db) }

    /// Stores probe samples and each endpoint's state after it, with prepared statements reused across the batch
    /// (the monitor writes thousands a minute). A state row keeps its `since` while the state is unchanged.
    public func recordHealth(_ samples: [(sample: HealthSample, state: HealthStateRecord)]) throws {
        let insert = try db.cachedStatement(sql: """
            INSERT INTO health_sample (config_id, checked_at, outcome, response_code, response_time_ms, message, remedy)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO health_state (config_id, state, failures, successes, since, last_outcome, last_message, last_remedy, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(config_id) DO UPDATE SET
                since = CASE WHEN health_state.state = excluded.state THEN health_state.since ELSE excluded.since END,
                state = excluded.state, failures = excluded.failures, successes = excluded.successes,
                last_outcome = excluded.last_outcome, last_message = excluded.last_message, last_remedy = excluded.last_remedy,
                updated_at = excluded.updated_at
            """)
        for (sample, state) in samples {
            try insert.execute(arguments: [
                sample.configId, sample.checkedAt, sample.outcome, sample.responseCode, sample.responseTimeMs, sample.message, sample.remedy,
            ])
            try upsert.execute(arguments: [
                state.configId, state.state, state.failures, state.successes, state.since, state.lastOutcome, state.lastMessage,
                state.lastRemedy, state.updatedAt,
            ])
        }
    }

    /// Sums samples older than `cutoff` into hourly rows and deletes them; returns how many were rolled up.
    @discardableResult
    public func rollUpHealth(before cutoff: Date) throws -> Int {
        try db.execute(
            sql: """
                INSERT INTO health_hourly (config_id, hour, probes, answered, response_time_sum_ms, response_time_count)
                SELECT config_id, substr(checked_at, 1, 13) || ':00:00.000', COUNT(*), SUM(outcome = 'ok'),
                       COALESCE(SUM(response_time_ms), 0), COUNT(response_time_ms)
                FROM health_sample WHERE checked_at < ? GROUP BY config_id, substr(checked_at, 1, 13)
                ON CONFLICT(config_id, hour) DO UPDATE SET probes = probes + excluded.probes, answered = answered + excluded.answered,
                    response_time_sum_ms = response_time_sum_ms + excluded.response_time_sum_ms,
                    response_time_count = response_time_count + excluded.response_time_count
                """,
            arguments: [cutoff])
        try db.execute(sql: "DELETE FROM health_sample WHERE checked_at < ?", arguments: [cutoff])
        return db.changesCount
    }

    public func insert(_ sample: HealthSample) throws {
        var sample = sample
        try sample.insert(db)
    }
}

/// One configuration of `numberSummaryRows`: what `GET /v1/sip/numbers` lists, without the per-number queries.
public struct NumberSummaryRow: Hashable, Sendable {
    public var number: String
    public var direction: String
    public var trunkId: String
    public var sipEndpoint: String?
    /// The monitor's state, when it has one.
    public var state: String?
    /// The newest sample's outcome where no monitor state exists (outbound only).
    public var lastOutcome: String?
}

/// The newest probe of a number's outbound configuration, for `GET /v1/sip/status`.
public struct NumberStatusRow: Hashable, Sendable {
    public var number: String
    public var state: String?
    public var outcome: String?
    public var responseTimeMs: Double?
    public var checkedAt: Date?
}

extension StoreReader {
    /// Every configuration of the organisation's numbers in one query, ordered by number (issue 17: the API lists
    /// 1,000 numbers thousands of times a second; one query per number took 86 ms).
    public func numberSummaryRows(orgId: String) throws -> [NumberSummaryRow] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT c.number, c.direction, c.trunk_id, c.sip_endpoint, s.state,
                       CASE WHEN s.state IS NULL AND c.direction = 'outbound'
                            THEN (SELECT h.outcome FROM health_sample h WHERE h.config_id = c.id ORDER BY h.checked_at DESC LIMIT 1) END AS last_outcome
                FROM sip_configuration c
                JOIN phone_number p ON p.number = c.number
                LEFT JOIN health_state s ON s.config_id = c.id
                WHERE p.org_id = ?
                ORDER BY c.number, c.created_at, c.id
                """,
            arguments: [orgId]
        ).map { row in
            // By position: a name lookup per column per row was a tenth of the cost of a 1,000-number list.
            NumberSummaryRow(number: row[0], direction: row[1], trunkId: row[2], sipEndpoint: row[3], state: row[4], lastOutcome: row[5])
        }
    }

    /// The number's outbound configuration's state and newest sample, in one query; nil when the number has no
    /// outbound configuration in the organisation.
    public func numberStatusRow(number: String, orgId: String) throws -> NumberStatusRow? {
        guard let row = try Row.fetchOne(
            db,
            sql: """
                SELECT c.number, s.state, h.outcome, h.response_time_ms, h.checked_at
                FROM sip_configuration c
                JOIN phone_number p ON p.number = c.number AND p.org_id = ?
                LEFT JOIN health_state s ON s.config_id = c.id
                LEFT JOIN health_sample h ON h.id = (SELECT id FROM health_sample WHERE config_id = c.id ORDER BY checked_at DESC LIMIT 1)
                WHERE c.number = ? AND c.direction = 'outbound'
                ORDER BY c.created_at, c.id LIMIT 1
                """,
            arguments: [orgId, number])
        else { return nil }
        return NumberStatusRow(
            number: row["number"], state: row["state"], outcome: row["outcome"], responseTimeMs: row["response_time_ms"], checkedAt: row["checked_at"])
    }
}
