import SIPCore

/// A SIP message found in captured packets, with its addresses as the wire had them.
public struct CapturedPacket: Sendable, Hashable {
    /// Seconds since 1970.
    public var time: Double
    public var source: String
    public var sourcePort: Int
    public var destination: String
    public var destinationPort: Int
    /// `udp` or `tcp`.
    public var transport: String
    public var payload: [UInt8]

    public init(time: Double, source: String, sourcePort: Int, destination: String, destinationPort: Int, transport: String, payload: [UInt8]) {
        self.time = time
        self.source = source
        self.sourcePort = sourcePort
        self.destination = destination
        self.destinationPort = destinationPort
        self.transport = transport
        self.payload = payload
    }
}

/// Link-layer frames to SIP messages, like sngrep's capture path: Ethernet (with VLAN tags), Linux cooked (v1 and
/// v2), raw IP and BSD loopback; IPv4 with fragments reassembled (a large INVITE is often fragmented) and IPv6 with its
/// extension and fragment headers; SIP over UDP (one message per datagram) and over TCP (each direction of a
/// connection reassembled in sequence order and framed by Content-Length). SIP over TLS cannot be read from the wire
/// (use HEP from the server instead).
///
/// Pure: frames in, messages and skip reasons out. Memory is bounded: at most `maximumFragmentSets` IPv4/IPv6
/// datagrams being reassembled and `maximumFlows` TCP directions, the oldest dropped first.
public struct PacketDecoder: Sendable {
    /// libpcap's DLT_ values this decoder reads.
    public enum LinkType: Int32, Sendable {
        case null = 0, ethernet = 1, raw = 101, linuxCooked = 113, linuxCooked2 = 276, ipv4 = 228, ipv6 = 229
        // DLT_RAW is 12 or 14 on some systems and 101 in files (LINKTYPE_RAW).
        public init?(dlt: Int32) {
            switch dlt {
            case 12, 14: self = .raw
            default: self.init(rawValue: dlt)
            }
        }
    }

    public let linkType: LinkType
    public var maximumFragmentSets = 1024
    public var maximumFlows = 10_000
    /// Skipped frames by reason (not IP, not UDP/TCP, not SIP, truncated, ...).
    public private(set) var skipped: [String: Int] = [:]

    private var fragments: [FragmentKey: FragmentSet] = [:]
    private var fragmentOrder: [FragmentKey] = []
    private var flows: [FlowKey: Flow] = [:]
    private var flowOrder: [FlowKey] = []

    public init(linkType: LinkType) {
        self.linkType = linkType
    }

    struct FragmentKey: Hashable, Sendable {
        var source: [UInt8]
        var destination: [UInt8]
        var identification: UInt32
        var proto: UInt8
    }

    struct FragmentSet: Sendable {
        var pieces: [(offset: Int, bytes: [UInt8])] = []
        var total: Int?
        var header: IPHeader
    }

    struct FlowKey: Hashable, Sendable {
        var source: String
        var sourcePort: Int
        var destination: String
        var destinationPort: Int
    }

    struct Flow: Sendable {
        var next: UInt32?
        var parser = SIPStreamParser()
        /// Segments that arrived ahead of a gap, by sequence number (bounded).
        var ahead: [UInt32: [UInt8]] = [:]
    }

    struct IPHeader: Sendable {
        var source: String
        var destination: String
        var sourceBytes: [UInt8]
        var destinationBytes: [UInt8]
        var proto: UInt8
    }

    mutating func skip(_ reason: String) { skipped[reason, default: 0] += 1 }

