import Testing

@testable import SIPCore

/// The bad-input classes behind SIP CVEs of recent years. Each must be refused (or flagged) with a reason that
/// names the place, and none may trap.
struct HostileInputTests {
    static let head = "OPTIONS sip:pbx.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
        + "From: <sip:a@example.com>;tag=1\r\nTo: <sip:pbx.example.com>\r\nCall-ID: x@y\r\nCSeq: 1 OPTIONS\r\n"

    static func parse(_ text: String) throws(SIPParseError) -> SIPMessage {
        try SIPMessageParser().parse(datagram: Array(text.utf8))
    }

    @Test(arguments: [
        ("Content-Length: 4294967296\r\n\r\n", "Content-Length", SIPParseError.Kind.contentLengthTooLarge(limit: 65536)),
        ("Content-Length: 99999999999999999999999999\r\n\r\n", "Content-Length", .contentLengthTooLarge(limit: 65536)),
        ("Content-Length: -1\r\n\r\n", "Content-Length", .invalidContentLength("-1")),
        ("Content-Length: 0x10\r\n\r\n", "Content-Length", .invalidContentLength("0x10")),
        ("Content-Length: \r\n\r\n", "Content-Length", .invalidContentLength("")),
        ("Content-Length: 10\r\n\r\nshort", "body", .truncatedBody(expected: 10, available: 5)),
        ("Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", "Content-Length", .conflictingContentLength),
        ("X-Bad\u{1}Name: 1\r\n\r\n", "X-Bad\\x01Name", .controlCharacter(1)),
        ("X-Nul: a\u{0}b\r\n\r\n", "X-Nul", .controlCharacter(0)),
        ("X-Esc: \u{1B}[31m\r\n\r\n", "X-Esc", .controlCharacter(0x1B)),
        ("Na me: 1\r\n\r\n", "Na me", .invalidHeaderName("Na me")),
        (": empty\r\n\r\n", "header name", .invalidHeaderName("")),
        ("NoColon\r\n\r\n", "NoColon", .missingColon),
        ("X-CR: a\rb\r\n\r\n", "X-CR", .controlCharacter(0x0D)),
    ])
    func refusedByTheParser(_ tail: String, _ location: String, _ kind: SIPParseError.Kind) {
        do {
            let message = try Self.parse(Self.head + tail)
            Issue.record("accepted: \(message.headers.last?.name ?? "")")
        } catch {
            #expect(error.kind == kind)
            #expect(error.location == location)
            #expect(error.offset > 0)
        }
    }

    @Test(arguments: [
        ("Via: SIP/2.0/UDP 192.0.2.1\r\n", "Via", nil as String?),  // no branch: RFC 2543 peers; allowed, not flagged
        ("Via: SIP/2.0/UDP [:]\r\n", "Via", "':' is not a valid IPv6 address"),
        ("Via: SIP/2.0/UDP :]\r\n", "Via", "expected a host, found ':'"),
        ("Via: SIP/2.0/UDP 192.0.2.1;branch=\r\n", "Via", "expected a parameter value, found the end of the value"),
        ("Via: SIP/2.0/UDP 192.0.2.1;received=evil\r\n", "Via", "received=evil is not an IP address"),
        ("Via: SIP/2.0/UDP 192.0.2.1;rport=99999\r\n", "Via", "rport=99999 is not a port number"),
        ("Via: SIP/2.0/UDP 192.0.2.1:65536\r\n", "Via", "the port is not a number from 0 to 65535"),
        ("Via: SIP/2.0\r\n", "Via", "expected '/' after the protocol version"),
        ("CSeq: 99999999999999999999 OPTIONS\r\n", "CSeq", "sequence number 99999999999999999999 is not below 2^31 (RFC 3261 §8.1.1.5)"),
        ("CSeq: 2147483648 OPTIONS\r\n", "CSeq", "sequence number 2147483648 is not below 2^31 (RFC 3261 §8.1.1.5)"),
        ("CSeq: 1 " + String(repeating: "OPTIONS", count: 1000) + "\r\n", "CSeq", "CSeq method OPTIONSOPTIONS"),
        ("To: \"unterminated <sip:a@b>\r\n", "To", "unterminated quoted string"),
        ("To: <sip:a@b\r\n", "To", "'<' without a closing '>'"),
        ("To: <sip:a@b ;tag=1\r\n", "To", "'<' without a closing '>'"),
        ("To: <sip:a@b >;tag=1\r\n", "To", "whitespace inside '<...>' is not allowed"),
        ("To: < sip:a@b>\r\n", "To", "whitespace inside '<...>' is not allowed"),
        ("To: <sip:a@b\r\n >\r\n", "To", "whitespace inside '<...>' is not allowed"),
        ("From: <sip:a@b>;tag=1;tag=2\r\n", "From", nil),
        ("Max-Forwards: 256\r\n", "Max-Forwards", "256 is more than 255"),
        ("Max-Forwards: -1\r\n", "Max-Forwards", "'-1' is not a number"),
        ("Expires: 4294967296\r\n", "Expires", "4294967296 seconds is more than 2^32-1"),
        ("Call-ID: second@y\r\n", "Call-ID", "Call-ID may appear only once but appears again"),
        ("Contact: <sip:a@b>;expires=99999999999\r\n", "Contact", "99999999999 seconds is more than 2^32-1"),
    ] as [(String, String, String?)])
    func flaggedByValidation(_ extra: String, _ location: String, _ reasonPrefix: String?) throws {
        // Replace the head's own header of the same name so only the hostile copy is there.
        var lines = Self.head.split(separator: "\r\n").map(String.init)
        let name = extra.split(separator: ":").first.map(String.init) ?? ""
        if name != "Call-ID" { lines.removeAll { $0.hasPrefix(name + ":") } }
        let text = lines.joined(separator: "\r\n") + "\r\n" + extra + "Content-Length: 0\r\n\r\n"
        let message = try Self.parse(text)
        let problems = message.validate().filter { $0.location == location }
        if let reasonPrefix {
            #expect(problems.contains { $0.reason.hasPrefix(reasonPrefix) }, "\(problems)")
        } else {
            #expect(problems.isEmpty, "\(problems)")
        }
    }

