import SIPCore
import SIPNetwork
import Testing

/// Frames to SIP messages (issue 16): the link layers libpcap gives, IPv4 fragments, IPv6, TCP streams, and what is
/// skipped with a reason.
struct PacketDecoderTests {
    static func invite(_ bodySize: Int = 0) -> [UInt8] {
        let body = String(repeating: "a=x-padding:0123456789\r\n", count: bodySize / 24)
        return Array(("INVITE sip:+14155550100@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKpd\r\n"
            + "From: <sip:a@10.0.0.1>;tag=1\r\nTo: <sip:+14155550100@10.0.0.2>\r\nCall-ID: pd-1\r\nCSeq: 1 INVITE\r\n"
            + "Content-Type: application/sdp\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
    }

    static func ethernet(_ etherType: UInt16, _ payload: [UInt8]) -> [UInt8] {
        [UInt8](repeating: 0x02, count: 12) + [UInt8(etherType >> 8), UInt8(etherType & 0xFF)] + payload
    }

    static func ipv4(_ proto: UInt8, _ payload: [UInt8], id: UInt16 = 7, fragmentOffset: Int = 0, more: Bool = false) -> [UInt8] {
        let total = 20 + payload.count
        let flagsAndOffset = (more ? 0x2000 : 0) | (fragmentOffset / 8)
        return [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flagsAndOffset >> 8), UInt8(flagsAndOffset & 0xFF),
                64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2] + payload
    }

    static func udp(_ payload: [UInt8], source: UInt16 = 5060, destination: UInt16 = 5060) -> [UInt8] {
        let length = 8 + payload.count
        return [UInt8(source >> 8), UInt8(source & 0xFF), UInt8(destination >> 8), UInt8(destination & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF), 0, 0] + payload
    }

    static func tcp(_ payload: [UInt8], sequence: UInt32, flags: UInt8 = 0x18) -> [UInt8] {
        [0x13, 0xC4, 0x13, 0xC4, UInt8(sequence >> 24), UInt8((sequence >> 16) & 0xFF), UInt8((sequence >> 8) & 0xFF), UInt8(sequence & 0xFF),
         0, 0, 0, 0, 0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0] + payload
    }

    @Test func udpOverEthernetWithAVLANTag() {
        var decoder = PacketDecoder(linkType: .ethernet)
        let tagged = [UInt8](repeating: 0x02, count: 12) + [0x81, 0x00, 0x00, 0x64, 0x08, 0x00] + Self.ipv4(17, Self.udp(Self.invite()))
        let packets = decoder.decode(tagged, time: 1)
        #expect(packets.count == 1)
        #expect(packets.first?.source == "10.0.0.1" && packets.first?.destination == "10.0.0.2" && packets.first?.transport == "udp")
        #expect(packets.first?.payload == Self.invite())
    }

    @Test func aFragmentedINVITEIsReassembledInAnyOrder() {
        var decoder = PacketDecoder(linkType: .ethernet)
        let datagram = Self.udp(Self.invite(3000))
        let first = Array(datagram[0..<1480])
        let second = Array(datagram[1480..<2960])
        let third = Array(datagram[2960...])
        #expect(decoder.decode(Self.ethernet(0x0800, Self.ipv4(17, third, fragmentOffset: 2960)), time: 1).isEmpty)
        #expect(decoder.decode(Self.ethernet(0x0800, Self.ipv4(17, first, more: true)), time: 1).isEmpty)
        let packets = decoder.decode(Self.ethernet(0x0800, Self.ipv4(17, second, fragmentOffset: 1480, more: true)), time: 1)
        #expect(packets.count == 1)
        #expect(packets.first?.payload == Self.invite(3000))
    }

    @Test func tcpSegmentsAreReassembledRetransmissionsDroppedAndMessagesFramed() {
        var decoder = PacketDecoder(linkType: .raw)
        let two = Self.invite() + Self.invite(100)
        var packets: [CapturedPacket] = []
        packets += decoder.decode(Self.ipv4(6, Self.tcp([], sequence: 999, flags: 0x02)), time: 1)  // SYN
        packets += decoder.decode(Self.ipv4(6, Self.tcp(Array(two[0..<100]), sequence: 1000)), time: 1)
        packets += decoder.decode(Self.ipv4(6, Self.tcp(Array(two[200...]), sequence: 1200)), time: 2)  // ahead of a gap
        packets += decoder.decode(Self.ipv4(6, Self.tcp(Array(two[0..<100]), sequence: 1000)), time: 2)  // retransmission
        packets += decoder.decode(Self.ipv4(6, Self.tcp(Array(two[100..<200]), sequence: 1100)), time: 3)  // fills the gap
        #expect(packets.map(\.payload) == [Self.invite(), Self.invite(100)])
        #expect(packets.allSatisfy { $0.transport == "tcp" })
    }

    @Test func ipv6OverLinuxCookedV2() {
        var decoder = PacketDecoder(linkType: .linuxCooked2)
        let source: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]
        let destination: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [2]
        let payload = Self.udp(Self.invite())
        let ipv6: [UInt8] = [0x60, 0, 0, 0, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF), 17, 64] + source + destination + payload
        let cooked: [UInt8] = [0x86, 0xDD, 0, 0] + [UInt8](repeating: 0, count: 16) + ipv6
        let packets = decoder.decode(cooked, time: 1)
        #expect(packets.first?.source == "2001:db8::1" && packets.first?.destination == "2001:db8::2")
    }

    @Test func whatIsNotSIPIsSkippedWithItsReason() {
        var decoder = PacketDecoder(linkType: .ethernet)
        #expect(decoder.decode(Self.ethernet(0x0806, [UInt8](repeating: 0, count: 28)), time: 1).isEmpty)
        #expect(decoder.decode(Self.ethernet(0x0800, Self.ipv4(17, Self.udp(Array("\r\n\r\n".utf8)))), time: 1).isEmpty)
        #expect(decoder.decode(Self.ethernet(0x0800, Self.ipv4(17, Self.udp(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)))), time: 1).isEmpty)
        #expect(decoder.decode(Self.ethernet(0x0800, Self.ipv4(1, [8, 0, 0, 0])), time: 1).isEmpty)
        #expect(decoder.decode([1, 2, 3], time: 1).isEmpty)
        #expect(decoder.decode(Self.ethernet(0x0800, Array(Self.ipv4(17, Self.udp(Self.invite())).prefix(30))), time: 1).isEmpty)
        #expect(decoder.skipped["not IP (EtherType 0x806)"] == 1)
        #expect(decoder.skipped["keep-alive"] == 1)
        // (The HTTP request, and the two bytes left of the INVITE cut short by the snap length.)
        #expect(decoder.skipped["UDP payload that is not SIP"] == 2)
        #expect(decoder.skipped["IP protocol 1 (neither UDP nor TCP)"] == 1)
        #expect(decoder.skipped["truncated Ethernet header"] == 1)
        #expect(decoder.skipped["IPv4 packet cut short by the capture's snap length"] == 1)
    }

    @Test func fragmentsThatNeverCompleteAreBounded() {
        var decoder = PacketDecoder(linkType: .raw)
        decoder.maximumFragmentSets = 8
        for id in 0..<100 { _ = decoder.decode(Self.ipv4(17, [UInt8](repeating: 0, count: 64), id: UInt16(id), more: true), time: 1) }
        #expect(decoder.skipped["fragments never completed (dropped)"] == 92)
    }
}
