import Foundation
import SIPCore
import Testing
import TrunkCore
import TrunkStore

/// Captured messages into calls (issue 16): one call per INVITE dialog, its status from the final answer, and the
/// messages that must not make another call (retransmissions, re-INVITEs, forked answers).
struct CallAssemblerTests {
    static let caller = ("198.51.100.7", 5060)
    static let callee = ("192.0.2.10", 5060)
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func request(_ method: String, callID: String, cseq: Int = 1, cseqMethod: String? = nil, toTag: String? = nil, to number: String = "+14155550100", from: String = "+16505550100") -> [UInt8] {
        Array(("\(method) sip:\(number)@192.0.2.10 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK\(callID)\(cseq)\(method)\r\n"
            + "From: <sip:\(from)@198.51.100.7>;tag=a1\r\nTo: <sip:\(number)@192.0.2.10>\(toTag.map { ";tag=\($0)" } ?? "")\r\n"
            + "Call-ID: \(callID)\r\nCSeq: \(cseq) \(cseqMethod ?? method)\r\nContent-Length: 0\r\n\r\n").utf8)
    }

    static func response(_ code: Int, _ reason: String, callID: String, cseq: Int = 1, method: String = "INVITE", toTag: String? = "b2", number: String = "+14155550100") -> [UInt8] {
        Array(("SIP/2.0 \(code) \(reason)\r\nVia: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK\(callID)\(cseq)\(method)\r\n"
            + "From: <sip:+16505550100@198.51.100.7>;tag=a1\r\nTo: <sip:\(number)@192.0.2.10>\(toTag.map { ";tag=\($0)" } ?? "")\r\n"
            + "Call-ID: \(callID)\r\nCSeq: \(cseq) \(method)\r\nContent-Length: 0\r\n\r\n").utf8)
    }

    /// A message at `seconds` after the start, from the caller (or the callee).
    static func at(_ seconds: Double, _ raw: [UInt8], fromCaller: Bool = true) -> CapturedMessage {
        let (source, destination) = fromCaller ? (caller, callee) : (callee, caller)
        return CapturedMessage(
            time: start.addingTimeInterval(seconds), source: source.0, sourcePort: source.1, destination: destination.0,
            destinationPort: destination.1, transport: "udp", raw: raw)
    }

    static let directory = NumberDirectory(inbound: ["+14155550100"], outbound: ["+14155550199"])

    static func finalCalls(_ messages: [CapturedMessage], directory: NumberDirectory = directory) -> (CallAssembler.Output, [String: CallLog]) {
        var assembler = CallAssembler(directory: directory)
        let output = assembler.ingest(messages)
        var latest: [String: CallLog] = [:]
        for call in output.calls { latest[call.callId] = call }
        return (output, latest)
    }

    @Test func anAnsweredCallEndsCompletedWithItsDurationAndSetUpTime() throws {
        let (output, calls) = Self.finalCalls([
            Self.at(0, Self.request("INVITE", callID: "c1")),
            Self.at(0.5, Self.request("INVITE", callID: "c1")),  // retransmission
            Self.at(0.05, Self.response(100, "Trying", callID: "c1", toTag: nil), fromCaller: false),
            Self.at(1, Self.response(180, "Ringing", callID: "c1"), fromCaller: false),
            Self.at(3, Self.response(200, "OK", callID: "c1"), fromCaller: false),
            Self.at(3.01, Self.request("ACK", callID: "c1", toTag: "b2")),
            Self.at(10, Self.request("INVITE", callID: "c1", cseq: 2, toTag: "b2")),  // re-INVITE
            Self.at(10.1, Self.response(200, "OK", callID: "c1", cseq: 2), fromCaller: false),
            Self.at(63, Self.request("BYE", callID: "c1", cseq: 3, toTag: "b2")),
            Self.at(63.05, Self.response(200, "OK", callID: "c1", cseq: 3, method: "BYE"), fromCaller: false),
        ])
        #expect(calls.count == 1)
        let call = try #require(calls["c1"])
        #expect(call.status == "completed" && call.sipCode == 200)
        #expect(call.durationSeconds == 60)
        #expect(call.setupMs == 3000)
        #expect(call.direction == "inbound" && call.number == "+14155550100" && call.sourceIp == "198.51.100.7")
        #expect(call.fromUri == "sip:+16505550100@198.51.100.7" && call.toUri == "sip:+14155550100@192.0.2.10")
        #expect(output.traces.count == 10)
        // The ladder's columns: the caller's messages are "sent", the callee's "received".
        #expect(output.traces.filter { $0.direction == "sent" }.count == 5)
        #expect(output.traces.allSatisfy { $0.localAddress == "198.51.100.7:5060" && $0.remoteAddress == "192.0.2.10:5060" }, "\(output.traces.map { "\($0.direction) \($0.localAddress) \($0.remoteAddress)" })")
    }

