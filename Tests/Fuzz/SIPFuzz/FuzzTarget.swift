import SIPCore

/// One fuzz input through every parser that reads untrusted text, with the invariants that must hold:
/// nothing traps, and a parsed message serializes to bytes that parse back to the same message.
enum FuzzTarget {
    static func run(_ bytes: [UInt8]) {
        let parser = SIPMessageParser()
        if let message = try? parser.parse(datagram: bytes) {
            _ = message.validate()
            _ = try? message.via
            _ = try? message.contact
            _ = try? message.wwwAuthenticate
            _ = try? message.retryAfter
            _ = message.requestLine?.uri
            let serialized = message.serialized()
            guard let again = try? parser.parse(datagram: serialized) else {
                fatalError("a serialized message no longer parses")
            }
            guard again == message else { fatalError("a serialized message parses to a different message") }
            if let sdp = try? SessionDescription(bytes: message.body) {
                let text = sdp.text
                guard (try? SessionDescription(parsing: text)) != nil else { fatalError("serialized SDP no longer parses") }
            }
        }

        // The same bytes as a TCP stream, split at a position taken from the input.
        var stream = SIPStreamParser()
        let split = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        stream.append(bytes[..<split])
        var count = 0
        while (try? stream.next()) != nil, count < 64 { count += 1 }
        stream.append(bytes[split...])
        while (try? stream.next()) != nil, count < 64 { count += 1 }

        // HEP (issue 16): nothing traps, and a HEP3 packet re-encodes to one that decodes to the same packet.
        _ = try? HEPPacket.frameLength(bytes)
        if let packet = try? HEPPacket(decoding: bytes) {
            let v4 = packet.family == 2 && IPAddress.isIPv4(packet.sourceAddress) && IPAddress.isIPv4(packet.destinationAddress)
            let v6 = packet.family == 10 && IPAddress.isIPv6(packet.sourceAddress) && IPAddress.isIPv6(packet.destinationAddress)
            if packet.version == 3, v4 || v6, packet.encodedV3().count <= HEPPacket.maximumSize {
                guard let again = try? HEPPacket(decoding: packet.encodedV3()) else { fatalError("a re-encoded HEP3 packet no longer decodes") }
                guard again.payload == packet.payload, again.sourceAddress == packet.sourceAddress, again.sourcePort == packet.sourcePort,
                    again.destinationAddress == packet.destinationAddress, again.destinationPort == packet.destinationPort,
                    again.transportProtocol == packet.transportProtocol, again.payloadType == packet.payloadType
                else { fatalError("a re-encoded HEP3 packet decodes to a different packet") }
            }
        }

        let text = String(decoding: bytes, as: UTF8.self)
        // What reaches a terminal holds no control character or bidi override (a CR is kept only before LF).
        let safe = Array(TerminalSafeText.escaped(text).unicodeScalars)
        for (index, scalar) in safe.enumerated() where TerminalSafeText.isUnsafe(scalar) {
            guard scalar.value == 0x0D, index + 1 < safe.count, safe[index + 1].value == 0x0A else {
                fatalError("TerminalSafeText left U+\(String(scalar.value, radix: 16)) in its output")
            }
        }
        _ = try? SIPURI(parsing: text)
        _ = try? TelURI(parsing: text)
        _ = try? AnyURI(parsing: text)
        _ = try? Destination(parsing: text)
        _ = try? E164Number(parsing: text)
        _ = try? SessionDescription(bytes: bytes)
        _ = try? CryptoAttribute(parsing: text)
        if let challenges = try? AuthChallenge.parseList(text) {
            if let chosen = DigestAuthenticator.preferredChallenge(challenges) {
                _ = try? DigestAuthenticator(username: "fuzz", password: "fuzz").credentials(
                    for: chosen, method: .register, uri: "sip:example.com", nonceCount: 1, cnonce: "0a4f113b")
            }
        }
    }
}
