import SIPCore
@testable import SIPEngine
import Testing

struct OptionsProbeTests {
    /// The probe's tag and Call-ID digits are what `String(_:radix:)` writes.
    @Test func identifierDigitsAreTheStandardLibrarysRadixStrings() {
        var generator = SeededGenerator(seed: 7)
        for value in [0, 1, 35, 36, UInt64.max, UInt64(UInt32.max)] + (0..<200).map({ _ in generator.next() }) {
            for radix: UInt64 in [2, 16, 36] {
                #expect(OptionsProbe.Identifiers.digits(value, radix: radix) == String(value, radix: Int(radix)))
            }
        }
    }

    struct Setup {
        let clock = ManualClock()
        let peer: ScriptedPeer
        let layer: TransactionLayer
        let probe: OptionsProbe

        init(_ behaviour: ScriptedPeer.Behaviour) {
            peer = ScriptedPeer(clock: clock, behaviour: behaviour)
            layer = TransactionLayer(clock: clock, transport: peer)
            peer.layer = layer
            probe = OptionsProbe(layer: layer)
        }

        func run(_ target: PeerAddress, for duration: Duration = .seconds(40)) -> [ProbeOutcome] {
            var outcomes: [ProbeOutcome] = []
            var generator = SystemRandomNumberGenerator()
            probe.probe(target, using: &generator) { outcomes.append($0) }
            clock.advance(by: duration)
            return outcomes
        }
    }

    static let udp = PeerAddress(host: "pbx.example.com", port: 5060, transport: .udp)
    static let tls = PeerAddress(host: "pbx.example.com", port: 5061, transport: .tls)

    @Test func answeredProbeReportsTheResponseAndRoundTrip() throws {
        let setup = Setup(.answer(
            code: 200, after: .milliseconds(12),
            headers: [("Server", "Asterisk PBX 20.5.0"), ("Allow", "INVITE, ACK, CANCEL, OPTIONS, BYE"), ("Supported", "replaces, timer"), ("Accept", "application/sdp")],
            body: "v=0\r\no=- 1 1 IN IP4 192.0.2.40\r\ns=-\r\nc=IN IP4 192.0.2.40\r\nt=0 0\r\nm=audio 0 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"))
        let outcomes = setup.run(Self.udp)
        guard case .response(let response)? = outcomes.first, outcomes.count == 1 else {
            Issue.record("expected one response, got \(outcomes)")
            return
        }
        #expect(response.statusCode == 200)
        #expect(response.roundTrip == .milliseconds(12))
        #expect(response.server == "Asterisk PBX 20.5.0")
        #expect(response.allow == ["INVITE", "ACK", "CANCEL", "OPTIONS", "BYE"])
        #expect(response.supported == ["replaces", "timer"])
        #expect(response.codecs == ["PCMU", "PCMA", "telephone-event"])
        // The request was a proper OPTIONS with rport and a magic-cookie branch.
        let request = try #require(setup.peer.received.first)
        #expect(request.method == .options)
        #expect(try request.topVia?.rport == .requested)
        #expect(try request.topVia?.hasRFC3261Branch == true)
        #expect(request.validate().isEmpty)
        // Both messages are in the trace under the request's Call-ID, and the transaction is gone after Timer K.
        #expect(setup.layer.trace.messages(callID: request.callID!).map(\.direction) == [.sent, .received])
        #expect(setup.layer.activeTransactionCount == 0)
    }

    @Test func silentUDPPeerTimesOutAfterElevenSends() {
        let setup = Setup(.silent)
        let outcomes = setup.run(Self.udp)
        #expect(setup.peer.received.count == 11)
        // The first transmission goes unwatched (a send error there costs each probe a promise); every
        // retransmission is watched, so a failing send is reported within 500 ms.
        #expect(setup.peer.watched == [false] + Array(repeating: true, count: 10))
        guard case .failure(let failure)? = outcomes.first else { Issue.record("\(outcomes)"); return }
        #expect(failure.kind == .timeout)
        #expect(failure.message == "no answer to OPTIONS on UDP 5060 within 32 s")
        #expect(failure.remedy.contains("firewall"))
    }

