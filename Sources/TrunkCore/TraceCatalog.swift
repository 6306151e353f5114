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

extension SIPTrunkService {
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
