import Testing

@testable import SIPCore

/// Drives a client transaction on a manual clock and records what it did and when.
struct TransactionSimulator {
    enum Event: Equatable, CustomStringConvertible {
        case sent(Duration)
        case ack(Duration)
        case delivered(Int, Duration)
        case timeout(TransactionTimer, Duration)
        case transportError(Duration)
        case terminated(Duration)

        var description: String {
            switch self {
            case .sent(let at): return "send@\(at)"
            case .ack(let at): return "ack@\(at)"
            case .delivered(let code, let at): return "\(code)@\(at)"
            case .timeout(let timer, let at): return "timeout \(timer.rawValue)@\(at)"
            case .transportError(let at): return "transport-error@\(at)"
            case .terminated(let at): return "terminated@\(at)"
            }
        }
    }

    var now: Duration = .zero
    var timers: [TransactionTimer: Duration] = [:]
    var events: [Event] = []

    mutating func apply(_ actions: [TransactionAction]) {
        for action in actions {
            switch action {
            case .sendRequest: events.append(.sent(now))
            case .sendACK: events.append(.ack(now))
            case .startTimer(let timer, let after): timers[timer] = now + after
            case .cancelTimer(let timer): timers[timer] = nil
            case .deliverResponse(let code): events.append(.delivered(code, now))
            case .reportTimeout(let timer): events.append(.timeout(timer, now))
            case .reportTransportError: events.append(.transportError(now))
            case .terminate:
                events.append(.terminated(now))
                timers.removeAll()
            }
        }
    }

    /// Fires timers due up to `time`, in order, calling `fire` for each.
    mutating func advance(to time: Duration, fire: (TransactionTimer) -> [TransactionAction]) {
        while let (timer, due) = timers.min(by: { $0.value < $1.value }), due <= time {
            now = due
            timers[timer] = nil
            apply(fire(timer))
        }
        now = time
    }

    var sendTimes: [Double] { events.compactMap { if case .sent(let at) = $0 { return at.seconds } else { return nil } } }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

struct ClientTransactionTests {
    /// RFC 3261 §17.1.2.2 over UDP with no answer: 11 transmissions, Timer F at 64·T1 = 32 s.
    @Test func udpOptionsWithNoAnswer() {
        var transaction = NonInviteClientTransaction(reliable: false)
        var simulator = TransactionSimulator()
        simulator.apply(transaction.start())
        simulator.advance(to: .seconds(40)) { transaction.timerFired($0) }
        #expect(simulator.sendTimes == [0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5])
        #expect(simulator.events.suffix(2) == [.timeout(.f, .seconds(32)), .terminated(.seconds(32))])
        #expect(transaction.state == .terminated)
    }

    @Test func tcpOptionsIsSentOnceAndTimesOutAt32Seconds() {
        var transaction = NonInviteClientTransaction(reliable: true)
        var simulator = TransactionSimulator()
        simulator.apply(transaction.start())
        simulator.advance(to: .seconds(40)) { transaction.timerFired($0) }
        #expect(simulator.sendTimes == [0])
        #expect(simulator.events.suffix(2) == [.timeout(.f, .seconds(32)), .terminated(.seconds(32))])
    }

    @Test func provisionalResponseSlowsRetransmissionToT2ThenFinalStartsTimerK() {
        var transaction = NonInviteClientTransaction(reliable: false)
        var simulator = TransactionSimulator()
        simulator.apply(transaction.start())
        simulator.advance(to: .milliseconds(200)) { transaction.timerFired($0) }
        simulator.apply(transaction.receiveResponse(statusCode: 100))
        #expect(transaction.state == .proceeding)
        simulator.advance(to: .seconds(10)) { transaction.timerFired($0) }
        #expect(simulator.sendTimes == [0, 0.5, 4.5, 8.5])
        simulator.apply(transaction.receiveResponse(statusCode: 200))
        #expect(transaction.state == .completed)
        // A retransmitted 200 is absorbed.
        simulator.apply(transaction.receiveResponse(statusCode: 200))
        simulator.advance(to: .seconds(20)) { transaction.timerFired($0) }
        #expect(simulator.events.filter { if case .delivered = $0 { return true } else { return false } }
            == [.delivered(100, .milliseconds(200)), .delivered(200, .seconds(10))])
        #expect(simulator.events.last == .terminated(.seconds(15)))
    }

    @Test func configuredTimersChangeTheSchedule() {
        var transaction = NonInviteClientTransaction(reliable: false, timers: TransactionTimers(t1: .milliseconds(100), t2: .milliseconds(400)))
        var simulator = TransactionSimulator()
        simulator.apply(transaction.start())
        simulator.advance(to: .seconds(10)) { transaction.timerFired($0) }
        #expect(simulator.sendTimes.prefix(5) == [0, 0.1, 0.3, 0.7, 1.1])
        #expect(simulator.events.last == .terminated(.milliseconds(6400)))
    }