    /// Timer F waits behind Timer E instead of going to the clock at the start: an answered probe leaves the
    /// clock one timer, and an unanswered one still times out at 64·T1 to the instant, no earlier.
    @Test func theTimeoutWaitsBehindTheRetransmissionTimerAndLandsOnTime() {
        let answered = Setup(.answer(code: 200, after: .milliseconds(20)))
        var generator = SystemRandomNumberGenerator()
        answered.probe.probe(Self.udp, using: &generator) { _ in }
        answered.clock.advance(by: .milliseconds(2))
        #expect(answered.clock.pendingTimerCount == 2, "Timer E and the peer's answer; Timer F is not scheduled yet")

        let silent = Setup(.silent)
        var outcomes: [ProbeOutcome] = []
        silent.probe.probe(Self.udp, using: &generator) { outcomes.append($0) }
        silent.clock.advance(by: .milliseconds(32_000) - .microseconds(1) + .milliseconds(1))
        #expect(outcomes.isEmpty, "not before 32 s after the first transmission (the connection took 1 ms)")
        silent.clock.advance(by: .microseconds(1))
        #expect(outcomes.count == 1)
        #expect(silent.layer.activeTransactionCount == 0)
        // A provisional answer stops nothing on a non-INVITE: still retransmitted, still timed out at 32 s.
        let provisional = Setup(.answer(code: 100, after: .milliseconds(10)))
        var late: [ProbeOutcome] = []
        provisional.probe.probe(Self.udp, using: &generator) { late.append($0) }
        provisional.clock.advance(by: .milliseconds(32_000))
        #expect(late.isEmpty)
        provisional.clock.advance(by: .milliseconds(1))
        guard case .failure(let failure)? = late.first else { Issue.record("\(late)"); return }
        #expect(failure.kind == .timeout)
    }

    @Test func roundTripCountsFromTheLastRetransmission() {
        // The first two transmissions are lost; the third (at 1.5 s) is answered 30 ms later.
        let setup = Setup(.answer(code: 200, after: .milliseconds(30), answerFrom: 3))
        let outcomes = setup.run(Self.udp)
        guard case .response(let response)? = outcomes.first else { Issue.record("\(outcomes)"); return }
        #expect(response.roundTrip == .milliseconds(30))
        #expect(setup.peer.received.count == 3)
    }

    @Test func refusedTLSNamesTheRemedy() {
        let setup = Setup(.refuse)
        let outcomes = setup.run(Self.tls)
        guard case .failure(let failure)? = outcomes.first else { Issue.record("\(outcomes)"); return }
        #expect(failure.kind == .connectionRefused)
        #expect(failure.message == "TLS 5061 refused on pbx.example.com")
        #expect(failure.remedy == "enable TLS on the PBX (port 5061) or choose another transport")
    }

    @Test func garbageIsReportedAsMalformedNotAsSilence() {
        let setup = Setup(.garbage(after: .milliseconds(3)))
        let outcomes = setup.run(Self.udp)
        guard case .failure(let failure)? = outcomes.first else { Issue.record("\(outcomes)"); return }
        #expect(failure.kind == .malformedResponse)
        #expect(setup.layer.trace.entries.contains { $0.dropReason?.hasPrefix("malformed") == true })
    }

    @Test func garbageOnAStreamIsMalformedNotAReset() {
        let setup = Setup(.garbageThenReset)
        let outcomes = setup.run(PeerAddress(host: "pbx.example.com", port: 5060, transport: .tcp))
        guard case .failure(let failure)? = outcomes.first, outcomes.count == 1 else { Issue.record("\(outcomes)"); return }
        #expect(failure.kind == .malformedResponse)
    }

    @Test(arguments: [ScriptedPeer.Behaviour.strayThenAnswer, .foreignViaThenAnswer])
    func strayAndForeignResponsesNeverCompleteTheProbeButStayInTheTrace(_ behaviour: ScriptedPeer.Behaviour) {
        let setup = Setup(behaviour)
        let outcomes = setup.run(Self.udp)
        guard case .response(let response)? = outcomes.first, outcomes.count == 1 else { Issue.record("\(outcomes)"); return }
        // The real answer came 20 ms after the request, not the 5 ms impostor.
        #expect(response.roundTrip == .milliseconds(20))
        let dropped = setup.layer.trace.entries.compactMap(\.dropReason)
        #expect(dropped.count == 1)
        #expect(dropped[0].contains("stray") || dropped[0].contains("foreign Via"))
    }

    @Test func everyFailureKindHasAMessageAndRemedy() {
        let failures: [TransportFailure] = [
            .connectionRefused, .connectionReset, .connectionTimeout, .unreachable, .tls(.untrusted, detail: "self-signed"),
            .tls(.expired, detail: "not after 2024-01-01"), .tls(.hostnameMismatch, detail: "certificate names pbx.other"),
            .tls(.protocolError, detail: "no shared cipher"),
        ]
        for failure in failures {
            let classified = ProbeFailure.transport(failure, peer: Self.tls)
            #expect(!classified.message.isEmpty && !classified.remedy.isEmpty)
        }
        #expect(Set(failures.map { ProbeFailure.transport($0, peer: Self.tls).kind }).count == failures.count)
    }
}

struct ManualClockTests {
    @Test func timersFireInOrderAndCancelledOnesDoNot() {
        let clock = ManualClock()
        var fired: [String] = []
        _ = clock.schedule(after: .seconds(2)) { fired.append("b") }
        let cancelled = clock.schedule(after: .seconds(1)) { fired.append("x") }
        _ = clock.schedule(after: .seconds(1)) { fired.append("a") }
        cancelled.cancel()
        clock.advance(by: .seconds(3))
        #expect(fired == ["a", "b"])
        #expect(clock.now == .seconds(3))
        #expect(clock.pendingTimerCount == 0)
    }
}
