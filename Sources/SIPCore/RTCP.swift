/// One reception report block (RFC 3550 §6.4.1): what a receiver says about one source it hears.
public struct RTCPReportBlock: Sendable, Hashable {
    public var ssrc: UInt32
    /// Fraction of packets lost since the previous report, in 1/256ths.
    public var fractionLost: UInt8
    /// Cumulative packets lost (a signed 24-bit value on the wire).
    public var cumulativeLost: Int32
    public var extendedHighestSequence: UInt32
    /// Interarrival jitter in timestamp units.
    public var jitter: UInt32
    /// The middle 32 bits of the NTP time of the last sender report heard from this source (0 if none).
    public var lastSR: UInt32
    /// Delay since that sender report, in 1/65536 s.
    public var delaySinceLastSR: UInt32

    public init(ssrc: UInt32, fractionLost: UInt8, cumulativeLost: Int32, extendedHighestSequence: UInt32, jitter: UInt32, lastSR: UInt32, delaySinceLastSR: UInt32) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequence = extendedHighestSequence
        self.jitter = jitter
        self.lastSR = lastSR
        self.delaySinceLastSR = delaySinceLastSR
    }
}

/// The RTCP packets a test call sends and reads (RFC 3550 §6.4–6.6); other types are kept by number only.
public enum RTCPPacket: Sendable, Hashable {
    case senderReport(ssrc: UInt32, ntp: UInt64, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32, reports: [RTCPReportBlock])
    case receiverReport(ssrc: UInt32, reports: [RTCPReportBlock])
    case sourceDescription(ssrc: UInt32, cname: String)
    case bye(ssrcs: [UInt32])
    case other(packetType: UInt8)

    public enum ParseError: Error, Sendable, Hashable {
        case tooShort, notVersion2, badLength, notRTCP
    }

    /// The reception report blocks a sender or receiver report carries.
    public var reports: [RTCPReportBlock] {
        switch self {
        case .senderReport(_, _, _, _, _, let reports), .receiverReport(_, let reports): reports
        default: []
        }
    }

