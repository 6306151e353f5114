import Foundation
internal import GRDB

/// A capture source's counters (issue 16: loss is never silent): what arrived, what was stored, what was skipped and
/// why, and what the kernel dropped before siptrunk could read it.
public struct CaptureSource: Codable, Hashable, Sendable {
    /// `hep:udp:127.0.0.1:9060`, `pcap:eth0`, `file:/path/to.pcap`.
    public var id: String
    public var kind: String
    public var startedAt: Date
    public var updatedAt: Date
    public var received: Int
    public var stored: Int
    public var skipped: Int
    public var kernelDrops: Int
    public var calls: Int
    public var lastSkipReason: String?
    /// Messages removed by retention since the source started.
    public var pruned: Int

    public init(
        id: String, kind: String, startedAt: Date, updatedAt: Date, received: Int = 0, stored: Int = 0, skipped: Int = 0, kernelDrops: Int = 0,
        calls: Int = 0, lastSkipReason: String? = nil, pruned: Int = 0
    ) {
        self.id = id
        self.kind = kind
        self.startedAt = startedAt
        self.updatedAt = updatedAt
        self.received = received
        self.stored = stored
        self.skipped = skipped
        self.kernelDrops = kernelDrops
        self.calls = calls
        self.lastSkipReason = lastSkipReason
        self.pruned = pruned
    }
}

extension CaptureSource: SnakeCaseRecord {
    public static let databaseTableName = "capture_source"
}

/// What one retention pass removed.
public struct PruneResult: Hashable, Sendable {
    public var messages: Int
    public var calls: Int

    public init(messages: Int, calls: Int) {
        self.messages = messages
        self.calls = calls
    }
}

extension StoreReader {
    public func captureSources() throws -> [CaptureSource] {
        try CaptureSource.order(Column("updated_at").desc).fetchAll(db)
    }

    public func traceMessageCount() throws -> Int {
        try TraceMessage.fetchCount(db)
    }
}

extension StoreWriter {
    public func save(_ source: CaptureSource) throws { try source.save(db) }

    /// Inserts a batch of trace messages with one prepared statement (ingestion writes thousands a second).
    public func insert(traces: [TraceMessage]) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO trace_message (sip_call_id, monotonic_ns, wall_time, direction, transport, local_address, remote_address, raw)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for message in traces {
            try statement.execute(arguments: [
                message.sipCallId, message.monotonicNs, message.wallTime, message.direction, message.transport, message.localAddress,
                message.remoteAddress, message.raw,
            ])
        }
    }

    /// Removes at most `limit` of the oldest trace messages that are older than `before` or beyond the newest
    /// `keep`, and call logs older than `before` (one bounded step: the caller repeats it between ingestion batches,
    /// so pruning never holds the write lock for long).
    public func pruneCapture(before: Date, keep: Int, limit: Int) throws -> PruneResult {
        var messages = 0
        if let cutoff = try Int64.fetchOne(db, sql: "SELECT id FROM trace_message WHERE wall_time < ? ORDER BY wall_time DESC LIMIT 1", arguments: [before]) {
            try db.execute(sql: "DELETE FROM trace_message WHERE id IN (SELECT id FROM trace_message WHERE id <= ? ORDER BY id LIMIT ?)", arguments: [cutoff, limit])
            messages += db.changesCount
        }
        let total = try TraceMessage.fetchCount(db)
        if total > keep, messages < limit {
            let excess = min(total - keep, limit - messages)
            try db.execute(sql: "DELETE FROM trace_message WHERE id IN (SELECT id FROM trace_message ORDER BY id LIMIT ?)", arguments: [excess])
            messages += db.changesCount
        }
        try db.execute(sql: "DELETE FROM call_log WHERE id IN (SELECT id FROM call_log WHERE started_at < ? ORDER BY started_at LIMIT ?)", arguments: [before, limit])
        return PruneResult(messages: messages, calls: db.changesCount)
    }
}
