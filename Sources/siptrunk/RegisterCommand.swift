import ArgumentParser
import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import TrunkCore
import TrunkRuntime
import TrunkStore

/// `siptrunk register`: registration-based trunk authentication.
struct RegisterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "REGISTER with digest credentials and keep the registration fresh.",
        discussion: """
            Answers the registrar's 401/407 with Digest (MD5, SHA-256, SHA-512-256; qop=auth with an increasing \
            nonce count), refreshes before the registration expires, retries once on a stale nonce, and stops with \
            the reason when the credentials are rejected. --once stops after the first successful registration.
            Exit status: 0 registered, 1 refused or unreachable, 2 usage error.
            """)

    @Option(help: "Register with this registration-auth trunk's username and password, at its outbound endpoint unless --to is given; the state is stored for the dashboard.") var trunk: String?
    @Option(help: "The registrar: host, host:port, sip:host;transport=tcp, ...") var to: String?
    @Option(help: "udp, tcp or tls.") var transport: String?
    @Option(help: "The SIP domain (default: the registrar's host).") var domain: String?
    @Option(help: "Username (without --trunk).") var username: String?
    @Option(help: "Password. Visible in ps: prefer --password-stdin or SIPTRUNK_PASSWORD.") var password: String?
    @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false
    @Option(help: "Seconds to ask the registration to last.") var expires: Int = 300
    @Flag(help: "Stop after the first successful registration.") var once = false
    @Option(help: "DNS server HOST:PORT.") var dnsServer: String?
    @Option(help: ArgumentHelp("Trust only the CA certificates in this PEM file for TLS.", valueName: "path")) var caFile: String?
    @Flag(help: "Print one JSON document.") var json = false
    @OptionGroup var store: StoreOptions

    struct StateJSON: Encodable {
        var trunkId: String?
        var state: String
        var registrar: String
        var username: String
        var expiresIn: Double?
        var grantedExpires: UInt32?
        var lastError: String?
    }

    func validate() throws {
        guard expires >= 10, expires <= 86_400 else { throw ValidationError("--expires must be from 10 to 86400 seconds") }
        if trunk == nil {
            guard to != nil, username != nil else { throw ValidationError("give --trunk ID, or --to REGISTRAR and --username") }
        } else if username != nil || password != nil || passwordStdin {
            throw ValidationError("--trunk takes the credentials from the trunk: leave out --username and --password")
        }
    }

    func run() throws {
        // With --trunk: the trunk's registrar and credentials, and the state stored as it changes.
        var settings: RegistrationSettings?
        var service: SIPTrunkService?
        if let trunk {
            let opened = try store.service(.create)
            service = opened
            settings = try runUseCase(json: json) { try opened.registrationSettings(trunkId: trunk) }
        }
        guard let registrarText = to ?? settings?.registrar else {
            throw CommandFailure.usage("trunk \(trunk ?? "") has no outbound endpoint to register with: give --to REGISTRAR")
        }
        guard let user = settings?.username ?? username else {
            throw CommandFailure.usage("give --trunk ID, or --to REGISTRAR and --username")
        }
        let given = settings == nil ? try PasswordInput.resolve(option: password, fromStandardInput: passwordStdin, environment: "SIPTRUNK_PASSWORD", name: "--password") : nil
        guard let secret = settings?.password ?? given else {
            throw CommandFailure.usage("give the password: --password-stdin, SIPTRUNK_PASSWORD or --password")
        }
        let trust = try TLSTrust.load(caFile: caFile)
        let target = try CallTarget.resolve(registrarText, transport: transport ?? settings?.transport, dnsServer: dnsServer)
        let prober = NetworkProber(trust: trust)
        defer { prober.shutdown() }
        let configuration = RegisterClient.Configuration(
            registrar: target.peer, domain: domain ?? target.domain, username: user, password: secret, expires: UInt32(expires))
        let live = !json
        let record = UncheckedSendable(service.flatMap { service in settings.map { (service, $0.trunkId) } })
        let client = try prober.register(configuration, once: once) { client in
            if let (service, trunkId) = record.value {
                // A failed write is reported but does not stop the registration.
                do {
                    try service.recordRegistration(RegistrationKeeper.state(of: client, trunkId: trunkId, registrar: target.peer.description))
                } catch {
                    printError("siptrunk: could not store the registration state: \(error)")
                }
            }
            guard live else { return }
            switch client.state {
            case .registering: print("REGISTER \(user)@\(configuration.domain) → \(target.peer)")
            case .registered: print("registered for \(client.grantedExpires ?? 0) s (refresh #\(client.registrations))")
            case .failed(let reason): print("failed: \(reason)")
            case .idle: break
            }
        }.wait()
        let state = RegistrationKeeper.name(of: client.state)
        if let (service, trunkId) = record.value, once, state == "registered" {
            // --once ends the process: the registration is left to lapse, and the dashboard should say so.
            var stored = RegistrationKeeper.state(of: client, trunkId: trunkId, registrar: target.peer.description)
            stored.state = "stopped"
            try? service.recordRegistration(stored)
        }
        if json {
            JSONOutput.success(StateJSON(
                trunkId: trunk, state: state, registrar: target.peer.description, username: user,
                expiresIn: client.expiresIn.map { ($0 * 10).rounded() / 10 }, grantedExpires: client.grantedExpires, lastError: client.lastError))
        }
        if state != "registered" { throw CommandFailure.silent }
    }
}
