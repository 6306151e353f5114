/// Where a message goes or came from.
public struct PeerAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var transport: SIPTransport

    public init(host: String, port: Int, transport: SIPTransport) {
        self.host = host
        self.port = port
        self.transport = transport
    }

    public var hostReference: String { host.contains(":") ? "[\(host)]" : host }
    public var description: String { "\(transport.rawValue):\(hostReference):\(port)" }
}

/// Why a transport could not deliver, as the network layer found it.
public enum TransportFailure: Sendable, Hashable {
    case connectionRefused
    case connectionReset
    case connectionTimeout
    case unreachable
    case tls(TLSFailure, detail: String)
    case other(String)

    public enum TLSFailure: String, Sendable, Hashable {
        case untrusted, expired, hostnameMismatch, protocolError
    }
}
