import Foundation
import SIPCore
import SIPEngine
import TrunkStore

/// `GET /v1/sip?phone_number=`: one direction's configuration with credentials redacted.
public struct ConfigurationView: Codable, Hashable, Sendable {
    public struct Options: Codable, Hashable, Sendable {
        public var port: Int?
        public var transport: String?
        public var secureMedia: Bool
        public var sipUsername: String?
        /// `"[redacted]"` when a password is set, never the password.
        public var sipPassword: String?
    }

    public struct Headers: Codable, Hashable, Sendable {
        public var direction: String
        public var headers: [CustomHeader]
    }

    public var number: String
    public var id: String
    public var orgId: String
    public var trunkId: String
    public var direction: String
    public var sipEndpoint: String?
    public var authMode: String
    public var registerUsername: String?
    public var headers: Headers
    public var options: Options
    public var failoverEndpoints: [String]
    public var createdAt: Date
    public var updatedAt: Date
}

public struct NumberConfiguration: Codable, Hashable, Sendable {
    public var inbound: ConfigurationView?
    public var outbound: ConfigurationView?
}

/// `GET /v1/sip/numbers` entry.
public struct NumberSummary: Codable, Hashable, Sendable {
    public var phoneNumber: String
    public var directions: [String]
    public var sipEndpoint: String?
    public var healthStatus: HealthState
    public var trunkId: String

    /// The API's names spelled out, so a list of thousands encodes without converting every key.
    public enum CodingKeys: String, CodingKey {
        case phoneNumber = "phone_number", directions, sipEndpoint = "sip_endpoint", healthStatus = "health_status", trunkId = "trunk_id"
    }
}

/// `GET /v1/sip/firewall-ips`: what a firewall in front of the PBX must allow.
public struct FirewallInfo: Codable, Hashable, Sendable {
    public struct SIPPort: Codable, Hashable, Sendable {
        public var transport: String
        public var port: Int
    }

    public struct RTP: Codable, Hashable, Sendable {
        public var protocolName: String
        public var portMin: Int
        public var portMax: Int
        public var rtcp: String

        enum CodingKeys: String, CodingKey {
            case protocolName = "protocol"
            case portMin, portMax, rtcp
        }
    }

    public var region: String
    public var signallingHosts: [String]
    public var ipv4: [String]
    public var ipv6: [String]
    public var sipPorts: [SIPPort]
    public var rtp: RTP
}

extension FirewallInfo {
    /// The profile as labelled rows, for the CLI and the screens.
    public var rows: [(label: String, value: String)] {
        [
            ("Region", region),
            ("Signalling", signallingHosts.joined(separator: ", ")),
            ("IPv4", ipv4.isEmpty ? "none set (siptrunk profile set --ipv4 ...)" : ipv4.joined(separator: ", ")),
            ("IPv6", ipv6.isEmpty ? "none" : ipv6.joined(separator: ", ")),
            ("SIP ports", sipPorts.map { "\($0.transport.uppercased()) \($0.port)" }.joined(separator: ", ")),
            ("Media", "RTP/SRTP \(rtp.protocolName.uppercased()) \(rtp.portMin)–\(rtp.portMax), RTCP on \(rtp.rtcp)"),
        ]
    }

