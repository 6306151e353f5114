import Foundation
import TrunkStore

/// One call in the trace viewer's list (sngrep's call list): its messages counted, not held.
public struct CallTrace: Hashable, Sendable {
    public var callId: String
    public var messageCount: Int
    /// The first request's method (INVITE, REGISTER, OPTIONS, ...).
    public var method: String
    /// The last final response's code, if any.
    public var finalCode: Int?
    public var started: Date
}

/// One call of a number in the trace viewer's list: a call from the call logs whose trace is stored, or a test call.
public struct TracedCall: Hashable, Sendable {
    public var callId: String
    public var startedAt: Date
    public var direction: String
    /// completed, busy, no-answer, failed (the call logs' words), or a test call's result.
    public var status: String
    public var sipCode: Int?
    public var isTestCall: Bool
    /// Why a test call did not connect, from its timeline (issue 14: one whose socket could not be opened showed an
    /// empty ladder and nothing else).
    public var reason: String? = nil
}

extension SIPTrunkService {
    /// The number's recent calls with a stored SIP trace (looking through its newest `scan` calls) and its test
    /// calls, newest first.
    public func tracedCalls(number: String, scan: Int = 500) throws(TrunkError) -> [TracedCall] {
        try read { reader in
            _ = try requireEntitlement(reader)
            let tests = try reader.testCalls(orgId: orgId).filter { $0.number == number }
            let testIds = Set(tests.map { $0.sipCallId ?? $0.callId })
            // A test call that did not connect says why: the last event of its timeline.
            var reasons: [String: String] = [:]
            for test in tests where !["connected", "pending"].contains(test.result) {
                if let last = try reader.timeline(callId: test.callId).last { reasons[test.sipCallId ?? test.callId] = last.detail }
            }
            var calls = try reader.tracedCallLogs(number: number, scan: scan).map { log in
                TracedCall(
                    callId: log.callId, startedAt: log.startedAt, direction: log.direction, status: log.status, sipCode: log.sipCode,
                    isTestCall: testIds.contains(log.callId), reason: reasons[log.callId])
            }
            // Test calls stored before they were logged as calls, and those that never sent a message.
            let logged = Set(calls.map(\.callId))
            for test in tests where !logged.contains(test.sipCallId ?? test.callId) {
                calls.append(TracedCall(
                    callId: test.sipCallId ?? test.callId, startedAt: test.createdAt, direction: test.direction, status: test.result, sipCode: nil,
                    isTestCall: true, reason: reasons[test.sipCallId ?? test.callId]))
            }
            return calls.sorted { $0.startedAt > $1.startedAt }
        }
    }

    /// The calls of the newest `limit` traced messages, in order of their first message. Only start lines are
    /// read; the selected call's messages come from `testCall(callId:)` / the store's `trace(sipCallId:)`.
    public func traceCatalog(limit: Int = 100_000) throws(TrunkError) -> [CallTrace] {
        var calls: [CallTrace] = []
        var index: [String: Int] = [:]
        try read { reader in
            try reader.recentTraceStartLines(limit: limit) { callId, wallTime, line in
                let position: Int
                if let known = index[callId] {
                    position = known
                } else {
                    position = calls.count
                    index[callId] = position
                    calls.append(CallTrace(callId: callId, messageCount: 0, method: "", finalCode: nil, started: wallTime))
                }
                calls[position].messageCount += 1
                if line.hasPrefix("SIP/2.0 ") {
                    if let code = Int(line.dropFirst(8).prefix(3)), code >= 200 { calls[position].finalCode = code }
                } else if calls[position].method.isEmpty {
                    calls[position].method = String(line.prefix { $0 != " " })
                }
            }
        }
        return calls
    }

    /// One call's full trace, for its ladder and messages.
    public func trace(callId: String) throws(TrunkError) -> [TraceMessage] {
        try read { reader in try reader.trace(sipCallId: callId) }
    }
}

/// The trace viewer's search (`/`): `4xx` a response class, an upper-case word a method (`INVITE`, `BYE`),
/// anything else a case-insensitive part of the Call-ID, the remote address or the start line.
public struct TraceFilter: Hashable, Sendable {
    public var text: String
    public init(_ text: String) { self.text = text.trimmingCharacters(in: .whitespaces) }

    public var isEmpty: Bool { text.isEmpty }

    public func matches(_ message: TraceMessage) -> Bool {
        guard !text.isEmpty else { return true }
        let line = String(decoding: message.raw.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let lower = text.lowercased()
        if lower.count == 3, lower.hasSuffix("xx"), let digit = lower.first, ("1"..."6").contains(digit) {
            return line.hasPrefix("SIP/2.0 \(digit)")
        }
        if text.count >= 3, text.allSatisfy({ $0.isUppercase && $0.isLetter }) {
            return line.hasPrefix(text + " ")
        }
        return message.sipCallId.lowercased().contains(lower) || message.remoteAddress.lowercased().contains(lower) || line.lowercased().contains(lower)
    }
}
