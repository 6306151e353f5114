import Foundation
import TrunkStore

/// A stored SIP trace written out for people and tools: plain text (every message in full), Markdown with a
/// Mermaid sequence diagram, and pcap that Wireshark and tshark open.
public enum TraceExport {
    /// Each message with a header line saying when, which way and between whom.
    public static func text(_ trace: [TraceMessage]) -> String {
        trace.map { message in
            let arrow = message.direction == "sent" ? "\(message.localAddress) → \(message.remoteAddress)" : "\(message.remoteAddress) → \(message.localAddress)"
            return "=== \(timestamp(message.wallTime)) \(message.transport.uppercased()) \(arrow)\n" + body(message)
        }.joined(separator: "\n")
    }

    /// A Markdown document: a Mermaid sequence diagram of the call, then every message in a code block.
    public static func markdown(_ trace: [TraceMessage], title: String) -> String {
        let parties = participants(trace)
        var lines = ["# \(title)", "", "```mermaid", "sequenceDiagram"]
        for (index, party) in parties.enumerated() { lines.append("    participant P\(index) as \(party)") }
        for message in trace {
            let local = parties.firstIndex(of: message.localAddress) ?? 0
            let remote = parties.firstIndex(of: message.remoteAddress) ?? 0
            let (from, to) = message.direction == "sent" ? (local, remote) : (remote, local)
            let label = firstLine(message).replacingOccurrences(of: ";", with: "#59;").replacingOccurrences(of: ":", with: "#58;")
            lines.append("    P\(from)->>P\(to): \(label)")
        }
        lines += ["```", ""]
        for message in trace {
            lines.append("## \(timestamp(message.wallTime)) \(message.direction == "sent" ? "sent to" : "received from") \(message.remoteAddress) (\(message.transport.uppercased()))")
            lines += ["", "```", body(message).trimmingCharacters(in: .newlines), "```", ""]
        }
        return lines.joined(separator: "\n")
    }

    /// pcap (LINKTYPE_RAW): each message as an IPv4 or IPv6 UDP datagram between the recorded addresses and ports,
    /// at its recorded time. Messages that crossed TCP or TLS are written as UDP too (their framing is gone),
    /// which Wireshark's SIP dissector reads the same way.
    public static func pcap(_ trace: [TraceMessage]) -> [UInt8] {
        var out: [UInt8] = []
        func le32(_ value: UInt32) { out += withUnsafeBytes(of: value.littleEndian, Array.init) }
        func le16(_ value: UInt16) { out += withUnsafeBytes(of: value.littleEndian, Array.init) }
        le32(0xA1B2_C3D4)
        le16(2)
        le16(4)
        le32(0)
        le32(0)
        le32(65535)
        le32(101)  // LINKTYPE_RAW: packets begin with the IP header
        for message in trace {
            let payload = Array(message.raw)
            let (source, destination) = message.direction == "sent" ? (message.localAddress, message.remoteAddress) : (message.remoteAddress, message.localAddress)
            guard let packet = datagram(from: source, to: destination, payload: payload) else { continue }
            let seconds = message.wallTime.timeIntervalSince1970
            le32(UInt32(seconds))
            le32(UInt32((seconds - seconds.rounded(.down)) * 1_000_000))
            le32(UInt32(packet.count))
            le32(UInt32(packet.count))
            out += packet
        }
        return out
    }

