import SIPCore
import Testing

/// HEP decoding (issue 16): versions 2 and 3 as agents send them, and every malformed packet refused by reason.
struct HEPTests {
    static let invite = Array(
        ("INVITE sip:+14155550100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
            + "To: <sip:+14155550100@127.0.0.1>\r\nCall-ID: hep-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n").utf8)

    static func chunk(_ type: UInt16, _ body: [UInt8], vendor: UInt16 = 0) -> [UInt8] {
        let length = UInt16(body.count + 6)
        return [UInt8(vendor >> 8), UInt8(vendor & 0xFF), UInt8(type >> 8), UInt8(type & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF)] + body
    }

    static func be16(_ value: Int) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)] }

    static func hep3(_ chunks: [UInt8]) -> [UInt8] {
        let total = chunks.count + 6
        return Array("HEP3".utf8) + be16(total) + chunks
    }

    static var kamailioLike: [UInt8] {
        hep3(
            chunk(1, [2]) + chunk(2, [17]) + chunk(3, [127, 0, 0, 1]) + chunk(4, [127, 0, 0, 31]) + chunk(7, be16(5060)) + chunk(8, be16(15160))
                + chunk(9, be32(1_796_400_000)) + chunk(10, be32(250_000)) + chunk(11, [1]) + chunk(12, be32(2001)) + chunk(14, Array("secret".utf8))
                + chunk(0x0020, [1, 2, 3], vendor: 0x0003) + chunk(15, invite))
    }

    @Test func hep3FromAnAgentDecodesEveryChunk() throws {
        let packet = try HEPPacket(decoding: Self.kamailioLike)
        #expect(packet.version == 3)
        #expect(packet.family == 2 && packet.transportProtocol == 17)
        #expect(packet.sourceAddress == "127.0.0.1" && packet.sourcePort == 5060)
        #expect(packet.destinationAddress == "127.0.0.31" && packet.destinationPort == 15160)
        #expect(packet.timestamp == 1_796_400_000.25)
        #expect(packet.captureId == 2001 && packet.authKey == "secret" && packet.payloadType == 1)
        #expect(packet.payload == Self.invite)
        // Encoded back, it decodes to the same packet.
        #expect(try HEPPacket(decoding: packet.encodedV3()) == packet)
        #expect(try HEPPacket.frameLength(Self.kamailioLike + [0x48, 0x45]) == Self.kamailioLike.count)
        #expect(try HEPPacket.frameLength(Array(Self.kamailioLike.prefix(10))) == nil)
    }

    @Test func hep3OverIPv6() throws {
        let source = try #require(IPAddress.ipv6Bytes("2001:db8::1"))
        let destination = try #require(IPAddress.ipv6Bytes("2001:db8::a:2"))
        let packet = try HEPPacket(decoding: Self.hep3(
            Self.chunk(1, [10]) + Self.chunk(2, [6]) + Self.chunk(5, source) + Self.chunk(6, destination) + Self.chunk(7, Self.be16(5061))
                + Self.chunk(8, Self.be16(5061)) + Self.chunk(11, [1]) + Self.chunk(15, Self.invite)))
        #expect(packet.sourceAddress == "2001:db8::1" && packet.destinationAddress == "2001:db8::a:2" && packet.transportProtocol == 6)
        #expect(packet.timestamp == nil)
    }

    @Test func hep2WithItsLittleEndianTimestamp() throws {
        let bytes: [UInt8] = [2, 28, 2, 17] + Self.be16(5060) + Self.be16(5062) + [127, 0, 0, 1, 127, 0, 0, 2]
            + [0x80, 0x2F, 0x13, 0x6B] + [0x40, 0xE2, 0x01, 0x00] + [0xD1, 0x07, 0, 0] + Self.invite
        let packet = try HEPPacket(decoding: bytes)
        #expect(packet.version == 2 && packet.sourcePort == 5060 && packet.destinationAddress == "127.0.0.2")
        #expect(packet.captureId == 2001)
        #expect(packet.timestamp == Double(UInt32(0x6B13_2F80)) + 0.123456)
        #expect(packet.payload == Self.invite)
        #expect(throws: HEPPacket.Problem.self) { try HEPPacket.frameLength(bytes) }
    }

    static let malformed: [([UInt8], String)] = {
        var cases: [([UInt8], String)] = []
        cases.append(([UInt8](), "empty packet"))
        cases.append((Array("GET / HTTP/1.1\r\n".utf8), "not a HEP packet"))
        cases.append((Array("HEP3".utf8) + [0, 200] + [UInt8](repeating: 0, count: 10), "length says 200"))
        cases.append((HEPTests.hep3(HEPTests.chunk(1, [2]) + [0, 0, 0, 15, 0xFF, 0xFF]), "past the packet's end"))
        cases.append((HEPTests.hep3(HEPTests.chunk(1, [2]) + [0, 0, 0, 15, 0, 2]), "past the packet's end"))
        cases.append((HEPTests.hep3(HEPTests.chunk(1, [2]) + HEPTests.chunk(3, [1, 2, 3])), "chunk 3 is 3 bytes"))
        cases.append((HEPTests.hep3(HEPTests.chunk(1, [2]) + HEPTests.chunk(3, [1, 2, 3, 4]) + HEPTests.chunk(4, [1, 2, 3, 4])), "no payload"))
        cases.append((HEPTests.hep3(HEPTests.chunk(1, [7]) + HEPTests.chunk(15, [1])), "neither IPv4"))
        cases.append((HEPTests.hep3(HEPTests.chunk(1, [2]) + HEPTests.chunk(16, [1, 2])), "compressed"))
        cases.append((HEPTests.hep3(HEPTests.chunk(1, [2]) + HEPTests.chunk(15, [1])), "lacks its addresses"))
        cases.append(([2, 28, 2, 17, 0, 1], "header truncated"))
        cases.append(([2, 99, 2, 17] + [UInt8](repeating: 0, count: 40), "header length 99"))
        cases.append(([1, 16, 9, 17] + [UInt8](repeating: 0, count: 40), "address family 9"))
        return cases
    }()

    @Test(arguments: HEPTests.malformed)
    func malformedPacketsAreRefusedWithTheirReason(_ bytes: [UInt8], _ reason: String) {
        do {
            _ = try HEPPacket(decoding: bytes)
            Issue.record("decoded: \(reason)")
        } catch {
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    @Test func packetsOver64KiBAreRefused() {
        #expect(throws: HEPPacket.Problem.self) { try HEPPacket(decoding: [UInt8](repeating: 2, count: 65_536)) }
        #expect(throws: HEPPacket.Problem.self) { try HEPPacket.frameLength(Array("HEP3".utf8) + [0, 3]) }
        #expect(throws: HEPPacket.Problem.self) { try HEPPacket.frameLength(Array("HEPX".utf8) + [0, 30]) }
    }
}
