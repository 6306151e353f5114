extension SessionDescription {
    /// Largest SDP body accepted; an offer from a trunk is a few hundred bytes.
    public static let maximumLength = 65_536

    public init(parsing text: String) throws(SIPSyntaxError) {
        try self.init(bytes: Array(text.utf8))
    }

    /// Parses an SDP body. Lines end in CRLF or LF (RFC 4566 §5 asks parsers to accept both).
    public init(bytes: [UInt8]) throws(SIPSyntaxError) {
        guard bytes.count <= Self.maximumLength else {
            throw SIPSyntaxError("SDP", "the description is longer than \(Self.maximumLength) bytes", offset: Self.maximumLength)
        }
        var version: Int?
        var origin: Origin?
        var sessionName: String?
        var connection: Connection?
        var bandwidths: [String] = []
        var timing: [String] = []
        var attributes: [Attribute] = []
        var media: [MediaDescription] = []
        var otherLines: [Line] = []

        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != ASCII.lf { end += 1 }
            let next = end + 1
            var contentEnd = end
            if contentEnd > start, bytes[contentEnd - 1] == ASCII.cr { contentEnd -= 1 }
            lineNumber += 1
            let line = bytes[start..<contentEnd]
            let lineStart = start
            start = next
            if line.isEmpty { continue }
            let context = "SDP line \(lineNumber)"
            if let bad = line.firstIndex(where: { ($0 < 0x20 && $0 != ASCII.tab) || $0 == 0x7F }) {
                throw SIPSyntaxError(context, "control character 0x\(String(line[bad], radix: 16)) is not allowed", offset: bad)
            }
            guard line.count >= 2, line[line.startIndex + 1] == ASCII.equals,
                ASCII.lowercased(line[line.startIndex]) == line[line.startIndex],
                line[line.startIndex] &- 0x61 < 26
            else {
                throw SIPSyntaxError(context, "expected '<letter>=<value>', found '\(ASCII.printable(line, limit: 30))'", offset: lineStart)
            }
            let type = Character(Unicode.Scalar(line[line.startIndex]))
            let value = String(decoding: line[(line.startIndex + 2)...], as: UTF8.self)
            if version == nil && type != "v" {
                throw SIPSyntaxError(context, "an SDP description must start with 'v='", offset: lineStart)
            }
            switch type {
            case "v":
                guard version == nil else { throw SIPSyntaxError(context, "'v=' appears twice", offset: lineStart) }
                guard value == "0" else { throw SIPSyntaxError(context, "unsupported SDP version '\(value)' (only 0)", offset: lineStart) }
                version = 0
            case "o":
                let parts = value.split(separator: " ", omittingEmptySubsequences: true)
                guard parts.count == 6 else {
                    throw SIPSyntaxError(context, "'o=' needs six fields: username sess-id sess-version nettype addrtype address", offset: lineStart)
                }
                origin = Origin(
                    username: String(parts[0]), sessionID: String(parts[1]), sessionVersion: String(parts[2]),
                    networkType: String(parts[3]), addressType: String(parts[4]), address: String(parts[5]))
            case "s":
                sessionName = value
            case "c":
                let parsed = try Self.connection(value, context: context, offset: lineStart)
                if media.isEmpty { connection = parsed } else { media[media.count - 1].connection = parsed }
            case "b":
                if media.isEmpty { bandwidths.append(value) } else { media[media.count - 1].bandwidths.append(value) }
            case "t":
                timing.append(value)
            case "m":
                media.append(try Self.mediaLine(value, context: context, offset: lineStart))
            case "a":
                let attribute = try Self.attribute(value, context: context, offset: lineStart)
                if media.isEmpty { attributes.append(attribute) } else { media[media.count - 1].attributes.append(attribute) }
            case "i" where !media.isEmpty:
                media[media.count - 1].information = value
            default:
                if !media.isEmpty {
                    media[media.count - 1].otherLines.append(Line(type: type, value: value))
                } else {
                    otherLines.append(Line(type: type, value: value))
                }
            }
        }
        guard version != nil else { throw SIPSyntaxError("SDP", "the description is empty (no 'v=' line)", offset: 0) }
        guard let origin else { throw SIPSyntaxError("SDP", "the description has no 'o=' line", offset: bytes.count) }
        self.version = 0
        self.origin = origin
        self.sessionName = sessionName ?? "-"
        self.connection = connection
        self.bandwidths = bandwidths
        self.timing = timing
        self.attributes = attributes
        self.media = media
        self.otherLines = otherLines
    }

    static func connection(_ value: String, context: String, offset: Int) throws(SIPSyntaxError) -> Connection {
        let parts = value.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3 else {
            throw SIPSyntaxError(context, "'c=' needs three fields: nettype addrtype address", offset: offset)
        }
        var address = String(parts[2])
        // Multicast addresses may carry /ttl/count; the address is the first part.
        if let slash = address.firstIndex(of: "/") { address = String(address[..<slash]) }
        let addressType = parts[1].uppercased()
        if addressType == "IP4", !IPAddress.isIPv4(address), HostName.problem(address) != nil {
            throw SIPSyntaxError(context, "'\(address)' is not an IPv4 address", offset: offset)
        }
        if addressType == "IP6", !IPAddress.isIPv6(address), HostName.problem(address) != nil {
            throw SIPSyntaxError(context, "'\(address)' is not an IPv6 address", offset: offset)
        }
        return Connection(networkType: String(parts[0]), addressType: String(parts[1]), address: String(parts[2]))
    }

    static func mediaLine(_ value: String, context: String, offset: Int) throws(SIPSyntaxError) -> MediaDescription {
        let parts = value.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 3 else {
            throw SIPSyntaxError(context, "'m=' needs: media port proto format...", offset: offset)
        }
        let portParts = parts[1].split(separator: "/", omittingEmptySubsequences: false)
        guard let portText = portParts.first, portText.count <= 5, let port = Int(portText), port <= 65535 else {
            throw SIPSyntaxError(context, "media port '\(parts[1])' is not a number from 0 to 65535", offset: offset)
        }
        var description = MediaDescription(
            media: String(parts[0]), port: port, proto: String(parts[2]), formats: parts.dropFirst(3).map(String.init))
        if portParts.count == 2 {
            guard portParts[1].count <= 5, let count = Int(portParts[1]), count > 0 else {
                throw SIPSyntaxError(context, "port count '\(portParts[1])' is not a positive number", offset: offset)
            }
            description.portCount = count
        }
        if description.isRTP {
            for format in description.formats {
                _ = try payloadType(format, context: context)
            }
        }
        return description
    }

    static func attribute(_ value: String, context: String, offset: Int) throws(SIPSyntaxError) -> Attribute {
        guard let colon = value.firstIndex(of: ":") else {
            guard !value.isEmpty else { throw SIPSyntaxError(context, "empty attribute", offset: offset) }
            return Attribute(value, nil)
        }
        let name = String(value[..<colon])
        let attributeValue = String(value[value.index(after: colon)...])
        guard !name.isEmpty else { throw SIPSyntaxError(context, "attribute has no name", offset: offset) }
        switch name.lowercased() {
        case "rtpmap":
            do { _ = try RTPMap(parsing: attributeValue) } catch {
                throw SIPSyntaxError(context, "a=rtpmap: \(error.reason)", offset: offset)
            }
        case "fmtp":
            let first = attributeValue.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            if first != "*" {
                do { _ = try payloadType(first, context: context) } catch {
                    throw SIPSyntaxError(context, "a=fmtp: \(error.reason)", offset: offset)
                }
            }
        case "crypto":
            do { _ = try CryptoAttribute(parsing: attributeValue) } catch {
                throw SIPSyntaxError(context, "a=crypto: \(error.reason)", offset: offset)
            }
        default:
            break
        }
        return Attribute(name, attributeValue)
    }

    /// An RTP payload type: a number from 0 to 127 (RFC 3550 §5.1 gives it 7 bits).
    static func payloadType(_ text: String, context: String) throws(SIPSyntaxError) -> UInt8 {
        guard !text.isEmpty, text.count <= 3, text.allSatisfy(\.isASCIIDigit), let value = Int(text), value <= 127 else {
            let shown = text.count > 20 ? String(text.prefix(20)) + "…" : text
            throw SIPSyntaxError(context, "payload type '\(shown)' is not a number from 0 to 127", offset: 0)
        }
        return UInt8(value)
    }

    // MARK: Serialization

    /// The description as text with CRLF line ends, in the order RFC 4566 §5 requires.
    public var text: String {
        var lines: [String] = ["v=\(version)"]
        lines.append("o=\(origin.username) \(origin.sessionID) \(origin.sessionVersion) \(origin.networkType) \(origin.addressType) \(origin.address)")
        lines.append("s=\(sessionName.isEmpty ? "-" : sessionName)")
        for line in otherLines where "iuep".contains(line.type) { lines.append("\(line.type)=\(line.value)") }
        if let connection { lines.append("c=\(connection.networkType) \(connection.addressType) \(connection.address)") }
        for bandwidth in bandwidths { lines.append("b=\(bandwidth)") }
        for value in (timing.isEmpty ? ["0 0"] : timing) { lines.append("t=\(value)") }
        for line in otherLines where !"iuep".contains(line.type) { lines.append("\(line.type)=\(line.value)") }
        for attribute in attributes { lines.append(Self.render(attribute)) }
        for section in media {
            let port = section.portCount.map { "\(section.port)/\($0)" } ?? "\(section.port)"
            lines.append((["m=\(section.media) \(port) \(section.proto)"] + section.formats).joined(separator: " "))
            if let information = section.information { lines.append("i=\(information)") }
            if let connection = section.connection {
                lines.append("c=\(connection.networkType) \(connection.addressType) \(connection.address)")
            }
            for bandwidth in section.bandwidths { lines.append("b=\(bandwidth)") }
            for line in section.otherLines { lines.append("\(line.type)=\(line.value)") }
            for attribute in section.attributes { lines.append(Self.render(attribute)) }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    public var bytes: [UInt8] { Array(text.utf8) }

    static func render(_ attribute: Attribute) -> String {
        attribute.value.map { "a=\(attribute.name):\($0)" } ?? "a=\(attribute.name)"
    }

    /// Every codec offered in every RTP media section, by name, without duplicates.
    public var codecNames: [String] {
        var seen: Set<String> = []
        var names: [String] = []
        for section in media {
            for codec in section.codecs where seen.insert(codec.name.lowercased()).inserted {
                names.append(codec.name)
            }
        }
        return names
    }
}