    @Test func limitsAreEnforced() {
        let limits = SIPParserLimits(maxMessageBytes: 4096, maxHeaderCount: 10, maxLineLength: 100)
        let parser = SIPMessageParser(limits: limits)
        let manyHeaders = Self.head + String(repeating: "X-A: 1\r\n", count: 20) + "\r\n"
        let eleventh = Self.head.utf8.count + 5 * "X-A: 1\r\n".utf8.count
        #expect(throws: SIPParseError(.tooManyHeaders(limit: 10), location: "header section", offset: eleventh)) {
            try parser.parse(datagram: Array(manyHeaders.utf8))
        }
        let longLine = Self.head + "X-Long: " + String(repeating: "a", count: 200) + "\r\n\r\n"
        #expect(throws: SIPParseError.self) { try parser.parse(datagram: Array(longLine.utf8)) }
        let huge = Array(repeating: UInt8(ascii: "a"), count: 5000)
        #expect(throws: SIPParseError(.messageTooLarge(limit: 4096), location: "message", offset: 4096)) {
            try parser.parse(datagram: huge)
        }
    }

    @Test(arguments: [
        "", "\r\n\r\n", "SIP/2.0", "SIP/2.0 99 Low", "SIP/2.0 700 High", "SIP/2.0 2000 OK",
        "INVITE", "INVITE sip:a@b", "INVITE  sip:a@b SIP/2.0", "INVITE sip:a@b SIP/3.0", "IN\u{0}VITE sip:a SIP/2.0",
        "INVITE <sip:a@b> SIP/2.0", "INVITE nouri SIP/2.0", "INVITE sip:a@b SIP/2.0 extra", "\u{FF}\u{FE}",
    ])
    func malformedStartLines(_ line: String) {
        #expect(throws: SIPParseError.self) { try Self.parse(line + "\r\nCall-ID: x\r\n\r\n") }
    }

    @Test func foldWithoutAHeaderBeforeIt() {
        #expect(throws: SIPParseError(.malformedHeaderValue("a folded continuation line has no header before it"), location: "header section", offset: 25)) {
            try Self.parse("OPTIONS sip:a@b SIP/2.0\r\n folded\r\nCall-ID: x\r\n\r\n")
        }
    }

    @Test func keepAliveDatagrams() {
        #expect(SIPMessageParser.isKeepAlive(Array("\r\n\r\n".utf8)))
        #expect(!SIPMessageParser.isKeepAlive(Array(Self.head.utf8)))
        #expect(throws: SIPParseError(.emptyMessage, location: "message", offset: 0)) {
            try SIPMessageParser().parse(datagram: Array("\r\n\r\n".utf8))
        }
    }

    /// Random mutations of real messages: whatever the bytes, a result or an error, and a stable round trip.
    @Test func mutationsNeverTrap() throws {
        var generator = SplitMix64(seed: 0x5197_7127)
        let seeds = [Self.head + "Content-Length: 0\r\n\r\n", String(decoding: StreamParserTests.invite, as: UTF8.self)]
        for _ in 0..<3000 {
            var bytes = Array(seeds[Int(generator.next() % 2)].utf8)
            for _ in 0..<(1 + generator.next() % 8) {
                let index = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 4 {
                case 0: bytes[index] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes.remove(at: index)
                case 2: bytes.insert([0x0D, 0x0A, 0x20, 0x3A, 0x3B, 0x22, 0x3C, 0x00][Int(generator.next() % 8)], at: index)
                default: bytes.insert(contentsOf: bytes[index..<min(bytes.count, index + 10)], at: index)
                }
                if bytes.isEmpty { bytes = [0] }
            }
            if let message = try? SIPMessageParser().parse(datagram: bytes) {
                _ = message.validate()
                #expect(try SIPMessageParser().parse(datagram: message.serialized()) == message)
            }
        }
    }
}

