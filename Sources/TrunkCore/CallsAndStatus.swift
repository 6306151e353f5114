import Foundation
import SIPCore
import SIPEngine
import TrunkStore

/// `GET /v1/sip/status?phone_number=`: the outbound endpoint's health as the guide reports it.
public struct NumberStatus: Codable, Hashable, Sendable {
    public var phoneNumber: String
    /// `healthy`, `degraded` (failing, not yet unreachable), `unreachable` or `unchecked` (inbound-only, never probed).
    public var status: String
    /// The newest probe's response time; null unless healthy (the guide).
    public var responseTimeMs: Double?
    public var checkedAt: Date?

    enum CodingKeys: String, CodingKey { case phoneNumber, status, responseTimeMs, checkedAt }

    /// Every field is present, null when unknown, as the guide documents.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(phoneNumber, forKey: .phoneNumber)
        try container.encode(status, forKey: .status)
        try container.encode(responseTimeMs, forKey: .responseTimeMs)
        try container.encode(checkedAt, forKey: .checkedAt)
    }
}

/// One row of `GET /v1/sip/calls`, in the guide's field names.
public struct CallRecord: Codable, Hashable, Sendable {
    public var callId: String
    public var direction: String
    public var from: String?
    public var to: String?
    public var status: String
    public var sipCode: Int?
    public var durationSeconds: Double?
    public var startedAt: Date
    public var endedAt: Date?
    public var sourceIp: String?

    enum CodingKeys: String, CodingKey { case callId, direction, from, to, status, sipCode, durationSeconds, startedAt, endedAt, sourceIp }

    /// Every field is present, null when unknown.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(callId, forKey: .callId)
        try container.encode(direction, forKey: .direction)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encode(status, forKey: .status)
        try container.encode(sipCode, forKey: .sipCode)
        try container.encode(durationSeconds, forKey: .durationSeconds)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(endedAt, forKey: .endedAt)
        try container.encode(sourceIp, forKey: .sourceIp)
    }

    public init(_ log: CallLog) {
        callId = log.callId
        direction = log.direction
        from = log.fromUri
        to = log.toUri
        status = log.status
        sipCode = log.sipCode
        durationSeconds = log.durationSeconds
        startedAt = log.startedAt
        endedAt = log.endedAt
        sourceIp = log.sourceIp
    }
}

/// A page of `GET /v1/sip/calls`: newest first; `next_before` is the `before=` of the next page (null on the last).
public struct CallsPage: Codable, Hashable, Sendable {
    public var calls: [CallRecord]
    public var nextBefore: String?
    public var total: Int
}

/// One SIP message of a call's trace as the API shows it: the raw text, where it went, when.
public struct TraceMessageView: Codable, Hashable, Sendable {
    public var at: Date
    /// `sent` or `received`, from this deployment's side.
    public var direction: String
    public var transport: String
    public var local: String
    public var remote: String
    /// The start line: `INVITE sip:…` or `SIP/2.0 200 OK`.
    public var summary: String
    public var message: String

    public init(_ message: TraceMessage) {
        at = message.wallTime
        direction = message.direction
        transport = message.transport
        local = message.localAddress
        remote = message.remoteAddress
        let text = String(decoding: message.raw, as: UTF8.self)
        self.message = text
        summary = text.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
    }
}

extension SIPTrunkService {
    public static let maximumCallsPageSize = 200

    /// `GET /v1/sip/status`: one query.
    public func status(number text: String) throws(TrunkError) -> NumberStatus {
        let number = try Self.number(text, field: "phone_number")
        let row = try read { reader in
            _ = try requireEntitlement(reader)
            guard let owner = try reader.phoneNumber(number.value), owner.orgId == orgId else {
                throw TrunkError.notFound("\(number) has no SIP configuration; attach it with `siptrunk trunks attach`")
            }
            return try reader.numberStatusRow(number: number.value, orgId: orgId)
        }
        // Inbound-only: nothing to probe.
        guard let row else { return NumberStatus(phoneNumber: number.value, status: "unchecked", responseTimeMs: nil, checkedAt: nil) }
        let status = HealthState(stored: row.state, lastOutcome: row.outcome)
        return NumberStatus(
            phoneNumber: number.value, status: status.rawValue,
            responseTimeMs: status == .healthy && HealthSampleResult.isAnswered(row.outcome) ? row.responseTimeMs : nil,
            checkedAt: row.checkedAt)
    }

    /// `GET /v1/sip/calls?phone_number=&limit=&before=`: the number's calls, newest first, `limit` (1–200, default
    /// 50) at a time; `before` is the last call id of the previous page.
    public func calls(number text: String, limit: Int = callLogPageSize, before: String? = nil) throws(TrunkError) -> CallsPage {
        let number = try Self.number(text, field: "phone_number")
        guard (1...Self.maximumCallsPageSize).contains(limit) else {
            throw .validation([FieldError("limit", "must be from 1 to \(Self.maximumCallsPageSize)")])
        }
        var cursor: CallLogCursor?
        if let before {
            let log = try read { reader in try reader.callLog(callId: before) }
            guard let log, log.number == number.value, let id = log.id else {
                throw .validation([FieldError("before", "\"\(before)\" is not a call of \(number.value); give the last call_id of the previous page")])
            }
            cursor = CallLogCursor(startedAt: log.startedAt, id: id)
        }
        let page = try callLogPage(number: number.value, pageSize: limit, after: cursor)
        return CallsPage(calls: page.logs.map(CallRecord.init), nextBefore: page.next == nil ? nil : page.logs.last?.callId, total: page.total)
    }

    /// `GET /v1/sip/calls/{call_id}/trace`: every stored SIP message of the call, in order.
    public func callTrace(callId: String) throws(TrunkError) -> [TraceMessageView] {
        let messages = try trace(callId: callId)
        guard !messages.isEmpty else { throw .notFound("no SIP trace is stored for call '\(callId)'") }
        return messages.map(TraceMessageView.init)
    }

    /// A stored test call as `GET /v1/sip/test-call/status` reports it, with its trace.
    public func testCallStatus(callId: String) throws(TrunkError) -> (report: TestCallReport, trace: [TraceMessageView])? {
        guard let stored = try testCall(callId: callId) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let media = stored.call.mediaReport.flatMap { try? decoder.decode(TestCallReport.Media.self, from: Data($0.utf8)) }
        let log = try read { reader in try reader.callLog(callId: stored.call.sipCallId ?? stored.call.callId) }
        let report = TestCallReport(
            callId: stored.call.callId, phoneNumber: stored.call.number, status: stored.call.status, result: stored.call.result,
            sipCode: log?.sipCode, durationSeconds: stored.call.durationSeconds,
            setupMs: nil, timeline: stored.timeline.map { TestCallReport.Event(event: $0.event, at: $0.at, detail: $0.detail ?? "") }, media: media)
        return (report, stored.trace.map(TraceMessageView.init))
    }

}
