import SIPCore

/// An RTP socket as the engine sees it: bound to a local port, sending to and receiving from any address.
public protocol MediaLink: AnyObject {
    /// The local RTP port (even; RTCP is on the next one).
    var localPort: Int { get }
    func send(_ bytes: [UInt8], to host: String, port: Int)
    /// Sends a compound RTCP packet from the RTCP port (SRTCP once SRTP is on).
    func sendControl(_ bytes: [UInt8], to host: String, port: Int)
    /// Set by the media session; called on the engine's context with each datagram and where it came from.
    var onReceive: (([UInt8], String, Int) -> Void)? { get set }
    /// Set by the media session; called with each datagram that arrives on the RTCP port.
    var onReceiveControl: (([UInt8], String, Int) -> Void)? { get set }
    /// From now on, send SRTP with `sendKey` and accept only SRTP that authenticates with `receiveKey`
    /// (30 bytes each: AES_CM_128_HMAC_SHA1_80 master key and salt).
    func enableSRTP(sendKey: [UInt8], receiveKey: [UInt8]) throws
    func close()
}

/// What the media check found (beyond the guide: none of the usual tools report this).
public struct MediaReport: Sendable, Hashable {
    public enum Verdict: String, Sendable, Hashable {
        /// RTP arrived from the far end while ours was sent.
        case bothWays = "both_ways"
        /// We sent RTP and nothing came back.
        case outboundOnly = "outbound_only"
        /// RTP arrived, but the far end reports (RTCP) that ours does not reach it.
        case inboundOnly = "inbound_only"
        /// Nothing was sent or received (no media negotiated).
        case none
    }

    public var verdict: Verdict
    public var codec: String?
    public var remote: String?
    public var packetsSent: Int
    public var packetsReceived: Int
    /// Whether what came back was our own tone echoed (proof our audio reached the far end).
    public var echoed: Bool
    public var lossPercent: Double
    public var jitterMs: Double
    public var dtmfSent: String?
    public var dtmfReceived: String?
    /// The likely cause of a one-way or silent call, from comparing addresses.
    public var likelyCause: String?
    /// Whether media was SRTP (AES_CM_128_HMAC_SHA1_80, keys exchanged with SDES).
    public var srtp: Bool = false
    /// RTCP compound packets sent and received (RFC 3550 sender/receiver reports).
    public var rtcpSent: Int = 0
    public var rtcpReceived: Int = 0
    /// What the far end's last RTCP report said about our stream: loss, jitter, and the round trip computed
    /// from its LSR/DLSR (§6.4.1). Nil when it sent no report about us.
    public var farEndLossPercent: Double?
    public var farEndJitterMs: Double?
    public var roundTripMs: Double?

    public var summary: String {
        switch verdict {
        case .bothWays:
            return "audio both ways (\(packetsSent) RTP packets sent, \(packetsReceived) received\(echoed ? ", our tone echoed back" : ""))"
        case .outboundOnly:
            return "one-way audio: \(packetsSent) RTP packets sent, none received from the far end"
        case .inboundOnly:
            return "one-way audio: \(packetsReceived) RTP packets received, but the far end's RTCP reports none of our \(packetsSent)"
        case .none:
            return "no audio: no media was exchanged"
        }
    }
}

