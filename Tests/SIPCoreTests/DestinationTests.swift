import Testing

@testable import SIPCore

/// The guide's Step 2 destination forms, and what is refused.
struct DestinationTests {
    @Test(arguments: [
        ("sip:user@host.example.com:5061;transport=tls", "sip", "user", "host.example.com", 5061, SIPTransport.tls),
        ("sips:pbx.example.com", "sips", nil, "pbx.example.com", nil, .tls),
        ("tls://pbx.example.com", "sip", nil, "pbx.example.com", nil, .tls),
        ("tcp://pbx.example.com:5080", "sip", nil, "pbx.example.com", 5080, .tcp),
        ("udp://10.0.0.5", "sip", nil, "10.0.0.5", nil, .udp),
        ("TLS://PBX.example.com:5061/", "sip", nil, "PBX.example.com", 5061, .tls),
        ("  sip:trunk.example.net  ", "sip", nil, "trunk.example.net", nil, nil),
        ("sip:+14155550123@sip.twilio.com;transport=udp", "sip", "+14155550123", "sip.twilio.com", nil, .udp),
    ] as [(String, String, String?, String, Int?, SIPTransport?)])
    func acceptsURIForms(_ input: String, _ scheme: String, _ user: String?, _ host: String, _ port: Int?, _ transport: SIPTransport?) throws {
        let destination = try Destination(parsing: input)
        #expect(destination == Destination(scheme: scheme, user: user, host: host, port: port, transport: transport))
    }

    @Test(arguments: [
        ("pbx.example.com", "pbx.example.com", nil),
        ("pbx.example.com:5080", "pbx.example.com", 5080),
        ("192.0.2.10", "192.0.2.10", nil),
        ("192.0.2.10:5060", "192.0.2.10", 5060),
        ("[2001:db8::1]:5061", "2001:db8::1", 5061),
        ("[2001:db8::1]", "2001:db8::1", nil),
        ("2001:db8::1", "2001:db8::1", nil),
        ("trunk.example.com.", "trunk.example.com.", nil),
    ] as [(String, String, Int?)])
    func acceptsHostForms(_ input: String, _ host: String, _ port: Int?) throws {
        let destination = try Destination(parsing: input)
        #expect(destination.host == host)
        #expect(destination.port == port)
        #expect(destination.transport == nil)
        #expect(destination.scheme == "sip")
    }

    @Test(arguments: [
        ("", "the destination is empty: enter a host name, an IP address or a SIP URI such as sip:pbx.example.com"),
        ("host:70000", "port 70000 is out of range (1–65535)"),
        ("host:0", "port 0 is out of range (1–65535)"),
        ("host:abc", "port 'abc' is not a number"),
        ("host:", "the port after ':' is empty"),
        ("sctp://host", "unknown transport 'sctp': use udp://, tcp:// or tls://"),
        ("sip:host;transport=sctp", "unknown transport 'sctp': use transport=udp, tcp or tls"),
        ("sips:host;transport=udp", "sips: requires TLS, but the URI asks for transport=udp"),
        ("pbx example.com", "the destination contains a space; remove it"),
        ("http://pbx.example.com", "unknown transport 'http': use udp://, tcp:// or tls://"),
        ("tel:+14155550123", "'tel:' is not a SIP server address: enter a host name, an IP address or a sip: URI"),
        ("[2001:db8::1", "the IPv6 address is missing its closing ']'"),
        ("[2001:db8::zz]:5061", "'2001:db8::zz' is not a valid IPv6 address"),
        ("2001:db8::1:5061x", "'2001:db8::1:5061x' is not a valid host; write an IPv6 address in brackets, e.g. [2001:db8::1]:5061"),
        ("256.1.1.1", "'256.1.1.1' is not a valid IPv4 address"),
        ("-pbx.example.com", "host name label '-pbx' starts or ends with '-'"),
        ("pbx..example.com", "host name 'pbx..example.com' has an empty label"),
        ("pb!x.example.com", "host name 'pb!x.example.com' contains '!'"),
        ("@pbx.example.com", "the user part before '@' is empty"),
        ("sip:host:99999", "not a valid SIP URI: port '99999' is not a number from 0 to 65535"),
        ("tls://host/path", "unexpected path '/path' after the host"),
        ("pbx\u{7}.example.com", "the destination contains the control character U+7"),
    ])
    func refusesWithAReason(_ input: String, _ message: String) {
        do {
            let parsed = try Destination(parsing: input)
            Issue.record("\(input) was accepted as \(parsed)")
        } catch {
            #expect(error.message == message, "\(input)")
        }
    }

    @Test func rendersAsURI() throws {
        #expect(try Destination(parsing: "tls://pbx.example.com").description == "sip:pbx.example.com;transport=tls")
        #expect(try Destination(parsing: "[2001:db8::1]:5061").description == "sip:[2001:db8::1]:5061")
        #expect(try Destination(parsing: "sips:pbx.example.com").description == "sips:pbx.example.com")
    }
}

struct E164Tests {
    @Test(arguments: [
        ("+14155550123", "+14155550123"), ("14155550123", "+14155550123"), ("+442071838750", "+442071838750"),
        ("+6834002", "+6834002"), ("+123456789012345", "+123456789012345"),
    ])
    func normalises(_ input: String, _ expected: String) throws {
        #expect(try E164Number(parsing: input).value == expected)
    }

    @Test(arguments: [
        ("", E164Number.Problem.empty), ("+", .empty), ("+1415", .tooShort(digits: 4)),
        ("+1234567890123456", .tooLong(digits: 16)), ("+1 415 555 0123", .invalidCharacter(" ")),
        ("(415) 555-0123", .invalidCharacter("(")), ("+04155550123", .leadingZero), ("++14155550123", .invalidCharacter("+")),
        ("+1415555012a", .invalidCharacter("a")), ("+١٤١٥٥٥٥٠١٢٣", .invalidCharacter("١")),
    ])
    func refuses(_ input: String, _ problem: E164Number.Problem) {
        #expect(throws: problem) { try E164Number(parsing: input) }
    }

    @Test func messageNamesTheValueAndTheRule() {
        #expect(E164Number.validationMessage(for: "+1415") == "\"+1415\" is not a valid E.164 number: has 4 digits; an E.164 number has 7 to 15")
        #expect(E164Number.validationMessage(for: "+14155550123") == nil)
    }
}