    /// The rules to put on a firewall, as text to copy or save.
    public var ruleText: String {
        let sip = sipPorts.map { "\($0.transport.uppercased()) \($0.port)" }.joined(separator: ", ")
        var lines = ["# siptrunk firewall rules, region \(region)"]
        lines += (ipv4 + ipv6).map { "allow from/to \($0) SIP \(sip)" }
        lines.append("allow RTP/SRTP \(rtp.protocolName.uppercased()) \(rtp.portMin)-\(rtp.portMax) (RTCP on \(rtp.rtcp))")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension SIPTrunkService {
    static let redacted = "[redacted]"

    /// `GET /v1/sip?phone_number=`.
    public func configuration(number text: String) throws(TrunkError) -> NumberConfiguration {
        let number = try Self.number(text, field: "phone_number")
        return try read { reader in
            _ = try requireEntitlement(reader)
            guard let owner = try reader.phoneNumber(number.value), owner.orgId == orgId else {
                throw TrunkError.notFound("\(number) has no SIP configuration; attach it with `siptrunk trunks attach`")
            }
            var result = NumberConfiguration()
            for config in try reader.configurations(number: number.value) {
                let view = try view(of: config, reader: reader)
                switch config.direction {
                case .inbound: result.inbound = result.inbound ?? view
                case .outbound: result.outbound = result.outbound ?? view
                }
            }
            return result
        }
    }

    func view(of config: SIPConfiguration, reader: StoreReader) throws -> ConfigurationView {
        let authentication = try reader.authentication(configId: config.id)
        let endpoints = try reader.endpoints(configId: config.id)
        return ConfigurationView(
            number: config.number, id: config.id, orgId: orgId, trunkId: config.trunkId, direction: config.direction.rawValue,
            sipEndpoint: config.sipEndpoint, authMode: authentication?.mode.rawValue ?? "ip",
            registerUsername: authentication?.username,
            headers: .init(direction: config.direction.rawValue, headers: config.customHeaders),
            options: .init(
                port: config.port, transport: config.transport, secureMedia: config.secureMedia,
                sipUsername: authentication?.outboundUsername,
                sipPassword: authentication?.outboundPassword == nil ? nil : Self.redacted),
            failoverEndpoints: endpoints.dropFirst().map { endpoint in
                "\(endpoint.host)" + (endpoint.port.map { ":\($0)" } ?? "") + (endpoint.transport.map { ";transport=\($0)" } ?? "")
            },
            createdAt: config.createdAt, updatedAt: config.updatedAt)
    }

    /// `GET /v1/sip/numbers`: every SIP number of the organisation with its directions and health, in one query.
    public func numbers() throws(TrunkError) -> [NumberSummary] {
        let rows = try read { reader in
            _ = try requireEntitlement(reader)
            return try reader.numberSummaryRows(orgId: orgId)
        }
        var summaries: [NumberSummary] = []
        var start = rows.startIndex
        while start < rows.endIndex {
            let number = rows[start].number
            var end = start
            while end < rows.endIndex, rows[end].number == number { end += 1 }
            let configs = rows[start..<end]
            let outbound = configs.first { $0.direction == "outbound" }
            // Inbound-only numbers have nothing to probe: the guide shows them as unchecked. The monitor's state
            // (with its fail-after and recover-after streaks) first, else the newest sample's verdict.
            let health = outbound.map { HealthState(stored: $0.state, lastOutcome: $0.lastOutcome) } ?? .unchecked
            summaries.append(NumberSummary(
                phoneNumber: number, directions: configs.map(\.direction).uniqued().sorted(), sipEndpoint: outbound?.sipEndpoint,
                healthStatus: health, trunkId: configs[start].trunkId))
            start = end
        }
        return summaries
    }

    /// `POST /v1/sip/detach`: removes the number's configurations in the given directions (all when nil).
    public func detach(number text: String, directions: [String]?) throws(TrunkError) -> [String] {
        let number = try Self.number(text, field: "phone_number")
        var wanted: Set<SIPConfiguration.Direction> = Set(SIPConfiguration.Direction.allCases)
        if let directions {
            var errors: [FieldError] = []
            wanted = []
            for (index, name) in directions.enumerated() {
                if let direction = SIPConfiguration.Direction(rawValue: name) { wanted.insert(direction) } else {
                    errors.append(FieldError("directions[\(index)]", "\"\(name)\" is not a direction; use inbound or outbound"))
                }
            }
            guard errors.isEmpty else { throw TrunkError.validation(errors) }
        }
        return try write { writer in
            _ = try requireEntitlement(writer.reader)
            guard let owner = try writer.reader.phoneNumber(number.value), owner.orgId == orgId else {
                throw TrunkError.notFound("\(number) has no SIP configuration to detach")
            }
            let matching = try writer.reader.configurations(number: number.value).filter { wanted.contains($0.direction) }
            guard !matching.isEmpty else {
                throw TrunkError.notFound("\(number) has no \(wanted.map(\.rawValue).sorted().joined(separator: " or ")) configuration")
            }
            for config in matching { try writer.deleteConfiguration(id: config.id) }
            try writer.deleteNumberIfUnused(number.value)
            return matching.map(\.direction.rawValue).uniqued()
        }
    }

    /// `GET /v1/sip/firewall-ips`.
    public func firewall(region name: String?) throws(TrunkError) -> FirewallInfo {
        try read { reader in
            _ = try requireEntitlement(reader)
            guard let region = try reader.region(named: name) else {
                let known = try reader.regions().map(\.name)
                throw TrunkError.notFound(
                    name.map { "region '\($0)' does not exist; known regions: \(known.joined(separator: ", "))" }
                        ?? "no default region is configured; set one with `siptrunk profile set`")
            }
            return Self.firewallInfo(region)
        }
    }

    static func firewallInfo(_ region: Region) -> FirewallInfo {
        var ports: [FirewallInfo.SIPPort] = []
        if let udp = region.udpPort { ports.append(.init(transport: "udp", port: udp)) }
        if let tcp = region.tcpPort { ports.append(.init(transport: "tcp", port: tcp)) }
        ports.append(.init(transport: "tls", port: region.tlsPort))
        return FirewallInfo(
            region: region.name, signallingHosts: region.signallingHosts, ipv4: region.egressIpv4, ipv6: region.egressIpv6,
            sipPorts: ports,
            rtp: .init(protocolName: "udp", portMin: region.rtpPortMin, portMax: region.rtpPortMax, rtcp: "RTP port + 1"))
    }

    static func number(_ text: String, field: String) throws(TrunkError) -> E164Number {
        do {
            return try E164Number(parsing: text)
        } catch {
            throw TrunkError.validation([FieldError(field, "\"\(text)\" is not a valid E.164 number: \(error)")])
        }
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen: Set<Element> = []
        return filter { seen.insert($0).inserted }
    }
}

/// A trunk and the numbers routed through it.
public struct TrunkSummary: Codable, Hashable, Sendable {
    public var id: String
    public var name: String
    public var provider: String?
    public var numbers: [String]
    public var createdAt: Date
}

extension SIPTrunkService {
    /// How many trunks the organisation has (the dashboard's card), without reading their numbers.
    public func trunkCount() throws(TrunkError) -> Int {
        try read { reader in try reader.trunks(orgId: orgId).count }
    }

    /// How many of them are the demo data set's (samples no monitor probes).
    public func demoTrunkCount() throws(TrunkError) -> Int {
        try read { reader in try reader.demoTrunkCount(orgId: orgId) }
    }

    public func trunks() throws(TrunkError) -> [TrunkSummary] {
        try read { reader in
            _ = try requireEntitlement(reader)
            return try reader.trunks(orgId: orgId).map { trunk in
                TrunkSummary(
                    id: trunk.id, name: trunk.name, provider: trunk.provider,
                    numbers: try reader.configurations(trunkId: trunk.id).map(\.number).uniqued(), createdAt: trunk.createdAt)
            }
        }
    }

    /// `POST /v1/sip/update`: changes one direction of a number on the trunk it is attached to.
    public func update(number text: String, with direction: AttachRequest.Direction) throws(TrunkError) -> AttachResult {
        let number = try Self.number(text, field: "phone_number")
        guard let type = SIPConfiguration.Direction(rawValue: direction.type) else {
            throw TrunkError.validation([FieldError("updates.type", "\"\(direction.type)\" is not a direction; use inbound or outbound")])
        }
        let existing = try read { reader in
            _ = try requireEntitlement(reader)
            return try reader.configurations(number: number.value).first { $0.direction == type }
        }
        guard let existing else {
            throw TrunkError.notFound("\(number) has no \(type.rawValue) configuration to update; attach it first")
        }
        let result = try attach(AttachRequest(phoneNumber: number.value, trunkId: existing.trunkId, directions: [direction]))
        if let failure = result.failed.first {
            throw TrunkError.validation([FieldError("phone_number", failure.reason)])
        }
        return result
    }
}

/// A change to one region of the deployment profile; nil fields stay as they are.
public struct ProfileChange: Codable, Hashable, Sendable {
    public var region: String
    public var signallingHosts: [String]?
    public var ipv4: [String]?
    public var ipv6: [String]?
    public var tlsPort: Int?
    public var udpPort: Int?
    public var tcpPort: Int?
    /// `min-max`, e.g. `10000-20000`.
    public var rtpRange: String?
    public var makeDefault: Bool

    public init(
        region: String, signallingHosts: [String]? = nil, ipv4: [String]? = nil, ipv6: [String]? = nil, tlsPort: Int? = nil,
        udpPort: Int? = nil, tcpPort: Int? = nil, rtpRange: String? = nil, makeDefault: Bool = false
    ) {
        self.region = region
        self.signallingHosts = signallingHosts
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.tlsPort = tlsPort
        self.udpPort = udpPort
        self.tcpPort = tcpPort
        self.rtpRange = rtpRange
        self.makeDefault = makeDefault
    }
}

extension SIPTrunkService {
    public static func firewallInfo(for region: Region) -> FirewallInfo { firewallInfo(region) }

    /// Creates or changes a region of the deployment profile, after checking every value.
    public func setProfile(_ change: ProfileChange) throws(TrunkError) -> FirewallInfo {
        var errors: [FieldError] = []
        if !Self.isIdentifier(change.region) {
            errors.append(FieldError("region", "\"\(change.region)\" may contain only letters, digits, '-' and '_'"))
        }
        for (index, host) in (change.signallingHosts ?? []).enumerated() where (try? Destination(parsing: host))?.port != nil || (try? Destination(parsing: host)) == nil {
            errors.append(FieldError("signalling_hosts[\(index)]", "\"\(host)\" is not a host name or address without port"))
        }
        for (index, address) in (change.ipv4 ?? []).enumerated() where !IPAddress.isIPv4(address) {
            errors.append(FieldError("ipv4[\(index)]", "\"\(address)\" is not an IPv4 address"))
        }
        for (index, address) in (change.ipv6 ?? []).enumerated() where !IPAddress.isIPv6(address) {
            errors.append(FieldError("ipv6[\(index)]", "\"\(address)\" is not an IPv6 address"))
        }
        for (name, port) in [("tls_port", change.tlsPort), ("udp_port", change.udpPort), ("tcp_port", change.tcpPort)] {
            if let port, !(1...65535).contains(port) { errors.append(FieldError(name, "\(port) is out of range (1–65535)")) }
        }
        var rtp: (Int, Int)?
        if let range = change.rtpRange {
            let parts = range.split(separator: "-").map { Int($0) }
            if parts.count == 2, let low = parts[0], let high = parts[1], (1024...65534).contains(low), (low...65534).contains(high) {
                rtp = (low, high)
            } else {
                errors.append(FieldError("rtp", "\"\(range)\" is not a port range like 10000-20000 (1024–65534, low to high)"))
            }
        }
        guard errors.isEmpty else { throw TrunkError.validation(errors) }
        return try write { writer in
            _ = try requireEntitlement(writer.reader)
            var region = try writer.reader.region(named: change.region)
                ?? Region(name: change.region, isDefault: false, signallingHosts: [], egressIpv4: [], egressIpv6: [],
                          udpPort: 5060, tcpPort: 5060, tlsPort: 5061, rtpPortMin: 10000, rtpPortMax: 20000)
            if let hosts = change.signallingHosts { region.signallingHosts = hosts }
            if let ipv4 = change.ipv4 { region.egressIpv4 = ipv4 }
            if let ipv6 = change.ipv6 { region.egressIpv6 = ipv6 }
            if let port = change.tlsPort { region.tlsPort = port }
            if let port = change.udpPort { region.udpPort = port }
            if let port = change.tcpPort { region.tcpPort = port }
            if let (low, high) = rtp {
                region.rtpPortMin = low
                region.rtpPortMax = high
            }
            if change.makeDefault { region.isDefault = true }
            try writer.save(region)
            return Self.firewallInfo(region)
        }
    }
}

/// `GET /v1/sip/outbound-setup`: what to enter on the PBX so it accepts calls from this deployment and sends
/// calls to it.
public struct OutboundSetup: Codable, Hashable, Sendable {
    public var phoneNumber: String
    public var trunkId: String
    /// The SIP server the PBX sends calls to (this deployment), preferred transport first.
    public var sipServers: [String]
    public var transport: String
    public var port: Int
    public var authMode: String
    public var registerUsername: String?
    /// Allow these addresses in the PBX's ACL / trusted peers (IP-based authentication).
    public var allowAddresses: [String]
    public var codecs: [String]
    public var secureMedia: Bool
    public var mediaEncryption: String?
    public var dtmf: String
    public var rtpPortRange: String
    public var notes: [String]
}

public struct OrganisationView: Codable, Hashable, Sendable {
    public var id: String
    public var name: String
    public var sipEntitled: Bool
}

extension SIPTrunkService {
    public func outboundSetup(number text: String, region name: String? = nil) throws(TrunkError) -> OutboundSetup {
        let number = try Self.number(text, field: "phone_number")
        return try read { reader in
            _ = try requireEntitlement(reader)
            guard let owner = try reader.phoneNumber(number.value), owner.orgId == orgId,
                let config = try reader.configurations(number: number.value).first
            else {
                throw TrunkError.notFound("\(number) has no SIP configuration; attach it with `siptrunk trunks attach`")
            }
            guard let region = try reader.region(named: name) else {
                throw TrunkError.notFound("no region '\(name ?? "default")'; see `siptrunk profile show`")
            }
            let authentication = try reader.authentication(configId: config.id)
            let codecs = try Self.assemble(config, reader: reader).codecConfig.codecs
            // Advise what the trunk really is (issue 14: Step 8 said sip:vm:5061;transport=tls — a bare host name the
            // PBX cannot resolve, and TLS that the PBX never answered).
            var notes: [String] = []
            let outbound = try reader.configurations(number: number.value).first { $0.direction == .outbound }
            let transport = outbound?.transport.flatMap(SIPTransport.init(rawValue:)) ?? .tls
            let port = transport == .tls ? region.tlsPort : (transport == .tcp ? region.tcpPort : region.udpPort) ?? 5060
            var hosts = region.signallingHosts.filter { $0.contains(".") || $0.contains(":") }
            if hosts.isEmpty {
                hosts = region.egressIpv4.isEmpty ? region.signallingHosts : region.egressIpv4
                if let bare = region.signallingHosts.first, !region.egressIpv4.isEmpty {
                    notes.append("This deployment's host name '\(bare)' is not a DNS name your PBX can look up, so its address is given; set one with siptrunk profile set --host NAME.")
                }
            }
            let servers = hosts.map { host in
                "sip:\(IPAddress.reference(host)):\(port);transport=\(transport.rawValue)"
            }
            if transport == .tls {
                notes.append("The guide requires TLS 1.2 or higher for signalling and SRTP for media; do not use UDP.")
            } else {
                notes.append("Your PBX answered \(transport.viaToken), not TLS, when it was discovered: signalling is unencrypted. Enable TLS on the PBX (port 5061) and discover again to meet the guide's TLS requirement.")
            }
            if let outbound, let active = try Self.activeEndpoint(outbound, reader: reader), active.role != .primary {
                notes.append("Outbound calls have failed over: they go to your \(active.role.name) endpoint \(active.destination) now\(active.reason.map { " (\($0))" } ?? ""); allow this deployment on that server as well.")
            }
            if authentication?.mode == .register {
                notes.append("Configure the registration password shown when the number was attached (run `siptrunk trunks update` to see it again).")
            } else {
                notes.append("IP-based authentication: add every listed address to the PBX's trusted peers; no credentials are sent.")
            }
            return OutboundSetup(
                phoneNumber: number.value, trunkId: config.trunkId, sipServers: servers, transport: transport.rawValue, port: port,
                authMode: authentication?.mode.rawValue ?? "ip", registerUsername: authentication?.username,
                allowAddresses: region.egressIpv4 + region.egressIpv6, codecs: codecs, secureMedia: config.secureMedia,
                mediaEncryption: config.secureMedia ? "SRTP AES_CM_128_HMAC_SHA1_80 (SDES)" : nil, dtmf: "RFC 2833 (telephone-event)",
                rtpPortRange: "\(region.rtpPortMin)-\(region.rtpPortMax)/udp, RTCP on RTP + 1", notes: notes)
        }
    }

    /// The organisation this service acts for. Not entitlement-checked: it is how one finds out.
    public func organisation() throws(TrunkError) -> OrganisationView {
        try read { reader in
            guard let organisation = try reader.organisation(id: orgId) else { throw TrunkError.notFound("organisation '\(orgId)' does not exist") }
            return OrganisationView(id: organisation.id, name: organisation.name, sipEntitled: organisation.sipEntitled)
        }
    }

    /// Turns the SIP entitlement on or off (an administrator's action on a self-hosted install).
    public func setEntitlement(_ entitled: Bool) throws(TrunkError) -> OrganisationView {
        try write { writer in
            guard var organisation = try writer.reader.organisation(id: orgId) else {
                throw TrunkError.notFound("organisation '\(orgId)' does not exist")
            }
            organisation.sipEntitled = entitled
            try writer.save(organisation)
            return OrganisationView(id: organisation.id, name: organisation.name, sipEntitled: organisation.sipEntitled)
        }
    }
}