    static func datagram(from source: String, to destination: String, payload: [UInt8]) -> [UInt8]? {
        guard let (sourceHost, sourcePort) = AddressText.split(source), let (destinationHost, destinationPort) = AddressText.split(destination) else { return nil }
        let udpLength = 8 + payload.count
        var udp: [UInt8] = []
        func be16(_ value: Int, into bytes: inout [UInt8]) { bytes += [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        be16(sourcePort, into: &udp)
        be16(destinationPort, into: &udp)
        be16(udpLength, into: &udp)
        be16(0, into: &udp)  // checksum: optional over IPv4; Wireshark does not check it by default
        udp += payload
        if let a = ipv4(sourceHost), let b = ipv4(destinationHost) {
            var header: [UInt8] = [0x45, 0]
            be16(20 + udpLength, into: &header)
            header += [0, 0, 0x40, 0, 64, 17, 0, 0] + a + b
            var sum = 0
            for index in stride(from: 0, to: 20, by: 2) { sum += Int(header[index]) << 8 | Int(header[index + 1]) }
            while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
            let checksum = ~UInt16(sum)
            header[10] = UInt8(checksum >> 8)
            header[11] = UInt8(checksum & 0xFF)
            return header + udp
        }
        if let a = ipv6(sourceHost), let b = ipv6(destinationHost) {
            var header: [UInt8] = [0x60, 0, 0, 0]
            be16(udpLength, into: &header)
            header += [17, 64] + a + b
            return header + udp
        }
        return nil
    }

    static func ipv4(_ host: String) -> [UInt8]? {
        let parts = host.split(separator: ".").compactMap { UInt8($0) }
        return parts.count == 4 ? parts : nil
    }

    static func ipv6(_ host: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, host, &address) == 1 else { return nil }
        return withUnsafeBytes(of: address, Array.init)
    }

    static func participants(_ trace: [TraceMessage]) -> [String] {
        var parties: [String] = []
        for message in trace {
            for address in [message.localAddress, message.remoteAddress] where !parties.contains(address) { parties.append(address) }
        }
        return parties
    }

    static func firstLine(_ message: TraceMessage) -> String {
        String(decoding: message.raw.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
    }

    static func body(_ message: TraceMessage) -> String {
        String(decoding: message.raw, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

extension TraceExport {
    /// The trace with the digest `response`s of `Authorization` and `Proxy-Authorization` headers (RFC 3261 §22.4)
    /// replaced by `"REDACTED"`. With the nonce, realm and username beside it a response can be cracked offline, and
    /// exports are shared; everything else stays as received. Other headers and bodies are untouched.
    public static func redactingCredentials(_ trace: [TraceMessage]) -> [TraceMessage] {
        trace.map { message in
            var message = message
            message.raw = Data(redactedCredentials(Array(message.raw)))
            return message
        }
    }

    static func redactedCredentials(_ raw: [UInt8]) -> [UInt8] {
        // Line by line over the header section's bytes (a String would take CRLF as one character); the body's
        // bytes are kept exactly.
        var out: [UInt8] = []
        var changed = false
        var start = 0
        while start < raw.count {
            var end = start
            while end < raw.count, raw[end] != 0x0A { end += 1 }
            let lineEnd = end < raw.count ? end + 1 : end
            let content = raw[start..<end]
            if content.isEmpty || content == [0x0D] {
                out += raw[start...]  // the empty line: the body follows untouched
                break
            }
            let line = Substring(String(decoding: content, as: UTF8.self))
            let lower = line.lowercased()
            if lower.hasPrefix("authorization") || lower.hasPrefix("proxy-authorization"), let value = responseValue(in: line) {
                changed = true
                out += Array((line[..<value.lowerBound] + "REDACTED" + line[value.upperBound...]).utf8) + raw[end..<lineEnd]
            } else {
                out += raw[start..<lineEnd]
            }
            start = lineEnd
        }
        return changed ? out : raw
    }

    /// The range inside the quotes of the `response="..."` parameter, if the line has one.
    private static func responseValue(in line: Substring) -> Range<Substring.Index>? {
        var search = line.startIndex
        while let range = line[search...].range(of: "response", options: .caseInsensitive) {
            search = range.upperBound
            let before = range.lowerBound == line.startIndex ? " " : line[line.index(before: range.lowerBound)]
            guard before == " " || before == "," || before == "\t" else { continue }
            var cursor = range.upperBound
            while cursor < line.endIndex, line[cursor] == " " || line[cursor] == "\t" { cursor = line.index(after: cursor) }
            guard cursor < line.endIndex, line[cursor] == "=" else { continue }
            cursor = line.index(after: cursor)
            while cursor < line.endIndex, line[cursor] == " " || line[cursor] == "\t" { cursor = line.index(after: cursor) }
            guard cursor < line.endIndex, line[cursor] == "\"" else { continue }
            let open = line.index(after: cursor)
            guard let close = line[open...].firstIndex(of: "\"") else { return nil }
            return open..<close
        }
        return nil
    }
}
