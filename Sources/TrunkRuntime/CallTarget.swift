import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import TrunkCore

/// Where a call or registration goes: `--to DEST`, or the number's outbound endpoint from the store.
public struct CallTarget: Sendable {
    public var peer: PeerAddress
    public var domain: String
    /// When the number's calls have failed over: which endpoint is used and why (test calls say so).
    public var failover: String?
    /// For a number's stored endpoint: the number and which of its endpoints this is (a call refused for its
    /// credentials there is failover's `auth_failure` trigger).
    public var owner: String?
    public var role: EndpointRole?

    public init(peer: PeerAddress, domain: String) {
        self.peer = peer
        self.domain = domain
    }

    /// Every target to try for `destination` over `transport`, in order (RFC 3263 §4.2, `TargetLocation`), with
    /// the SRV answers as lines to show.
    public static func candidates(
        for destination: Destination, transport: SIPTransport, dnsServer: String?
    ) throws -> (srvLines: [String], targets: [DiscoveryTarget]) {
        let found = try TargetLocation.locate(destination, transport: transport, resolver: try DNSResolver(server: dnsServer))
        return (found.srv.map { "SRV \($0.service) → \($0.record.target):\($0.record.port)" }, found.targets)
    }

    /// The trunk's outbound endpoint, or (without a trunk) the called number's own, when it is attached.
    public static func outbound(
        calling number: E164Number, trunk: String?, service: SIPTrunkService, transport: String?, dnsServer: String?
    ) throws -> CallTarget {
        var numbers = [number.value]
        if let trunk {
            guard let found = try service.trunks().first(where: { $0.id == trunk }) else {
                throw RuntimeError.refused("no trunk '\(trunk)': siptrunk trunks list shows them")
            }
            numbers = found.numbers
        }
        let found = numbers.lazy.compactMap { number in (try? service.configuration(number: number).outbound).map { (number, $0) } }.first { $0.1.sipEndpoint != nil }
        guard let (owner, outbound) = found, let endpoint = outbound.sipEndpoint else {
            throw RuntimeError.refused(
                trunk.map { "trunk \($0) has no outbound endpoint: give --to DEST" } ?? "\(number.value) has no outbound endpoint: give --trunk ID or --to DEST")
        }
        // Failed over (by the monitor or by hand): calls go to the active endpoint, and say so.
        if let active = try service.activeEndpoint(number: owner), active.role != .primary {
            var target = try resolve(active.destination, transport: transport ?? active.transport ?? outbound.options.transport, dnsServer: dnsServer)
            target.failover = "the \(active.role.name) endpoint \(active.destination) (failed over\(active.since.map { " at \(Self.time($0))" } ?? "")\(active.reason.map { ": \($0)" } ?? ""))"
            target.owner = owner
            target.role = active.role
            return target
        }
        // The port discovery chose is stored beside the endpoint (the wizard keeps the host as typed): put it back.
        var destination: Destination
        do {
            destination = try Destination(parsing: endpoint)
        } catch {
            throw RuntimeError.refused("the stored endpoint '\(endpoint)' is not a destination: \(error.message)")
        }
        if destination.port == nil { destination.port = outbound.options.port }
        var target = try resolve(destination.description, transport: transport ?? outbound.options.transport, dnsServer: dnsServer)
        target.owner = owner
        target.role = .primary
        return target
    }

    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
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
        // An address needs no DNS (and no resolver: the monitor resolves thousands of endpoints).
        if IPAddress.isIPv4(parsed.host) || IPAddress.isIPv6(parsed.host) {
            return CallTarget(
                peer: PeerAddress(host: parsed.host, port: parsed.port ?? chosen.defaultPort, transport: chosen), domain: parsed.host)
        }
        let found = try TargetLocation.locate(parsed, transport: chosen, resolver: try DNSResolver(server: dnsServer))
        guard let first = found.targets.first else { throw DNSError.noRecords(parsed.host) }
        return CallTarget(peer: PeerAddress(host: first.address, port: first.port, transport: chosen), domain: parsed.host)
    }
}
