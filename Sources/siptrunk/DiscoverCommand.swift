import ArgumentParser
import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import TrunkCore
import TrunkRuntime

/// `siptrunk discover DEST`: the guide's Step 3 — find how a PBX speaks SIP and recommend a port and transport.
struct DiscoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "Find the port and transport a PBX answers SIP on, and what it is (guide Step 3).",
        discussion: """
            Resolves the host (NAPTR, SRV for _sips._tcp, _sip._tcp and _sip._udp, A and AAAA), then sends OPTIONS \
            to 5060, 5061 and 5080 over UDP and TCP, TLS on 5061, and every SRV target, all at once. Each attempt \
            prints as it completes; then the recommendation and why: TLS when it answers (the guide requires TLS \
            for signalling), else TCP, else UDP with a warning. The run is stored in the database.
            Exit status: 0 something answered, 1 nothing did (or DNS failed), 2 usage error.
            """)

    @Argument(help: "The PBX: host, host:port, sip:host, an IP address, ...") var destination: String
    @Option(help: "Seconds each probe waits for an answer (all run in parallel).") var timeout: Double = 4
    @Option(help: "DNS server HOST:PORT to use instead of the system's (e.g. 127.0.0.1:5353).") var dnsServer: String?
    @Option(help: ArgumentHelp("Trust only the CA certificates in this PEM file for TLS (default: the system's).", valueName: "path"))
    var caFile: String?
    @Option(help: "How many probes may run at once.") var concurrency: Int = 16
    @Flag(help: "Print one JSON document (the API's discovery result).") var json = false
    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard timeout >= 0.064, timeout <= 120 else { throw ValidationError("--timeout must be from 0.064 to 120 seconds") }
        guard concurrency >= 1, concurrency <= 256 else { throw ValidationError("--concurrency must be from 1 to 256") }
    }

    func run() throws {
        let parsed: Destination
        do {
            parsed = try Destination(parsing: destination)
        } catch {
            throw CommandFailure.refused("cannot use '\(destination)' as a destination: \(error.message)")
        }
        let service = try store.service(.create)
        var runner = DiscoveryRunner(service: service, trust: try TLSTrust.load(caFile: caFile), dnsServer: dnsServer, timeout: timeout)
        runner.concurrency = concurrency
        let live = !json
        let (report, result) = try runUseCase(json: json) {
            try runner.run(parsed) { event in
                guard live else { return }
                switch event {
                case .plan(let plan): printPlan(plan)
                case .attempt(let attempt): print(AttemptText.line(attempt))
                }
            }
        }

        if json {
            JSONOutput.success(report)
        } else {
            printVerdict(report, result: result)
        }
        if report.recommended == nil { throw CommandFailure.silent }
    }

    func printPlan(_ plan: DiscoveryPlan) {
        for line in plan.dnsLines { print(line) }
        if let failure = plan.dnsFailure {
            print("  → \(failure.remedy)")
        } else {
            print("probing \(plan.targets.count) ports and transports…")
        }
    }

    func printVerdict(_ report: DiscoveryReport, result: DiscoveryResult) {
        print("")
        guard let pick = report.recommended, let recommendation = result.recommendation else {
            if let error = report.error, result.plan.dnsFailure == nil {
                print("nothing answered: \(error.message)\n  → \(error.remedy)")
            }
            return
        }
        print("recommended: \(pick.transport.uppercased()) port \(pick.port) on \(pick.address)")
        let confidence = Int((recommendation.system.confidence * 100).rounded())
        print("detected:    \(pick.detectedSystem) (\(confidence)% sure: \(recommendation.system.evidence))")
        if !pick.codecs.isEmpty { print("codecs:      \(pick.codecs.joined(separator: ", "))") }
        if !pick.methods.isEmpty { print("methods:     \(pick.methods.joined(separator: ", "))") }
        print("why:         \(pick.reason)")
        if let warning = pick.warning { print("warning:     \(warning)") }
        print("discovery \(report.discoveryId) saved")
    }
}
