import ArgumentParser
import Foundation
import SIPCore
import SIPEngine
import SIPNetwork

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

    @Option(help: "The registrar: host, host:port, sip:host;transport=tcp, ...") var to: String
    @Option(help: "udp, tcp or tls.") var transport: String?
    @Option(help: "The SIP domain (default: the registrar's host).") var domain: String?
    @Option(help: "Username.") var username: String
    @Option(help: "Password (or set SIPTRUNK_PASSWORD).") var password: String?
    @Option(help: "Seconds to ask the registration to last.") var expires: Int = 300
    @Flag(help: "Stop after the first successful registration.") var once = false
    @Option(help: "DNS server HOST:PORT.") var dnsServer: String?
    @Option(help: ArgumentHelp("Trust only the CA certificates in this PEM file for TLS.", valueName: "path")) var caFile: String?
    @Flag(help: "Print one JSON document.") var json = false

    struct StateJSON: Encodable {
        var state: String
        var registrar: String
        var username: String
        var expiresIn: Double?
        var grantedExpires: UInt32?
        var lastError: String?
    }

    func validate() throws {
        guard expires >= 10, expires <= 86_400 else { throw ValidationError("--expires must be from 10 to 86400 seconds") }
    }

    func run() throws {
        guard let secret = password ?? ProcessInfo.processInfo.environment["SIPTRUNK_PASSWORD"] else {
            throw CommandFailure.usage("give --password or set SIPTRUNK_PASSWORD")
        }
        let trust = try TLSTrust.load(caFile: caFile)
        let target = try CallTarget.resolve(to, transport: transport, dnsServer: dnsServer)
        let prober = NetworkProber(trust: trust)
        defer { prober.shutdown() }
        let configuration = RegisterClient.Configuration(
            registrar: target.peer, domain: domain ?? target.domain, username: username, password: secret, expires: UInt32(expires))
        let live = !json
        let client = try prober.register(configuration, once: once) { client in
            guard live else { return }
            switch client.state {
            case .registering: print("REGISTER \(username)@\(configuration.domain) → \(target.peer)")
            case .registered: print("registered for \(client.grantedExpires ?? 0) s (refresh #\(client.registrations))")
            case .failed(let reason): print("failed: \(reason)")
            case .idle: break
            }
        }.wait()
        let state: String
        switch client.state {
        case .registered: state = "registered"
        case .failed: state = "failed"
        case .registering: state = "registering"
        case .idle: state = "idle"
        }
        if json {
            JSONOutput.success(StateJSON(
                state: state, registrar: target.peer.description, username: username,
                expiresIn: client.expiresIn.map { ($0 * 10).rounded() / 10 }, grantedExpires: client.grantedExpires, lastError: client.lastError))
        }
        if state != "registered" { throw CommandFailure.silent }
    }
}
