import Foundation
import TrunkStore

/// How long captured traffic is kept (issue 16): the oldest messages and calls go first, by age and by count.
public struct CaptureRetention: Sendable, Hashable {
    /// Messages and call logs older than this are removed (default 30 days).
    public var maximumAge: TimeInterval
    /// At most this many SIP messages are kept (default 2,000,000: about 2 GB of typical trunk traffic).
    public var maximumMessages: Int

    public init(maximumAge: TimeInterval = 30 * 86_400, maximumMessages: Int = 2_000_000) {
        self.maximumAge = maximumAge
        self.maximumMessages = maximumMessages
    }
}

/// The store's view of one capture source's counters, for `capture --json`, `calls list` and the dashboard.
public typealias CaptureSource = TrunkStore.CaptureSource

extension SIPTrunkService {
    /// The organisation's numbers by direction: how captured calls find their trunk.
    public func numberDirectory() throws(TrunkError) -> NumberDirectory {
        let rows = try read { reader in
            _ = try requireEntitlement(reader)
            return try reader.numberSummaryRows(orgId: orgId)
        }
        var directory = NumberDirectory()
        for row in rows {
            if row.direction == "inbound" { directory.inbound.insert(row.number) } else { directory.outbound.insert(row.number) }
        }
        return directory
    }

    /// Writes one ingestion batch in one transaction: its messages, its new and changed calls, the source's counters.
    public func storeCapture(traces: [TraceMessage], calls: [CallLog], source: CaptureSource) throws(TrunkError) {
        try write { writer in
            try writer.insert(traces: traces)
            for call in calls { try writer.upsert(call) }
            try writer.save(source)
        }
    }

    /// One bounded retention step (at most `limit` rows); the caller repeats it between batches while it removes
    /// something.
    public func pruneCapture(_ retention: CaptureRetention, limit: Int = 5_000) throws(TrunkError) -> PruneResult {
        let before = now().addingTimeInterval(-retention.maximumAge)
        return try write { writer in try writer.pruneCapture(before: before, keep: retention.maximumMessages, limit: limit) }
    }

    /// The capture sources that ran, newest first.
    public func captureSources() throws(TrunkError) -> [CaptureSource] {
        try read { reader in try reader.captureSources() }
    }

    /// Captured calls that match no trunk's numbers, newest first (`calls list --unmatched`).
    public func unmatchedCalls(limit: Int = callLogPageSize) throws(TrunkError) -> CallsPage {
        let page = try read { reader in
            _ = try requireEntitlement(reader)
            let rows = try reader.callLogs(number: CallLog.unmatchedNumber, limit: limit + 1, after: nil)
            return (Array(rows.prefix(limit)), try reader.callLogCount(number: CallLog.unmatchedNumber))
        }
        return CallsPage(calls: page.0.map(CallRecord.init), nextBefore: nil, total: page.1)
    }
}
