import Testing

@testable import SIPCore

struct DigestTests {
    /// RFC 2617 §3.5.
    @Test func rfc2617KnownAnswer() {
        let response = DigestAuthenticator.response(
            algorithm: .md5, username: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life", method: "GET",
            uri: "/dir/index.html", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", nonceCount: 1, cnonce: "0a4f113b", qop: "auth")
        #expect(response == "6629fae49393a05397450978507c4ef1")
    }

    /// RFC 7616 §3.9.1, MD5 and SHA-256.
    @Test(arguments: [
        (DigestAlgorithm.md5, "8ca523f5e9506fed4657c9700eebdbec"),
        (.sha256, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ])
    func rfc7616KnownAnswers(_ algorithm: DigestAlgorithm, _ expected: String) throws {
        let challenge = try #require(
            try AuthChallenge.parseList(
                """
                Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=\(algorithm.rawValue), \
                nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
                """
            ).first)
        let credentials = try DigestAuthenticator(username: "Mufasa", password: "Circle of Life").credentials(
            for: challenge, method: "GET", uri: "/dir/index.html", nonceCount: 1,
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
        #expect(credentials.parameter("response") == expected)
        #expect(credentials.parameter("qop") == "auth")
        #expect(credentials.parameter("nc") == "00000001")
        #expect(credentials.parameter("opaque") == "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
        #expect(credentials.parameter("algorithm") == algorithm.rawValue)
        // The rendered header re-parses to the same credentials.
        #expect(try AuthChallenge.parseList(credentials.description, context: "Authorization") == [credentials])
    }

    /// FIPS 180-4 SHA-512/256 test vector ("abc"), the hash behind RFC 7616's SHA-512-256.
    @Test func sha512_256() {
        #expect(DigestAlgorithm.sha512_256.hexDigest("abc") == "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23")
        #expect(DigestAlgorithm.sha256.hexDigest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(DigestAlgorithm.md5.hexDigest("") == "d41d8cd98f00b204e9800998ecf8427e")
    }

    @Test func sessionVariantAndRFC2069Form() {
        let session = DigestAuthenticator.response(
            algorithm: .md5Session, username: "u", realm: "r", password: "p", method: "REGISTER", uri: "sip:r",
            nonce: "n", nonceCount: 1, cnonce: "c", qop: "auth")
        let ha1 = DigestAlgorithm.md5.hexDigest("\(DigestAlgorithm.md5.hexDigest("u:r:p")):n:c")
        let ha2 = DigestAlgorithm.md5.hexDigest("REGISTER:sip:r")
        #expect(session == DigestAlgorithm.md5.hexDigest("\(ha1):n:00000001:c:auth:\(ha2)"))
        let legacy = DigestAuthenticator.response(
            algorithm: .md5, username: "u", realm: "r", password: "p", method: "REGISTER", uri: "sip:r", nonce: "n",
            nonceCount: nil, cnonce: nil, qop: nil)
        #expect(legacy == DigestAlgorithm.md5.hexDigest("\(DigestAlgorithm.md5.hexDigest("u:r:p")):n:\(ha2)"))
    }

    @Test func severalChallengesInOneValueAndPreference() throws {
        let challenges = try AuthChallenge.parseList(
            #"Digest realm="a", nonce="1", algorithm=MD5, qop="auth", Digest realm="a", nonce="2", algorithm=SHA-256, qop="auth", Basic realm="x""#)
        #expect(challenges.count == 3)
        #expect(challenges.map(\.scheme) == ["Digest", "Digest", "Basic"])
        #expect(DigestAuthenticator.preferredChallenge(challenges)?.nonce == "2")
        let withUnknown = try AuthChallenge.parseList(#"Digest realm="a", nonce="3", algorithm=SHA-1"#)
        #expect(DigestAuthenticator.preferredChallenge(withUnknown) == nil)
    }

    @Test func challengesAcrossHeaderFieldsInOrder() throws {
        let message = try SIPMessageParser().parse(
            "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\n"
                + "Call-ID: c\r\nCSeq: 1 REGISTER\r\n"
                + "WWW-Authenticate: Digest realm=\"b\", nonce=\"n1\", algorithm=SHA-512-256, qop=\"auth\", userhash=true\r\n"
                + "WWW-Authenticate: Digest realm=\"b\", nonce=\"n2\", algorithm=MD5, qop=\"auth\", stale=TRUE\r\nContent-Length: 0\r\n\r\n")
        let challenges = try message.wwwAuthenticate
        #expect(challenges.map(\.nonce) == ["n1", "n2"])
        #expect(challenges[1].isStale)
        let chosen = try #require(DigestAuthenticator.preferredChallenge(challenges))
        #expect(chosen.algorithm == "SHA-512-256")
        let credentials = try DigestAuthenticator(username: "alice", password: "pw").credentials(
            for: chosen, method: .register, uri: "sip:b", nonceCount: 2, cnonce: "abc")
        #expect(credentials.parameter("username") == DigestAlgorithm.sha512_256.hexDigest("alice:b"))
        #expect(credentials.parameter("userhash") == "true")
        #expect(credentials.parameter("nc") == "00000002")
    }

    /// Hostile or broken challenges: never a crash, always a reason.
    @Test(arguments: [
        #"Digest realm="unterminated"#,
        #"Digest realm="a", realm="b", nonce="n""#,
        #"Digest realm=, nonce="n""#,
        #"Digest realm="a" nonce="n""#,
        "",
        "   ",
        #"Digest (nonce="n")"#,
        "Digest " + String(repeating: "a=b, ", count: 2000) + "x=\"",
    ])
    func pathologicalChallengesAreRefused(_ value: String) {
        #expect(throws: SIPSyntaxError.self) { try AuthChallenge.parseList(value) }
    }

    @Test func challengesWithoutNonceOrWithUnsupportedQopCannotBeAnswered() throws {
        let authenticator = DigestAuthenticator(username: "u", password: "p")
        let noNonce = try #require(try AuthChallenge.parseList(#"Digest realm="a""#).first)
        #expect(throws: DigestError("the Digest challenge has no nonce")) {
            try authenticator.credentials(for: noNonce, method: .invite, uri: "sip:a", nonceCount: 1, cnonce: "c")
        }
        let badQop = try #require(try AuthChallenge.parseList(#"Digest realm="a", nonce="n", qop="auth-conf""#).first)
        #expect(throws: DigestError.self) {
            try authenticator.credentials(for: badQop, method: .invite, uri: "sip:a", nonceCount: 1, cnonce: "c")
        }
        let basic = try #require(try AuthChallenge.parseList(#"Basic realm="a""#).first)
        #expect(throws: DigestError("auth scheme 'Basic' is not supported (only Digest)")) {
            try authenticator.credentials(for: basic, method: .invite, uri: "sip:a", nonceCount: 1, cnonce: "c")
        }
    }
}
