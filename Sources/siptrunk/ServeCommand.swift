import ArgumentParser
import Foundation
import Logging
import SIPNetwork
import TrunkAPI
import TrunkCore
import TrunkRuntime

/// `siptrunk serve`: the guide's /v1/sip HTTP API.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the /v1/sip HTTP API (every step of the guide, for scripts and provisioning systems).",
        discussion: """
            Requests need an API key (siptrunk api-key create --name NAME) as Authorization: Bearer KEY. Every \
            response is the envelope {data, errors}; GET /v1/openapi.json describes every route, GET /healthz answers \
            without a key. Discovery and test calls run as jobs: the POST answers with an id, GET .../status polls.
            The server probes and calls only public addresses that are not its own, unless --allow-private is given \
            (a lab on loopback or a private network). SIGTERM or Ctrl-C stops it gracefully: requests in flight \
            finish, calls in progress hang up and are stored.
            One log line per request goes to standard error.
            """)

    @Option(help: "The address to listen on, HOST:PORT (IPv6 in brackets; port 0 picks a free one).") var listen = "127.0.0.1:8080"
    @Option(help: ArgumentHelp("HTTPS: the certificate chain (PEM).", valueName: "path")) var tlsCert: String?
    @Option(help: ArgumentHelp("HTTPS: the private key (PEM).", valueName: "path")) var tlsKey: String?
    @Flag(help: "Let API clients probe and call loopback, private and link-local addresses and this host's own (a lab).")
    var allowPrivate = false
    @Option(help: "DNS server HOST:PORT for discovery and calls (default: the system's).") var dnsServer: String?
    @Option(help: ArgumentHelp("Trust only the CA certificates in this PEM file for TLS to PBXs.", valueName: "path")) var caFile: String?
    @Option(help: "Seconds each discovery probe waits.") var discoveryTimeout: Double = 4
    @Option(help: "Connections served at once.") var maxConnections = 1024
    @Option(help: "Seconds a client has to send a request's headers (slow clients are disconnected).") var headerTimeout: Double = 10
    @OptionGroup var store: StoreOptions

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("give both --tls-cert and --tls-key for HTTPS, or neither") }
        guard discoveryTimeout >= 0.064, discoveryTimeout <= 120 else { throw ValidationError("--discovery-timeout must be from 0.064 to 120 seconds") }
        guard (1...100_000).contains(maxConnections) else { throw ValidationError("--max-connections must be from 1 to 100000") }
        guard headerTimeout >= 0.1, headerTimeout <= 300 else { throw ValidationError("--header-timeout must be from 0.1 to 300 seconds") }
    }

    func run() throws {
        let address: (host: String, port: Int)
        do {
            address = try Self.listenAddress(listen)
        } catch let error as RuntimeError {
            throw ValidationError("--listen: \(error.message)")
        }
        let service = try store.service(.create)
        var settings = APIServer.Settings(
            service: service, trust: try TLSTrust.load(caFile: caFile), dnsServer: dnsServer,
            addressGuard: AddressGuard(allowPrivate: allowPrivate))
        settings.discoveryTimeout = discoveryTimeout
        settings.maximumConnections = maxConnections
        settings.headerTimeout = .milliseconds(Int64(headerTimeout * 1000))
        let listener = APIServer.Listener(host: address.host, port: address.port, certificateFile: tlsCert, keyFile: tlsKey)
        var logger = Logger(label: "siptrunk.api") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .info
        let allowPrivate = allowPrivate
        // Notifications the API's use cases queue (a port request's status emails) leave from here too; a delivery
        // is claimed by one process at a time (a monitor's deliverer may run beside this one).
        let deliverer = OutboxDeliverer(service: service, onEvent: { printError("siptrunk serve: \($0)") })
        deliverer.start()
        defer { deliverer.stop() }
        let outcome = AsyncOutcome()
        // The server is async (Hummingbird, ServiceLifecycle); this command is not: the main thread waits for it.
        Task.detached {
            do {
                try await APIServer.run(settings, listener: listener, logger: logger) { url in
                    print("siptrunk API listening on \(url)\(allowPrivate ? " (private addresses allowed)" : "")")
                }
                outcome.finish(nil)
            } catch {
                outcome.finish(error)
            }
        }
        if let error = outcome.wait() {
            if let error = error as? RuntimeError { throw error }
            throw CommandFailure.refused("the API server stopped: \(error)")
        }
    }

    /// HOST:PORT with a host name allowed too (`localhost:8080`), IPv6 in brackets.
    static func listenAddress(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw RuntimeError.usage("listen on HOST:PORT, e.g. 127.0.0.1:8080 (not '\(text)')")
        }
        let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard !host.isEmpty else { throw RuntimeError.usage("listen on HOST:PORT: the host is missing in '\(text)'") }
        return (host, port)
    }
}

/// The result of work on another thread, waited for by a synchronous command.
/// `@unchecked Sendable`: `error` is written once before `done` is signalled and read only after waiting on it: the semaphore orders them.
final class AsyncOutcome: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var error: (any Error)?

    func finish(_ error: (any Error)?) {
        self.error = error
        done.signal()
    }

    func wait() -> (any Error)? {
        done.wait()
        return error
    }
}

/// `siptrunk api-key create|list|revoke`: the keys of `siptrunk serve`.
struct APIKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-key", abstract: "Create, list and revoke the API keys of siptrunk serve.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key for an organisation; it is shown once (only its SHA-256 is stored).")
        @Option(help: "What the key is for, e.g. crm or provisioning.") var name: String
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let keys = APIKeyService(store: try store.open(.create))
            let created = try runUseCase(json: json) { try keys.create(name: name, orgId: store.orgId) }
            if json {
                JSONOutput.success(created)
                return
            }
            print("API key \(created.summary.id) (\(created.summary.name)) for organisation \(created.summary.orgId):\n")
            print("  \(created.key)\n")
            print("It is shown only now: store it in your secret manager. Send it as Authorization: Bearer KEY.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let keys = APIKeyService(store: try store.open(.readOnly))
            let list = try runUseCase(json: json) { try keys.list() }
            if json {
                JSONOutput.success(list)
                return
            }
            if list.isEmpty {
                print("no API keys: siptrunk api-key create --name NAME")
                return
            }
            print("id            organisation  created               state     name")
            let formatter = ISO8601DateFormatter()
            for key in list {
                let state = key.revokedAt.map { "revoked " + formatter.string(from: $0) } ?? "active"
                print("\(key.id)  \(key.orgId.padding(toLength: 12, withPad: " ", startingAt: 0))  \(formatter.string(from: key.createdAt))  \(state.padding(toLength: 8, withPad: " ", startingAt: 0))  \(key.name)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key: requests with it get 401 from then on.")
        @Argument(help: "The key's id (siptrunk api-key list).") var id: String
        @OptionGroup var store: StoreOptions

        func run() throws {
            let keys = APIKeyService(store: try store.open(.existing))
            try runUseCase(json: false) { try keys.revoke(id: id) }
            print("revoked API key \(id)")
        }
    }
}
