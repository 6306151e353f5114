import Foundation
import Testing

@testable import SIPCore

/// The typed headers keep their parameters as the bytes they were written in (issue 20); what a caller reads must
/// not change with that: values unescaped, names as written, lists equal to the same list built by hand.
struct TypedViewTests {
    let parser = SIPMessageParser()

    func message(_ headers: String) throws -> SIPMessage {
        try parser.parse("OPTIONS sip:b@example.com SIP/2.0\r\n" + headers + "Content-Length: 0\r\n\r\n")
    }

    /// `topVia` parses a one-hop field without building a list, and a field of several hops as a list: the first
    /// hop either way, and a malformed later hop in that field still fails it.
    @Test func theTopViaIsTheFirstHopOfAFieldThatIsValidThroughout() throws {
        let one = try message("Via: SIP/2.0/UDP a.example;branch=z9hG4bK-1\r\nVia: SIP/2.0/UDP b.example;branch=z9hG4bK-2\r\n")
        #expect(try one.topVia?.branch == "z9hG4bK-1")
        let two = try message("Via: SIP/2.0/TCP a.example;branch=z9hG4bK-1, SIP/2.0/UDP b.example;branch=z9hG4bK-2\r\n")
        #expect(try two.topVia?.transport == "TCP")
        #expect(try two.topVia?.branch == "z9hG4bK-1")
        let broken = try message("Via: SIP/2.0/UDP a.example;branch=z9hG4bK-1, SIP/2.0/UDP [::1;branch=z9hG4bK-2\r\n")
        #expect(throws: SIPParseError.self) { try broken.topVia }
        #expect(try message("Max-Forwards: 70\r\n").topVia == nil)
    }

    @Test func viaParametersReadAsTheyWereWritten() throws {
        let parsed = try message(
            "Via: SIP/2.0/UDP 192.0.2.1:5060 ; branch = z9hG4bK-1 ;rport;received=[2001:db8::9];x=\"a \\\"q\\\" b\"\r\n")
        let via = try #require(try parsed.topVia)
        #expect(via.branch == "z9hG4bK-1")
        #expect(via.rport == .requested)
        #expect(via.received == "2001:db8::9")
        #expect(via.parameter("X") == "a \"q\" b")
        #expect(via.parameter("maddr") == nil)
        #expect(via.parameters == [.init("branch", "z9hG4bK-1"), .init("rport"), .init("received", "[2001:db8::9]"), .init("x", "a \"q\" b")])
        var built = Via(transport: "UDP", host: "192.0.2.1", port: 5060, parameters: via.parameters)
        #expect(built == via)
        #expect(built.hashValue == via.hashValue)
        built.setParameter("rport", "5062")
        #expect(built.rport == .value(5062))
        #expect(built != via)
    }

