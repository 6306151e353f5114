import ArgumentParser
import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import TrunkCore
import TrunkRuntime

/// `siptrunk monitor`: the health monitor (guide: SIP Dashboard → health), probing every outbound endpoint.
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Probe every outbound trunk endpoint with OPTIONS and keep its health state (runs until stopped).",
        discussion: """
            Each endpoint is probed once per --interval (60 s by default, at least 10 s), the probes spread over the \
            interval. An endpoint turns degraded at its first failure, unreachable after --fail-after failures in a \
            row (3), and healthy again after --recover-after answers in a row (2). Only --accept codes count as an \
            answer (2xx by default); a timeout never does. Every sample is stored; samples older than 48 hours are \
            summed per hour. Inbound-only trunks are not probed (unchecked). The dashboard reads what this stores, \
            from any number of processes. The trunk list is re-read every 5 minutes.
            Failover endpoints (secondary, tertiary) are probed too: when the active one fires a trigger, calls move \
            (siptrunk failover NUMBER shows where they go and why). Alert rules are judged on every sample; alerts \
            and failovers are told by webhook, email and SMS from a durable outbox (siptrunk alerts).
            """)

    @Option(help: "Seconds between probes of one endpoint (at least 10).") var interval: Double = 60
    @Option(help: "Failures in a row before an endpoint is unreachable.") var failAfter: Int = 3
    @Option(help: "Answers in a row before an unreachable endpoint is healthy again.") var recoverAfter: Int = 2
    @Option(help: "Reply codes that count as an answer: CODE or LOW-HIGH, repeatable (default 200-299).") var accept: [String] = []
    @Option(help: "DNS server HOST:PORT.") var dnsServer: String?
    @Option(help: ArgumentHelp("Trust only the CA certificates in this PEM file for TLS.", valueName: "path")) var caFile: String?
    @Flag(help: "Print each sample as one JSON line.") var json = false
    @Option(help: "Also collect HEP on HOST:PORT into the call logs, as siptrunk capture --hep does (one process for both).") var hep: String?
    @Option(help: "Refuse HEP packets without this capture password.") var hepPassword: String?
    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard interval >= 10, interval <= 86_400 else { throw ValidationError("--interval must be from 10 to 86400 seconds") }
        guard (1...100).contains(failAfter), (1...100).contains(recoverAfter) else { throw ValidationError("--fail-after and --recover-after must be from 1 to 100") }
        if Self.codes(accept) == nil { throw ValidationError("--accept takes a code or a range such as 200-299 or 404") }
    }

    static func codes(_ texts: [String]) -> [ClosedRange<Int>]? {
        if texts.isEmpty { return [200...299] }
        var ranges: [ClosedRange<Int>] = []
        for text in texts {
            let parts = text.split(separator: "-").compactMap { Int($0) }
            guard (1...2).contains(parts.count), parts.allSatisfy({ (100...699).contains($0) }), let low = parts.first, let high = parts.last, low <= high
            else { return nil }
            ranges.append(low...high)
        }
        return ranges
    }

    struct SampleJSON: Encodable {
        var configId: String
        var phoneNumber: String
        /// primary, secondary or tertiary (failover endpoints are probed too).
        var endpointRole: String
        var at: Date
        var outcome: String
        var responseCode: Int?
        var responseTimeMs: Double?
        var healthStatus: HealthState
        var changed: Bool
        var message: String?
    }

    func run() throws {
        let service = try store.service(.create)
        let trust = try TLSTrust.load(caFile: caFile)
        let policy = HealthPolicy(failAfter: failAfter, recoverAfter: recoverAfter, acceptedCodes: Self.codes(accept) ?? [200...299])
        let json = self.json
        let runner = MonitorRunner(
            service: service, trust: trust, dnsServer: dnsServer, interval: interval, policy: policy,
            owner: "siptrunk monitor (pid \(getpid()))",
            onSample: { result, number, role in
            if json {
                JSONOutput.line(SampleJSON(
                    configId: result.endpointID, phoneNumber: number, endpointRole: role.name, at: Date(timeIntervalSince1970: result.wallTime), outcome: result.outcome,
                    responseCode: result.responseCode, responseTimeMs: result.responseTimeMs, healthStatus: result.state,
                    changed: result.changed, message: result.message))
            } else if result.changed {
                let detail = result.isAnswered ? "\(result.responseCode ?? 0) in \(result.responseTimeMs ?? 0) ms" : "\(result.outcome): \(result.message ?? "")"
                print("\(Self.timestamp()) \(number)\(role == .primary ? "" : " (\(role.name))") \(result.state.rawValue) (\(detail))")
            }
        }, onProblem: { problem in printError("siptrunk monitor: \(problem)") })
        // Stop on INT, TERM or HUP (also while standing by).
        let done = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { done.signal() }
            source.resume()
            sources.append(source)
        }
        defer { _ = sources }
        // Capture runs whether this monitor probes or stands by.
        var hepCapture: HEPCapture?
        if let hep {
            let address = try ServeCommand.listenAddress(hep)
            let capture = try runUseCase(json: json) { try HEPCapture(service: service, host: address.host, port: address.port, password: hepPassword) }
            try capture.start(tcp: false)
            hepCapture = capture
            if !json { print("collecting HEP on udp \(IPAddress.reference(address.host)):\(capture.listener.boundPort) into the call logs") }
        }
        defer {
            if let counters = hepCapture?.stop(), !json {
                print("HEP: \(counters.calls) calls, \(counters.stored) messages stored, \(counters.skipped) skipped, \(counters.kernelDrops) dropped by the kernel")
            }
        }
        // Two live monitors never probe the same endpoints (issue 15): with one running, this one stands by and takes
        // over as soon as it stops or dies (its heartbeat names its process).
        if let other = try? service.activeMonitor() {
            if !json { print("\(other) is monitoring: this monitor stands by and takes over when it stops; Ctrl-C stops") }
            while (try? service.activeMonitor()) != nil {
                if done.wait(timeout: .now() + 2) == .success { return }
            }
            if !json { print("\(Self.timestamp()) the other monitor stopped: taking over") }
        }
        let count = try runner.start()
        if !json {
            let every = String(format: "%g", interval)
            let unresolved = runner.unresolvedCount
            if unresolved > 0 {
                // Every endpoint failing DNS is not "no endpoints" (issue 19): say what is being watched and why it fails.
                print("monitoring \(count + unresolved) endpoint\(count + unresolved == 1 ? "" : "s") every \(every) s; \(unresolved) of them do not resolve in DNS yet and are sampled as DNS failures until they do; Ctrl-C stops")
            } else if count == 0, let demo = try? service.demoTrunkCount(), demo > 0 {
                print("the \(demo) trunks of the demo data set are samples with fictional endpoints and are not probed; attach one of yours (siptrunk trunks attach NUMBER --direction outbound --endpoint HOST) and it is probed within 5 minutes; Ctrl-C stops")
            } else if count == 0 {
                print("no outbound endpoints to probe yet (attach one: siptrunk trunks attach NUMBER --direction outbound --endpoint HOST); the list is read again every 5 minutes; Ctrl-C stops")
            } else {
                print("monitoring \(count) endpoint\(count == 1 ? "" : "s") (\(runner.probedConfigurations) number configuration\(runner.probedConfigurations == 1 ? "" : "s"), one probe per endpoint) every \(every) s (unreachable after \(failAfter) failures, healthy after \(recoverAfter) answers); Ctrl-C stops")
            }
        }
        done.wait()
        runner.stop()
    }

    /// One formatter for every line (making one per line was a quarter of the monitor's CPU at 10,000 endpoints).
    nonisolated(unsafe) static let formatter = ISO8601DateFormatter()

    static func timestamp() -> String { formatter.string(from: Date()) }
}