    /// The SIP messages a frame completes (none, one, or several from a TCP segment).
    public mutating func decode(_ frame: [UInt8], time: Double) -> [CapturedPacket] {
        var offset = 0
        var etherType: Int
        switch linkType {
        case .ethernet:
            guard frame.count >= 14 else { skip("truncated Ethernet header"); return [] }
            etherType = Int(frame[12]) << 8 | Int(frame[13])
            offset = 14
            // 802.1Q / 802.1ad VLAN tags.
            while etherType == 0x8100 || etherType == 0x88A8 {
                guard frame.count >= offset + 4 else { skip("truncated VLAN tag"); return [] }
                etherType = Int(frame[offset + 2]) << 8 | Int(frame[offset + 3])
                offset += 4
            }
        case .linuxCooked:
            guard frame.count >= 16 else { skip("truncated Linux cooked header"); return [] }
            etherType = Int(frame[14]) << 8 | Int(frame[15])
            offset = 16
        case .linuxCooked2:
            guard frame.count >= 20 else { skip("truncated Linux cooked v2 header"); return [] }
            etherType = Int(frame[0]) << 8 | Int(frame[1])
            offset = 20
        case .null:
            guard frame.count >= 4 else { skip("truncated loopback header"); return [] }
            // The address family in host byte order: 2 is IPv4; 24, 28 or 30 IPv6 (BSD variants), 10 on Linux.
            let family = Int(frame[0]) | Int(frame[1]) << 8
            let big = Int(frame[3]) | Int(frame[2]) << 8
            etherType = (family == 2 || big == 2) ? 0x0800 : 0x86DD
            offset = 4
        case .raw, .ipv4, .ipv6:
            guard let first = frame.first else { skip("empty frame"); return [] }
            etherType = first >> 4 == 6 ? 0x86DD : 0x0800
        }
        switch etherType {
        case 0x0800: return ipv4(frame, at: offset, time: time)
        case 0x86DD: return ipv6(frame, at: offset, time: time)
        default:
            skip("not IP (EtherType 0x\(String(etherType, radix: 16)))")
            return []
        }
    }

    private mutating func ipv4(_ frame: [UInt8], at start: Int, time: Double) -> [CapturedPacket] {
        guard frame.count >= start + 20, frame[start] >> 4 == 4 else { skip("truncated IPv4 header"); return [] }
        let headerLength = Int(frame[start] & 0x0F) * 4
        let totalLength = Int(frame[start + 2]) << 8 | Int(frame[start + 3])
        guard headerLength >= 20, totalLength >= headerLength, frame.count >= start + headerLength else { skip("bad IPv4 header"); return [] }
        // A frame may be padded (Ethernet minimum) or cut short by the snap length.
        let end = min(frame.count, start + totalLength)
        if start + totalLength > frame.count { skip("IPv4 packet cut short by the capture's snap length") }
        let header = IPHeader(
            source: Self.ipv4Text(frame, start + 12), destination: Self.ipv4Text(frame, start + 16),
            sourceBytes: Array(frame[(start + 12)..<(start + 16)]), destinationBytes: Array(frame[(start + 16)..<(start + 20)]),
            proto: frame[start + 9])
        let flags = Int(frame[start + 6]) >> 5
        let fragmentOffset = (Int(frame[start + 6] & 0x1F) << 8 | Int(frame[start + 7])) * 8
        let moreFragments = flags & 1 == 1
        let payload = Array(frame[(start + headerLength)..<end])
        if moreFragments || fragmentOffset > 0 {
            let id = UInt32(frame[start + 4]) << 8 | UInt32(frame[start + 5])
            let key = FragmentKey(source: header.sourceBytes, destination: header.destinationBytes, identification: id, proto: header.proto)
            guard let whole = reassemble(key, header: header, offset: fragmentOffset, bytes: payload, last: !moreFragments) else { return [] }
            return transport(header, whole, time: time)
        }
        return transport(header, payload, time: time)
    }

