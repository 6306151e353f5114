import Foundation
import TrunkStore

/// One page of call logs (keyset pagination: as fast on the last page as on the first).
public struct CallLogPage: Hashable, Sendable {
    public var logs: [CallLog]
    /// The cursor for the next page, when there is one.
    public var next: CallLogCursor?
    public var total: Int
}

/// The dashboard's summary cards.
public struct DashboardSummary: Hashable, Sendable {
    public var trunks: Int
    public var inbound: Int
    public var outbound: Int
    public var healthy: Int
    public var unreachable: Int
    public var degraded: Int
}

extension SIPTrunkService {
    public static let callLogPageSize = 50

    /// A page of a number's calls; `filter` narrows them (see `callLogQuery`).
    public func callLogPage(number: String, pageSize: Int = callLogPageSize, after cursor: CallLogCursor?, matching filter: String = "") throws(TrunkError) -> CallLogPage {
        let query = Self.callLogQuery(filter)
        return try read { reader in
            _ = try requireEntitlement(reader)
            // One more than a page tells whether another follows.
            let rows = try reader.callLogs(number: number, limit: pageSize + 1, after: cursor, matching: query)
            let logs = Array(rows.prefix(pageSize))
            let next = rows.count > pageSize ? logs.last.flatMap { log in log.id.map { CallLogCursor(startedAt: log.startedAt, id: $0) } } : nil
            return CallLogPage(logs: logs, next: next, total: try reader.callLogCount(number: number, matching: query))
        }
    }

    /// What a typed call-log filter means: a SIP code (`408`) or class (`4xx`), a status (`failed`, `busy`,
    /// `no-answer`, `completed` ...), a direction (`in`, `out`), else part of a number, URI, Call-ID or address.
    public static func callLogQuery(_ text: String) -> CallLogQuery {
        let word = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !word.isEmpty else { return CallLogQuery() }
        if word.count == 3, let code = Int(word), (100...699).contains(code) { return CallLogQuery(codes: code...code) }
        if word.count == 3, word.hasSuffix("xx"), let digit = word.first?.wholeNumberValue, (1...6).contains(digit) {
            return CallLogQuery(codes: (digit * 100)...(digit * 100 + 99))
        }
        if ["in", "inbound"].contains(word) { return CallLogQuery(direction: "inbound") }
        if ["out", "outbound"].contains(word) { return CallLogQuery(direction: "outbound") }
        let statuses = ["completed", "failed", "busy", "no-answer", "canceled", "cancelled", "in-progress", "ringing", "initiated", "queued"]
        if statuses.contains(word) { return CallLogQuery(status: word == "cancelled" ? "canceled" : word) }
        return CallLogQuery(text: text.trimmingCharacters(in: .whitespaces))
    }

    /// Test calls, newest first, for one number or all.
    public func testCalls(number: String? = nil) throws(TrunkError) -> [TrunkStore.TestCall] {
        try read { reader in
            _ = try requireEntitlement(reader)
            let calls = try reader.testCalls(orgId: orgId)
            return number.map { number in calls.filter { $0.number == number } } ?? calls
        }
    }

    public static func summary(of views: [HealthView], trunks: Int) -> DashboardSummary {
        DashboardSummary(
            trunks: trunks, inbound: views.filter { $0.direction == "inbound" }.count, outbound: views.filter { $0.direction == "outbound" }.count,
            healthy: views.filter { $0.healthStatus == .healthy }.count, unreachable: views.filter { $0.healthStatus == .unreachable }.count,
            degraded: views.filter { $0.healthStatus == .degraded }.count)
    }
}
