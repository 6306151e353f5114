import SIPCore
import SIPEngine
import Testing

struct HealthTrackerTests {
    let policy = HealthPolicy(failAfter: 3, recoverAfter: 2)

    @Test func degradedUntilTheFailureStreakCrossesTheThresholdThenUnreachable() {
        var tracker = HealthTracker()
        #expect(tracker.record(answered: true, policy: policy) == .healthy)
        #expect(tracker.record(answered: false, policy: policy) == .degraded)
        #expect(tracker.record(answered: false, policy: policy) == nil)
        #expect(tracker.record(answered: false, policy: policy) == .unreachable)
        // One answer is not enough to recover; two in a row are.
        #expect(tracker.record(answered: true, policy: policy) == nil)
        #expect(tracker.state == .unreachable)
        #expect(tracker.record(answered: true, policy: policy) == .healthy)
    }

    @Test func anAnswerInTheMiddleResetsTheStreak() {
        var tracker = HealthTracker(state: .healthy)
        tracker.record(answered: false, policy: policy)
        tracker.record(answered: false, policy: policy)
        tracker.record(answered: true, policy: policy)
        tracker.record(answered: false, policy: policy)
        tracker.record(answered: false, policy: policy)
        #expect(tracker.state == .degraded)
    }

    @Test func acceptedCodesAreConfigurable() {
        #expect(HealthPolicy().accepts(200) && !HealthPolicy().accepts(404))
        #expect(HealthPolicy(acceptedCodes: [200...299, 404...405]).accepts(405))
    }
}

struct HealthMonitorTests {
    let clock = ManualClock()
    let peer: ScriptedPeer
    let layer: TransactionLayer
    let monitor: HealthMonitor
    var samples: [HealthSampleResult] { recorder.samples }
    let recorder = Recorder()

    final class Recorder {
        var samples: [HealthSampleResult] = []
    }

    init() {
        peer = ScriptedPeer(clock: clock, behaviour: .answer(code: 200, after: .milliseconds(5)))
        layer = TransactionLayer(clock: clock, transport: peer)
        peer.layer = layer
        monitor = HealthMonitor(probe: OptionsProbe(layer: layer), interval: .seconds(60), policy: HealthPolicy(failAfter: 2, recoverAfter: 1), using: SystemRandomNumberGenerator())
        let recorder = self.recorder
        monitor.onSample = { recorder.samples.append($0) }
    }

    func endpoints(_ count: Int) -> [HealthMonitor.Endpoint] {
        (0..<count).map { HealthMonitor.Endpoint(id: "cfg\($0)", peer: PeerAddress(host: "192.0.2.\($0 + 1)", port: 5060, transport: .udp), domain: nil) }
    }

    @Test func probesAreSpreadAcrossTheIntervalAndRepeatEachInterval() {
        monitor.monitor(endpoints(4))
        clock.advance(by: .seconds(1))
        #expect(samples.count == 1)  // only the first is due at once
        clock.advance(by: .seconds(59))
        #expect(samples.count == 4)  // at 0, 15, 30 and 45 s
        clock.advance(by: .seconds(60))
        #expect(samples.count == 8)
        #expect(Set(samples.map(\.endpointID)).count == 4)
        #expect(samples.allSatisfy { $0.outcome == "ok" && $0.responseCode == 200 && $0.state == .healthy })
    }

    @Test func aSilentEndpointTurnsUnreachableAndComesBack() {
        let target = endpoints(1)
        peer.behaviours[target[0].peer] = .silent
        monitor.monitor(target)
        clock.advance(by: .seconds(61))
        #expect(samples.last?.state == .degraded && samples.last?.outcome == "timeout")
        clock.advance(by: .seconds(60))
        #expect(samples.last?.state == .unreachable && samples.last?.changed == true)
        #expect(samples.last?.remedy != nil)
        peer.behaviours[target[0].peer] = .answer(code: 200, after: .milliseconds(5))
        clock.advance(by: .seconds(60))
        // The probe in flight is answered at its next retransmission: healthy again (recover-after 1).
        #expect(samples.last?.state == .healthy)
        #expect(samples.map(\.state).split(whereSeparator: { $0 != .healthy }).count == 1)
        #expect(samples.filter(\.changed).map(\.state) == [.degraded, .unreachable, .healthy])
    }

    @Test func aReplyOutsideTheAcceptedCodesIsAFailure() {
        let target = endpoints(1)
        peer.behaviours[target[0].peer] = .answer(code: 403, after: .milliseconds(5))
        monitor.monitor(target)
        clock.advance(by: .seconds(1))
        #expect(samples.last?.outcome == "rejected" && samples.last?.responseCode == 403 && samples.last?.state == .degraded)
    }

    @Test func removedEndpointsStopAndRestoredStreaksContinue() {
        monitor.monitor(endpoints(2), initial: ["cfg1": HealthTracker(state: .unreachable, failures: 5)])
        #expect(monitor.trackers["cfg1"]?.state == .unreachable)
        monitor.monitor(Array(endpoints(2).prefix(1)))
        clock.advance(by: .seconds(120))
        #expect(Set(samples.map(\.endpointID)) == ["cfg0"])
    }
}
