/// An RTP packet (RFC 3550 §5.1): the fixed header, CSRCs and an optional extension are parsed; padding removed.
public struct RTPPacket: Sendable, Hashable {
    public var payloadType: UInt8
    public var marker: Bool
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var csrcs: [UInt32]
    public var payload: [UInt8]

    public init(payloadType: UInt8, marker: Bool = false, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32, csrcs: [UInt32] = [], payload: [UInt8]) {
        self.payloadType = payloadType
        self.marker = marker
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.payload = payload
    }

    public enum ParseError: Error, Sendable, Hashable {
        case tooShort, notVersion2, badPadding, badExtension
    }

    /// Parses one datagram. RTCP (payload types 72–76 with the marker bit, RFC 5761) is not RTP: callers that
    /// multiplex check `RTPPacket.isRTCP` first.
    public init(parsing bytes: [UInt8]) throws(ParseError) {
        guard bytes.count >= 12 else { throw .tooShort }
        guard bytes[0] >> 6 == 2 else { throw .notVersion2 }
        let hasPadding = bytes[0] & 0x20 != 0
        let hasExtension = bytes[0] & 0x10 != 0
        let csrcCount = Int(bytes[0] & 0x0F)
        marker = bytes[1] & 0x80 != 0
        payloadType = bytes[1] & 0x7F
        sequenceNumber = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        timestamp = Self.word(bytes, 4)
        ssrc = Self.word(bytes, 8)
        var offset = 12
        guard bytes.count >= offset + 4 * csrcCount else { throw .tooShort }
        csrcs = (0..<csrcCount).map { Self.word(bytes, 12 + 4 * $0) }
        offset += 4 * csrcCount
        if hasExtension {
            guard bytes.count >= offset + 4 else { throw .badExtension }
            let length = Int(UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3]))
            offset += 4 + 4 * length
            guard bytes.count >= offset else { throw .badExtension }
        }
        var end = bytes.count
        if hasPadding {
            let padding = Int(bytes[end - 1])
            guard padding >= 1, end - padding >= offset else { throw .badPadding }
            end -= padding
        }
        payload = Array(bytes[offset..<end])
    }

    static func word(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    /// Whether a datagram on an RTP port is RTCP (RFC 5761 §4: second byte 200–204, the RTCP packet types).
    public static func isRTCP(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && (200...204).contains(bytes[1])
    }

    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = [0x80 | UInt8(csrcs.count & 0x0F), (marker ? 0x80 : 0) | (payloadType & 0x7F)]
        bytes.reserveCapacity(12 + 4 * csrcs.count + payload.count)
        bytes += [UInt8(sequenceNumber >> 8), UInt8(sequenceNumber & 0xFF)]
        for word in [timestamp, ssrc] + csrcs {
            bytes += [UInt8(word >> 24), UInt8(word >> 16 & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word & 0xFF)]
        }
        bytes += payload
        return bytes
    }
}

/// Receive statistics of one RTP source, as RFC 3550 Appendix A.1, A.3 and A.8 compute them.
public struct RTPReceiveStatistics: Sendable, Hashable {
    public private(set) var packets = 0
    public private(set) var ssrc: UInt32?
    /// Highest sequence number seen, extended with the count of wrap-arounds.
    private var baseSequence: UInt32 = 0
    private var maxSequence: UInt16 = 0
    private var cycles: UInt32 = 0
    private var lastTransit: Int64?
    /// Interarrival jitter in timestamp units (RFC 3550 §6.4.1), kept scaled by 16 like the RFC's code.
    private var jitterScaled: Int64 = 0
    public let clockRate: UInt32

    public init(clockRate: UInt32 = 8000) {
        self.clockRate = clockRate
    }

    /// Records `packet`, which arrived at `arrival` (any monotonic clock).
    public mutating func record(_ packet: RTPPacket, arrival: Duration) {
        if ssrc == nil {
            ssrc = packet.ssrc
            baseSequence = UInt32(packet.sequenceNumber)
            maxSequence = packet.sequenceNumber
        } else {
            let delta = packet.sequenceNumber &- maxSequence
            if delta > 0, delta < 0x8000 {
                if packet.sequenceNumber < maxSequence { cycles += 1 << 16 }
                maxSequence = packet.sequenceNumber
            }
        }
        packets += 1
        // Arrival time in timestamp units.
        let arrivalUnits = (arrival.components.seconds * Int64(clockRate)) + (arrival.components.attoseconds / 1_000_000_000) * Int64(clockRate) / 1_000_000_000
        let transit = arrivalUnits - Int64(packet.timestamp)
        if let lastTransit {
            let difference = abs(transit - lastTransit)
            jitterScaled += difference - ((jitterScaled + 8) >> 4)
        }
        lastTransit = transit
    }