    /// RFC 3261 §17.1.1.2 over UDP with no answer: Timer A doubles without cap, Timer B at 32 s.
    @Test func udpInviteWithNoAnswer() {
        var transaction = InviteClientTransaction(reliable: false)
        var simulator = TransactionSimulator()
        simulator.apply(transaction.start())
        simulator.advance(to: .seconds(40)) { transaction.timerFired($0) }
        #expect(simulator.sendTimes == [0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5])
        #expect(simulator.events.suffix(2) == [.timeout(.b, .seconds(32)), .terminated(.seconds(32))])
    }

    @Test func inviteRingingThenBusy() {
        var transaction = InviteClientTransaction(reliable: false)
        var simulator = TransactionSimulator()
        simulator.apply(transaction.start())
        simulator.advance(to: .seconds(1)) { transaction.timerFired($0) }
        simulator.apply(transaction.receiveResponse(statusCode: 180))
        // Retransmissions stop once a provisional response arrives; Timer B no longer applies.
        simulator.advance(to: .seconds(50)) { transaction.timerFired($0) }
        #expect(simulator.sendTimes == [0, 0.5])
        simulator.apply(transaction.receiveResponse(statusCode: 486))
        #expect(transaction.state == .completed)
        simulator.advance(to: .seconds(51)) { transaction.timerFired($0) }
        simulator.apply(transaction.receiveResponse(statusCode: 486))
        simulator.advance(to: .seconds(90)) { transaction.timerFired($0) }
        #expect(simulator.events.filter { if case .ack = $0 { return true } else { return false } } == [.ack(.seconds(50)), .ack(.seconds(51))])
        #expect(simulator.events.last == .terminated(.seconds(82)))
    }

    @Test func invite2xxEndsTheTransactionAtOnce() {
        var transaction = InviteClientTransaction(reliable: true)
        var simulator = TransactionSimulator()
        simulator.apply(transaction.start())
        simulator.apply(transaction.receiveResponse(statusCode: 100))
        simulator.apply(transaction.receiveResponse(statusCode: 200))
        #expect(transaction.state == .terminated)
        #expect(simulator.events == [.sent(.zero), .delivered(100, .zero), .delivered(200, .zero), .terminated(.zero)])
        // Nothing more happens, whatever arrives.
        #expect(transaction.receiveResponse(statusCode: 200).isEmpty)
    }

    @Test func reliableInviteFailureTerminatesWithoutTimerD() {
        var transaction = InviteClientTransaction(reliable: true)
        var simulator = TransactionSimulator()
        simulator.apply(transaction.start())
        simulator.apply(transaction.receiveResponse(statusCode: 503))
        #expect(simulator.events == [.sent(.zero), .ack(.zero), .delivered(503, .zero), .terminated(.zero)])
    }

    @Test func transportErrors() {
        var invite = InviteClientTransaction(reliable: true)
        _ = invite.start()
        #expect(invite.transportFailed().contains(.reportTransportError))
        #expect(invite.state == .terminated)
        var options = NonInviteClientTransaction(reliable: false)
        _ = options.start()
        #expect(options.transportFailed().contains(.reportTransportError))
        #expect(options.transportFailed().isEmpty)
    }

    @Test func responsesAreKeyedByBranchAndCSeqMethod() throws {
        let response = try SIPMessageParser().parse(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKabc;rport=5060\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKother\r\n"
                + "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n")
        #expect(ClientTransactionKey(response: response) == ClientTransactionKey(branch: "z9hG4bKabc", method: .options))
        let noVia = try SIPMessageParser().parse("SIP/2.0 200 OK\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n")
        #expect(ClientTransactionKey(response: noVia) == nil)
        var generator = SplitMix64(seed: 1)
        let branch = ClientTransactionKey.newBranch(using: &generator)
        #expect(branch.hasPrefix("z9hG4bK") && branch.count == 26)
        #expect(branch.dropFirst(7).allSatisfy { $0.isNumber || ("a"..."z").contains($0) })
        // Keys hash by the branch's tail: equal keys hash alike whatever the string's storage (short, long,
        // bridged through Substring), and branches differing only at their end differ.
        let long = ClientTransactionKey(branch: branch, method: .options)
        let rebuilt = ClientTransactionKey(branch: String(Substring(branch)), method: .options)
        #expect(long == rebuilt && long.hashValue == rebuilt.hashValue)
        let short = ClientTransactionKey(branch: "z9hG4bK1", method: .invite)
        #expect(short.hashValue == ClientTransactionKey(branch: String("z9hG4bK1".utf8.map { Character(Unicode.Scalar($0)) }), method: .invite).hashValue)
        #expect(Set((0..<1000).map { ClientTransactionKey(branch: "z9hG4bK-\($0)", method: .options).hashValue }).count == 1000)
    }
}
