import Foundation
internal import GRDB

/// One auto-discovery run (guide Step 3); `recommended` and the lists are JSON documents.
public struct DiscoveryRun: Codable, Hashable, Sendable {
    public var id: String
    public var orgId: String
    public var host: String
    public var status: String
    public var resolvedAddresses: [String]
    public var srvRecords: [String]
    public var recommended: String?
    public var startedAt: Date
    public var completedAt: Date?

    public init(
        id: String, orgId: String, host: String, status: String, resolvedAddresses: [String], srvRecords: [String],
        recommended: String?, startedAt: Date, completedAt: Date?
    ) {
        self.id = id
        self.orgId = orgId
        self.host = host
        self.status = status
        self.resolvedAddresses = resolvedAddresses
        self.srvRecords = srvRecords
        self.recommended = recommended
        self.startedAt = startedAt
        self.completedAt = completedAt
    }
}

/// One probe of a discovery run: a port and transport, and what came back.
public struct DiscoveryAttempt: Codable, Hashable, Sendable {
    public var id: Int64?
    public var discoveryId: String
    public var address: String?
    public var port: Int
    public var transport: String
    public var responseTimeMs: Double?
    public var responseCode: Int?
    public var userAgent: String?
    public var errorKind: String?
    public var errorMessage: String?
    public var errorRemedy: String?

    public init(
        discoveryId: String, address: String?, port: Int, transport: String, responseTimeMs: Double?, responseCode: Int?,
        userAgent: String?, errorKind: String? = nil, errorMessage: String? = nil, errorRemedy: String? = nil
    ) {
        self.discoveryId = discoveryId
        self.address = address
        self.port = port
        self.transport = transport
        self.responseTimeMs = responseTimeMs
        self.responseCode = responseCode
        self.userAgent = userAgent
        self.errorKind = errorKind
        self.errorMessage = errorMessage
        self.errorRemedy = errorRemedy
    }
}

/// A test call (guide Step 7) and its outcome.
public struct TestCall: Codable, Hashable, Sendable {
    public var callId: String
    public var orgId: String
    public var number: String
    public var direction: String
    public var status: String
    public var result: String
    public var durationSeconds: Double?
    public var mediaReport: String?
    public var createdAt: Date
    /// The SIP Call-ID of the call's INVITE, under which its trace is stored: the same as `callId` for an outbound
    /// call, sipp's or the PBX's for an inbound one (known only once the INVITE arrives).
    public var sipCallId: String?

    public init(
        callId: String, orgId: String, number: String, direction: String, status: String, result: String,
        durationSeconds: Double?, mediaReport: String?, createdAt: Date, sipCallId: String? = nil
    ) {
        self.sipCallId = sipCallId
        self.callId = callId
        self.orgId = orgId
        self.number = number
        self.direction = direction
        self.status = status
        self.result = result
        self.durationSeconds = durationSeconds
        self.mediaReport = mediaReport
        self.createdAt = createdAt
    }
}

/// One entry of a test call's timeline: `{event, at, detail}`.
public struct TestCallEvent: Codable, Hashable, Sendable {
    public var id: Int64?
    public var callId: String
    public var event: String
    public var at: Date
    public var detail: String?

    public init(callId: String, event: String, at: Date, detail: String?) {
        self.callId = callId
        self.event = event
        self.at = at
        self.detail = detail
    }
}

/// A SIP message as it crossed the wire, for the ladder diagram and trace export.
public struct TraceMessage: Codable, Hashable, Sendable {
    public var id: Int64?
    public var sipCallId: String
    public var monotonicNs: Int64
    public var wallTime: Date
    /// `sent` or `received`.
    public var direction: String
    public var transport: String
    public var localAddress: String
    public var remoteAddress: String
    public var raw: Data

    public init(
        sipCallId: String, monotonicNs: Int64, wallTime: Date, direction: String, transport: String, localAddress: String,
        remoteAddress: String, raw: Data
    ) {
        self.sipCallId = sipCallId
        self.monotonicNs = monotonicNs
        self.wallTime = wallTime
        self.direction = direction
        self.transport = transport
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.raw = raw
    }
}

/// The REGISTER client's latest state for a registration-auth trunk.
public struct RegistrationState: Codable, Hashable, Sendable {
    public var trunkId: String
    public var registrar: String
    public var username: String
    /// `registering`, `registered`, `failed` or `stopped`.
    public var state: String
    public var expiresAt: Date?
    public var lastError: String?
    /// Successful registrations and refreshes so far.
    public var registrations: Int
    public var updatedAt: Date

    public init(trunkId: String, registrar: String, username: String, state: String, expiresAt: Date?, lastError: String?, registrations: Int, updatedAt: Date) {
        self.trunkId = trunkId
        self.registrar = registrar
        self.username = username
        self.state = state
        self.expiresAt = expiresAt
        self.lastError = lastError
        self.registrations = registrations
        self.updatedAt = updatedAt
    }
}

