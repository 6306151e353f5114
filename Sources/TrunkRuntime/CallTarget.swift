import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import TrunkCore

/// Where a call or registration goes: `--to DEST`, or the number's outbound endpoint from the store.
public struct CallTarget {
    public var peer: PeerAddress
    public var domain: String

    public init(peer: PeerAddress, domain: String) {
        self.peer = peer
        self.domain = domain
    }

    public static func resolve(_ text: String, transport: String?, dnsServer: String?) throws -> CallTarget {
        do {
            return try lookup(text, transport: transport, dnsServer: dnsServer)
        } catch let error as DNSError {
            let failure = ProbeFailure.dns(error)
            throw RuntimeError.refused("\(failure.message) — \(failure.remedy)")
        }
    }

    /// As `resolve`, but a DNS failure is thrown as the resolver's `DNSError` (the monitor records it as a sample).
    public static func lookup(_ text: String, transport: String?, dnsServer: String?) throws -> CallTarget {
        let parsed: Destination
        do {
            parsed = try Destination(parsing: text)
        } catch {
            throw RuntimeError.refused("cannot use '\(text)' as a destination: \(error.message)")
        }
        let chosen = transport.flatMap { SIPTransport(rawValue: $0.lowercased()) } ?? parsed.transport ?? .udp
        var port = parsed.port ?? chosen.defaultPort
        var host = parsed.host
        // An address needs no DNS (and no resolver: the monitor resolves thousands of endpoints).
        if IPAddress.isIPv4(host) || IPAddress.isIPv6(host) {
            return CallTarget(peer: PeerAddress(host: host, port: port, transport: chosen), domain: parsed.host)
        }
        let resolver = try DNSResolver(server: dnsServer)
        if parsed.port == nil, !IPAddress.isIPv4(host), !IPAddress.isIPv6(host) {
            let service = (chosen == .tls ? "_sips._tcp." : (chosen == .tcp ? "_sip._tcp." : "_sip._udp.")) + host
            if let first = try? resolver.srv(service).first {
                host = first.target
                port = first.port
            }
        }
        let address = try resolver.addresses(host)[0]
        return CallTarget(peer: PeerAddress(host: address, port: port, transport: chosen), domain: parsed.host)
    }
}
