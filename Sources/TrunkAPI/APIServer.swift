import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import SIPCore
import SIPNetwork
import ServiceLifecycle
import TrunkCore
import TrunkRuntime

/// `siptrunk serve`: the guide's `/v1/sip` API over HTTP (Hummingbird 2), on the same use cases and runners as the
/// TUI and the CLI.
public enum APIServer {
    /// The body limit (issue 17): 2 MiB.
    public static let maximumBodyBytes = 2 * 1024 * 1024

    public struct Settings: Sendable {
        /// The use cases on the database (its organisation is replaced by each key's).
        public var base: SIPTrunkService
        public var trust: TLSTrust
        public var dnsServer: String?
        public var addressGuard: AddressGuard
        /// Seconds each discovery probe waits (the CLI's `--timeout`).
        public var discoveryTimeout: Double = 4
        /// How long a connected test call talks before hanging up.
        public var testCallDuration: Duration = .seconds(5)
        /// Connections accepted at once; more wait in the kernel's backlog.
        public var maximumConnections = 1024
        /// A request's headers must arrive within this after the connection opens (or the previous response ends):
        /// a client that trickles a byte at a time (slow loris) is disconnected.
        public var headerTimeout: Duration = .seconds(10)
        /// And its body within this after the headers.
        public var bodyTimeout: Duration = .seconds(30)
        /// On SIGTERM: how long requests in flight and jobs may take to finish.
        public var shutdownDeadline: Duration = .seconds(30)

        public init(service: SIPTrunkService, trust: TLSTrust = .system, dnsServer: String? = nil, addressGuard: AddressGuard) {
            base = service
            self.trust = trust
            self.dnsServer = dnsServer
            self.addressGuard = addressGuard
        }

        /// The use cases for one organisation.
        func service(orgId: String) -> SIPTrunkService { SIPTrunkService(store: base.store, orgId: orgId) }

        var keys: APIKeyService { APIKeyService(store: base.store) }
    }

    /// Where to listen and, for HTTPS, the certificate chain and key (PEM files).
    public struct Listener: Sendable {
        public var host: String
        public var port: Int
        public var certificateFile: String?
        public var keyFile: String?

        public init(host: String, port: Int, certificateFile: String? = nil, keyFile: String? = nil) {
            self.host = host
            self.port = port
            self.certificateFile = certificateFile
            self.keyFile = keyFile
        }
    }

    /// The router with every route and the middleware (request log, error envelope, authentication).
    static func makeRouter(_ settings: Settings, board: JobBoard, logger: Logger) -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.add(middleware: RequestLogMiddleware(logger: logger))
        router.add(middleware: ErrorEnvelopeMiddleware(logger: logger))
        router.add(middleware: AuthenticationMiddleware(keys: settings.keys))
        Handlers(settings: settings, board: board).register(on: router)
        return router
    }

    /// The application for tests (HummingbirdTesting drives it without a socket, or on an ephemeral port).
    public static func makeApplication(_ settings: Settings, logger: Logger = Logger(label: "siptrunk.api")) -> some ApplicationProtocol {
        let board = JobBoard(settings: settings)
        return Application(
            router: makeRouter(settings, board: board, logger: logger), server: .http1(configuration: channelConfiguration(settings)),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "siptrunk"), logger: logger)
    }

    static func channelConfiguration(_ settings: Settings) -> HTTP1Channel.Configuration {
        HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestDeadlineHandler(headerTimeout: settings.headerTimeout, bodyTimeout: settings.bodyTimeout)],
            idleTimeout: .seconds(75))
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, lets requests in flight and jobs finish (at most
    /// `shutdownDeadline`), and returns. `onListening` gets the bound address (port 0 picks a free one).
    public static func run(_ settings: Settings, listener: Listener, logger: Logger, onListening: @escaping @Sendable (String) -> Void) async throws {
        let board = JobBoard(settings: settings)
        let router = makeRouter(settings, board: board, logger: logger)
        let http1 = channelConfiguration(settings)
        let server: HTTPServerBuilder
        if let certificateFile = listener.certificateFile, let keyFile = listener.keyFile {
            let tls: TLSConfiguration
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { NIOSSLCertificateSource.certificate($0) }
                let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
                tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            } catch {
                throw RuntimeError.usage("cannot load --tls-cert \(certificateFile) / --tls-key \(keyFile): \(error)")
            }
            server = try .tls(.http1(configuration: http1), tlsConfiguration: tls)
        } else {
            server = .http1(configuration: http1)
        }
        let scheme = listener.certificateFile == nil ? "http" : "https"
        let app = Application(
            router: router, server: server,
            configuration: .init(
                address: .hostname(listener.host, port: listener.port), serverName: "siptrunk",
                availableConnectionsDelegate: MaximumAvailableConnections(settings.maximumConnections)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? listener.port
                onListening("\(scheme)://\(IPAddress.reference(listener.host)):\(port)")
            },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [app, JobService(board: board, deadline: settings.shutdownDeadline, logger: logger)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Ends the jobs cleanly when the server shuts down (the services stop in reverse order: this one first).
struct JobService: Service {
    let board: JobBoard
    let deadline: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        let finished = await board.drain(deadline: deadline)
        if finished {
            logger.info("jobs finished; stopping")
        } else {
            logger.warning("jobs still running after \(deadline); stopping without them")
        }
    }
}
