import Foundation
import SIPCore
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
    public var healthStatus: String
    public var trunkId: String
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

    /// `GET /v1/sip/numbers`: every SIP number of the organisation with its directions and health.
    public func numbers() throws(TrunkError) -> [NumberSummary] {
        try read { reader in
            _ = try requireEntitlement(reader)
            return try reader.phoneNumbers(orgId: orgId).compactMap { phone -> NumberSummary? in
                let configs = try reader.configurations(number: phone.number)
                guard let first = configs.first else { return nil }
                let outbound = configs.first { $0.direction == .outbound }
                // Inbound-only numbers have nothing to probe: the guide shows them as unchecked.
                let health: String
                if let outbound, let sample = try reader.latestHealthSample(configId: outbound.id) {
                    health = sample.outcome == "ok" ? "healthy" : "unreachable"
                } else {
                    health = "unchecked"
                }
                return NumberSummary(
                    phoneNumber: phone.number, directions: configs.map(\.direction.rawValue).uniqued(),
                    sipEndpoint: outbound?.sipEndpoint, healthStatus: health, trunkId: first.trunkId)
            }
        }
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