extension RegistrationState: SnakeCaseRecord {
    public static let databaseTableName = "registration_state"
}

extension DiscoveryRun: SnakeCaseRecord {
    public static let databaseTableName = "discovery_run"
}

extension DiscoveryAttempt: SnakeCaseRecord {
    public static let databaseTableName = "discovery_attempt"
    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension TestCall: SnakeCaseRecord {
    public static let databaseTableName = "test_call"
}

extension TestCallEvent: SnakeCaseRecord {
    public static let databaseTableName = "test_call_event"
    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension TraceMessage: SnakeCaseRecord {
    public static let databaseTableName = "trace_message"
    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension StoreReader {
    public func discoveryRuns(orgId: String) throws -> [DiscoveryRun] {
        try DiscoveryRun.filter(Column("org_id") == orgId).order(Column("started_at").desc).fetchAll(db)
    }

    /// The run `id` of this organisation, or its newest run when `id` is nil.
    public func discoveryRun(id: String?, orgId: String) throws -> DiscoveryRun? {
        var request = DiscoveryRun.filter(Column("org_id") == orgId)
        if let id { request = request.filter(Column("id") == id) }
        return try request.order(Column("started_at").desc).fetchOne(db)
    }

    public func discoveryAttempts(discoveryId: String) throws -> [DiscoveryAttempt] {
        try DiscoveryAttempt.filter(Column("discovery_id") == discoveryId).order(Column("id")).fetchAll(db)
    }

    public func testCalls(orgId: String) throws -> [TestCall] {
        try TestCall.filter(Column("org_id") == orgId).order(Column("created_at").desc).fetchAll(db)
    }

    /// Test calls of an organisation started at or after `since`, oldest first (the rate limit's window).
    public func testCalls(orgId: String, since: Date) throws -> [TestCall] {
        try TestCall.filter(Column("org_id") == orgId && Column("created_at") >= since).order(Column("created_at")).fetchAll(db)
    }

    public func testCall(callId: String) throws -> TestCall? {
        try TestCall.filter(Column("call_id") == callId).fetchOne(db)
    }

    public func timeline(callId: String) throws -> [TestCallEvent] {
        try TestCallEvent.filter(Column("call_id") == callId).order(Column("at"), Column("id")).fetchAll(db)
    }

    /// Every traced message of one SIP Call-ID, in the order it crossed the wire.
    /// The newest `limit` traced messages of every call, oldest first, as their start lines only (what a call
    /// list needs; the full messages of one call come from `trace(sipCallId:)`). Rows are read by column index
    /// through a cursor, so a large trace neither decodes through Codable nor holds every message body.
    public func recentTraceStartLines(limit: Int, _ body: (_ sipCallId: String, _ wallTime: Date, _ startLine: Substring) -> Void) throws {
        let rows = try Row.fetchCursor(
            db,
            sql: "SELECT sip_call_id, wall_time, substr(raw, 1, 128) FROM (SELECT id, sip_call_id, wall_time, raw FROM trace_message ORDER BY id DESC LIMIT ?) ORDER BY id",
            arguments: [limit])
        while let row = try rows.next() {
            let head: Data = row[2]
            let line = String(decoding: head.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
            body(row[0], row[1], line[...])
        }
    }

    public func trace(sipCallId: String) throws -> [TraceMessage] {
        try TraceMessage.filter(Column("sip_call_id") == sipCallId).order(Column("monotonic_ns"), Column("id")).fetchAll(db)
    }

    public func healthSampleCount(configId: String) throws -> Int {
        try HealthSample.filter(Column("config_id") == configId).fetchCount(db)
    }
}

extension StoreReader {
    public func wizardDraft(orgId: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT data FROM wizard_draft WHERE org_id = ?", arguments: [orgId])
    }

    public func registrationState(trunkId: String) throws -> RegistrationState? {
        try RegistrationState.fetchOne(db, key: trunkId)
    }
}

extension StoreWriter {
    public func saveWizardDraft(orgId: String, json: String, at time: Date) throws {
        try db.execute(
            sql: "INSERT INTO wizard_draft (org_id, data, updated_at) VALUES (?, ?, ?) ON CONFLICT(org_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            arguments: [orgId, json, time])
    }

    public func deleteWizardDraft(orgId: String) throws {
        try db.execute(sql: "DELETE FROM wizard_draft WHERE org_id = ?", arguments: [orgId])
    }

    public func save(_ state: RegistrationState) throws { try state.save(db) }
    public func save(_ run: DiscoveryRun) throws { try run.save(db) }
    public func insert(_ attempt: DiscoveryAttempt) throws {
        var attempt = attempt
        try attempt.insert(db)
    }
    public func save(_ call: TestCall) throws { try call.save(db) }
    public func insert(_ event: TestCallEvent) throws {
        var event = event
        try event.insert(db)
    }
    public func insert(_ message: TraceMessage) throws {
        var message = message
        try message.insert(db)
    }
}
