import ArgumentParser
import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import TrunkCore
import TrunkRuntime

/// `siptrunk probe DEST`: SIP OPTIONS to a server, like sipsak, with classified failures.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Send SIP OPTIONS to a server and report the answer, or why there was none.",
        discussion: """
            Each probe prints as it completes: status, round trip, and the server's Server/User-Agent, or a failure \
            kind (timeout, connection_refused, icmp_unreachable, tls_untrusted, tls_expired, tls_hostname_mismatch, \
            malformed_response, dns_nxdomain, ...) with a remedy. TLS probes also show what the handshake found: \
            version, cipher, the certificate's subject, names, issuer and expiry, and whether it is trusted.
            A host name without a port is looked up by SRV first (RFC 3263).
            Exit status: 0 at least one probe answered, 1 none did, 2 usage error.
            """)

    @Argument(help: "The server: host, host:port, udp://host:port, sip:host;transport=tcp, ...") var destination: String
    @Option(help: "udp, tcp or tls (default: the destination's, else udp).") var transport: String?
    @Option(help: "How many probes.") var count: Int = 1
    @Option(help: "Seconds between probes.") var interval: Double = 1
    @Option(help: "Seconds to wait for an answer (the transaction timeout, 64·T1).") var timeout: Double = 32
    @Option(help: "DNS server HOST:PORT to use instead of the system's (e.g. 127.0.0.1:5353).") var dnsServer: String?
    @Option(help: ArgumentHelp("Trust only the CA certificates in this PEM file for TLS (default: the system's).", valueName: "path"))
    var caFile: String?
    @Option(help: "Flood mode: keep this many probes in flight and print a summary (rate, round trips, CPU).")
    var concurrency: Int = 1
    @Flag(help: "Print one JSON document.") var json = false

    func validate() throws {
        guard count >= 1, count <= 10_000_000 else { throw ValidationError("--count must be from 1 to 10000000") }
        guard concurrency >= 1, concurrency <= 4096 else { throw ValidationError("--concurrency must be from 1 to 4096") }
        guard interval >= 0, interval <= 3600 else { throw ValidationError("--interval must be from 0 to 3600 seconds") }
        guard timeout >= 0.064, timeout <= 300 else { throw ValidationError("--timeout must be from 0.064 to 300 seconds") }
        if let transport, SIPTransport(rawValue: transport.lowercased()) == nil {
            throw ValidationError("--transport must be udp, tcp or tls, not '\(transport)'")
        }
    }

    func run() throws {
        let parsed: Destination
        do {
            parsed = try Destination(parsing: destination)
        } catch {
            throw CommandFailure.refused("cannot use '\(destination)' as a destination: \(error.message)")
        }
        let trust = try TLSTrust.load(caFile: caFile)
        let chosen = transport.flatMap { SIPTransport(rawValue: $0.lowercased()) } ?? parsed.transport ?? .udp
        // RFC 3263 §4.2: a name without a port is looked up by SRV for the chosen transport first; the targets are
        // tried in SRV order until one answers.
        let targets: [DiscoveryTarget]
        do {
            let found = try CallTarget.candidates(for: parsed, transport: chosen, dnsServer: dnsServer)
            if !json { for line in found.srvLines { print(line) } }
            targets = found.targets
        } catch let error as DNSError {
            let failure = ProbeFailure.dns(error)
            if json {
                let attempt = DiscoveryReport.Attempt(DiscoveryAttemptResult(
                    target: DiscoveryTarget(address: parsed.host, port: parsed.port ?? chosen.defaultPort, transport: chosen),
                    outcome: .failure(failure)))
                JSONOutput.success(["attempts": [attempt]])
            } else {
                print("\(parsed.host): \(failure.kind.rawValue): \(failure.message)\n  → \(failure.remedy)")
            }
            throw CommandFailure.silent
        }
        let prober = NetworkProber(
            timers: .waitingAtMost(seconds: timeout), trust: trust,
            traceCapacity: concurrency > 1 ? 0 : 100_000)
        defer { prober.shutdown() }
        let domain = IPAddress.isIPv4(parsed.host) || IPAddress.isIPv6(parsed.host) ? nil : parsed.host
        if concurrency > 1 {
            try flood(prober, targets[0], domain: domain)
            return
        }
        var results: [DiscoveryReport.Attempt] = []
        var answered = 0
        var current = 0
        for index in 0..<count {
            if index > 0 { Thread.sleep(forTimeInterval: interval) }
            // Until a target has answered, a failed one hands over to the next in SRV order.
            while true {
                let target = targets[current]
                let outcome = try prober.probeAndWait(target.peer, domain: domain)
                let attempt = DiscoveryAttemptResult(target: target, outcome: outcome)
                if !json { print(AttemptText.line(attempt, showTLS: index == 0)) }
                results.append(DiscoveryReport.Attempt(attempt))
                if outcome.isReachable {
                    answered += 1
                    break
                }
                guard answered == 0, current + 1 < targets.count else { break }
                current += 1
            }
        }
        let summary = ProbeSummary(results)
        if json {
            JSONOutput.success(ProbeReport(attempts: results, summary: count > 1 ? summary : nil))
        } else if count > 1 {
            print(summary.text(target: destination))
        }
        if answered == 0 { throw CommandFailure.silent }
    }
}

extension ProbeCommand {
    func flood(_ prober: NetworkProber, _ target: DiscoveryTarget, domain: String?) throws {
        let cpuBefore = FloodReport.processCPUSeconds()
        let summary = try prober.flood(target.peer, domain: domain, total: count, concurrency: concurrency).wait()
        let result = FloodReport(target: target.description, summary: summary, cpuSeconds: FloodReport.processCPUSeconds() - cpuBefore)
        if json {
            JSONOutput.success(["flood": result])
        } else {
            print(result.text)
        }
        if summary.answered == 0 { throw CommandFailure.silent }
    }
}

extension TLSTrust {
    /// The trust for `--ca-file`, or the system's; a file that cannot be used is a usage error.
    static func load(caFile: String?) throws -> TLSTrust {
        guard let caFile else { return .system }
        do {
            return try TLSTrust.caFile(caFile)
        } catch {
            throw CommandFailure.usage("--ca-file: \(error)")
        }
    }
}
