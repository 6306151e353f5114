import SIPCore
import SIPEngine
import Testing

/// A non-INVITE client transaction over UDP that got its final response lingers in Completed for Timer K (T4) to
/// absorb retransmissions (RFC 3261 §17.1.2.2), kept as a hash and a deadline rather than a whole transaction.
struct CompletedTransactionTests {
    static let udp = PeerAddress(host: "192.0.2.40", port: 5060, transport: .udp)

    @Test func retransmissionsAreAbsorbedUntilTimerKThenAreStray() throws {
        let clock = ManualClock()
        let peer = ScriptedPeer(clock: clock, behaviour: .answer(code: 200, after: .milliseconds(10)))
        let layer = TransactionLayer(clock: clock, transport: peer)
        peer.layer = layer
        var strays: [SIPMessage] = []
        layer.onStrayResponse = { message, _ in strays.append(message) }
        let probe = OptionsProbe(layer: layer)
        var outcomes: [ProbeOutcome] = []
        var generator = SystemRandomNumberGenerator()
        probe.probe(Self.udp, using: &generator) { outcomes.append($0) }
        clock.advance(by: .milliseconds(50))
        #expect(outcomes.count == 1)
        #expect(layer.activeTransactionCount == 0)
        #expect(layer.absorbingTransactionCount == 1)

        // The server retransmits its 200 within T4: absorbed, traced without a drop reason, not a stray.
        let request = try #require(peer.received.first)
        let retransmission = ScriptedPeer.response(to: request, code: 200).serialized()
        layer.receive(retransmission, from: Self.udp)
        #expect(strays.isEmpty)
        #expect(outcomes.count == 1)
        #expect(layer.trace.entries.last?.dropReason == nil)

        // After T4 (5 s) the transaction is gone: the same bytes are a stray response.
        clock.advance(by: .seconds(5))
        #expect(layer.absorbingTransactionCount == 0)
        layer.receive(retransmission, from: Self.udp)
        #expect(strays.count == 1)
        #expect(layer.trace.entries.last?.dropReason == "matches no transaction (stray response)")
    }

    @Test func manyCompletedTransactionsExpireInOrderWithOneTimer() {
        let clock = ManualClock()
        let peer = ScriptedPeer(clock: clock, behaviour: .answer(code: 200, after: .milliseconds(1)))
        let layer = TransactionLayer(clock: clock, transport: peer, trace: TraceRecorder(capacity: 0))
        peer.layer = layer
        let probe = OptionsProbe(layer: layer)
        var answered = 0
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3 {
            for _ in 0..<300 { probe.probe(Self.udp, using: &generator) { if case .response = $0 { answered += 1 } } }
            clock.advance(by: .seconds(2))
        }
        #expect(answered == 900)
        #expect(layer.trace.entries.isEmpty)
        // Answered at about 0 s, 2 s and 4 s: at 6 s only the first 300 have passed their T4.
        #expect(layer.absorbingTransactionCount == 600)
        clock.advance(by: .seconds(4))
        #expect(layer.absorbingTransactionCount == 0)
        #expect(layer.activeTransactionCount == 0)
    }
}