    @Test func viaParameterRulesStillHold() {
        for bad in ["branch", "branch=\"\"", "received=example.com", "rport=70000", "rport=-1", "ttl=256", "ttl"] {
            #expect(throws: SIPParseError.self, "\(bad)") {
                try message("Via: SIP/2.0/UDP 192.0.2.1;\(bad)\r\n").via
            }
        }
        #expect(throws: SIPParseError.self) { try message("Via: SIP/2.0/UDP 192.0.2.1;x=\"open\r\n").via }
    }

    @Test func addressParametersAndURIParts() throws {
        let parsed = try message(
            "From: Alice  Smith <sip:al%69ce:pw@example.com;transport=TCP;x%3Dy=1?subject=a%20b&h=2>;tag=9fx;q=0.5\r\n"
                + "Contact: <sip:c@192.0.2.4>;expires=60, \"Bob\" <sip:b@[2001:db8::2]:5070>\r\n")
        let from = try #require(try parsed.from)
        #expect(from.displayName == "Alice Smith")
        #expect(from.tag == "9fx")
        #expect(from.parameter("Q") == "0.5")
        let uri = try #require(from.sipURI)
        #expect(uri.user == "alice")
        #expect(uri.transportParameter == "tcp")
        #expect(uri.parameter("x=y") == "1")
        #expect(uri.headers == [.init("subject", "a b"), .init("h", "2")])
        #expect(uri.description == "sip:alice:pw@example.com;transport=TCP;x%3Dy=1?subject=a%20b&h=2")
        guard case .addresses(let contacts) = try #require(try parsed.contact) else {
            Issue.record("expected addresses")
            return
        }
        #expect(contacts.map(\.sipURI?.host) == ["192.0.2.4", "2001:db8::2"])
        #expect(contacts[0].parameter("expires") == "60")
        #expect(contacts[1].parameters.isEmpty)
        var rebuilt = NameAddress(displayName: "Bob", uri: try SIPURI(parsing: "sip:b@[2001:db8::2]:5070"))
        #expect(rebuilt == contacts[1])
        rebuilt.setParameter("tag", "x")
        #expect(rebuilt.description == "\"Bob\" <sip:b@[2001:db8::2]:5070>;tag=x")
    }

    @Test func badEscapesInURIParametersAreStillRefused() {
        for uri in ["sip:a@h;x=%zz", "sip:a@h;%=1", "sip:a@h;=1", "sip:a@h?x=%4", "sip:a@h;x<1"] {
            #expect(throws: SIPSyntaxError.self, "\(uri)") { try SIPURI(parsing: uri) }
        }
    }

    @Test func challengesReadTheirParameters() throws {
        let challenges = try AuthChallenge.parseList(
            "Digest realm=\"sip.example\", nonce=\"a,b\\\"c\", qop=\"auth,auth-int\", algorithm=MD5, Basic realm=x")
        #expect(challenges.map(\.scheme) == ["Digest", "Basic"])
        #expect(challenges[0].realm == "sip.example")
        #expect(challenges[0].nonce == "a,b\"c")
        #expect(challenges[0].qopOptions == ["auth", "auth-int"])
        #expect(challenges[1].realm == "x")
        #expect(challenges[0] == AuthChallenge(scheme: "Digest", parameters: challenges[0].parameters))
        #expect(throws: SIPSyntaxError.self) { try AuthChallenge.parseList("Digest realm=a, REALM=b") }
        #expect(throws: SIPSyntaxError.self) { try AuthChallenge.parseList("Digest a=1, b=2, c=3, nonce=1, d=4, NONCE=2") }
        #expect(try AuthChallenge.parseList("Digest a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8")[0].parameters.count == 8)
    }

    @Test func listHeadersSplitAtTopLevelCommas() throws {
        let parsed = try message("Allow: INVITE ,ACK,\r\n  BYE,, OPTIONS\r\nSupported: replaces, \"a,b\"\r\n")
        #expect(parsed.allow == ["INVITE", "ACK", "BYE", "OPTIONS"])
        #expect(parsed.supported == ["replaces", "\"a,b\""])
        #expect(try parsed.contentLength == 0)
        // A second field that needs the list grammar keeps what the first gave; a fold inside it is one space.
        let two = try message("Require: 100rel, timer\r\nRequire: x,\r\n \"y,\r\n z\", <w,v>\r\n")
        #expect(two.require == ["100rel", "timer", "x", "\"y, z\"", "<w,v>"])
    }

    /// The common methods and option tags come back as literals only when every byte matches: each one, the same
    /// with its last byte changed or its case changed, one byte longer, and tokens that are no list's favourites.
    @Test func commonListTokensAreExactMatches() {
        let common = [
            "ACK", "BYE", "INFO", "path", "gruu", "PRACK", "REFER", "timer", "INVITE", "CANCEL", "NOTIFY", "UPDATE", "100rel",
            "OPTIONS", "PUBLISH", "MESSAGE", "REGISTER", "replaces", "outbound", "histinfo", "SUBSCRIBE", "norefersub",
            "extended-refer",
        ]
        for token in common {
            var changed = Array(token.utf8)
            changed[changed.count - 1] ^= 0x01
            for text in [token, String(decoding: changed, as: UTF8.self), token.lowercased(), token.uppercased(), token + "x", "x"] {
                #expect(CommonToken.string(Array(text.utf8)[...]) == text, "\(text)")
            }
        }
        let parsed = try? message("Allow: INVITE, ACK, INVITf, invite, INVITES\r\nSupported: timer, 100rel, timeR, path.x\r\n")
        #expect(parsed?.allow == ["INVITE", "ACK", "INVITf", "invite", "INVITES"])
        #expect(parsed?.supported == ["timer", "100rel", "timeR", "path.x"])
    }

    /// A quoted string ends at its first unescaped quote, found eight bytes at a time: escaped quotes and
    /// backslashes at every offset of the word, and an unterminated string (a backslash last included) refused.
    @Test func quotedStringsEndAtTheirClosingQuote() throws {
        for length in 0..<20 {
            for escape in ["\\\"", "\\\\", "\\a"] {
                for position in 0...length {
                    var filler = String(repeating: "n", count: length)
                    filler.insert(contentsOf: escape, at: filler.index(filler.startIndex, offsetBy: position))
                    let challenge = try #require(try AuthChallenge.parseList("Digest nonce=\"\(filler)\", realm=r").first)
                    #expect(challenge.realm == "r", "\(filler)")
                    #expect(challenge.nonce?.count == length + 1, "\(filler)")
                }
            }
            let open = String(repeating: "n", count: length)
            #expect(throws: SIPSyntaxError.self) { try AuthChallenge.parseList("Digest nonce=\"\(open)") }
            #expect(throws: SIPSyntaxError.self) { try AuthChallenge.parseList("Digest nonce=\"\(open)\\") }
            #expect(throws: SIPSyntaxError.self) { try AuthChallenge.parseList("Digest nonce=\"\(open)\\\"") }
        }
    }

    /// The byte-level checks agree with the text-level ones they replaced, over valid and invalid forms.
    @Test func byteChecksAgreeWithTheTextChecks() {
        let hosts = [
            "example.com", "example.com.", "a", "a-b.c", "-a.com", "a-.com", "a..b", ".", "", "192.0.2.1", "256.1.1.1",
            "1.2.3", "1.2.3.4.5", "a_b.example", "x" + String(repeating: "y", count: 63), "x" + String(repeating: "y", count: 62),
            "héllo.com", "a b", "2001:db8::1", "9.9.9.9.",
        ]
        for host in hosts {
            #expect(HostName.isValid(Array(host.utf8)) == (HostName.problem(host) == nil), "\(host)")
        }
        let addresses: [(String, Bool)] = [
            ("::", true), ("::1", true), ("1::", true), ("2001:db8::1", true), ("1:2:3:4:5:6:7:8", true), ("1:2:3:4:5:6:7::", true),
            ("::ffff:192.0.2.2", true), ("1:2:3:4:5:6:1.2.3.4", true), (":::", false), ("1:2:3:4:5:6:7:8:9", false),
            ("1::2::3", false), ("12345::1", false), ("1:2:3:4:5:6:7", false), ("1.2.3.4::", false), ("g::1", false),
            ("1:", false), (":1", false), ("::1.2.3", false), ("1:2:3:4:5:6:7:1.2.3.4", false),
        ]
        for (text, valid) in addresses {
            #expect(IPAddress.isIPv6(text) == valid, "\(text)")
            #expect((IPAddress.ipv6Bytes(text) != nil) == valid, "\(text)")
        }
    }
}

