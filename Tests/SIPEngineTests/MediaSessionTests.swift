import SIPCore
import SIPEngine
import Testing

/// A media link that records what the session sends and lets the test play the far end.
final class RecordingMediaLink: MediaLink {
    let localPort = 30000
    var sent: [(bytes: [UInt8], port: Int)] = []
    var control: [(bytes: [UInt8], port: Int)] = []
    var onReceive: (([UInt8], String, Int) -> Void)?
    var onReceiveControl: (([UInt8], String, Int) -> Void)?
    func send(_ bytes: [UInt8], to host: String, port: Int) { sent.append((bytes, port)) }
    func sendControl(_ bytes: [UInt8], to host: String, port: Int) { control.append((bytes, port)) }
    func enableSRTP(sendKey: [UInt8], receiveKey: [UInt8]) throws {}
    func close() {}
}

struct MediaSessionTests {
    let clock = ManualClock()
    let link = RecordingMediaLink()
    let session: MediaSession

    init() {
        var generator = SystemRandomNumberGenerator()
        session = MediaSession(clock: clock, link: link, using: &generator)
    }

    /// The far end's RTP: a tone of its own (not an echo of ours), one packet per 20 ms.
    func farEndSends(_ count: Int, from first: Int = 0) {
        for index in first..<(first + count) {
            let packet = RTPPacket(payloadType: 0, sequenceNumber: UInt16(index), timestamp: UInt32(index * 160), ssrc: 99, payload: [UInt8](repeating: 0x55, count: 160))
            link.onReceive?(packet.serialized(), "127.0.0.9", 40000)
        }
    }

    @Test func sendsSenderReportsToRTPPlusOneAndAByeAtTheEnd() throws {
        session.start(to: "127.0.0.9", port: 40000, codec: Codec(payloadType: 0, name: "PCMU", clockRate: 8000), eventPayloadType: nil, dtmf: nil)
        farEndSends(100)
        clock.advance(by: .seconds(3))
        #expect(link.control.count == 1)
        let first = try RTCPPacket.parseCompound(try #require(link.control.first).bytes)
        guard case .senderReport(let ssrc, _, _, let packetCount, let octets, let reports) = first.first else {
            Issue.record("the first packet of a compound must be an SR: \(first)")
            return
        }
        #expect(ssrc == session.ssrc && packetCount > 100 && octets == packetCount * 160)
        #expect(reports.first?.ssrc == 99 && reports.first?.extendedHighestSequence == 99)
        #expect(first.contains { if case .sourceDescription = $0 { true } else { false } })
        #expect(link.control.first?.port == 40001)
        clock.advance(by: .seconds(5))
        #expect(link.control.count == 2)
        session.stop()
        let last = try RTCPPacket.parseCompound(try #require(link.control.last).bytes)
        #expect(last.contains(.bye(ssrcs: [session.ssrc])))
        #expect(session.report(sdpAddress: nil, signallingAddress: nil, natSeen: false).rtcpSent == 3)
    }

    @Test func farEndReportsWithoutUsMeanInboundOnlyAudio() throws {
        session.start(to: "127.0.0.9", port: 40000, codec: Codec(payloadType: 0, name: "PCMU", clockRate: 8000), eventPayloadType: nil, dtmf: nil)
        farEndSends(100)
        clock.advance(by: .seconds(2))
        // The far end sends and reports, but has no report block for our SSRC: nothing of ours reached it.
        link.onReceiveControl?(RTCPPacket.compound([.senderReport(ssrc: 99, ntp: 1 << 32, rtpTimestamp: 0, packetCount: 100, octetCount: 16000, reports: [])]), "127.0.0.9", 40001)
        let report = session.report(sdpAddress: "127.0.0.9", signallingAddress: "127.0.0.9", natSeen: false)
        #expect(report.verdict == .inboundOnly)
        #expect(report.likelyCause?.contains("firewall") == true)
        #expect(report.rtcpReceived == 1 && report.farEndLossPercent == nil)
    }

    @Test func farEndReportAboutUsGivesLossJitterAndRoundTrip() throws {
        session.start(to: "127.0.0.9", port: 40000, codec: Codec(payloadType: 0, name: "PCMU", clockRate: 8000), eventPayloadType: nil, dtmf: nil)
        farEndSends(100)
        clock.advance(by: .seconds(3))
        // Our SR left at 2.5 s; the far end answers 0.5 s later, having held it 0.25 s: the round trip is 250 ms.
        let sent = try RTCPPacket.parseCompound(try #require(link.control.first).bytes)
        guard case .senderReport(_, let ntp, _, _, _, _) = sent.first else {
            Issue.record("no SR")
            return
        }
        let aboutUs = RTCPReportBlock(
            ssrc: session.ssrc, fractionLost: 26, cumulativeLost: 10, extendedHighestSequence: 140, jitter: 80,
            lastSR: UInt32(truncatingIfNeeded: ntp >> 16), delaySinceLastSR: 65536 / 4)
        link.onReceiveControl?(RTCPPacket.compound([.receiverReport(ssrc: 99, reports: [aboutUs])]), "127.0.0.9", 40001)
        let report = session.report(sdpAddress: "127.0.0.9", signallingAddress: "127.0.0.9", natSeen: false)
        #expect(report.verdict == .bothWays)
        #expect(report.farEndLossPercent == 10.2)
        #expect(report.farEndJitterMs == 10)
        #expect(abs((report.roundTripMs ?? 0) - 250) < 0.1)
    }
}