    /// Packets expected from the first to the highest sequence number.
    public var expected: Int { packets == 0 ? 0 : Int(cycles + UInt32(maxSequence)) - Int(baseSequence) + 1 }
    /// Packets lost (expected minus received; duplicates can make it negative, reported as zero).
    public var lost: Int { max(0, expected - packets) }
    public var lossFraction: Double { expected == 0 ? 0 : Double(lost) / Double(expected) }
    /// The highest sequence number received, with the wrap-around count in the high 16 bits.
    public var extendedHighestSequence: UInt32 { cycles + UInt32(maxSequence) }
    /// Interarrival jitter in timestamp units, as a report block carries it.
    public var jitterUnits: UInt32 { UInt32(clamping: jitterScaled >> 4) }
    /// Interarrival jitter in milliseconds.
    public var jitterMilliseconds: Double { Double(jitterScaled >> 4) * 1000 / Double(clockRate) }
}

/// G.711 encoding (ITU-T G.711) of 16-bit linear samples, for the test tone.
public enum G711 {
    /// μ-law (PCMU) of one 16-bit sample.
    public static func muLaw(_ sample: Int16) -> UInt8 {
        let bias = 0x84
        let clip = 32635
        var value = Int(sample)
        let sign = value < 0 ? 0x80 : 0
        if value < 0 { value = -value }
        value = min(value, clip) + bias
        var exponent = 7
        var mask = 0x4000
        while exponent > 0, value & mask == 0 {
            exponent -= 1
            mask >>= 1
        }
        let mantissa = (value >> (exponent + 3)) & 0x0F
        return ~UInt8(sign | (exponent << 4) | mantissa)
    }

    /// A-law (PCMA) of one 16-bit sample.
    public static func aLaw(_ sample: Int16) -> UInt8 {
        var value = Int(sample) >> 3
        let sign = value >= 0 ? 0x80 : 0
        if value < 0 { value = -value - 1 }
        var encoded: Int
        if value < 32 {
            encoded = value >> 1
        } else {
            var exponent = 1
            var limit = 64
            while exponent < 7, value >= limit {
                exponent += 1
                limit <<= 1
            }
            encoded = (exponent << 4) | ((value >> exponent) & 0x0F)
        }
        return UInt8((encoded | sign) ^ 0x55)
    }

    /// 20 ms (160 samples at 8 kHz) of a sine tone, starting at sample `offset`, encoded for `codec`
    /// ("PCMU" or "PCMA").
    public static func tone(frequency: Double, samples: Int = 160, offset: Int, codec: String) -> [UInt8] {
        (0..<samples).map { index in
            let t = Double(offset + index) / 8000
            let sample = Int16(8000 * sine(2 * Double.pi * frequency * t))
            return codec.uppercased() == "PCMA" ? aLaw(sample) : muLaw(sample)
        }
    }

    /// sin(x) without Foundation, by range reduction and a Taylor series (accurate to ~1e-7: plenty for a tone).
    static func sine(_ x: Double) -> Double {
        let twoPi = 2 * Double.pi
        var y = x - twoPi * (x / twoPi).rounded(.down)
        if y > Double.pi { y -= twoPi }
        if y > Double.pi / 2 { y = Double.pi - y } else if y < -Double.pi / 2 { y = -Double.pi - y }
        let y2 = y * y
        return y * (1 - y2 / 6 * (1 - y2 / 20 * (1 - y2 / 42 * (1 - y2 / 72 * (1 - y2 / 110)))))
    }
}

/// An RFC 4733 telephone-event payload (DTMF).
public struct TelephoneEvent: Sendable, Hashable {
    /// 0–9, 10 = *, 11 = #, 12–15 = A–D.
    public var event: UInt8
    public var end: Bool
    public var volume: UInt8
    public var duration: UInt16

    public init(event: UInt8, end: Bool, volume: UInt8 = 10, duration: UInt16) {
        self.event = event
        self.end = end
        self.volume = volume
        self.duration = duration
    }

    public init?(payload: [UInt8]) {
        guard payload.count >= 4 else { return nil }
        event = payload[0]
        end = payload[1] & 0x80 != 0
        volume = payload[1] & 0x3F
        duration = UInt16(payload[2]) << 8 | UInt16(payload[3])
    }

    public var payload: [UInt8] { [event, (end ? 0x80 : 0) | (volume & 0x3F), UInt8(duration >> 8), UInt8(duration & 0xFF)] }

    /// The event code of a DTMF digit.
    public static func code(of digit: Character) -> UInt8? {
        switch digit {
        case "0"..."9": digit.asciiValue.map { $0 - 48 }
        case "*": 10
        case "#": 11
        case "A"..."D": digit.asciiValue.map { $0 - 65 + 12 }
        default: nil
        }
    }
}
