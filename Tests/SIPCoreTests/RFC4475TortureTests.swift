import Foundation
import Testing

@testable import SIPCore

/// Every message of RFC 4475 ("SIP Torture Test Messages") with the verdict the RFC gives it.
struct RFC4475TortureTests {
    enum Verdict: Sendable, CustomStringConvertible {
        /// Parses, validates clean, round-trips byte-identically.
        case valid
        /// Refused by the parser; the error names this location.
        case rejected(location: String)
        /// Parses, but validation reports a problem at this location.
        case flagged(location: String, status: Int)

        var description: String {
            switch self {
            case .valid: return "valid"
            case .rejected(let location): return "rejected at \(location)"
            case .flagged(let location, let status): return "flagged \(status) at \(location)"
            }
        }
    }

    /// RFC 4475 §3.1.1 (valid), §3.1.2 (invalid), §3.2 (transaction layer), §3.3 (application layer), §3.4.
    static let verdicts: [(String, Verdict)] = [
        // §3.1.1 Valid messages
        ("wsinv", .valid), ("intmeth", .valid), ("esc01", .valid), ("escnull", .valid), ("esc02", .valid),
        ("lwsdisp", .valid), ("longreq", .valid), ("dblreq", .valid), ("semiuri", .valid), ("transports", .valid),
        ("mpart01", .valid), ("unreason", .valid), ("noreason", .valid),
        // §3.1.2 Invalid messages
        ("badinv01", .flagged(location: "Via", status: 400)),
        ("clerr", .rejected(location: "body")),
        ("ncl", .rejected(location: "Content-Length")),
        ("scalar02", .flagged(location: "CSeq", status: 400)),
        ("scalarlg", .flagged(location: "CSeq", status: 400)),
        ("quotbal", .flagged(location: "To", status: 400)),
        ("ltgtruri", .rejected(location: "start line")),
        ("lwsruri", .rejected(location: "start line")),
        ("lwsstart", .rejected(location: "start line")),
        ("trws", .rejected(location: "start line")),
        ("escruri", .flagged(location: "Request-URI", status: 400)),
        ("baddate", .flagged(location: "Date", status: 400)),
        ("regbadct", .flagged(location: "Contact", status: 400)),
        ("badaspec", .flagged(location: "To", status: 400)),
        ("baddn", .flagged(location: "From", status: 400)),
        ("badvers", .rejected(location: "start line")),
        ("mismatch01", .flagged(location: "CSeq", status: 400)),
        ("mismatch02", .flagged(location: "CSeq", status: 400)),
        ("bigcode", .rejected(location: "start line")),
        // §3.2 Transaction layer: a branch that is only the magic cookie is syntactically fine.
        ("badbranch", .valid),
        // §3.3 Application layer
        ("insuf", .flagged(location: "Call-ID", status: 400)),
        ("unkscm", .flagged(location: "Request-URI", status: 416)),
        ("novelsc", .flagged(location: "Request-URI", status: 416)),
        ("unksm2", .valid), ("bext01", .valid), ("invut", .valid), ("regaut01", .valid),
        ("multi01", .flagged(location: "CSeq", status: 400)),
        ("mcl01", .rejected(location: "Content-Length")),
        ("bcast", .valid), ("zeromf", .valid), ("cparam01", .valid), ("cparam02", .valid), ("regescrt", .valid),
        ("sdp01", .valid),
        // §3.4 Backward compatibility
        ("inv2543", .valid),
    ]

    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "dat", subdirectory: "Fixtures/rfc4475"))
        return Array(try Data(contentsOf: url))
    }

    /// Header names match in any spelling or compact form; other locations match case-insensitively.
    static func sameLocation(_ found: String, _ expected: String) -> Bool {
        let recognised = SIPHeaderName.recognise(expected.utf8)
        if recognised != .extension_ { return SIPHeaderName.recognise(found.utf8) == recognised }
        return found.lowercased() == expected.lowercased()
    }

    @Test func everyFixtureHasAVerdict() throws {
        let directory = try #require(Bundle.module.url(forResource: "rfc4475", withExtension: nil, subdirectory: "Fixtures"))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".dat") }.map { String($0.dropLast(4)) }
        #expect(Set(files) == Set(Self.verdicts.map(\.0)))
        #expect(files.count == 49)
    }

    @Test(arguments: verdicts.map(\.0))
    func tortureMessage(_ name: String) throws {
        let verdict = try #require(Self.verdicts.first { $0.0 == name }?.1)
        let bytes = try Self.fixture(name)
        let parser = SIPMessageParser()
        switch verdict {
        case .valid:
            let message = try parser.parse(datagram: bytes)
            #expect(message.validate() == [], "\(name) should validate clean")
            let serialized = message.serialized()
            // Bytes after Content-Length are not part of the message (dblreq carries a second request).
            #expect(serialized == Array(bytes.prefix(serialized.count)), "\(name) must round-trip byte-identically")
            let reparsed = try parser.parse(datagram: serialized)
            #expect(reparsed == message)
            #expect(reparsed.serialized() == serialized)
        case .rejected(let location):
            do {
                let message = try parser.parse(datagram: bytes)
                Issue.record("\(name) parsed but should be rejected: \(message.startLine)")
            } catch {
                #expect(Self.sameLocation(error.location, location), "\(name): \(error)")
                #expect(error.offset >= 0 && error.offset <= bytes.count)
            }
        case .flagged(let location, let status):
            let message = try parser.parse(datagram: bytes)
            let problems = message.validate()
            #expect(!problems.isEmpty, "\(name) should be flagged")
            let matching = problems.filter { Self.sameLocation($0.location, location) }
            #expect(!matching.isEmpty, "\(name): expected a problem at \(location), got \(problems)")
            #expect(matching.contains { $0.statusCode == status }, "\(name): \(problems)")
        }
    }

    @Test func wsinvTypedValues() throws {
        let message = try SIPMessageParser().parse(datagram: Self.fixture("wsinv"))
        let vias = try message.via
        #expect(vias.count == 3)
        #expect(vias[0].transport == "UDP")
        #expect(vias[0].host == "192.0.2.2")
        #expect(vias[0].branch == "390skdjuw")
        #expect(vias[1].transport == "TCP")
        #expect(vias[1].host == "spindle.example.com")
        #expect(vias[1].branch == "z9hG4bK9ikj8")
        #expect(vias[2].host == "192.168.255.111")
        #expect(vias[2].branch == "z9hG4bK30239")
        #expect(try message.to?.tag == "1918181833n")
        #expect(try message.from?.displayName == "J Rosenberg \\\"")
        #expect(try message.from?.tag == "98asjd8")
        #expect(try message.maxForwards == 68)
        #expect(try message.cseq == CSeq(9, .invite))
        #expect(message.callID == "wsinv.ndaksdj@192.0.2.1")
        #expect(message["NewFangledHeader"] == "newfangled value continued newfangled value")
        #expect(message[.subject] == "")
        guard case .addresses(let contacts) = try message.contact else {
            Issue.record("expected addresses")
            return
        }
        #expect(contacts.first?.displayName == "Quoted string \"\"")
        #expect(contacts.first?.parameter("newparam") == "newvalue")
        #expect(contacts.first?.parameter("q") == "0.33")
        #expect(try message.route.first?.sipURI?.parameter("lr") == "")
        #expect(message.body.count == 150)
    }

    @Test func intmethKeepsUnusualTokens() throws {
        let message = try SIPMessageParser().parse(datagram: Self.fixture("intmeth"))
        #expect(message.method?.rawValue == "!interesting-Method0123456789_*+`.%indeed'~")
        let uri = try #require(message.requestLine?.uri)
        #expect(uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        #expect(uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        #expect(uri.host == "example.com")
        let to = try #require(try message.to)
        #expect(to.displayName?.contains("NUL:\u{0}") == true)
        #expect(try message.from?.parameter("fromParam''~+*_!.-%") == "работающий")
    }

    @Test func escapesDecodeInURIs() throws {
        let message = try SIPMessageParser().parse(datagram: Self.fixture("esc01"))
        #expect(message.requestLine?.uri?.user == "sips:user@example.com")
        #expect(try message.to?.sipURI?.user == "user")
        #expect(try message.from?.sipURI?.user == "I have spaces")
        guard case .addresses(let contacts) = try message.contact else {
            Issue.record("expected addresses")
            return
        }
        #expect(contacts[0].sipURI?.user == "caller")
        #expect(contacts[0].sipURI?.parameter("lr") == "")
        #expect(contacts[0].sipURI?.parameter("name") == "value%41")
    }

    @Test func dblreqKeepsOnlyTheFirstRequest() throws {
        let message = try SIPMessageParser().parse(datagram: Self.fixture("dblreq"))
        #expect(message.method == .register)
        #expect(message.body.isEmpty)
    }

    @Test func badbranchHasNoRFC3261TransactionID() throws {
        let message = try SIPMessageParser().parse(datagram: Self.fixture("badbranch"))
        #expect(try message.topVia?.branch == "z9hG4bK")
        #expect(try message.topVia?.hasRFC3261Branch == false)
    }

    @Test func transportsAcceptsUnknownTransportTokens() throws {
        let message = try SIPMessageParser().parse(datagram: Self.fixture("transports"))
        #expect(try message.via.map(\.transport) == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"])
    }

    @Test func statusLinesWithoutOrWithUnusualReasons() throws {
        let noreason = try SIPMessageParser().parse(datagram: Self.fixture("noreason"))
        #expect(noreason.statusLine?.code == 100)
        #expect(noreason.statusLine?.reason == "")
        let unreason = try SIPMessageParser().parse(datagram: Self.fixture("unreason"))
        #expect(unreason.statusLine?.code == 200)
        #expect(unreason.statusLine?.reason.contains("простое") == true)
    }
}
