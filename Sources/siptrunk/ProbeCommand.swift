import ArgumentParser
import Foundation
import SIPCore
import SIPEngine
import SIPNetwork

/// `siptrunk probe DEST`: SIP OPTIONS to a server, like sipsak, with classified failures.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Send SIP OPTIONS to a server and report the answer, or why there was none.",
        discussion: """
            Each probe prints as it completes: status, round trip, and the server's Server/User-Agent, or a failure \
            kind (timeout, connection_refused, icmp_unreachable, malformed_response, dns_nxdomain, ...) with a remedy.
            UDP and TCP today; TLS arrives with the TLS transport.
            Exit status: 0 at least one probe answered, 1 none did, 2 usage error.
            """)

    @Argument(help: "The server: host, host:port, udp://host:port, sip:host;transport=tcp, ...") var destination: String
    @Option(help: "udp or tcp (default: the destination's, else udp).") var transport: String?
    @Option(help: "How many probes.") var count: Int = 1
    @Option(help: "Seconds between probes.") var interval: Double = 1
    @Option(help: "Seconds to wait for an answer (the transaction timeout, 64·T1).") var timeout: Double = 32
    @Option(help: "DNS server HOST:PORT to use instead of the system's (e.g. 127.0.0.1:5353).") var dnsServer: String?
    @Flag(help: "Print one JSON document.") var json = false

    func validate() throws {
        guard count >= 1, count <= 100_000 else { throw ValidationError("--count must be from 1 to 100000") }
        guard interval >= 0, interval <= 3600 else { throw ValidationError("--interval must be from 0 to 3600 seconds") }
        guard timeout >= 0.064, timeout <= 300 else { throw ValidationError("--timeout must be from 0.064 to 300 seconds") }
        if let transport, SIPTransport(rawValue: transport.lowercased()) == nil {
            throw ValidationError("--transport must be udp or tcp, not '\(transport)'")
        }
    }

    struct ProbeJSON: Encodable {
        var port: Int
        var transport: String
        var address: String
        var responseTimeMs: Double?
        var responseCode: Int?
        var reason: String?
        var userAgent: String?
        var allow: [String]?
        var codecs: [String]?
        var error: ErrorJSON?
    }

    struct ErrorJSON: Encodable {
        var kind: String
        var message: String
        var remedy: String
    }

    func run() throws {
        let parsed: Destination
        do {
            parsed = try Destination(parsing: destination)
        } catch {
            throw CommandFailure.refused("cannot use '\(destination)' as a destination: \(error.message)")
        }
        let chosen = transport.flatMap { SIPTransport(rawValue: $0.lowercased()) } ?? parsed.transport ?? .udp
        guard chosen != .tls else { throw CommandFailure.refused("TLS probes are not available yet; use --transport tcp or udp") }
        var port = parsed.port ?? chosen.defaultPort
        var results: [ProbeJSON] = []
        var addresses: [String] = []
        do {
            let resolver = try DNSResolver(server: dnsServer)
            var host = parsed.host
            // RFC 3263 §4.2: a name without a port is looked up by SRV for the chosen transport first.
            if parsed.port == nil, !IPAddress.isIPv4(host), !IPAddress.isIPv6(host) {
                let service = chosen == .tls ? "_sips._tcp." : (chosen == .tcp ? "_sip._tcp." : "_sip._udp.")
                if let first = try? resolver.srv(service + host).first {
                    host = first.target
                    port = first.port
                    if !json { print("SRV \(service + parsed.host) → \(first.target):\(first.port)") }
                }
            }
            addresses = try resolver.addresses(host)
        } catch let error as DNSError {
            let failure = ProbeFailure.dns(error)
            if json {
                JSONOutput.success(["attempts": [ProbeJSON(port: port, transport: chosen.rawValue, address: parsed.host, error: .init(kind: failure.kind.rawValue, message: failure.message, remedy: failure.remedy))]])
            } else {
                print("\(parsed.host): \(failure.kind.rawValue): \(failure.message)\n  → \(failure.remedy)")
            }
            throw CommandFailure.silent
        }
        let address = addresses[0]
        let t1 = Duration.milliseconds(Int64(timeout * 1000 / 64))
        let prober = NetworkProber(timers: TransactionTimers(t1: t1, t2: max(t1, .seconds(4)), t4: .seconds(5)))
        defer { prober.shutdown() }
        let peer = PeerAddress(host: address, port: port, transport: chosen)
        var answered = 0
        for index in 0..<count {
            if index > 0 { Thread.sleep(forTimeInterval: interval) }
            let outcome = try prober.probeAndWait(peer, domain: IPAddress.isIPv4(parsed.host) || IPAddress.isIPv6(parsed.host) ? nil : parsed.host)
            var result = ProbeJSON(port: port, transport: chosen.rawValue, address: address)
            switch outcome {
            case .response(let response):
                answered += 1
                let milliseconds = Double(response.roundTrip.components.attoseconds) / 1e15 + Double(response.roundTrip.components.seconds) * 1000
                result.responseTimeMs = (milliseconds * 1000).rounded() / 1000
                result.responseCode = response.statusCode
                result.reason = response.reason
                result.userAgent = response.server ?? response.userAgent
                result.allow = response.allow
                result.codecs = response.codecs
                if !json {
                    let agent = result.userAgent.map { "  \($0)" } ?? ""
                    print(String(format: "%@ %@:%d  %d %@  %.3f ms", chosen.viaToken, address, port, response.statusCode, response.reason, milliseconds) + agent)
                }
            case .failure(let failure):
                result.error = ErrorJSON(kind: failure.kind.rawValue, message: failure.message, remedy: failure.remedy)
                if !json { print("\(chosen.viaToken) \(address):\(port)  \(failure.kind.rawValue): \(failure.message)\n  → \(failure.remedy)") }
            }
            results.append(result)
        }
        if json { JSONOutput.success(["attempts": results]) }
        if answered == 0 { throw CommandFailure.silent }
    }
}
