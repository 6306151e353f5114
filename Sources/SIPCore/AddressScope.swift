/// Where an IP address reaches: what an API server that probes addresses its clients name must refuse (issue 17's
/// SSRF guard) unless it was started for a lab. Pure: this host's own addresses are the caller's to add.
public enum AddressScope: String, Sendable, Hashable, CaseIterable {
    case global
    case loopback
    /// RFC 1918, RFC 6598 shared (100.64/10), IPv6 unique local (fc00::/7).
    case `private`
    case linkLocal = "link-local"
    case multicast
    case unspecified
    /// Broadcast, documentation, benchmarking and reserved blocks: nothing a trunk lives on.
    case reserved

    /// The scope of an IPv4 or IPv6 literal; nil when `text` is neither. IPv4-mapped and IPv4-compatible IPv6
    /// addresses (::ffff:127.0.0.1) are judged as the IPv4 address they carry, so they cannot smuggle one.
    public init?(address text: String) {
        if IPAddress.isIPv4(text) {
            let octets = text.split(separator: ".").compactMap { UInt8($0) }
            guard octets.count == 4 else { return nil }
            self = Self.ipv4(octets)
            return
        }
        let host = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text
        guard let bytes = IPAddress.ipv6Bytes(host) else { return nil }
        self = Self.ipv6(bytes)
    }

    public var isPublic: Bool { self == .global }

    static func ipv4(_ o: [UInt8]) -> AddressScope {
        switch (o[0], o[1]) {
        case (0, _): return .unspecified
        case (127, _): return .loopback
        case (10, _), (172, 16...31), (192, 168): return .private
        case (100, 64...127): return .private
        case (169, 254): return .linkLocal
        case (224...239, _): return .multicast
        case (255, 255) where o[2] == 255 && o[3] == 255: return .reserved
        case (240...255, _): return .reserved
        case (192, 0) where o[2] == 0 || o[2] == 2: return .reserved
        case (198, 18...19): return .reserved
        case (198, 51) where o[2] == 100: return .reserved
        case (203, 0) where o[2] == 113: return .reserved
        default: return .global
        }
    }

    static func ipv6(_ b: [UInt8]) -> AddressScope {
        if b.allSatisfy({ $0 == 0 }) { return .unspecified }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return .loopback }
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated) carry an IPv4 address.
        if b[0..<10].allSatisfy({ $0 == 0 }) && ((b[10] == 0xFF && b[11] == 0xFF) || (b[10] == 0 && b[11] == 0)) {
            return ipv4(Array(b[12..<16]))
        }
        // 64:ff9b::/96 (NAT64) reaches an IPv4 address too.
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4..<12].allSatisfy({ $0 == 0 }) {
            return ipv4(Array(b[12..<16]))
        }
        if b[0] == 0xFF { return .multicast }
        if b[0] == 0xFE && (b[1] & 0xC0) == 0x80 { return .linkLocal }
        if (b[0] & 0xFE) == 0xFC { return .private }
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return .reserved }
        // Only global unicast (2000::/3) is public.
        if (b[0] & 0xE0) != 0x20 { return .reserved }
        return .global
    }
}
