import Testing

@testable import SIPCore

struct SessionDescriptionTests {
    static let offer = """
        v=0\r
        o=- 8003 8003 IN IP4 192.0.2.10\r
        s=Asterisk\r
        c=IN IP4 192.0.2.10\r
        t=0 0\r
        m=audio 10000 RTP/SAVP 0 8 111 18 9 101\r
        a=rtpmap:0 PCMU/8000\r
        a=rtpmap:8 PCMA/8000\r
        a=rtpmap:111 opus/48000/2\r
        a=fmtp:111 useinbandfec=1\r
        a=rtpmap:101 telephone-event/8000\r
        a=fmtp:101 0-16\r
        a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r
        a=ptime:20\r
        a=sendrecv\r

        """

    @Test func parsesAnOfferWithCodecsCryptoAndDirection() throws {
        let sdp = try SessionDescription(parsing: Self.offer)
        #expect(sdp.origin.address == "192.0.2.10")
        #expect(sdp.connection?.address == "192.0.2.10")
        let audio = try #require(sdp.media.first)
        #expect(audio.port == 10000)
        #expect(audio.rtcpPort == 10001)
        #expect(audio.proto == "RTP/SAVP")
        #expect(audio.codecs.map(\.name) == ["PCMU", "PCMA", "opus", "G729", "G722", "telephone-event"])
        #expect(sdp.codecNames == ["PCMU", "PCMA", "opus", "G729", "G722", "telephone-event"])
        #expect(audio.formatParameters(for: 101) == "0-16")
        #expect(audio.direction == .sendrecv)
        let crypto = try #require(audio.cryptos.first)
        #expect(crypto.tag == 1)
        #expect(crypto.suite == "AES_CM_128_HMAC_SHA1_80")
        #expect(crypto.keys.first?.keySalt.count == 30)
        #expect(crypto.keys.first?.lifetime == "2^20")
        #expect(crypto.keys.first?.mki?.value == 1)
        #expect(crypto.keys.first?.mki?.length == 4)
    }

    @Test func serializesAndReparses() throws {
        let sdp = try SessionDescription(parsing: Self.offer)
        #expect(sdp.text == Self.offer)
        #expect(try SessionDescription(parsing: sdp.text) == sdp)
    }

    /// Found by fuzzing: an attribute that looked like the old internal encoding of unmodelled lines.
    @Test func unmodelledLinesAndLookalikeAttributesRoundTrip() throws {
        let text = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nk=prompt\r\na=x-sdp-F:1\r\n"
        let sdp = try SessionDescription(parsing: text)
        #expect(sdp.media[0].otherLines == [.init(type: "k", value: "prompt")])
        #expect(sdp.media[0].attribute("x-sdp-F") == "1")
        #expect(sdp.text == text)
        #expect(try SessionDescription(parsing: sdp.text) == sdp)
    }

    @Test func buildsAnOffer() throws {
        let key = Array(0..<30).map(UInt8.init)
        let crypto = CryptoAttribute(tag: 1, suite: "AES_CM_128_HMAC_SHA1_80", keys: [.init(keySalt: key)])
        let codecs = [Codec.pcmu, Codec.pcma, Codec.opus, Codec.telephoneEvent]
        var audio = MediaDescription(port: 12000, proto: "RTP/SAVP", formats: codecs.map { String($0.payloadType) })
        audio.attributes = codecs.map { .init("rtpmap", $0.rtpMapValue) } + [.init("crypto", crypto.description), .init("sendrecv")]
        let sdp = SessionDescription(
            origin: .init(sessionID: "1", sessionVersion: "1", addressType: "IP6", address: "2001:db8::1"),
            connection: .init(address: "2001:db8::1"), media: [audio])
        let reparsed = try SessionDescription(parsing: sdp.text)
        #expect(reparsed.connection?.addressType == "IP6")
        #expect(reparsed.media[0].codecs.map(\.name) == ["PCMU", "PCMA", "opus", "telephone-event"])
        #expect(reparsed.media[0].cryptos.first?.keys.first?.keySalt == key)
        #expect(reparsed.text.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"))
    }

    /// Inputs from the SDP CVE classes: oversized payload types, NUL in fmtp, malformed crypto.
    @Test(arguments: [
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 1 RTP/AVP 4294967296\r\n", "payload type '4294967296' is not a number from 0 to 127"),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:4294967296 PCMU/8000\r\n", "a=rtpmap: payload type '4294967296' is not a number from 0 to 127"),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\na=fmtp:0 a\u{0}b\r\n", "control character 0x0 is not allowed"),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:short\r\n", "a=crypto: the inline key is not valid base64"),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA\r\n", "a=crypto: AES_CM_128_HMAC_SHA1_80 needs a 30-byte key and salt, the inline key has 3"),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\na=crypto:1234567890 AES_CM_128_HMAC_SHA1_80 inline:AAAA\r\n", "a=crypto: tag '1234567890' is not a number of at most 9 digits"),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\na=crypto:1\r\n", "a=crypto: expected '<tag> <crypto-suite> inline:<key>'"),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 99999 RTP/AVP 0\r\n", "media port '99999' is not a number from 0 to 65535"),
        ("o=- 1 1 IN IP4 1.2.3.4\r\n", "an SDP description must start with 'v='"),
        ("v=0\r\ns=-\r\n", "the description has no 'o=' line"),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 999.1.1.1\r\n", "'999.1.1.1' is not an IPv4 address"),
        ("v=0\r\nxyz\r\n", "expected '<letter>=<value>', found 'xyz'"),
        ("", "the description is empty (no 'v=' line)"),
    ])
    func refusesHostileDescriptions(_ text: String, _ reason: String) {
        do {
            _ = try SessionDescription(parsing: text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.reason == reason)
        }
    }
}
