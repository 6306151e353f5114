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

/// The call flows against a scripted peer (issue 13: they were tested only through the binary against real peers).
struct CallFlowScriptTests {
    let clock = ManualClock()
    let peer: ScriptedPeer
    let layer: TransactionLayer

    init() {
        peer = ScriptedPeer(clock: clock, behaviour: .silent)
        layer = TransactionLayer(clock: clock, transport: peer)
        peer.layer = layer
    }

    func call(username: String? = nil, password: String? = nil, ringTimeout: Duration = .seconds(30)) -> TestCall {
        var generator = SystemRandomNumberGenerator()
        let configuration = TestCallConfiguration(
            target: PeerAddress(host: "192.0.2.10", port: 5060, transport: .udp), domain: "pbx.example.com", number: "+14155550123",
            username: username, password: password, ringTimeout: ringTimeout, duration: .seconds(1))
        return TestCall(configuration: configuration, layer: layer, mediaLink: RecordingMediaLink(), using: &generator)
    }

    static func challenge(_ nonce: String, stale: Bool = false) -> (String, String) {
        ("Proxy-Authenticate", "Digest realm=\"pbx\", nonce=\"\(nonce)\", algorithm=MD5, qop=\"auth\"\(stale ? ", stale=true" : "")")
    }

    @Test func a407IsAnsweredOnceWithCredentialsAndAStaleNonceOnceMore() throws {
        peer.behaviour = .script { request, count in
            guard request.method == .invite else { return request.method == .bye ? (200, [], nil) : nil }
            switch count {
            case 1: return (407, [Self.challenge("n1")], nil)
            case 2: return (407, [Self.challenge("n2", stale: true)], nil)
            default: return (200, [], TestCallFlowTests.answer)
            }
        }
        let call = call(username: "alice", password: "secret123")
        call.start()
        clock.advance(by: .seconds(3))
        let invites = peer.received.filter { $0.method == .invite }
        #expect(invites.count == 3)
        #expect(invites[1].field(.proxyAuthorization)?.value.contains("nonce=\"n1\"") == true)
        #expect(invites[2].field(.proxyAuthorization)?.value.contains("nonce=\"n2\"") == true)
        #expect(call.status == .completed && call.result == .connected, "\(call.timeline.map(\.detail))")
    }

    @Test func aChallengeLoopWithoutStaleFails() {
        peer.behaviour = .script { request, count in request.method == .invite ? (401, [("WWW-Authenticate", "Digest realm=\"pbx\", nonce=\"n\(count)\", algorithm=MD5")], nil) : nil }
        let call = call(username: "alice", password: "secret123")
        call.start()
        clock.advance(by: .seconds(3))
        #expect(peer.received.filter { $0.method == .invite }.count == 2)
        #expect(call.status == .failed && call.finalCode == 401)
    }

    @Test func redirectsAreFollowedAndLoopsRefused() {
        // 302 to another host, which answers.
        peer.behaviour = .script { request, count in
            guard request.method == .invite else { return request.method == .bye ? (200, [], nil) : nil }
            if request.requestLine?.requestURI.contains("192.0.2.20") == true { return (200, [], TestCallFlowTests.answer) }
            return (302, [("Contact", "<sip:+14155550123@192.0.2.20:5060>")], nil)
        }
        let followed = call()
        followed.start()
        clock.advance(by: .seconds(3))
        #expect(followed.status == .completed, "\(followed.timeline.map(\.detail))")
        #expect(followed.timeline.contains { $0.event == "redirected" })

        // A redirect back to where the call already went is a loop.
        let loopPeer = ScriptedPeer(clock: clock, behaviour: .script { request, _ in
            request.method == .invite ? (302, [("Contact", "<sip:+14155550123@pbx.example.com:5060>")], nil) : nil
        })
        let loopLayer = TransactionLayer(clock: clock, transport: loopPeer)
        loopPeer.layer = loopLayer
        var generator = SystemRandomNumberGenerator()
        let looping = TestCall(
            configuration: TestCallConfiguration(
                target: PeerAddress(host: "192.0.2.10", port: 5060, transport: .udp), domain: "pbx.example.com", number: "+14155550123"),
            layer: loopLayer, mediaLink: RecordingMediaLink(), using: &generator)
        looping.start()
        clock.advance(by: .seconds(3))
        #expect(looping.status == .failed)
        #expect(looping.timeline.last?.detail.contains("loop") == true, "\(looping.timeline.map(\.detail))")
    }

    @Test func theRingTimeoutCancelsAndA487EndsItAsNoAnswer() {
        peer.behaviour = .script { request, _ in
            switch request.method {
            case .invite: return (180, [], nil)
            case .cancel: return (200, [], nil)
            default: return nil
            }
        }
        let call = call(ringTimeout: .seconds(2))
        call.start()
        clock.advance(by: .seconds(2.5))
        #expect(peer.received.contains { $0.method == .cancel })
        // The 487 the INVITE gets after the CANCEL.
        if let invite = peer.received.first(where: { $0.method == .invite }) {
            layer.receive(ScriptedPeer.response(to: invite, code: 487).serialized(), from: PeerAddress(host: "192.0.2.10", port: 5060, transport: .udp))
        }
        clock.advance(by: .milliseconds(10))
        #expect(call.status == .noAnswer && call.finalCode == 487)
    }
}

/// REGISTER against a scripted registrar: a challenge answered, the refresh before expiry.
struct RegisterFlowTests {
    @Test func registersThroughAChallengeAndRefreshesBeforeExpiry() {
        let clock = ManualClock()
        let peer = ScriptedPeer(clock: clock, behaviour: .script { request, count in
            guard request.method == .register else { return nil }
            if request.field(.authorization) == nil { return (401, [("WWW-Authenticate", "Digest realm=\"pbx\", nonce=\"r\(count)\", algorithm=MD5, qop=\"auth\"")], nil) }
            return (200, [("Expires", "60")], nil)
        })
        let layer = TransactionLayer(clock: clock, transport: peer)
        peer.layer = layer
        var generator = SystemRandomNumberGenerator()
        let client = RegisterClient(
            configuration: .init(registrar: PeerAddress(host: "192.0.2.10", port: 5060, transport: .udp), domain: "pbx.example.com", username: "alice", password: "secret123", expires: 60),
            layer: layer, using: &generator)
        client.start()
        clock.advance(by: .seconds(1))
        guard case .registered = client.state else {
            Issue.record("not registered: \(client.state) \(client.lastError ?? "")")
            return
        }
        #expect(client.grantedExpires == 60)
        let before = peer.received.filter { $0.method == .register }.count
        // The refresh comes before the 60 s are up.
        clock.advance(by: .seconds(59))
        #expect(peer.received.filter { $0.method == .register }.count > before)
        #expect(client.registrations >= 2)
    }
}
