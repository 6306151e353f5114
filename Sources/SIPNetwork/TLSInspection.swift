import Foundation
import NIOCore
import NIOSSL
import NIOTLS
import SIPCore
import SwiftASN1
import X509

/// Where TLS trust comes from: the system's trust store (Debian's `/etc/ssl/certs/ca-certificates.crt`), or only
/// the certificates of a private CA file (`--ca-file`, like curl's `--cacert`).
public struct TLSTrust: Sendable {
    public let caFile: String?
    /// The private CA's certificates; nil for the system's store.
    private let privateRoots: CertificateStore?

    public static let system = TLSTrust(caFile: nil, roots: nil)

    init(caFile: String?, roots: CertificateStore?) {
        self.caFile = caFile
        self.privateRoots = roots
    }

    /// The roots a certificate is checked against. The system's store is only touched here, when a TLS handshake
    /// needs it: loading it parses every certificate in the bundle (about 20 ms of CPU), which a UDP or TCP
    /// probe has no use for.
    var roots: CertificateStore { privateRoots ?? .systemTrustRoots }

    /// Loads the PEM certificates in `path` as the only trusted roots.
    public static func caFile(_ path: String) throws(TLSTrustError) -> TLSTrust {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TLSTrustError(path: path, problem: "cannot be read (\((error as NSError).localizedDescription))")
        }
        let certificates: [Certificate]
        do {
            certificates = try PEMDocument.parseMultiple(pemString: text).map { try Certificate(pemDocument: $0) }
        } catch {
            throw TLSTrustError(path: path, problem: "is not a PEM file of certificates (\(error))")
        }
        guard !certificates.isEmpty else {
            throw TLSTrustError(path: path, problem: "holds no certificates")
        }
        return TLSTrust(caFile: path, roots: CertificateStore(certificates))
    }
}

public struct TLSTrustError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var problem: String
    public var description: String { "the CA file \(path) \(problem): give a PEM file with the CA's certificate" }
}

/// One TLS connection's findings, filled in during the handshake: the cipher from the ServerHello, then the
/// certificate checks from the verification callback.
/// `@unchecked Sendable`: written during the handshake on the channel's event loop, read only after the handshake's promise completes (which orders the writes before the reads).
final class TLSInspection: @unchecked Sendable {
    let serverName: String
    var cipherSuite: UInt16?
    var certificate: CertificateFacts?
    var failure: TransportFailure?

    init(serverName: String) {
        self.serverName = serverName
    }

    struct CertificateFacts {
        var subject: String
        var subjectAlternativeNames: [String]
        var issuer: String
        var notAfter: Double
        var trusted: Bool
        var hostnameMatches: Bool
    }

    func details(version: TLSVersion?) -> TLSDetails? {
        guard let certificate else { return nil }
        return TLSDetails(
            protocolVersion: version.map(Self.name) ?? "unknown",
            cipher: cipherSuite.map(Self.cipherName) ?? "unknown",
            subject: certificate.subject, subjectAlternativeNames: certificate.subjectAlternativeNames,
            issuer: certificate.issuer, notAfter: certificate.notAfter, trusted: certificate.trusted,
            hostnameMatches: certificate.hostnameMatches)
    }

