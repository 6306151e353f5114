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

    public var hostReference: String { IPAddress.reference(host) }
    public var description: String { "\(transport.rawValue):\(hostReference):\(port)" }
}

/// Why a transport could not deliver, as the network layer found it.
public enum TransportFailure: Sendable, Hashable {
    case connectionRefused
    case connectionReset
    case connectionTimeout
    case unreachable
    case tls(TLSFailure, detail: String)
    /// A stream peer sent bytes that are not SIP (the framing is lost and the connection dropped).
    case malformedStream(String)
    /// A stream peer sent a message larger than the parser's limit.
    case messageTooLarge(limit: Int)
    case other(String)

    public enum TLSFailure: String, Sendable, Hashable {
        case untrusted, expired, hostnameMismatch, protocolError
    }
}

/// What a TLS handshake found about the server: the negotiated protocol and cipher, and the server's certificate.
/// Reported with every TLS probe, whether the certificate was accepted or not.
public struct TLSDetails: Sendable, Hashable {
    /// "TLSv1.2" or "TLSv1.3".
    public var protocolVersion: String
    /// The IANA name of the negotiated cipher suite, e.g. "TLS_AES_128_GCM_SHA256".
    public var cipher: String
    /// The leaf certificate's subject, as an RFC 4514 string.
    public var subject: String
    /// Its subjectAltName entries, each prefixed with its kind: "DNS:sip.example.com", "URI:sip:example.com",
    /// "IP:192.0.2.1".
    public var subjectAlternativeNames: [String]
    public var issuer: String
    /// notAfter, in seconds since 1970.
    public var notAfter: Double
    /// Whether the chain leads to a trusted root (the system store, or `--ca-file`) and is valid now.
    public var trusted: Bool
    /// Whether the certificate names the SIP domain the way RFC 5922 §7.2 requires.
    public var hostnameMatches: Bool

    public init(
        protocolVersion: String, cipher: String, subject: String, subjectAlternativeNames: [String], issuer: String,
        notAfter: Double, trusted: Bool, hostnameMatches: Bool
    ) {
        self.protocolVersion = protocolVersion
        self.cipher = cipher
        self.subject = subject
        self.subjectAlternativeNames = subjectAlternativeNames
        self.issuer = issuer
        self.notAfter = notAfter
        self.trusted = trusted
        self.hostnameMatches = hostnameMatches
    }
}

extension Duration {
    /// The duration in seconds, for reports and messages (timers stay in `Duration`).
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    /// The duration in milliseconds.
    public var inMilliseconds: Double { inSeconds * 1000 }
}