    @Test(arguments: [
        (486, "Busy Here", false, "busy"), (600, "Busy Everywhere", false, "busy"), (603, "Decline", false, "busy"),
        (480, "Temporarily Unavailable", false, "no-answer"), (408, "Request Timeout", false, "no-answer"),
        (487, "Request Terminated", true, "canceled"), (503, "Service Unavailable", false, "failed"), (404, "Not Found", false, "failed"),
    ])
    func finalAnswersGiveTheAPIStatus(_ code: Int, _ reason: String, _ cancel: Bool, _ status: String) throws {
        var messages = [Self.at(0, Self.request("INVITE", callID: "f")), Self.at(1, Self.response(180, "Ringing", callID: "f"), fromCaller: false)]
        if cancel { messages.append(Self.at(2, Self.request("CANCEL", callID: "f"))) }
        messages.append(Self.at(3, Self.response(code, reason, callID: "f"), fromCaller: false))
        let call = try #require(Self.finalCalls(messages).1["f"])
        #expect(call.status == status && call.sipCode == code && call.durationSeconds == nil && call.endedAt != nil)
    }

    @Test func forkedAnswersMakeOneCallAnsweredOnce() throws {
        let (_, calls) = Self.finalCalls([
            Self.at(0, Self.request("INVITE", callID: "fork")),
            Self.at(1, Self.response(180, "Ringing", callID: "fork", toTag: "leg1"), fromCaller: false),
            Self.at(1.1, Self.response(183, "Session Progress", callID: "fork", toTag: "leg2"), fromCaller: false),
            Self.at(2, Self.response(200, "OK", callID: "fork", toTag: "leg2"), fromCaller: false),
            Self.at(2.5, Self.response(200, "OK", callID: "fork", toTag: "leg1"), fromCaller: false),
        ])
        #expect(calls.count == 1)
        #expect(calls["fork"]?.status == "in-progress" && calls["fork"]?.setupMs == 2000)
    }

    @Test func callsOfNoTrunkAreUnmatchedAndOutboundCallsAreFoundByTheCaller() throws {
        let (_, unmatched) = Self.finalCalls([Self.at(0, Self.request("INVITE", callID: "u", to: "+12125550100", from: "+13105550100"))])
        #expect(unmatched["u"]?.number == CallLog.unmatchedNumber)
        let (_, outbound) = Self.finalCalls([Self.at(0, Self.request("INVITE", callID: "o", to: "+12125550100", from: "+14155550199"))])
        #expect(outbound["o"]?.direction == "outbound" && outbound["o"]?.number == "+14155550199")
    }

    @Test func lateMessagesOfAnEndedCallMakeNoNewCallAndNonSIPIsSkipped() {
        var assembler = CallAssembler(directory: Self.directory)
        _ = assembler.ingest([Self.at(0, Self.request("INVITE", callID: "e")), Self.at(1, Self.response(486, "Busy Here", callID: "e"), fromCaller: false)])
        let late = assembler.ingest([
            Self.at(1.1, Self.request("ACK", callID: "e", toTag: "b2")),
            Self.at(1.2, Self.response(486, "Busy Here", callID: "e"), fromCaller: false),
            Self.at(2, Array("GET / HTTP/1.1\r\n\r\n".utf8)),
            Self.at(3, Array("OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKo\r\nCSeq: 1 OPTIONS\r\n\r\n".utf8)),
        ])
        #expect(late.calls.isEmpty)
        #expect(late.traces.count == 2)
        #expect(late.skipped.count == 2)
        #expect(assembler.callsStarted == 1)
    }

    @Test func openCallsAreBoundedAndClosedWhenTheCaptureEnds() {
        var assembler = CallAssembler(directory: Self.directory)
        assembler.maximumOpenCalls = 10
        let output = assembler.ingest((0..<25).map { Self.at(Double($0), Self.request("INVITE", callID: "flood\($0)")) })
        #expect(assembler.openCallCount == 10)
        #expect(output.calls.filter { $0.status == "failed" }.count == 15)
        let closed = assembler.closeAll()
        #expect(closed.count == 10 && assembler.openCallCount == 0)
    }

    @Test func numbersAreReadFromURIsInTheirUsualSpellings() throws {
        #expect(NumberDirectory.number(in: try AnyURI(parsing: "sip:+14155550100@pbx")) == "+14155550100")
        #expect(NumberDirectory.number(in: try AnyURI(parsing: "sip:14155550100@pbx;user=phone")) == "+14155550100")
        #expect(NumberDirectory.number(in: try AnyURI(parsing: "tel:+1-415-555-0100")) == "+14155550100")
        #expect(NumberDirectory.number(in: try AnyURI(parsing: "sip:alice@pbx")) == nil)
    }
}