/// Over every RFC 4475 torture message that parses: each parameter list kept as bytes reads exactly the
/// parameters the checking scanner reads from the same bytes (`HeaderValueScanner.parameters()`), so the lazy
/// walk and the grammar never disagree.
struct LazyParametersAgreeWithTheGrammar {
    @Test func overTheTortureMessages() throws {
        let directory = try #require(Bundle.module.url(forResource: "rfc4475", withExtension: nil, subdirectory: "Fixtures"))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".dat") }
        var compared = 0
        for name in names {
            let bytes = Array(try Data(contentsOf: directory.appendingPathComponent(name)))
            guard let message = try? SIPMessageParser().parse(datagram: bytes) else { continue }
            var lists: [ParameterList] = []
            lists += ((try? message.via) ?? []).map(\.parameterList)
            var addresses = [(try? message.from) ?? nil, (try? message.to) ?? nil].compactMap { $0 }
            if case .addresses(let contacts)? = (try? message.contact) ?? nil { addresses += contacts }
            addresses += (try? message.recordRoute) ?? []
            lists += addresses.map(\.parameterList)
            for list in lists {
                guard case .wire(let slice, .header) = list.storage else { continue }
                var scanner = HeaderValueScanner(slice, context: name)
                #expect(try scanner.parameters() == list.elements, "\(name)")
                compared += 1
            }
            for uri in addresses.compactMap(\.sipURI) {
                let parameters = uri.parameters
                #expect(parameters.allSatisfy { uri.parameter($0.name) != nil }, "\(name)")
                #expect(try SIPURI(parsing: uri.description).parameters == parameters, "\(name)")
            }
        }
        #expect(compared > 50)
    }
}

/// One way to label a message by its start line, for every ladder (dashboard, wizard, CLI).
struct StartLineLabelTests {
    @Test(arguments: [
        ("INVITE sip:+15551234567@pbx.example.com SIP/2.0\r\nVia: x\r\n", "INVITE", StartLineLabel.Kind.request),
        ("SIP/2.0 100 Trying\r\n", "100 Trying", .provisional),
        ("SIP/2.0 183 Session Progress\n", "183 Session Progress", .provisional),
        ("SIP/2.0 200 OK\r\n\r\n", "200 OK", .success),
        ("SIP/2.0 407 Proxy Authentication Required\r\n", "407 Proxy Authentication Required", .failure),
        ("SIP/2.0 503 Service Unavailable", "503 Service Unavailable", .failure),
        ("", "", .request),
    ])
    func labels(_ text: String, _ label: String, _ kind: StartLineLabel.Kind) {
        let fromBytes = StartLineLabel(Array(text.utf8))
        #expect(fromBytes.text == label)
        #expect(fromBytes.kind == kind)
        let firstLine = String(text.prefix { $0 != "\r" && $0 != "\n" && $0 != "\r\n" })
        #expect(StartLineLabel(firstLine: firstLine) == fromBytes)
    }
}