    private mutating func ipv6(_ frame: [UInt8], at start: Int, time: Double) -> [CapturedPacket] {
        guard frame.count >= start + 40, frame[start] >> 4 == 6 else { skip("truncated IPv6 header"); return [] }
        let payloadLength = Int(frame[start + 4]) << 8 | Int(frame[start + 5])
        var next = frame[start + 6]
        let sourceBytes = Array(frame[(start + 8)..<(start + 24)])
        let destinationBytes = Array(frame[(start + 24)..<(start + 40)])
        var header = IPHeader(
            source: IPv6Text.format(sourceBytes), destination: IPv6Text.format(destinationBytes), sourceBytes: sourceBytes,
            destinationBytes: destinationBytes, proto: next)
        var offset = start + 40
        let end = min(frame.count, offset + payloadLength)
        var fragment: (offset: Int, more: Bool, id: UInt32)?
        // Extension headers: hop-by-hop (0), routing (43), fragment (44), destination options (60).
        while [0, 43, 44, 60].contains(next) {
            guard end >= offset + 8 else { skip("truncated IPv6 extension header"); return [] }
            if next == 44 {
                let value = Int(frame[offset + 2]) << 8 | Int(frame[offset + 3])
                let id = UInt32(frame[offset + 4]) << 24 | UInt32(frame[offset + 5]) << 16 | UInt32(frame[offset + 6]) << 8 | UInt32(frame[offset + 7])
                fragment = ((value >> 3) * 8, value & 1 == 1, id)
                next = frame[offset]
                offset += 8
            } else {
                let length = (Int(frame[offset + 1]) + 1) * 8
                next = frame[offset]
                offset += length
            }
        }
        guard offset <= end else { skip("bad IPv6 extension header"); return [] }
        header.proto = next
        let payload = Array(frame[offset..<end])
        if let fragment {
            let key = FragmentKey(source: sourceBytes, destination: destinationBytes, identification: fragment.id, proto: next)
            guard let whole = reassemble(key, header: header, offset: fragment.offset, bytes: payload, last: !fragment.more) else { return [] }
            return transport(header, whole, time: time)
        }
        return transport(header, payload, time: time)
    }

    /// Adds a fragment; the whole payload once every piece up to the last is here.
    private mutating func reassemble(_ key: FragmentKey, header: IPHeader, offset: Int, bytes: [UInt8], last: Bool) -> [UInt8]? {
        guard offset + bytes.count <= 65_535 else { skip("fragment beyond 64 KiB"); return nil }
        var set = fragments[key] ?? FragmentSet(header: header)
        if fragments[key] == nil {
            fragmentOrder.append(key)
            if fragmentOrder.count > maximumFragmentSets {
                let oldest = fragmentOrder.removeFirst()
                if fragments.removeValue(forKey: oldest) != nil { skip("fragments never completed (dropped)") }
            }
        }
        if !set.pieces.contains(where: { $0.offset == offset }) { set.pieces.append((offset, bytes)) }
        if last { set.total = offset + bytes.count }
        fragments[key] = set
        guard let total = set.total else { return nil }
        var covered = 0
        for piece in set.pieces.sorted(by: { $0.offset < $1.offset }) {
            guard piece.offset <= covered else { return nil }
            covered = max(covered, piece.offset + piece.bytes.count)
        }
        guard covered >= total else { return nil }
        var whole = [UInt8](repeating: 0, count: total)
        for piece in set.pieces {
            let upper = min(total, piece.offset + piece.bytes.count)
            guard piece.offset < upper else { continue }
            whole.replaceSubrange(piece.offset..<upper, with: piece.bytes[0..<(upper - piece.offset)])
        }
        fragments[key] = nil
        fragmentOrder.removeAll { $0 == key }
        return whole
    }

    private mutating func transport(_ header: IPHeader, _ payload: [UInt8], time: Double) -> [CapturedPacket] {
        switch header.proto {
        case 17:
            guard payload.count >= 8 else { skip("truncated UDP header"); return [] }
            let sourcePort = Int(payload[0]) << 8 | Int(payload[1])
            let destinationPort = Int(payload[2]) << 8 | Int(payload[3])
            let body = Array(payload[8...])
            guard Self.looksLikeSIP(body) else {
                skip(body.allSatisfy({ $0 == 0x0D || $0 == 0x0A || $0 == 0 }) ? "keep-alive" : "UDP payload that is not SIP")
                return []
            }
            return [CapturedPacket(
                time: time, source: header.source, sourcePort: sourcePort, destination: header.destination, destinationPort: destinationPort,
                transport: "udp", payload: body)]
        case 6:
            return tcp(header, payload, time: time)
        default:
            skip("IP protocol \(header.proto) (neither UDP nor TCP)")
            return []
        }
    }

