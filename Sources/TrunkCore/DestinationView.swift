import SIPCore

/// `POST /v1/sip/parse-destination` response data: `scheme, user, host, port, transport` (null: discovery decides).
public struct DestinationView: Codable, Hashable, Sendable {
    public var scheme: String
    public var user: String?
    public var host: String
    public var port: Int?
    public var transport: String?

    public init(_ destination: Destination) {
        scheme = destination.scheme
        user = destination.user
        host = destination.host
        port = destination.port
        transport = destination.transport?.rawValue
    }

    public func encode(to encoder: any Encoder) throws {
        // Keys are always present; null means "discovery decides".
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(scheme, forKey: .scheme)
        try container.encode(user, forKey: .user)
        try container.encode(host, forKey: .host)
        try container.encode(port, forKey: .port)
        try container.encode(transport, forKey: .transport)
    }

    enum CodingKeys: String, CodingKey { case scheme, user, host, port, transport }
}
