import Crypto
import Foundation
import TrunkStore

/// First-run setup of a database: the default organisation and this host's deployment profile.
public enum Installation {
    public static let defaultOrgId = "default"

    /// What the host knows about itself, gathered by the executable (host name, interface addresses).
    public struct HostFacts: Sendable {
        public var hostName: String
        public var ipv4: [String]
        public var ipv6: [String]

        public init(hostName: String, ipv4: [String], ipv6: [String]) {
            self.hostName = hostName
            self.ipv4 = ipv4
            self.ipv6 = ipv6
        }
    }

    /// Ensures the default organisation (SIP entitled: this is a self-hosted install) and a default region
    /// describing this host exist. Leaves existing rows alone.
    public static func prepare(_ store: TrunkDatabase, host: HostFacts, now: Date = Date()) throws(TrunkError) {
        do {
            try store.write { writer in
                if try writer.reader.organisation(id: defaultOrgId) == nil {
                    try writer.save(Organisation(id: defaultOrgId, name: "Default organisation", sipEntitled: true, createdAt: now))
                }
                if try writer.reader.regions().isEmpty {
                    try writer.save(defaultRegion(host))
                }
            }
        } catch {
            throw SIPTrunkService.trunkError(error)
        }
        try sealPlaintextPasswords(store)
    }

    /// A single-host deployment: SIP on 5060 (UDP/TCP) and 5061 (TLS), RTP 10000–20000 (the guide's range).
    public static func defaultRegion(_ host: HostFacts) -> Region {
        Region(
            name: "local", isDefault: true, signallingHosts: [host.hostName], egressIpv4: host.ipv4,
            egressIpv6: host.ipv6, udpPort: 5060, tcpPort: 5060, tlsPort: 5061, rtpPortMin: 10000, rtpPortMax: 20000)
    }
}

/// The password a PBX configures for registration-based authentication (guide Step 5).
///
/// HKDF-SHA256 (RFC 5869) over the per-installation secret, bound to the trunk and the username: the same
/// inputs always give the same password, so it is never stored, and it can be shown again on request.
public enum RegisterPassword {
    public static func derive(secret: [UInt8], trunkId: String, username: String) -> String {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: secret), salt: Array("siptrunk register password v1".utf8),
            info: Array("\(trunkId)\u{0}\(username)".utf8), outputByteCount: 18)
        // 144 bits as 24 characters of URL-safe base64: easy to paste into a PBX field.
        let bytes = key.withUnsafeBytes { Array($0) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}
