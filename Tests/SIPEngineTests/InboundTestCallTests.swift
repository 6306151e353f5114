import SIPCore
import SIPEngine
import Testing

/// The inbound test call (guide Step 7, inbound) against a scripted PBX on the manual clock: no sockets, no sleeps.
struct InboundTestCallTests {
    let clock = ManualClock()
    let peer: ScriptedPeer
    let layer: TransactionLayer
    let pbx = PeerAddress(host: "192.0.2.10", port: 5060, transport: .udp)

    init() {
        // The PBX answers our BYE; everything else we send it (responses) it only records.
        peer = ScriptedPeer(clock: clock, behaviour: .script { request, _ in request.method == .bye ? (200, [], nil) : nil })
        layer = TransactionLayer(clock: clock, transport: peer)
        peer.layer = layer
    }

    func call(duration: Duration = .seconds(5), wait: Duration = .seconds(60)) -> InboundTestCall {
        var generator = SystemRandomNumberGenerator()
        let call = InboundTestCall(
            configuration: .init(number: "+14155550123", duration: duration, waitTimeout: wait, mediaAddress: "192.0.2.1"), layer: layer,
            mediaLink: RecordingMediaLink(), using: &generator)
        call.start()
        return call
    }

    static let offer = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"

    func request(_ method: String, to user: String = "+14155550123", callID: String = "inbound-1", cseq: Int = 1, body: String? = nil) -> [UInt8] {
        var message = "\(method) sip:\(user)@192.0.2.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK\(method.lowercased())\(cseq)\r\n"
            + "Max-Forwards: 70\r\nFrom: <sip:pbx@192.0.2.10>;tag=pbx1\r\nTo: <sip:\(user)@192.0.2.1>\(method == "INVITE" ? "" : ";tag=ours")\r\n"
            + "Call-ID: \(callID)\r\nCSeq: \(cseq) \(method)\r\nContact: <sip:pbx@192.0.2.10:5060>\r\n"
        if let body {
            message += "Content-Type: application/sdp\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        } else {
            message += "Content-Length: 0\r\n\r\n"
        }
        return Array(message.utf8)
    }

    /// Status codes we sent, in order.
    var sentCodes: [Int] { peer.received.compactMap { $0.statusLine?.code } }

    @Test func anInviteIsAnsweredWithOurCodecThenHungUpAfterTheDuration() throws {
        let call = call(duration: .seconds(3))
        layer.receive(request("INVITE", body: Self.offer), from: pbx)
        #expect(sentCodes == [100, 180, 200] && call.status == .inProgress)
        let ok = try #require(peer.received.first { $0.statusLine?.code == 200 })
        let answer = try SessionDescription(bytes: ok.body)
        #expect(answer.media.first?.codecs.first?.name == "PCMA", "the PBX's first codec we support")
        #expect(answer.media.first?.codecs.contains { $0.name.lowercased() == "telephone-event" } == true)
        // Unacknowledged, the 200 is retransmitted (T1, doubling).
        clock.advance(by: .milliseconds(600))
        #expect(sentCodes.filter { $0 == 200 }.count == 2)
        layer.receive(request("ACK", cseq: 1), from: pbx)
        clock.advance(by: .seconds(2))
        #expect(peer.received.filter { $0.method == .bye }.isEmpty, "not before the duration")
        clock.advance(by: .seconds(2))
        #expect(peer.received.contains { $0.method == .bye })
        clock.advance(by: .seconds(1))
        #expect(call.status.isFinal && call.result == .connected, "\(call.timeline)")
    }

    @Test func anInviteForAnotherNumberIsRefusedAndTheWaitGoesOn() {
        let call = call()
        layer.receive(request("INVITE", to: "+14155559999", body: Self.offer), from: pbx)
        #expect(sentCodes == [404] && !call.status.isFinal)
        #expect(call.timeline.last?.detail.contains("not +14155550123") == true)
    }

    @Test func noCommonCodecOrNoOfferIs488() {
        let call = call()
        let g729 = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 40000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\na=sendrecv\r\n"
        layer.receive(request("INVITE", body: g729), from: pbx)
        #expect(sentCodes.last == 488 && call.result == .failed)
        #expect(call.timeline.last?.detail.contains("no codec in common") == true)
    }

    @Test func theCallerCancellingBeforeTheAnswerEndsIt487() {
        let call = call()
        // Without an SDP offer the INVITE is refused at once; with one, a CANCEL before the ACK ends it.
        layer.receive(request("INVITE", body: Self.offer), from: pbx)
        layer.receive(request("CANCEL", cseq: 1), from: pbx)
        #expect(sentCodes.suffix(2) == [200, 487] && call.result == .failed, "\(sentCodes)")
    }

    @Test func noAckWithin32SecondsFailsAndNoInviteWithinTheWaitIsNoAnswer() {
        let unacked = call()
        layer.receive(request("INVITE", body: Self.offer), from: pbx)
        // Retransmissions at 0.5, 1, 2, then every 4 s: the one due past 32 s gives up.
        clock.advance(by: .seconds(40))
        #expect(unacked.result == .failed && unacked.timeline.last?.detail.contains("no ACK") == true)

        let waiting = call(wait: .seconds(10))
        clock.advance(by: .seconds(11))
        #expect(waiting.status == .noAnswer && waiting.timeline.last?.detail.contains("no INVITE") == true)
    }
}
