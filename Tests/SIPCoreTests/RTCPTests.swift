import SIPCore
import Testing

struct RTCPTests {
    let block = RTCPReportBlock(
        ssrc: 0xDEAD_BEEF, fractionLost: 64, cumulativeLost: -3, extendedHighestSequence: 0x0001_0010, jitter: 42,
        lastSR: 0x1234_5678, delaySinceLastSR: 65536)

    @Test func aCompoundPacketRoundTrips() throws {
        let packets: [RTCPPacket] = [
            .senderReport(ssrc: 7, ntp: 0x0102_0304_0506_0708, rtpTimestamp: 160, packetCount: 250, octetCount: 40_000, reports: [block]),
            .sourceDescription(ssrc: 7, cname: "abc@siptrunk"),
            .bye(ssrcs: [7]),
        ]
        let bytes = RTCPPacket.compound(packets)
        #expect(bytes.count % 4 == 0)
        // Each packet's length field counts 32-bit words minus one (RFC 3550 §6.4.1): SR with one block is 13.
        #expect(bytes[0] == 0x81 && bytes[1] == 200 && bytes[3] == 12)
        #expect(try RTCPPacket.parseCompound(bytes) == packets)
    }

    @Test func aReceiverReportCarriesNegativeLossSignExtended() throws {
        let bytes = RTCPPacket.receiverReport(ssrc: 9, reports: [block]).serialized()
        let parsed = try RTCPPacket.parseCompound(bytes)
        #expect(parsed.first?.reports.first?.cumulativeLost == -3)
        #expect(parsed.first?.reports.first?.fractionLost == 64)
    }

    @Test func truncatedOrForeignDataIsRejectedNotTrusted() {
        let bytes = RTCPPacket.receiverReport(ssrc: 9, reports: [block]).serialized()
        #expect(throws: RTCPPacket.ParseError.badLength) { try RTCPPacket.parseCompound(Array(bytes.dropLast(4))) }
        #expect(throws: RTCPPacket.ParseError.notRTCP) { try RTCPPacket.parseCompound([0x80, 0x00, 0x00, 0x00]) }
        #expect(throws: RTCPPacket.ParseError.notVersion2) { try RTCPPacket.parseCompound([0x40, 201, 0x00, 0x00]) }
        // A report count larger than the packet holds.
        #expect(throws: RTCPPacket.ParseError.badLength) { try RTCPPacket.parseCompound([0x85, 201, 0x00, 0x01, 0, 0, 0, 9]) }
    }

    @Test func theReportBlockCountsLossSinceThePreviousReport() throws {
        var statistics = RTPReceiveStatistics()
        // Sequence 100–109 with 104 and 105 missing: 10 expected, 8 received.
        for sequence in [100, 101, 102, 103, 106, 107, 108, 109] {
            statistics.record(RTPPacket(payloadType: 0, sequenceNumber: UInt16(sequence), timestamp: UInt32(sequence * 160), ssrc: 5, payload: []), arrival: .milliseconds(sequence * 20))
        }
        var previous = (expected: 0, received: 0)
        let first = try #require(statistics.reportBlock(since: &previous, lastSR: (0xABCD_0000, .seconds(1)), now: .milliseconds(1500)))
        #expect(first.ssrc == 5 && first.cumulativeLost == 2 && first.extendedHighestSequence == 109)
        #expect(first.fractionLost == UInt8(2 * 256 / 10))
        #expect(first.lastSR == 0xABCD_0000 && first.delaySinceLastSR == 32768)
        // Nothing lost since: the fraction is zero, the cumulative count stays.
        statistics.record(RTPPacket(payloadType: 0, sequenceNumber: 110, timestamp: 110 * 160, ssrc: 5, payload: []), arrival: .milliseconds(2200))
        let second = try #require(statistics.reportBlock(since: &previous, lastSR: nil, now: .seconds(3)))
        #expect(second.fractionLost == 0 && second.cumulativeLost == 2 && second.lastSR == 0 && second.delaySinceLastSR == 0)
    }

    @Test func ntpTimeIsSecondsSince1900() {
        #expect(RTCPPacket.ntpTime(unixSeconds: 0) == UInt64(2_208_988_800) << 32)
        #expect(RTCPPacket.ntpTime(unixSeconds: 0.5) & 0xFFFF_FFFF == 0x8000_0000)
    }
}
