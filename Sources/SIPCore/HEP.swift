/// HEP, the Homer Encapsulation Protocol: how Kamailio (`siptrace`), OpenSIPS (`proto_hep`), Asterisk (`res_hep`),
/// FreeSWITCH and heplify send copies of the SIP messages they see to a capture server (issue 16).
///
/// Versions 1 and 2 are a fixed header (HEP2 adds a timestamp and a capture id) followed by the payload; version 3
/// (`HEP3` magic) is a list of typed chunks. Decoding is pure: bytes in, a packet or the reason it was refused out.
/// Every length is checked before it is used, so a hostile or truncated packet is refused, never read past.
public struct HEPPacket: Sendable, Hashable {
    public var version: Int
    /// 2 for IPv4, 10 for IPv6 (the socket family values HEP uses).
    public var family: Int
    /// 17 UDP, 6 TCP, 132 SCTP (IANA protocol numbers).
    public var transportProtocol: Int
    public var sourceAddress: String
    public var sourcePort: Int
    public var destinationAddress: String
    public var destinationPort: Int
    /// Seconds since 1970 with microseconds, when the agent captured it (HEP1 has none: nil).
    public var timestamp: Double?
    /// HEP3 payload type: 1 is SIP.
    public var payloadType: Int
    public var captureId: UInt32?
    /// HEP3 chunk 14: the capture password the agent sends.
    public var authKey: String?
    /// HEP3 chunk 17: a correlation id (often the Call-ID).
    public var correlationId: String?
    public var payload: [UInt8]

    /// The largest packet accepted (issue 16: Homer collectors refusing packets over 8 KB lose large INVITEs).
    public static let maximumSize = 65_535

    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// One packet: a whole datagram, or one framed from a stream (see `frameLength`).
    public init(decoding bytes: some Collection<UInt8>) throws(Problem) {
        let data = Array(bytes)
        guard !data.isEmpty else { throw Problem("empty packet") }
        guard data.count <= Self.maximumSize else { throw Problem("packet of \(data.count) bytes is over the 64 KiB limit") }
        if data.count >= 4, data[0] == 0x48, data[1] == 0x45, data[2] == 0x50, data[3] == 0x33 {
            self = try Self.decodeV3(data)
        } else if data[0] == 1 || data[0] == 2 {
            self = try Self.decodeV1V2(data)
        } else {
            throw Problem("not a HEP packet (it starts with 0x\(String(data[0], radix: 16)), not HEP3 or version 1/2)")
        }
    }

    /// For a TCP stream: how many bytes the packet at the start of `buffer` takes, nil when more bytes are needed;
    /// throws when the stream is not HEP (the connection is then closed: its framing is lost).
    public static func frameLength(_ buffer: some RandomAccessCollection<UInt8>) throws(Problem) -> Int? {
        guard let first = buffer.first else { return nil }
        let start = buffer.startIndex
        if first == 0x48 {
            guard buffer.count >= 6 else { return nil }
            let magic = Array(buffer[start..<buffer.index(start, offsetBy: 4)])
            guard magic == [0x48, 0x45, 0x50, 0x33] else { throw Problem("the stream is not HEP3 (bad magic)") }
            let length = Int(buffer[buffer.index(start, offsetBy: 4)]) << 8 | Int(buffer[buffer.index(start, offsetBy: 5)])
            guard length >= 6, length <= maximumSize else { throw Problem("HEP3 length \(length) is out of range") }
            return buffer.count >= length ? length : nil
        }
        if first == 1 || first == 2 {
            // HEP1/2 carry only the header length: a stream of them cannot be framed.
            throw Problem("HEP version \(first) over a stream cannot be framed; send HEP3 over TCP")
        }
        throw Problem("the stream is not HEP (it starts with 0x\(String(first, radix: 16)))")
    }

