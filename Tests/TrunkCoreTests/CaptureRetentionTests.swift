import Foundation
import Testing
import TrunkCore
import TrunkStore

/// Retention of captured traffic (issue 16): the oldest go first, by age and by count, in bounded steps.
struct CaptureRetentionTests {
    @Test func oldAndExcessMessagesAndOldCallsArePrunedInBoundedSteps() throws {
        let database = try TestDatabase()
        let service = database.service
        let now = Date()
        try database.store.write { writer in
            var traces: [TraceMessage] = []
            for index in 0..<30 {
                let age: TimeInterval = index < 10 ? 40 * 86_400 : Double(30 - index)
                traces.append(TraceMessage(
                    sipCallId: "c\(index)", monotonicNs: Int64(index), wallTime: now.addingTimeInterval(-age), direction: "sent", transport: "udp",
                    localAddress: "a", remoteAddress: "b", raw: Data("OPTIONS sip:x SIP/2.0\r\n\r\n".utf8)))
            }
            try writer.insert(traces: traces)
            try writer.upsert(CallLog(
                callId: "old", number: "+14155550100", direction: "inbound", fromUri: nil, toUri: nil, status: "completed", sipCode: 200,
                durationSeconds: 1, startedAt: now.addingTimeInterval(-40 * 86_400), endedAt: nil, sourceIp: nil))
            try writer.upsert(CallLog(
                callId: "new", number: "+14155550100", direction: "inbound", fromUri: nil, toUri: nil, status: "completed", sipCode: 200,
                durationSeconds: 1, startedAt: now, endedAt: nil, sourceIp: nil))
        }
        let retention = CaptureRetention(maximumAge: 30 * 86_400, maximumMessages: 15)
        // A step removes at most its limit; repeated, it reaches the bounds.
        let first = try service.pruneCapture(retention, limit: 4)
        #expect(first.messages == 4)
        var removed = first.messages
        while true {
            let step = try service.pruneCapture(retention, limit: 4)
            removed += step.messages
            if step.messages == 0 { break }
        }
        #expect(removed == 15)
        let left = try database.store.read { try $0.traceMessageCount() }
        #expect(left == 15)
        // The newest 15 are kept.
        #expect(try service.trace(callId: "c29").count == 1 && service.trace(callId: "c14").isEmpty)
        #expect(try database.store.read { try $0.callLog(callId: "old") } == nil)
        #expect(try database.store.read { try $0.callLog(callId: "new") } != nil)
    }

    @Test func anUpsertUpdatesACallInPlace() throws {
        let database = try TestDatabase()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var call = CallLog(
            callId: "u", number: "+14155550100", direction: "inbound", fromUri: "sip:a@b", toUri: "sip:c@d", status: "ringing", sipCode: nil,
            durationSeconds: nil, startedAt: start, endedAt: nil, sourceIp: "192.0.2.1")
        try database.store.write { try $0.upsert(call) }
        let id = try database.store.read { try $0.callLog(callId: "u") }?.id
        call.status = "completed"
        call.sipCode = 200
        call.durationSeconds = 12.5
        call.setupMs = 1500
        try database.store.write { try $0.upsert(call) }
        let stored = try #require(try database.store.read { try $0.callLog(callId: "u") })
        #expect(stored.id == id && stored.status == "completed" && stored.sipCode == 200 && stored.durationSeconds == 12.5 && stored.setupMs == 1500)
    }
}
