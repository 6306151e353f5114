import CLibCrypto
import Crypto

/// Digest hash algorithms for SIP (RFC 8760 adds SHA-256 and SHA-512/256 to SIP; RFC 7616 defines them for HTTP).
public enum DigestAlgorithm: String, Sendable, Hashable, CaseIterable {
    case md5 = "MD5"
    case md5Session = "MD5-sess"
    case sha256 = "SHA-256"
    case sha256Session = "SHA-256-sess"
    case sha512_256 = "SHA-512-256"
    case sha512_256Session = "SHA-512-256-sess"

    /// Matches the `algorithm` parameter case-insensitively; MD5 when absent.
    public init?(parameter: String?) {
        guard let parameter else {
            self = .md5
            return
        }
        let lower = parameter.lowercased()
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == lower }) else { return nil }
        self = match
    }

    public var isSession: Bool { rawValue.hasSuffix("-sess") }

    /// RFC 8760 §2.4: a client facing several challenges picks the strongest algorithm it supports.
    public var strength: Int {
        switch self {
        case .md5, .md5Session: return 1
        case .sha256, .sha256Session: return 2
        case .sha512_256, .sha512_256Session: return 3
        }
    }

    /// Lowercase hex of the hash of `text`'s UTF-8 bytes.
    public func hexDigest(_ text: String) -> String {
        hexDigest(Array(text.utf8))
    }

    public func hexDigest(_ bytes: [UInt8]) -> String {
        switch self {
        case .md5, .md5Session: return Self.hex(Insecure.MD5.hash(data: bytes))
        case .sha256, .sha256Session: return Self.hex(SHA256.hash(data: bytes))
        case .sha512_256, .sha512_256Session: return Self.hex(Self.sha512_256(bytes))
        }
    }

    static func hex<S: Sequence>(_ digest: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// SHA-512/256 (FIPS 180-4 §6.7) from libcrypto: swift-crypto does not offer it.
    static func sha512_256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBytes { output in
                EVP_Digest(
                    input.baseAddress, input.count, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &length,
                    EVP_sha512_256(), nil)
            }
        }
        precondition(ok == 1 && length == 32, "libcrypto failed to compute SHA-512/256")
        return digest
    }
}

/// Why a digest challenge cannot be answered.
public struct DigestError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Computes digest responses (RFC 2617 §3.2.2, RFC 7616 §3.4.1, RFC 8760) and builds credentials.
public struct DigestAuthenticator: Sendable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// The challenge to answer among several: Digest only, with an algorithm we support, strongest first
    /// (RFC 8760 §2.4). Challenges appear in the order the server listed them; ties keep that order.
    public static func preferredChallenge(_ challenges: [AuthChallenge]) -> AuthChallenge? {
        let candidates = challenges.enumerated().compactMap { offset, challenge -> (Int, Int, AuthChallenge)? in
            guard challenge.isDigest, challenge.nonce != nil, challenge.realm != nil,
                let algorithm = DigestAlgorithm(parameter: challenge.parameter("algorithm"))
            else { return nil }
            let qops = challenge.qopOptions
            // We answer qop=auth, or the RFC 2069 form when no qop is offered; auth-int only when nothing else.
            guard qops.isEmpty || qops.contains("auth") || qops.contains("auth-int") else { return nil }
            return (algorithm.strength, offset, challenge)
        }
        return candidates.max { lhs, rhs in lhs.0 != rhs.0 ? lhs.0 < rhs.0 : lhs.1 > rhs.1 }?.2
    }

    /// The `response` value for the given inputs.
    public static func response(
        algorithm: DigestAlgorithm, username: String, realm: String, password: String, method: String, uri: String,
        nonce: String, nonceCount: UInt32?, cnonce: String?, qop: String?, body: [UInt8] = []
    ) -> String {
        var ha1 = algorithm.hexDigest("\(username):\(realm):\(password)")
        if algorithm.isSession, let cnonce {
            ha1 = algorithm.hexDigest("\(ha1):\(nonce):\(cnonce)")
        }
        let ha2: String
        if qop == "auth-int" {
            ha2 = algorithm.hexDigest("\(method):\(uri):\(algorithm.hexDigest(body))")
        } else {
            ha2 = algorithm.hexDigest("\(method):\(uri)")
        }
        if let qop, let nonceCount, let cnonce {
            return algorithm.hexDigest("\(ha1):\(nonce):\(Self.formatNonceCount(nonceCount)):\(cnonce):\(qop):\(ha2)")
        }
        return algorithm.hexDigest("\(ha1):\(nonce):\(ha2)")
    }

    /// `nc` as eight lowercase hex digits (RFC 7616 §3.4).
    public static func formatNonceCount(_ count: UInt32) -> String {
        let hex = String(count, radix: 16)
        return String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }

    /// Credentials answering `challenge` for a request with this method and Request-URI.
    public func credentials(
        for challenge: AuthChallenge, method: SIPMethod, uri: String, nonceCount: UInt32, cnonce: String,
        body: [UInt8] = []
    ) throws(DigestError) -> AuthChallenge {
        guard challenge.isDigest else { throw DigestError("auth scheme '\(challenge.scheme)' is not supported (only Digest)") }
        guard let realm = challenge.realm else { throw DigestError("the Digest challenge has no realm") }
        guard let nonce = challenge.nonce, !nonce.isEmpty else { throw DigestError("the Digest challenge has no nonce") }
        guard let algorithm = DigestAlgorithm(parameter: challenge.parameter("algorithm")) else {
            throw DigestError("digest algorithm '\(challenge.algorithm)' is not supported (MD5, SHA-256, SHA-512-256)")
        }
        let offered = challenge.qopOptions
        let qop: String?
        if offered.isEmpty {
            qop = nil
        } else if offered.contains("auth") {
            qop = "auth"
        } else if offered.contains("auth-int") {
            qop = "auth-int"
        } else {
            throw DigestError("none of the offered qop values (\(offered.joined(separator: ", "))) is supported")
        }
        let user = challenge.userhash ? algorithm.hexDigest("\(username):\(realm)") : username
        let response = Self.response(
            algorithm: algorithm, username: username, realm: realm, password: password, method: method.rawValue,
            uri: uri, nonce: nonce, nonceCount: qop == nil ? nil : nonceCount, cnonce: qop == nil ? nil : cnonce,
            qop: qop, body: body)
        var parameters: [SIPURI.Parameter] = [
            .init("username", user), .init("realm", realm), .init("nonce", nonce), .init("uri", uri),
            .init("response", response),
        ]
        if challenge.parameter("algorithm") != nil { parameters.append(.init("algorithm", algorithm.rawValue)) }
        if let qop {
            parameters.append(.init("qop", qop))
            parameters.append(.init("nc", Self.formatNonceCount(nonceCount)))
            parameters.append(.init("cnonce", cnonce))
        }
        if let opaque = challenge.opaque { parameters.append(.init("opaque", opaque)) }
        if challenge.userhash { parameters.append(.init("userhash", "true")) }
        return AuthChallenge(scheme: "Digest", parameters: parameters)
    }
}
