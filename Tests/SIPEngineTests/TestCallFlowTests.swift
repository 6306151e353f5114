import SIPCore
import SIPEngine
import Testing

/// Outbound test calls against a scripted peer on the manual clock: no sockets, no sleeps.
struct TestCallFlowTests {
    let clock = ManualClock()
    let peer: ScriptedPeer
    let layer: TransactionLayer

    init() {
        peer = ScriptedPeer(clock: clock, behaviour: .silent)
        layer = TransactionLayer(clock: clock, transport: peer)
        peer.layer = layer
    }

    func call(ringTimeout: Duration = .seconds(30), duration: Duration = .seconds(5)) -> TestCall {
        var generator = SystemRandomNumberGenerator()
        let configuration = TestCallConfiguration(
            target: PeerAddress(host: "192.0.2.10", port: 5060, transport: .udp), domain: "pbx.example.com", number: "+14155550123",
            ringTimeout: ringTimeout, duration: duration)
        return TestCall(configuration: configuration, layer: layer, mediaLink: RecordingMediaLink(), using: &generator)
    }

    static let answer = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"

    /// Issue 14: leaving the wizard's Step 7 while the call rings CANCELs it.
    @Test func endingARingingCallCancelsIt() {
        peer.behaviour = .answer(code: 180, after: .milliseconds(10))
        let call = call()
        call.start()
        clock.advance(by: .seconds(1))
        #expect(call.status == .ringing)
        call.end("ended by leaving Step 7")
        clock.advance(by: .milliseconds(50))
        #expect(peer.received.contains { $0.method == .cancel })
        #expect(call.timeline.last?.detail == "ended by leaving Step 7: CANCEL")
        // No 487 ever comes: 64·T1 later the call is over all the same (RFC 3261 §9.1).
        clock.advance(by: .seconds(33))
        #expect(call.status == .noAnswer)
    }

    /// Once answered, ending it sends BYE at once instead of after the call's duration.
    @Test func endingAnAnsweredCallSendsBye() {
        peer.behaviour = .answer(code: 200, after: .milliseconds(10), body: Self.answer)
        let call = call(duration: .seconds(60))
        call.start()
        clock.advance(by: .seconds(1))
        #expect(call.status == .inProgress)
        call.end("ended by quitting the wizard")
        clock.advance(by: .milliseconds(50))
        #expect(peer.received.contains { $0.method == .bye })
        #expect(call.timeline.contains { $0.event == "hangup" && $0.detail == "ended by quitting the wizard: BYE" })
        #expect(call.status == .completed)
        // The timeline names the SIP messages in wire order (issue 14).
        let names = call.timeline.map(\.event).filter { ["invite_sent", "answered", "ack_sent", "bye_sent", "completed"].contains($0) }
        #expect(names == ["invite_sent", "answered", "ack_sent", "bye_sent", "completed"], "\(call.timeline.map(\.event))")
    }

    /// Issue 19: provisional responses forever after the CANCEL's 200 end at 64·T1 with the reason; the call's
    /// upper bound holds whatever the peer does.
    @Test func provisionalResponsesAfterCancelEndAtSixtyFourT1() {
        peer.behaviour = .answer(code: 183, after: .milliseconds(10))
        let call = call(ringTimeout: .seconds(2))
        call.start()
        for _ in 0..<20 { clock.advance(by: .seconds(2)) }
        #expect(call.status == .noAnswer)
        #expect(call.timeline.last?.detail.contains("RFC 3261 §9.1") == true, "\(call.timeline.last?.detail ?? "")")
        #expect(call.longestCall > .seconds(34))
    }
}