    /// Checks the chain the server presented, in the order a person would fix things: validity dates, then trust,
    /// then the name (RFC 5922 §7.2). Completes `promise` with the verdict; a failure is kept in `failure`.
    func verify(_ chain: [NIOSSLCertificate], trust: TLSTrust, promise: EventLoopPromise<NIOSSLVerificationResult>) {
        let executor = EventLoopTaskExecutor(promise.futureResult.eventLoop)
        let parsed: [Certificate]
        do {
            parsed = try chain.map { try Certificate(derEncoded: $0.toDERBytes()) }
        } catch {
            failure = .tls(.protocolError, detail: "the server's certificate does not parse: \(error)")
            promise.succeed(.failed)
            return
        }
        guard let leaf = parsed.first else {
            failure = .tls(.untrusted, detail: "the server sent no certificate")
            promise.succeed(.failed)
            return
        }
        let names = Self.alternativeNames(of: leaf)
        let matches = Self.matches(serverName: serverName, certificate: leaf, alternativeNames: names)
        var facts = CertificateFacts(
            subject: leaf.subject.description, subjectAlternativeNames: names.map(\.display),
            issuer: leaf.issuer.description, notAfter: leaf.notValidAfter.timeIntervalSince1970, trusted: false,
            hostnameMatches: matches)
        let now = Date()
        let roots = trust.roots
        let intermediates = CertificateStore(parsed.dropFirst())
        // The verifier is async; it runs on the connection's event loop, not the shared concurrency pool, so a
        // pool busy with blocking work (a test runner, a TUI) cannot stall a handshake.
        Task(executorPreference: executor) {
            var verifier = Verifier(rootCertificates: roots) { RFC5280Policy() }
            let result = await verifier.validate(leaf: leaf, intermediates: intermediates)
            if case .validCertificate = result { facts.trusted = true }
            self.certificate = facts
            let expiry = ISO8601DateFormatter().string(from: leaf.notValidAfter)
            if leaf.notValidAfter < now {
                self.failure = .tls(.expired, detail: "it expired on \(expiry)")
            } else if leaf.notValidBefore > now {
                self.failure = .tls(.expired, detail: "it is not valid before \(ISO8601DateFormatter().string(from: leaf.notValidBefore))")
            } else if !facts.trusted {
                let source = trust.caFile.map { "the CA file \($0)" } ?? "the system trust store"
                self.failure = .tls(.untrusted, detail: "issuer \(leaf.issuer) is not in \(source)")
            } else if !matches {
                let listed = facts.subjectAlternativeNames.isEmpty ? "CN only: \(leaf.subject)" : facts.subjectAlternativeNames.joined(separator: ", ")
                self.failure = .tls(.hostnameMismatch, detail: "it is for \(listed), not \(self.serverName)")
            }
            promise.succeed(self.failure == nil ? .certificateVerified : .failed)
        }
    }

    enum AlternativeName: Equatable {
        case dns(String), uri(String), ip(String), other(String)

        var display: String {
            switch self {
            case .dns(let name): "DNS:\(name)"
            case .uri(let uri): "URI:\(uri)"
            case .ip(let address): "IP:\(address)"
            case .other(let value): value
            }
        }
    }

    static func alternativeNames(of certificate: Certificate) -> [AlternativeName] {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return [] }
        return names.map { name in
            switch name {
            case .dnsName(let dns): return .dns(dns)
            case .uniformResourceIdentifier(let uri): return .uri(uri)
            case .ipAddress(let octets): return .ip(Self.ipString(Array(octets.bytes)))
            default: return .other("\(name)")
            }
        }
    }

    static func ipString(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        if bytes.count == 16, let address = try? SocketAddress(packedIPAddress: ByteBuffer(bytes: bytes), port: 0) {
            return address.ipAddress ?? bytes.map { String($0, radix: 16) }.joined()
        }
        return bytes.map { String($0, radix: 16) }.joined()
    }

    /// RFC 5922 §7.2: the SIP domain must equal a subjectAltName URI `sip:domain` or a dNSName, compared without
    /// case and with no wildcards; the subject's CN counts only when there is no subjectAltName at all. An IP
    /// address is compared with iPAddress entries.
    static func matches(serverName: String, certificate: Certificate, alternativeNames: [AlternativeName]) -> Bool {
        let domain = serverName.lowercased()
        if IPAddress.isIPv4(domain) || IPAddress.isIPv6(domain) {
            let canonical = (try? SocketAddress(ipAddress: domain, port: 0).ipAddress) ?? domain
            return alternativeNames.contains { name in
                if case .ip(let address) = name { return address.lowercased() == canonical.lowercased() }
                return false
            }
        }
        if alternativeNames.isEmpty {
            return certificate.subject.compactMap { $0.first { $0.type == .RDNAttributeType.commonName } }
                .contains { String(describing: $0.value).lowercased() == domain }
        }
        return alternativeNames.contains { name in
            switch name {
            case .dns(let dns): return dns.lowercased() == domain
            case .uri(let uri):
                guard let parsed = try? SIPURI(parsing: uri), parsed.scheme == .sip || parsed.scheme == .sips,
                    parsed.user == nil
                else { return false }
                return parsed.host.lowercased() == domain
            default: return false
            }
        }
    }

    static func name(_ version: TLSVersion) -> String {
        switch version {
        case .tlsv1: "TLSv1.0"
        case .tlsv11: "TLSv1.1"
        case .tlsv12: "TLSv1.2"
        case .tlsv13: "TLSv1.3"
        }
    }

    /// IANA names of the suites BoringSSL negotiates.
    static func cipherName(_ suite: UInt16) -> String {
        switch suite {
        case 0x1301: "TLS_AES_128_GCM_SHA256"
        case 0x1302: "TLS_AES_256_GCM_SHA384"
        case 0x1303: "TLS_CHACHA20_POLY1305_SHA256"
        case 0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        case 0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
        case 0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        case 0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
        case 0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
        case 0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
        case 0xC009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"
        case 0xC00A: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"
        case 0xC013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"
        case 0xC014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"
        case 0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256"
        case 0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384"
        case 0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA"
        case 0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA"
        default: String(format: "0x%04X", suite)
        }
    }
}

