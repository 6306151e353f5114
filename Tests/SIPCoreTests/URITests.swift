import Testing

@testable import SIPCore

struct URITests {
    @Test func parsesEveryPart() throws {
        let uri = try SIPURI(parsing: "sips:alice:secret@atlanta.example.com:5061;transport=tls;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent")
        #expect(uri.scheme == .sips)
        #expect(uri.user == "alice")
        #expect(uri.password == "secret")
        #expect(uri.host == "atlanta.example.com")
        #expect(uri.port == 5061)
        #expect(uri.transportParameter == "tls")
        #expect(uri.parameter("lr") == "")
        #expect(uri.parameter("maddr") == "239.255.255.1")
        #expect(uri.headers == [.init("subject", "project x"), .init("priority", "urgent")])
        #expect(uri.description == "sips:alice:secret@atlanta.example.com:5061;transport=tls;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent")
    }

    @Test func telephoneSubscriberUserAndEscapes() throws {
        let uri = try SIPURI(parsing: "sip:+1-212-555-1212:1234@gateway.com;user=phone")
        #expect(uri.user == "+1-212-555-1212")
        #expect(uri.password == "1234")
        #expect(uri.parameter("user") == "phone")
        let escaped = try SIPURI(parsing: "sip:%61lice@example.com")
        #expect(escaped.user == "alice")
    }

    @Test(arguments: [
        ("sip:", "the host is empty"),
        ("http://example.com", "scheme 'http' is not sip or sips"),
        ("sip:@example.com", "empty user part before '@'"),
        ("sip:alice@example.com:99999", "port '99999' is not a number from 0 to 65535"),
        ("sip:alice@[2001:db8::1", "IPv6 reference is missing its closing ']'"),
        ("sip:alice@[:]", "':' is not a valid IPv6 address"),
        ("sip:alice@2001:db8::1", "an IPv6 address must be written in brackets, e.g. sip:[2001:db8::1] (RFC 5118 §4.2)"),
        ("sip:ali ce@example.com", "character ' ' is not allowed in the user part"),
        ("sip:alice@example.com;tr<ansport=tls", "character '<' is not allowed in a URI parameter"),
        ("sip:alice@exa_mple..com", "host name 'exa_mple..com' has an empty label"),
        ("sip:alice@300.1.1.1", "'300.1.1.1' is not a valid IPv4 address"),
        ("sip:a%4@example.com", "bad %-escape in the user part"),
        // After a run of allowed bytes, after an escape, and in a parameter's name, value or after its '='.
        ("sip:alice\"x@example.com", "character '\"' is not allowed in the user part"),
        ("sip:a%41<@example.com", "character '<' is not allowed in the user part"),
        ("sip:alice@example.com;lr;x\"y", "character '\"' is not allowed in a URI parameter"),
        ("sip:alice@example.com;user=ph{one", "character '{' is not allowed in a URI parameter"),
        ("sip:alice@example.com;a=b%4", "bad %-escape in URI parameter 'a'"),
    ])
    func refusesMalformedURIs(_ input: String, _ reason: String) {
        #expect(throws: SIPSyntaxError.self) { try SIPURI(parsing: input) }
        do {
            _ = try SIPURI(parsing: input)
        } catch {
            #expect(error.reason == reason, "\(input)")
        }
    }

    /// `sip:` and `sips:` in any case go straight to the SIP URI parser; every other scheme, and a bare `sip:`, take
    /// the scheme check first — the same verdicts as `SIPURI(parsing:)` either way.
    @Test func anyURIDispatchesOnTheScheme() throws {
        for text in ["sip:alice@example.com", "SIPS:alice@example.com:5061;transport=tls", "sIp:example.com", "sips:b@[2001:db8::1]"] {
            #expect(try AnyURI(parsing: text) == .sip(try SIPURI(parsing: text)), "\(text)")
        }
        #expect { try AnyURI(parsing: "sip:") } throws: { ($0 as? SIPSyntaxError)?.reason == "the host is empty" }
        #expect(throws: SIPSyntaxError.self) { try AnyURI(parsing: "sips:") }
        guard case .other(let scheme, _) = try AnyURI(parsing: "sipx:alice") else {
            Issue.record("sipx: is another scheme")
            return
        }
        #expect(scheme == "sipx")
        guard case .tel = try AnyURI(parsing: "tel:+14155550100") else {
            Issue.record("tel: is a tel URI")
            return
        }
    }

    /// The equivalent and non-equivalent pairs of RFC 3261 §19.1.4.
    @Test(arguments: [
        ("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp", true),
        ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", true),
        ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on", true),
        ("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on", true),
        ("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com", "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com", true),
        ("sip:alice@atlanta.com?subject=project%20x&priority=urgent", "sip:alice@atlanta.com?priority=urgent&subject=project%20x", true),
        ("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP", false),
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", false),
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp", false),
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp", false),
        ("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting", false),
        ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", false),
        ("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off", false),
        ("sip:alice@[2001:db8::1]", "sip:alice@[2001:DB8:0:0:0:0:0:1]", true),
    ])
    func comparison(_ lhs: String, _ rhs: String, _ equivalent: Bool) throws {
        let left = try SIPURI(parsing: lhs)
        let right = try SIPURI(parsing: rhs)
        #expect(left.isEquivalent(to: right) == equivalent, "\(lhs) vs \(rhs)")
        #expect(right.isEquivalent(to: left) == equivalent, "\(rhs) vs \(lhs)")
    }

    @Test func telURIs() throws {
        let global = try TelURI(parsing: "tel:+1-201-555-0123;ext=42")
        #expect(global.isGlobal)
        #expect(global.digits == "+12015550123")
        #expect(global.parameter("ext") == "42")
        #expect(global.isEquivalent(to: try TelURI(parsing: "tel:+1(201)555.0123;EXT=42")))
        #expect(throws: SIPSyntaxError.self) { try TelURI(parsing: "tel:7042") }
        let local = try TelURI(parsing: "tel:7042;phone-context=example.com")
        #expect(!local.isGlobal)
        #expect(throws: SIPSyntaxError.self) { try TelURI(parsing: "tel:+1 201") }
        #expect(throws: SIPSyntaxError.self) { try TelURI(parsing: "tel:+") }
    }

    @Test func otherSchemesAreKeptAsText() throws {
        #expect(try AnyURI(parsing: "isbn:2983792873") == .other(scheme: "isbn", text: "isbn:2983792873"))
        #expect(throws: SIPSyntaxError.self) { try AnyURI(parsing: "1abc:x") }
        #expect(throws: SIPSyntaxError.self) { try AnyURI(parsing: "nocolon") }
    }
}

struct URICharacterClassTests {
    /// The bitmask classes match RFC 3261 §25.1's character lists for every byte.
    @Test func classesMatchTheGrammar() {
        let alphanumeric = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        let unreserved = alphanumeric.union("-_.!~*'()".utf8)
        let expected: [(String, (UInt8) -> Bool, Set<UInt8>)] = [
            ("unreserved", URIChar.isUnreserved, unreserved),
            ("user", URIChar.isUserUnescaped, unreserved.union("&=+$,;?/".utf8)),
            ("password", URIChar.isPasswordUnescaped, unreserved.union("&=+$,".utf8)),
            ("param", URIChar.isParamUnescaped, unreserved.union("[]/:&+$".utf8)),
            ("header", URIChar.isHeaderUnescaped, unreserved.union("[]/?:+$".utf8)),
        ]
        for (name, test, members) in expected {
            for byte in UInt8.min...UInt8.max {
                #expect(test(byte) == members.contains(byte), "\(name) class, byte \(byte)")
            }
        }
    }
}