    private mutating func tcp(_ header: IPHeader, _ segment: [UInt8], time: Double) -> [CapturedPacket] {
        guard segment.count >= 20 else { skip("truncated TCP header"); return [] }
        let sourcePort = Int(segment[0]) << 8 | Int(segment[1])
        let destinationPort = Int(segment[2]) << 8 | Int(segment[3])
        let sequence = UInt32(segment[4]) << 24 | UInt32(segment[5]) << 16 | UInt32(segment[6]) << 8 | UInt32(segment[7])
        let dataOffset = Int(segment[12] >> 4) * 4
        let flags = segment[13]
        guard dataOffset >= 20, dataOffset <= segment.count else { skip("bad TCP header"); return [] }
        let key = FlowKey(source: header.source, sourcePort: sourcePort, destination: header.destination, destinationPort: destinationPort)
        let syn = flags & 0x02 != 0
        let fin = flags & 0x01 != 0
        let rst = flags & 0x04 != 0
        var flow = flows[key] ?? Flow()
        if flows[key] == nil {
            flowOrder.append(key)
            if flowOrder.count > maximumFlows {
                let oldest = flowOrder.removeFirst()
                flows[oldest] = nil
            }
        }
        if syn { flow.next = sequence &+ 1 }
        var data = Array(segment[dataOffset...])
        var output: [CapturedPacket] = []
        if !data.isEmpty {
            var start = flow.next ?? sequence
            if flow.next == nil { flow.next = sequence; start = sequence }
            // Overlap with what was already read (a retransmission): keep only the new bytes.
            let behind = Int(Int32(bitPattern: start &- sequence))
            if behind > 0 {
                data = behind < data.count ? Array(data[behind...]) : []
            } else if behind < 0 {
                // A gap: hold the segment until the missing bytes arrive (bounded), else start over there.
                if flow.ahead.count < 64 {
                    flow.ahead[sequence] = data
                } else {
                    skip("TCP gap never filled (stream resynchronised)")
                    flow.ahead.removeAll()
                    flow.parser = SIPStreamParser()
                    flow.next = sequence
                    output += feed(&flow, data, header: header, sourcePort: sourcePort, destinationPort: destinationPort, time: time)
                }
                data = []
            }
            if !data.isEmpty {
                output += feed(&flow, data, header: header, sourcePort: sourcePort, destinationPort: destinationPort, time: time)
                while let next = flow.next, let waiting = flow.ahead.removeValue(forKey: next) {
                    output += feed(&flow, waiting, header: header, sourcePort: sourcePort, destinationPort: destinationPort, time: time)
                }
            }
        }
        if fin || rst {
            flows[key] = nil
            flowOrder.removeAll { $0 == key }
        } else {
            flows[key] = flow
        }
        return output
    }

    private mutating func feed(_ flow: inout Flow, _ data: [UInt8], header: IPHeader, sourcePort: Int, destinationPort: Int, time: Double) -> [CapturedPacket] {
        flow.next = (flow.next ?? 0) &+ UInt32(truncatingIfNeeded: data.count)
        flow.parser.append(data)
        var output: [CapturedPacket] = []
        while true {
            do {
                guard let message = try flow.parser.next() else { break }
                output.append(CapturedPacket(
                    time: time, source: header.source, sourcePort: sourcePort, destination: header.destination,
                    destinationPort: destinationPort, transport: "tcp", payload: message.serialized()))
            } catch {
                // Not SIP (or framing lost): this direction is read again from its next segment.
                skip("TCP stream that is not SIP")
                flow.parser = SIPStreamParser()
                break
            }
        }
        return output
    }

    /// A request line (`METHOD sip:`), or a status line (`SIP/2.0 `).
    static func looksLikeSIP(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 12 else { return false }
        if bytes.starts(with: Array("SIP/2.0 ".utf8)) { return true }
        guard let space = bytes.prefix(32).firstIndex(of: 0x20), space > 0 else { return false }
        return bytes[..<space].allSatisfy { (0x41...0x5A).contains($0) } && bytes.dropFirst(space + 1).starts(with: Array("sip".utf8))
            || bytes[..<space].allSatisfy { (0x41...0x5A).contains($0) } && bytes.dropFirst(space + 1).starts(with: Array("tel:".utf8))
    }

    static func ipv4Text(_ bytes: [UInt8], _ offset: Int) -> String {
        "\(bytes[offset]).\(bytes[offset + 1]).\(bytes[offset + 2]).\(bytes[offset + 3])"
    }
}