/// A small deterministic generator so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct TokenClassTests {
    /// The bitmask token test matches RFC 3261 §25.1's `token` for every byte.
    @Test func tokenCharacters() {
        let token = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(ASCII.isToken(byte) == token.contains(byte), "byte \(byte)")
        }
    }

    /// Every byte value indexes the class table (a `StaticString` literal read without a bounds check), and bytes
    /// above 127 are in no class; URITests checks each class against its list.
    @Test func theClassTableCoversEveryByte() {
        #expect(ByteClass.table.utf8CodeUnitCount == 256)
        for byte in UInt8(128)...UInt8.max {
            #expect(ByteClass.table.utf8Start[Int(byte)] == 0, "byte \(byte)")
        }
    }
}

struct HeaderScanTests {
    /// `ASCII.firstIndex(of:in:from:)` and its three-byte form (eight bytes at a time) agree with a byte-by-byte
    /// search at every length, start and alignment, among bytes one bit away from the targets (0x41, 0xC0, 0x01 ...).
    @Test func firstIndexAgreesWithTheStandardSearch() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x40, 0x41, 0x00, 0x01, 0xC0, 0x3F, 0x60, 0xFF]
        for length in 0..<40 {
            for _ in 0..<50 {
                let bytes = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
                for start in 0...length {
                    let expected = bytes[start...].firstIndex(of: 0x40) ?? length
                    let found = bytes.withUnsafeBufferPointer { ASCII.firstIndex(of: 0x40, in: $0, from: start) }
                    #expect(found == expected, "\(bytes) from \(start)")
                    let any = bytes[start...].firstIndex { $0 == 0x40 || $0 == 0x00 || $0 == 0xFF } ?? length
                    let foundAny = bytes.withUnsafeBufferPointer { ASCII.firstIndex(of: 0x40, 0x00, 0xFF, in: $0, from: start) }
                    #expect(foundAny == any, "\(bytes) from \(start), any of three")
                    // '>' or linear whitespace, in a slice that does not start at 0; other control bytes are passed.
                    let slice = ([0x41, 0x41, 0x41] + bytes.map { $0 == 0x40 ? 0x3E : $0 == 0x01 ? 0x20 : $0 == 0x3F ? 0x0D : $0 })[3...]
                    let stop = slice[(start + 3)...].firstIndex { [0x3E, 0x20, 0x09, 0x0D, 0x0A].contains($0) } ?? slice.endIndex
                    #expect(ASCII.firstIndex(of: 0x3E, orWhitespaceIn: slice, from: start + 3) == stop, "\(Array(slice)) from \(start + 3)")
                }
            }
        }
    }

    /// The header scan reads eight bytes at a time and jumps to the first byte that needs a look: whatever plain
    /// ASCII, UTF-8 or quoted text (never ending in a quoted-pair's backslash, which may escape a control character)
    /// stands before a control character, at whatever alignment, the error names that
    /// byte and its exact offset — and a name of letters, digits and token marks is read whole.
    @Test func aControlCharacterIsFoundAtItsExactOffsetWhateverPrecedesIt() throws {
        let fillers: [[UInt8]] = [Array("abcdefgh".utf8), Array("é€x".utf8), Array("\\\"a,\"".utf8), Array(" \t;=".utf8)]
        let controls: [UInt8] = Array(0x00...0x08) + [0x0B, 0x0C] + Array(0x0E...0x1F) + [0x7F]
        let head = Array("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nX-Odd.Name_1!%*+`'~: ".utf8)
        for filler in fillers {
            for length in 0..<20 {
                for control in controls {
                    var value: [UInt8] = []
                    while value.count < length { value.append(filler[value.count % filler.count]) }
                    let message = head + value + [control] + Array("tail\r\nCall-ID: 1\r\n\r\n".utf8)
                    do {
                        _ = try SIPMessageParser().parse(datagram: message)
                        Issue.record("byte \(control) after \(length) filler bytes was accepted")
                    } catch {
                        #expect(error.kind == .controlCharacter(control) && error.offset == head.count + length, "\(error) (filler \(filler), \(length))")
                        #expect(error.location == "X-Odd.Name_1!%*+`'~")
                    }
                }
            }
        }
    }
}
