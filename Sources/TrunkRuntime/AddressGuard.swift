import SIPCore
import TrunkCore

/// The API server's SSRF guard (issue 17): clients name hosts that this server then probes and calls, so after
/// resolution (and again at connect time, through `NIOTransportLink.admission`) only public unicast addresses that
/// are not this host's own are allowed, unless the server was started with `--allow-private` for a lab.
public struct AddressGuard: Sendable {
    public let allowPrivate: Bool
    /// This host's interface addresses, normalised (IPv6 as bytes so that spellings compare equal).
    let ownIPv4: Set<String>
    let ownIPv6: Set<[UInt8]>

    public init(allowPrivate: Bool, host: Installation.HostFacts = LocalHost.facts()) {
        self.allowPrivate = allowPrivate
        ownIPv4 = Set(host.ipv4)
        ownIPv6 = Set(host.ipv6.compactMap { IPAddress.ipv6Bytes($0.split(separator: "%").first.map(String.init) ?? $0) })
    }

    /// Why `address` (an IP literal) may not be probed, or nil when it may. A name that is not an address is refused
    /// too: the caller must resolve first.
    public func refusal(_ address: String) -> String? {
        if allowPrivate { return nil }
        guard let scope = AddressScope(address: address) else {
            return "'\(address)' is not an IP address; it must be resolved before it is checked"
        }
        let own = ownIPv4.contains(address) || IPAddress.ipv6Bytes(address).map(ownIPv6.contains) == true
        if scope.isPublic && !own { return nil }
        let what = own ? "one of this server's own addresses" : "a \(scope.rawValue) address"
        return "\(address) is \(what): this server probes only public addresses (start `siptrunk serve --allow-private` for a lab)"
    }

    /// The hook for `NIOTransportLink.admission`.
    public var admission: @Sendable (PeerAddress) -> String? {
        let copy = self
        return { peer in copy.refusal(peer.host) }
    }
}
