import Foundation
import Testing

@testable import SIPCore

/// The IPv6 torture cases of RFC 5118 §4.
struct RFC5118IPv6Tests {
    static func message(_ name: String) throws -> SIPMessage {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "sip", subdirectory: "Fixtures/rfc5118"))
        return try SIPMessageParser().parse(datagram: Array(try Data(contentsOf: url)))
    }

    static let valid = [
        "ipv6-good", "port-ambiguous", "port-unambiguous", "via-received-param-with-delim", "via-received-param-no-delim",
        "ipv6-in-sdp", "mult-ip-in-header", "mult-ip-in-sdp", "ipv4-mapped-ipv6", "ipv6-correct-abnf-2-colons",
    ]

    @Test(arguments: valid)
    func validMessagesParseCleanAndRoundTrip(_ name: String) throws {
        let message = try Self.message(name)
        #expect(message.validate() == [], "\(name)")
        #expect(try SIPMessageParser().parse(datagram: message.serialized()) == message)
    }

    @Test func referenceWithoutBracketsIsRefused() throws {
        // §4.2: `sip:2001:db8::10` reads as host "2001" with port "db8".
        let problems = try Self.message("ipv6-bad").validate()
        #expect(problems.map(\.location) == ["Request-URI"])
    }

    @Test func threeColonsAreNotAnIPv6Address() throws {
        // §4.11: RFC 3261's ABNF wrongly allowed `2001:db8:::192.0.2.1`.
        let problems = try Self.message("ipv6-bug-abnf-3-colons").validate()
        #expect(Set(problems.map(\.location)) == ["To", "Request-URI"])
    }

    @Test func portInsideBracketsIsPartOfTheAddress() throws {
        let ambiguous = try #require(try Self.message("port-ambiguous").requestLine?.uri)
        #expect(ambiguous.host == "2001:db8::10:5070")
        #expect(ambiguous.port == nil)
        let unambiguous = try #require(try Self.message("port-unambiguous").requestLine?.uri)
        #expect(unambiguous.host == "2001:db8::10")
        #expect(unambiguous.port == 5070)
        #expect(unambiguous.description == "sip:[2001:db8::10]:5070")
    }

    @Test func receivedWithAndWithoutBracketsMeansTheSameAddress() throws {
        let with = try #require(try Self.message("via-received-param-with-delim").topVia)
        let without = try #require(try Self.message("via-received-param-no-delim").topVia)
        #expect(with.received == "2001:db8::9:255")
        #expect(without.received == "2001:db8::9:255")
        #expect(with.host == "2001:db8::9:1")
        #expect(with.sentBy == "[2001:db8::9:1]")
    }

    @Test func mixedFamiliesInVia() throws {
        let hops = try Self.message("mult-ip-in-header").via
        #expect(hops.map(\.host) == ["2001:db8::9:1", "192.0.2.1", "2001:db8::9:255"])
        #expect(hops[0].port == 6050)
        #expect(hops[2].received == "192.0.2.200")
    }

    @Test func sdpConnectionAddresses() throws {
        let sdp = try SessionDescription(bytes: try Self.message("mult-ip-in-sdp").body)
        #expect(sdp.media[0].connection?.address == "192.0.2.1")
        #expect(sdp.media[1].connection?.addressType == "IP6")
        #expect(sdp.media[1].connection?.address == "2001:db8::1")
        let mapped = try SessionDescription(bytes: try Self.message("ipv4-mapped-ipv6").body)
        #expect(mapped.connection?.address == "::ffff:192.0.2.2")
        #expect(IPAddress.ipv6Bytes("::ffff:192.0.2.2")?.suffix(4) == [192, 0, 2, 2])
    }
}