    static func decodeV1V2(_ data: [UInt8]) throws(Problem) -> HEPPacket {
        guard data.count >= 4 else { throw Problem("HEP\(data[0]) header truncated") }
        let version = Int(data[0])
        let headerLength = Int(data[1])
        let family = Int(data[2])
        let proto = Int(data[3])
        let addressSize: Int
        switch family {
        case 2: addressSize = 4
        case 10: addressSize = 16
        default: throw Problem("HEP\(version) address family \(family) is neither IPv4 (2) nor IPv6 (10)")
        }
        // version, length, family, protocol, two ports, two addresses; HEP2 adds seconds, microseconds, capture id.
        let fixed = 8 + 2 * addressSize + (version == 2 ? 12 : 0)
        guard data.count >= fixed else { throw Problem("HEP\(version) header truncated: \(data.count) bytes, \(fixed) needed") }
        guard headerLength == fixed || headerLength == 8 + 2 * addressSize else {
            throw Problem("HEP\(version) header length \(headerLength) does not match family \(family) (\(fixed) expected)")
        }
        var reader = Reader(data, at: 4)
        let sourcePort = reader.u16()
        let destinationPort = reader.u16()
        let source = reader.address(addressSize)
        let destination = reader.address(addressSize)
        var timestamp: Double?
        var captureId: UInt32?
        if version == 2 {
            let seconds = reader.u32le()
            let micros = reader.u32le()
            captureId = UInt32(reader.u16le())
            _ = reader.u16()
            timestamp = Double(seconds) + Double(micros) / 1_000_000
        }
        return HEPPacket(
            version: version, family: family, transportProtocol: proto, sourceAddress: source, sourcePort: sourcePort,
            destinationAddress: destination, destinationPort: destinationPort, timestamp: timestamp, payloadType: 1,
            captureId: captureId, authKey: nil, correlationId: nil, payload: Array(data[fixed...]))
    }

    static func decodeV3(_ data: [UInt8]) throws(Problem) -> HEPPacket {
        guard data.count >= 6 else { throw Problem("HEP3 header truncated") }
        let total = Int(data[4]) << 8 | Int(data[5])
        guard total == data.count else { throw Problem("HEP3 length says \(total) bytes, the packet has \(data.count)") }
        var packet = HEPPacket(
            version: 3, family: 0, transportProtocol: 0, sourceAddress: "", sourcePort: 0, destinationAddress: "", destinationPort: 0,
            timestamp: nil, payloadType: 0, captureId: nil, authKey: nil, correlationId: nil, payload: [])
        var seconds: UInt32?
        var micros: UInt32 = 0
        var sawPayload = false
        var offset = 6
        while offset < data.count {
            guard data.count - offset >= 6 else { throw Problem("HEP3 chunk header truncated at byte \(offset)") }
            var reader = Reader(data, at: offset)
            let vendor = reader.u16()
            let type = reader.u16()
            let length = reader.u16()
            guard length >= 6, offset + length <= data.count else {
                throw Problem("HEP3 chunk \(type) at byte \(offset) has length \(length), past the packet's end")
            }
            let body = Array(data[(offset + 6)..<(offset + length)])
            offset += length
            guard vendor == 0 else { continue }  // vendor chunks: not ours to read
            func need(_ size: Int) throws(Problem) {
                guard body.count == size else { throw Problem("HEP3 chunk \(type) is \(body.count) bytes, \(size) expected") }
            }
            var field = Reader(body, at: 0)
            switch type {
            case 1: try need(1); packet.family = Int(body[0])
            case 2: try need(1); packet.transportProtocol = Int(body[0])
            case 3: try need(4); packet.sourceAddress = field.address(4)
            case 4: try need(4); packet.destinationAddress = field.address(4)
            case 5: try need(16); packet.sourceAddress = field.address(16)
            case 6: try need(16); packet.destinationAddress = field.address(16)
            case 7: try need(2); packet.sourcePort = field.u16()
            case 8: try need(2); packet.destinationPort = field.u16()
            case 9: try need(4); seconds = field.u32()
            case 10: try need(4); micros = field.u32()
            case 11: try need(1); packet.payloadType = Int(body[0])
            case 12: try need(4); packet.captureId = field.u32()
            case 14: packet.authKey = String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)
            case 15:
                packet.payload = body
                sawPayload = true
            case 16: throw Problem("HEP3 compressed payloads (chunk 16) are not supported; turn compression off in the agent")
            case 17: packet.correlationId = String(decoding: body, as: UTF8.self)
            default: continue
            }
        }
        guard sawPayload else { throw Problem("HEP3 packet has no payload (chunk 15)") }
        guard packet.family == 2 || packet.family == 10 else { throw Problem("HEP3 address family \(packet.family) is neither IPv4 (2) nor IPv6 (10)") }
        guard !packet.sourceAddress.isEmpty, !packet.destinationAddress.isEmpty else { throw Problem("HEP3 packet lacks its addresses (chunks 3/4 or 5/6)") }
        packet.timestamp = seconds.map { Double($0) + Double(micros) / 1_000_000 }
        return packet
    }

    /// Encodes a HEP3 packet (the tests' agent, and `siptrunk` forwarding in future).
    public func encodedV3() -> [UInt8] {
        var chunks: [UInt8] = []
        func chunk(_ type: UInt16, _ body: [UInt8]) {
            let length = UInt16(body.count + 6)
            chunks += [0, 0, UInt8(type >> 8), UInt8(type & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF)] + body
        }
        func be16(_ value: Int) -> [UInt8] { [UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)] }
        func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)] }
        let v6 = family == 10
        chunk(1, [UInt8(family)])
        chunk(2, [UInt8(transportProtocol)])
        chunk(v6 ? 5 : 3, Self.addressBytes(sourceAddress, v6: v6))
        chunk(v6 ? 6 : 4, Self.addressBytes(destinationAddress, v6: v6))
        chunk(7, be16(sourcePort))
        chunk(8, be16(destinationPort))
        if let timestamp {
            let seconds = UInt32(max(0, timestamp.rounded(.down)))
            chunk(9, be32(seconds))
            chunk(10, be32(UInt32(((timestamp - Double(seconds)) * 1_000_000).rounded())))
        }
        chunk(11, [UInt8(payloadType)])
        if let captureId { chunk(12, be32(captureId)) }
        if let authKey { chunk(14, Array(authKey.utf8)) }
        if let correlationId { chunk(17, Array(correlationId.utf8)) }
        chunk(15, payload)
        let total = chunks.count + 6
        return [0x48, 0x45, 0x50, 0x33, UInt8((total >> 8) & 0xFF), UInt8(total & 0xFF)] + chunks
    }

    static func addressBytes(_ text: String, v6: Bool) -> [UInt8] {
        if v6 { return IPAddress.ipv6Bytes(text) ?? [UInt8](repeating: 0, count: 16) }
        let octets = text.split(separator: ".").compactMap { UInt8($0) }
        return octets.count == 4 ? octets : [0, 0, 0, 0]
    }

    public init(
        version: Int, family: Int, transportProtocol: Int, sourceAddress: String, sourcePort: Int, destinationAddress: String,
        destinationPort: Int, timestamp: Double?, payloadType: Int, captureId: UInt32?, authKey: String?, correlationId: String?, payload: [UInt8]
    ) {
        self.version = version
        self.family = family
        self.transportProtocol = transportProtocol
        self.sourceAddress = sourceAddress
        self.sourcePort = sourcePort
        self.destinationAddress = destinationAddress
        self.destinationPort = destinationPort
        self.timestamp = timestamp
        self.payloadType = payloadType
        self.captureId = captureId
        self.authKey = authKey
        self.correlationId = correlationId
        self.payload = payload
    }
}