/// Sends a 1 kHz tone as G.711 every 20 ms, one RFC 4733 DTMF digit, and counts what comes back.
public final class MediaSession {
    let clock: EngineClock
    let link: MediaLink
    public let ssrc: UInt32
    private var sequence: UInt16
    private var timestamp: UInt32
    private var timer: EngineTimer?
    private var remote: (host: String, port: Int)?
    private var codec: Codec = .pcmu
    private var eventPayloadType: UInt8?
    private var sentPayloads: Set<[UInt8]> = []
    private var samples = 0
    private var dtmfDigit: Character?
    private var dtmfSentAtPacket = 50
    private var dtmfSent: String?
    private var dtmfReceived: String?
    private var lastEventTimestamp: UInt32?
    private var octetsSent = 0
    private var rtcpTimer: EngineTimer?
    private var stopped = false
    private var rtcpRemote: (host: String, port: Int)?
    private var previousReport = (expected: 0, received: 0)
    /// The far end's last sender report: the middle 32 bits of its NTP time and when it arrived.
    private var lastSR: (ntpMiddle: UInt32, arrival: Duration)?
    private var farEndBlock: RTCPReportBlock?
    private var farEndRoundTrip: Double?
    /// Set when the far end sent a report that should have covered us (we had sent for a second) and did not.
    private var farEndReportedNothing = false
    public private(set) var rtcpSent = 0
    public private(set) var rtcpReceived = 0
    /// The CNAME our SDES carries (RFC 7022 style: random, per session).
    private let cname: String

    public private(set) var packetsSent = 0
    public private(set) var statistics = RTPReceiveStatistics()
    public private(set) var echoedPackets = 0
    /// Where RTP actually came from, which may differ from the SDP's address behind NAT.
    public private(set) var receivedFrom: String?
    /// Called on each received packet count change (live counters).
    public var onUpdate: (() -> Void)?

    public init<Generator: RandomNumberGenerator>(clock: EngineClock, link: MediaLink, using generator: inout Generator) {
        self.clock = clock
        self.link = link
        ssrc = UInt32(truncatingIfNeeded: generator.next())
        sequence = UInt16(truncatingIfNeeded: generator.next())
        timestamp = UInt32(truncatingIfNeeded: generator.next())
        cname = String(generator.next(), radix: 36) + "@siptrunk"
        link.onReceive = { [weak self] bytes, host, port in self?.received(bytes, host: host, port: port) }
        link.onReceiveControl = { [weak self] bytes, _, _ in self?.receivedControl(bytes) }
    }

    /// Starts sending to `host:port` with `codec`; `dtmf` is sent after one second when the far end accepted
    /// telephone-event with `eventPayloadType`. RTCP goes to `rtcpPort` (the SDP's `a=rtcp`, else RTP + 1).
    public func start(to host: String, port: Int, rtcpPort: Int? = nil, codec: Codec, eventPayloadType: UInt8?, dtmf: Character?) {
        remote = (host, port)
        rtcpRemote = (host, rtcpPort ?? port + 1)
        self.codec = codec
        self.eventPayloadType = eventPayloadType
        dtmfDigit = eventPayloadType == nil ? nil : dtmf
        tick()
        // RFC 3550 §6.2: the first report after half the 5 s minimum interval, then every 5 s.
        rtcpTimer = clock.schedule(after: .milliseconds(2500)) { [weak self] in self?.sendReport() }
    }

