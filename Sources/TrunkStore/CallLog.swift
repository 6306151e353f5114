import Foundation
internal import GRDB

/// One call in the call logs (`GET /v1/sip/calls`).
public struct CallLog: Codable, Hashable, Sendable {
    public var id: Int64?
    public var callId: String
    public var number: String
    public var direction: String
    public var fromUri: String?
    public var toUri: String?
    public var status: String
    public var sipCode: Int?
    public var durationSeconds: Double?
    public var startedAt: Date
    public var endedAt: Date?
    public var sourceIp: String?
    /// Milliseconds from the INVITE to the answer (captured calls).
    public var setupMs: Double?

    /// The `number` of a captured call that matches no trunk's numbers: kept apart (`calls list --unmatched`), so it
    /// never shows in a trunk's logs.
    public static let unmatchedNumber = ""

    public init(
        id: Int64? = nil, callId: String, number: String, direction: String, fromUri: String?, toUri: String?, status: String,
        sipCode: Int?, durationSeconds: Double?, startedAt: Date, endedAt: Date?, sourceIp: String?, setupMs: Double? = nil
    ) {
        self.id = id
        self.callId = callId
        self.number = number
        self.direction = direction
        self.fromUri = fromUri
        self.toUri = toUri
        self.status = status
        self.sipCode = sipCode
        self.durationSeconds = durationSeconds
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.sourceIp = sourceIp
        self.setupMs = setupMs
    }
}

extension CallLog: SnakeCaseRecord {
    public static let databaseTableName = "call_log"
    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Where the next page of call logs starts: the last call shown (newest first).
public struct CallLogCursor: Codable, Hashable, Sendable {
    public var startedAt: Date
    public var id: Int64

    public init(startedAt: Date, id: Int64) {
        self.startedAt = startedAt
        self.id = id
    }
}

/// Which of a number's calls a page holds (all when empty).
public struct CallLogQuery: Hashable, Sendable {
    public var status: String?
    public var codes: ClosedRange<Int>?
    public var direction: String?
    /// Part of the From or To URI, the Call-ID or the source address.
    public var text: String?

    public init(status: String? = nil, codes: ClosedRange<Int>? = nil, direction: String? = nil, text: String? = nil) {
        self.status = status
        self.codes = codes
        self.direction = direction
        self.text = text
    }

    func apply(to request: QueryInterfaceRequest<CallLog>) -> QueryInterfaceRequest<CallLog> {
        var request = request
        if let status { request = request.filter(Column("status") == status) }
        if let codes { request = request.filter(codes.contains(Column("sip_code"))) }
        if let direction { request = request.filter(Column("direction") == direction) }
        if let text {
            let pattern = "%" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            request = request.filter(
                sql: "(from_uri LIKE ? ESCAPE '\\' OR to_uri LIKE ? ESCAPE '\\' OR call_id LIKE ? ESCAPE '\\' OR source_ip LIKE ? ESCAPE '\\')",
                arguments: [pattern, pattern, pattern, pattern])
        }
        return request
    }
}

extension StoreReader {
    /// A page of a number's calls, newest first, after `cursor` (keyset pagination: a page deep in the history
    /// costs what the first one costs, since the index leads straight to it), narrowed by `query`.
    public func callLogs(number: String, limit: Int, after cursor: CallLogCursor?, matching query: CallLogQuery = CallLogQuery()) throws -> [CallLog] {
        var request = query.apply(to: CallLog.filter(Column("number") == number))
        if let cursor {
            request = request.filter(sql: "(started_at, id) < (?, ?)", arguments: [cursor.startedAt, cursor.id])
        }
        return try request.order(Column("started_at").desc, Column("id").desc).limit(max(1, min(limit, 500))).fetchAll(db)
    }

    /// Of a number's newest `scan` calls, those whose SIP trace is stored, newest first. Bounded by `scan` so
    /// the cost does not grow with the history.
    public func tracedCallLogs(number: String, scan: Int) throws -> [CallLog] {
        try CallLog.fetchAll(
            db,
            sql: """
                SELECT * FROM (SELECT * FROM call_log WHERE number = ? ORDER BY started_at DESC, id DESC LIMIT ?) AS c
                WHERE EXISTS (SELECT 1 FROM trace_message t WHERE t.sip_call_id = c.call_id)
                ORDER BY started_at DESC, id DESC
                """,
            arguments: [number, max(1, scan)])
    }

    public func callLog(callId: String) throws -> CallLog? {
        try CallLog.filter(Column("call_id") == callId).fetchOne(db)
    }

    public func callLogCount(number: String? = nil, matching query: CallLogQuery = CallLogQuery()) throws -> Int {
        if let number { return try query.apply(to: CallLog.filter(Column("number") == number)).fetchCount(db) }
        return try query.apply(to: CallLog.all()).fetchCount(db)
    }
}

extension StoreWriter {
    @discardableResult
    public func insert(_ call: CallLog) throws -> CallLog {
        var call = call
        try call.insert(db)
        return call
    }

    /// Inserts the call or, when its Call-ID is stored, updates it in place (its row id and place in the pages stay).
    public func upsert(_ call: CallLog) throws {
        // Prepared once per connection: capture upserts thousands of calls a second.
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO call_log (call_id, number, direction, from_uri, to_uri, status, sip_code, duration_seconds, started_at, ended_at, source_ip, setup_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(call_id) DO UPDATE SET
                  status = excluded.status, sip_code = excluded.sip_code, duration_seconds = excluded.duration_seconds,
                  ended_at = excluded.ended_at, setup_ms = excluded.setup_ms
                """)
        try statement.execute(arguments: [
            call.callId, call.number, call.direction, call.fromUri, call.toUri, call.status, call.sipCode, call.durationSeconds,
            call.startedAt, call.endedAt, call.sourceIp, call.setupMs,
        ])
    }
}

extension StoreReader {
    /// The cursor that starts page `page` (0-based) of `pageSize` calls: lets a view jump to a page number.
    /// This walks the index once; pages after it are fetched by cursor.
    public func callLogCursor(number: String, page: Int, pageSize: Int) throws -> CallLogCursor? {
        guard page > 0 else { return nil }
        let row = try Row.fetchOne(
            db,
            sql: "SELECT started_at, id FROM call_log WHERE number = ? ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET ?",
            arguments: [number, page * pageSize - 1])
        guard let row, let startedAt = row["started_at"] as Date?, let id = row["id"] as Int64? else { return nil }
        return CallLogCursor(startedAt: startedAt, id: id)
    }
}

extension StoreWriter {
    /// Inserts many calls in the caller's transaction (GRDB reuses the cached INSERT statement for each).
    public func insert(_ calls: [CallLog]) throws {
        for var call in calls { try call.insert(db) }
    }
}