    /// Parses a compound RTCP packet (RFC 3550 §6.1): a sequence of RTCP packets, each with its own length.
    public static func parseCompound(_ bytes: [UInt8]) throws(ParseError) -> [RTCPPacket] {
        var packets: [RTCPPacket] = []
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { throw .tooShort }
            guard bytes[offset] >> 6 == 2 else { throw .notVersion2 }
            let count = Int(bytes[offset] & 0x1F)
            let type = bytes[offset + 1]
            guard (200...206).contains(type) else { throw .notRTCP }
            let length = 4 * (Int(UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3])) + 1)
            guard offset + length <= bytes.count else { throw .badLength }
            let body = Array(bytes[(offset + 4)..<(offset + length)])
            packets.append(try parse(type: type, count: count, body: body))
            offset += length
        }
        return packets
    }

    private static func parse(type: UInt8, count: Int, body: [UInt8]) throws(ParseError) -> RTCPPacket {
        func blocks(from start: Int) throws(ParseError) -> [RTCPReportBlock] {
            guard body.count >= start + 24 * count else { throw .badLength }
            return (0..<count).map { index in
                let base = start + 24 * index
                let lostRaw = Int32(bitPattern: UInt32(body[base + 5]) << 16 | UInt32(body[base + 6]) << 8 | UInt32(body[base + 7]))
                // Sign-extend the 24-bit cumulative loss.
                let lost = lostRaw & 0x80_0000 != 0 ? lostRaw | Int32(bitPattern: 0xFF00_0000) : lostRaw
                return RTCPReportBlock(
                    ssrc: RTPPacket.word(body, base), fractionLost: body[base + 4], cumulativeLost: lost,
                    extendedHighestSequence: RTPPacket.word(body, base + 8), jitter: RTPPacket.word(body, base + 12),
                    lastSR: RTPPacket.word(body, base + 16), delaySinceLastSR: RTPPacket.word(body, base + 20))
            }
        }
        switch type {
        case 200:
            guard body.count >= 24 else { throw .tooShort }
            let ntp = UInt64(RTPPacket.word(body, 4)) << 32 | UInt64(RTPPacket.word(body, 8))
            return .senderReport(
                ssrc: RTPPacket.word(body, 0), ntp: ntp, rtpTimestamp: RTPPacket.word(body, 12), packetCount: RTPPacket.word(body, 16),
                octetCount: RTPPacket.word(body, 20), reports: try blocks(from: 24))
        case 201:
            guard body.count >= 4 else { throw .tooShort }
            return .receiverReport(ssrc: RTPPacket.word(body, 0), reports: try blocks(from: 4))
        case 202:
            // The first chunk's CNAME item (type 1), if any; other items and chunks are skipped.
            guard count >= 1, body.count >= 4 else { return .other(packetType: type) }
            var offset = 4
            while offset + 2 <= body.count, body[offset] != 0 {
                let itemType = body[offset]
                let itemLength = Int(body[offset + 1])
                guard offset + 2 + itemLength <= body.count else { throw .badLength }
                if itemType == 1 {
                    return .sourceDescription(ssrc: RTPPacket.word(body, 0), cname: String(decoding: body[(offset + 2)..<(offset + 2 + itemLength)], as: UTF8.self))
                }
                offset += 2 + itemLength
            }
            return .other(packetType: type)
        case 203:
            guard body.count >= 4 * count else { throw .badLength }
            return .bye(ssrcs: (0..<count).map { RTPPacket.word(body, 4 * $0) })
        default:
            return .other(packetType: type)
        }
    }

    /// One packet on the wire (padded to 32 bits; SDES items are ended by a null octet as §6.5 requires).
    public func serialized() -> [UInt8] {
        var body: [UInt8] = []
        func put(_ word: UInt32) { body += [UInt8(word >> 24), UInt8(word >> 16 & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word & 0xFF)] }
        func put(_ block: RTCPReportBlock) {
            put(block.ssrc)
            let lost = UInt32(bitPattern: max(-0x80_0000, min(0x7F_FFFF, block.cumulativeLost))) & 0xFF_FFFF
            put(UInt32(block.fractionLost) << 24 | lost)
            put(block.extendedHighestSequence)
            put(block.jitter)
            put(block.lastSR)
            put(block.delaySinceLastSR)
        }
        let type: UInt8
        var count = 0
        switch self {
        case .senderReport(let ssrc, let ntp, let rtpTimestamp, let packetCount, let octetCount, let reports):
            type = 200
            count = min(reports.count, 31)
            put(ssrc)
            put(UInt32(ntp >> 32))
            put(UInt32(ntp & 0xFFFF_FFFF))
            put(rtpTimestamp)
            put(packetCount)
            put(octetCount)
            reports.prefix(31).forEach(put)
        case .receiverReport(let ssrc, let reports):
            type = 201
            count = min(reports.count, 31)
            put(ssrc)
            reports.prefix(31).forEach(put)
        case .sourceDescription(let ssrc, let cname):
            type = 202
            count = 1
            put(ssrc)
            let name = Array(cname.utf8.prefix(255))
            body += [1, UInt8(name.count)] + name + [0]
            while body.count % 4 != 0 { body.append(0) }
        case .bye(let ssrcs):
            type = 203
            count = min(ssrcs.count, 31)
            ssrcs.prefix(31).forEach(put)
        case .other(let packetType):
            type = packetType
        }
        let words = body.count / 4
        return [0x80 | UInt8(count), type, UInt8(words >> 8), UInt8(words & 0xFF)] + body
    }

    /// A compound packet: the packets one after another.
    public static func compound(_ packets: [RTCPPacket]) -> [UInt8] {
        packets.flatMap { $0.serialized() }
    }

    /// NTP time (RFC 5905: seconds since 1900 in the high 32 bits, the fraction in the low 32) of a Unix time.
    public static func ntpTime(unixSeconds: Double) -> UInt64 {
        let seconds = unixSeconds + 2_208_988_800
        let whole = seconds.rounded(.down)
        return UInt64(whole) << 32 | UInt64((seconds - whole) * 4_294_967_296)
    }
}

extension RTPReceiveStatistics {
    /// The report block for this source, given when the last sender report from it arrived; `since` holds the
    /// counts at the previous report and is updated, so `fractionLost` covers only the interval (§A.3).
    public func reportBlock(since previous: inout (expected: Int, received: Int), lastSR: (ntpMiddle: UInt32, arrival: Duration)?, now: Duration) -> RTCPReportBlock? {
        guard let ssrc else { return nil }
        let expectedInterval = expected - previous.expected
        let receivedInterval = packets - previous.received
        let lostInterval = expectedInterval - receivedInterval
        previous = (expected, packets)
        let fraction = expectedInterval == 0 || lostInterval <= 0 ? 0 : UInt8(min(255, (lostInterval << 8) / expectedInterval))
        var delay: UInt32 = 0
        if let lastSR {
            let elapsed = now - lastSR.arrival
            delay = UInt32(clamping: Int64(elapsed.inSeconds * 65536))
        }
        return RTCPReportBlock(
            ssrc: ssrc, fractionLost: fraction, cumulativeLost: Int32(clamping: expected - packets),
            extendedHighestSequence: extendedHighestSequence, jitter: jitterUnits,
            lastSR: lastSR?.ntpMiddle ?? 0, delaySinceLastSR: lastSR == nil ? 0 : delay)
    }
}