/// Runs Swift concurrency jobs on a SwiftNIO event loop.
final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    let eventLoop: EventLoop

    init(_ eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Reads the negotiated cipher suite from the server's ServerHello as it passes (it is sent in the clear in
/// TLS 1.2 and 1.3), then steps out of the pipeline. swift-nio-ssl does not expose the negotiated cipher.
/// `@unchecked Sendable`: a channel handler, called on its channel's event loop only.
final class ServerHelloSniffer: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let inspection: TLSInspection
    private var seen: [UInt8] = []

    init(inspection: TLSInspection) {
        self.inspection = inspection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        seen.append(contentsOf: unwrapInboundIn(data).readableBytesView)
        // Pass the bytes on first: a handler that has left the pipeline can no longer forward them.
        context.fireChannelRead(data)
        switch Self.cipherSuite(in: seen) {
        case .found(let suite):
            inspection.cipherSuite = suite
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        case .notServerHello:
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        case .needMore:
            if seen.count > 32_768 { context.pipeline.syncOperations.removeHandler(self, promise: nil) }
        }
    }

    enum Scan: Equatable { case found(UInt16), needMore, notServerHello }

    /// The cipher_suite of a ServerHello at the start of `bytes` (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3).
    static func cipherSuite(in bytes: [UInt8]) -> Scan {
        // TLS record: type 22 (handshake), version (2), length (2); the handshake: type 2, length (3).
        guard bytes.count >= 6 else { return .needMore }
        guard bytes[0] == 22, bytes[5] == 2 else { return .notServerHello }
        // legacy_version (2) + random (32), then session_id.
        let sessionIDLength = 5 + 4 + 2 + 32
        guard bytes.count > sessionIDLength else { return .needMore }
        let cipher = sessionIDLength + 1 + Int(bytes[sessionIDLength])
        guard bytes.count >= cipher + 2 else { return .needMore }
        return .found(UInt16(bytes[cipher]) << 8 | UInt16(bytes[cipher + 1]))
    }
}

/// Completes a promise when the TLS handshake finishes, or fails it with what went wrong.
/// `@unchecked Sendable`: a channel handler, called on its channel's event loop only.
final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<Void>
    let inspection: TLSInspection
    private var done = false

    init(promise: EventLoopPromise<Void>, inspection: TLSInspection) {
        self.promise = promise
        self.inspection = inspection
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event, !done {
            done = true
            promise.succeed(())
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done {
            done = true
            promise.fail(TransportError(inspection.failure ?? Self.classify(error)))
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if !done {
            done = true
            promise.fail(TransportError(inspection.failure ?? .connectionReset))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            done = true
            promise.fail(TransportError(inspection.failure ?? .tls(.protocolError, detail: "the server closed the connection during the TLS handshake")))
        }
        context.fireChannelInactive()
    }

    static func classify(_ error: any Error) -> TransportFailure {
        if let error = error as? NIOSSLError {
            switch error {
            case .handshakeFailed(let inner):
                return .tls(.protocolError, detail: "handshake failed: \(inner)")
            case .uncleanShutdown:
                return .tls(.protocolError, detail: "the server closed the connection during the TLS handshake")
            default:
                return .tls(.protocolError, detail: "\(error)")
            }
        }
        return NIOTransportLink.classify(error)
    }
}