    /// Stops sending; when media was flowing, a last report and an RTCP BYE (§6.3.7) tell the far end.
    /// Stopping twice sends one BYE.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        timer?.cancel()
        timer = nil
        rtcpTimer?.cancel()
        rtcpTimer = nil
        if remote != nil, packetsSent > 0 { sendReport(bye: true) }
    }

    /// A compound packet: SR (we send) with a report block for the source we hear, SDES CNAME, maybe BYE.
    private func sendReport(bye: Bool = false) {
        guard let rtcpRemote, bye || !stopped else { return }
        let block = statistics.reportBlock(since: &previousReport, lastSR: lastSR, now: clock.now)
        var packets: [RTCPPacket] = [
            .senderReport(
                ssrc: ssrc, ntp: RTCPPacket.ntpTime(unixSeconds: clock.wallTime), rtpTimestamp: timestamp,
                packetCount: UInt32(truncatingIfNeeded: packetsSent), octetCount: UInt32(truncatingIfNeeded: octetsSent),
                reports: block.map { [$0] } ?? []),
            .sourceDescription(ssrc: ssrc, cname: cname),
        ]
        if bye { packets.append(.bye(ssrcs: [ssrc])) }
        link.sendControl(RTCPPacket.compound(packets), to: rtcpRemote.host, port: rtcpRemote.port)
        rtcpSent += 1
        if !bye { rtcpTimer = clock.schedule(after: .seconds(5)) { [weak self] in self?.sendReport() } }
    }

    /// The far end's RTCP: remember its sender report for our LSR/DLSR, and read what it says about us.
    private func receivedControl(_ bytes: [UInt8]) {
        guard let packets = try? RTCPPacket.parseCompound(bytes) else { return }
        rtcpReceived += 1
        let now = clock.now
        var reported = false
        for packet in packets {
            if case .senderReport(_, let ntp, _, _, _, _) = packet {
                lastSR = (UInt32(truncatingIfNeeded: ntp >> 16), now)
            }
            switch packet {
            case .senderReport, .receiverReport:
                reported = true
                if let block = packet.reports.first(where: { $0.ssrc == ssrc }) {
                    farEndBlock = block
                    farEndReportedNothing = false
                    if block.lastSR != 0 {
                        // Round trip = arrival − LSR − DLSR, all in 1/65536 s of NTP time.
                        let arrival = UInt32(truncatingIfNeeded: RTCPPacket.ntpTime(unixSeconds: clock.wallTime) >> 16)
                        let units = arrival &- block.lastSR &- block.delaySinceLastSR
                        if units < 65536 * 10 { farEndRoundTrip = Double(units) * 1000 / 65536 }
                    }
                }
            default: break
            }
        }
        if reported, farEndBlock == nil, packetsSent >= 50 { farEndReportedNothing = true }
        onUpdate?()
    }

    private func tick() {
        guard let remote, !stopped else { return }
        if let digit = dtmfDigit, packetsSent == dtmfSentAtPacket, let eventPayloadType, let code = TelephoneEvent.code(of: digit) {
            sendDigit(code, payloadType: eventPayloadType, to: remote)
            dtmfSent = String(digit)
        } else {
            let payload = G711.tone(frequency: 1000, offset: samples, codec: codec.name)
            send(RTPPacket(payloadType: codec.payloadType, marker: packetsSent == 0, sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc, payload: payload), to: remote)
            // A 1 kHz tone repeats every 8 samples, so only a few distinct payloads exist: remembered to spot an echo.
            if sentPayloads.count < 64 { sentPayloads.insert(payload) }
        }
        samples += 160
        timestamp &+= 160
        timer = clock.schedule(after: .milliseconds(20)) { [weak self] in self?.tick() }
    }

    /// An RFC 4733 event: three updates 20 ms of duration apart, then the end packet three times, in one burst
    /// sharing the event's timestamp (enough for a test; a phone spreads them over the event's duration).
    private func sendDigit(_ code: UInt8, payloadType: UInt8, to remote: (host: String, port: Int)) {
        for (index, duration) in [UInt16(160), 320, 480].enumerated() {
            let event = TelephoneEvent(event: code, end: false, duration: duration)
            send(RTPPacket(payloadType: payloadType, marker: index == 0, sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc, payload: event.payload), to: remote)
        }
        for _ in 0..<3 {
            let event = TelephoneEvent(event: code, end: true, duration: 640)
            send(RTPPacket(payloadType: payloadType, sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc, payload: event.payload), to: remote)
        }
    }

    private func send(_ packet: RTPPacket, to remote: (host: String, port: Int)) {
        link.send(packet.serialized(), to: remote.host, port: remote.port)
        packetsSent += 1
        octetsSent += packet.payload.count
        sequence &+= 1
    }

    private func received(_ bytes: [UInt8], host: String, port: Int) {
        // RTCP multiplexed on the RTP port (RFC 5761) is read as RTCP.
        if RTPPacket.isRTCP(bytes) { return receivedControl(bytes) }
        guard let packet = try? RTPPacket(parsing: bytes) else { return }
        receivedFrom = "\(host):\(port)"
        if let eventPayloadType, packet.payloadType == eventPayloadType, let event = TelephoneEvent(payload: packet.payload) {
            if event.end, lastEventTimestamp != packet.timestamp {
                lastEventTimestamp = packet.timestamp
                let digits = Array("0123456789*#ABCD")
                if Int(event.event) < digits.count { dtmfReceived = (dtmfReceived ?? "") + String(digits[Int(event.event)]) }
            }
            return
        }
        statistics.record(packet, arrival: clock.now)
        if packet.ssrc == ssrc || sentPayloads.contains(packet.payload) { echoedPackets += 1 }
        onUpdate?()
    }

    /// The verdict, given what signalling said: `sdpAddress` is the far end's SDP connection address and
    /// `signallingAddress` where its SIP came from; `natSeen` whether our Via came back with another
    /// received/rport than we sent.
    public func report(sdpAddress: String?, signallingAddress: String?, natSeen: Bool) -> MediaReport {
        let received = statistics.packets
        let verdict: MediaReport.Verdict
        if packetsSent == 0 && received == 0 {
            verdict = .none
        } else if received == 0 {
            verdict = .outboundOnly
        } else if echoedPackets == 0, farEndReportedNothing {
            verdict = .inboundOnly
        } else {
            verdict = .bothWays
        }
        var cause: String?
        if verdict == .inboundOnly {
            cause = "the far end sends RTP and reports (RTCP) that ours never arrives: a firewall in front of the PBX drops RTP from this deployment's addresses, or its SDP advertises an address behind NAT — allow the RTP range (siptrunk firewall) and check the PBX's external address"
        } else if verdict == .outboundOnly || verdict == .none {
            if let sdpAddress, Self.isPrivate(sdpAddress), let signallingAddress, !Self.isPrivate(signallingAddress) {
                cause = "the far end's SDP gives a private address (\(sdpAddress)) while its SIP comes from \(signallingAddress): it is behind NAT without rewriting SDP, or a SIP ALG mangled it — disable the SIP ALG, or set the PBX's external address"
            } else if natSeen {
                cause = "our SIP reached the far end through NAT (Via received/rport differ from what we sent): its RTP goes to an address it cannot reach — allow this deployment's RTP range on the firewall (siptrunk firewall)"
            } else {
                cause = "RTP from the far end does not reach us: a firewall in front of siptrunk or the PBX drops the RTP port range (siptrunk firewall lists it), or the PBX does not send media"
            }
        }
        var report = MediaReport(
            verdict: verdict, codec: codec.name, remote: remote.map { "\($0.host):\($0.port)" }, packetsSent: packetsSent,
            packetsReceived: received, echoed: echoedPackets > 0, lossPercent: (statistics.lossFraction * 1000).rounded() / 10,
            jitterMs: (statistics.jitterMilliseconds * 100).rounded() / 100, dtmfSent: dtmfSent, dtmfReceived: dtmfReceived,
            likelyCause: cause)
        report.rtcpSent = rtcpSent
        report.rtcpReceived = rtcpReceived
        if let farEndBlock {
            report.farEndLossPercent = (Double(farEndBlock.fractionLost) / 256 * 1000).rounded() / 10
            report.farEndJitterMs = (Double(farEndBlock.jitter) * 1000 / Double(statistics.clockRate) * 100).rounded() / 100
        }
        report.roundTripMs = farEndRoundTrip.map { ($0 * 100).rounded() / 100 }
        return report
    }

    /// RFC 1918 and RFC 6598 IPv4, and IPv6 unique-local addresses.
    static func isPrivate(_ address: String) -> Bool {
        let octets = address.split(separator: ".").compactMap { Int($0) }
        if octets.count == 4 {
            return octets[0] == 10 || (octets[0] == 172 && (16...31).contains(octets[1])) || (octets[0] == 192 && octets[1] == 168)
                || (octets[0] == 100 && (64...127).contains(octets[1]))
        }
        return address.lowercased().hasPrefix("fc") || address.lowercased().hasPrefix("fd")
    }
}
