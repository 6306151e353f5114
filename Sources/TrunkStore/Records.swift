import Foundation
internal import GRDB

/// An organisation: the owner of trunks and numbers; SIP is available only with the SIP entitlement.
public struct Organisation: Codable, Hashable, Sendable {
    public var id: String
    public var name: String
    public var sipEntitled: Bool
    public var createdAt: Date

    public init(id: String, name: String, sipEntitled: Bool, createdAt: Date) {
        self.id = id
        self.name = name
        self.sipEntitled = sipEntitled
        self.createdAt = createdAt
    }
}

/// A trunk: the connection to one SIP server (PBX or provider) that numbers are routed through.
public struct Trunk: Codable, Hashable, Sendable {
    public var id: String
    public var orgId: String
    public var name: String
    public var provider: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, orgId: String, name: String, provider: String?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.orgId = orgId
        self.name = name
        self.provider = provider
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

public struct PhoneNumber: Codable, Hashable, Sendable {
    public var number: String
    public var orgId: String
    public var createdAt: Date

    public init(number: String, orgId: String, createdAt: Date) {
        self.number = number
        self.orgId = orgId
        self.createdAt = createdAt
    }
}

/// A custom SIP header to add to calls (`headers{direction, headers[{type:"custom", key, value}]}`).
public struct CustomHeader: Codable, Hashable, Sendable {
    public var type: String
    public var key: String
    public var value: String

    public init(type: String = "custom", key: String, value: String) {
        self.type = type
        self.key = key
        self.value = value
    }
}

/// One SIP configuration of a number in one direction.
public struct SIPConfiguration: Codable, Hashable, Sendable {
    public enum Direction: String, Codable, Hashable, Sendable, CaseIterable {
        case inbound, outbound
    }

    public var id: String
    public var number: String
    public var trunkId: String
    public var direction: Direction
    public var sipEndpoint: String?
    public var port: Int?
    public var transport: String?
    public var secureMedia: Bool
    public var customHeaders: [CustomHeader]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, number: String, trunkId: String, direction: Direction, sipEndpoint: String?, port: Int?,
        transport: String?, secureMedia: Bool, customHeaders: [CustomHeader], createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.number = number
        self.trunkId = trunkId
        self.direction = direction
        self.sipEndpoint = sipEndpoint
        self.port = port
        self.transport = transport
        self.secureMedia = secureMedia
        self.customHeaders = customHeaders
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// How the platform and the user's PBX authenticate each other for one configuration.
public struct Authentication: Codable, Hashable, Sendable {
    public enum Mode: String, Codable, Hashable, Sendable {
        case ip, register
    }

    public var configId: String
    public var mode: Mode
    public var username: String?
    /// `derived` (re-derived when needed, never stored) or `provided` (stored in `providedPassword`).
    public var passwordSource: String?
    public var providedPassword: String?
    public var outboundUsername: String?
    public var outboundPassword: String?

    public init(
        configId: String, mode: Mode, username: String? = nil, passwordSource: String? = nil,
        providedPassword: String? = nil, outboundUsername: String? = nil, outboundPassword: String? = nil
    ) {
        self.configId = configId
        self.mode = mode
        self.username = username
        self.passwordSource = passwordSource
        self.providedPassword = providedPassword
        self.outboundUsername = outboundUsername
        self.outboundPassword = outboundPassword
    }
}

/// A SIP server for an outbound configuration: priority 1 is the primary, 2 secondary, 3 tertiary.
public struct OutboundEndpoint: Codable, Hashable, Sendable {
    public var id: Int64?
    public var configId: String
    public var priority: Int
    public var host: String
    public var port: Int?
    public var transport: String?

    public init(id: Int64? = nil, configId: String, priority: Int, host: String, port: Int?, transport: String?) {
        self.id = id
        self.configId = configId
        self.priority = priority
        self.host = host
        self.port = port
        self.transport = transport
    }
}

/// A region of this deployment: where its signalling lives and which addresses and ports a firewall must allow.
public struct Region: Codable, Hashable, Sendable {
    public var name: String
    public var isDefault: Bool
    public var signallingHosts: [String]
    public var egressIpv4: [String]
    public var egressIpv6: [String]
    public var udpPort: Int?
    public var tcpPort: Int?
    public var tlsPort: Int
    public var rtpPortMin: Int
    public var rtpPortMax: Int

    public init(
        name: String, isDefault: Bool, signallingHosts: [String], egressIpv4: [String], egressIpv6: [String],
        udpPort: Int?, tcpPort: Int?, tlsPort: Int, rtpPortMin: Int, rtpPortMax: Int
    ) {
        self.name = name
        self.isDefault = isDefault
        self.signallingHosts = signallingHosts
        self.egressIpv4 = egressIpv4
        self.egressIpv6 = egressIpv6
        self.udpPort = udpPort
        self.tcpPort = tcpPort
        self.tlsPort = tlsPort
        self.rtpPortMin = rtpPortMin
        self.rtpPortMax = rtpPortMax
    }
}

// MARK: GRDB conformances

/// A record whose table columns are the snake_case forms of its properties.
protocol SnakeCaseRecord: FetchableRecord, PersistableRecord {}

extension SnakeCaseRecord {
    static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
}


extension Organisation: SnakeCaseRecord {
    public static let databaseTableName = "organisation"
}
extension Trunk: SnakeCaseRecord {
    public static let databaseTableName = "trunk"
}
extension PhoneNumber: SnakeCaseRecord {
    public static let databaseTableName = "phone_number"
}
extension SIPConfiguration: SnakeCaseRecord {
    public static let databaseTableName = "sip_configuration"
}
extension Authentication: SnakeCaseRecord {
    public static let databaseTableName = "authentication"
}
extension Region: SnakeCaseRecord {
    public static let databaseTableName = "region"
}
extension OutboundEndpoint: SnakeCaseRecord {
    public static let databaseTableName = "outbound_endpoint"
    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