/// Big-endian (and HEP2's little-endian timestamp) fields read at checked offsets.
private struct Reader {
    let bytes: [UInt8]
    var offset: Int

    init(_ bytes: [UInt8], at offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    mutating func u16() -> Int {
        defer { offset += 2 }
        return Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
    }

    mutating func u16le() -> Int {
        defer { offset += 2 }
        return Int(bytes[offset + 1]) << 8 | Int(bytes[offset])
    }

    mutating func u32() -> UInt32 {
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    mutating func u32le() -> UInt32 {
        defer { offset += 4 }
        return UInt32(bytes[offset + 3]) << 24 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset])
    }

    mutating func address(_ size: Int) -> String {
        defer { offset += size }
        let slice = Array(bytes[offset..<(offset + size)])
        if size == 4 { return slice.map(String.init).joined(separator: ".") }
        return IPv6Text.format(slice)
    }
}

/// RFC 5952 text for 16 bytes: lower case, the longest run of zero groups (two or more) as `::`.
public enum IPv6Text {
    public static func format(_ bytes: [UInt8]) -> String {
        let groups = stride(from: 0, to: 16, by: 2).map { Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]) }
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            if groups[index] == 0 {
                var end = index
                while end < 8, groups[end] == 0 { end += 1 }
                if end - index > bestLength, end - index >= 2 {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            } else {
                index += 1
            }
        }
        func text(_ range: Range<Int>) -> String { range.map { String(groups[$0], radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return text(0..<8) }
        return text(0..<bestStart) + "::" + text((bestStart + bestLength)..<8)
    }
}
