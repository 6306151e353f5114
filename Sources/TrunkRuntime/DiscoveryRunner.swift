import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import TrunkCore

/// Guide Step 3, run to its stored report, for `siptrunk discover` and the wizard (each wrote it out before): the
/// entitlement and one-at-a-time check, DNS (NAPTR, SRV, A/AAAA), the probe matrix, the recommendation, the report
/// saved. Blocking: run it off the screen's thread. Progress arrives as typed events the front end formats.
public struct DiscoveryRunner: Sendable {
    public enum Event: Sendable {
        /// What DNS gave (or why it gave nothing), before any probe.
        case plan(DiscoveryPlan)
        /// One probe finished.
        case attempt(DiscoveryAttemptResult)
    }

    public let service: SIPTrunkService
    public let trust: TLSTrust
    public let dnsServer: String?
    /// Seconds each probe waits (its transaction timeout, 64·T1).
    public let timeout: Double
    public var concurrency = 16
    /// The API server's SSRF guard: addresses it refuses are not probed (and are refused again at connect time).
    public var admission: (@Sendable (PeerAddress) -> String?)?

    public init(service: SIPTrunkService, trust: TLSTrust, dnsServer: String?, timeout: Double) {
        self.service = service
        self.trust = trust
        self.dnsServer = dnsServer
        self.timeout = timeout
    }

    /// A new discovery id: `disc_` and 20 hex digits.
    public static func newIdentifier() -> String {
        "disc_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
    }

    public func run(
        _ destination: Destination, id: String = DiscoveryRunner.newIdentifier(), onEvent: @escaping (Event) -> Void
    ) throws -> (report: DiscoveryReport, result: DiscoveryResult) {
        try service.checkDiscoveryAllowed()
        let resolver: DNSResolver
        do {
            resolver = try DNSResolver(server: dnsServer)
        } catch {
            throw RuntimeError.usage("--dns-server: \(error)")
        }
        let startedAt = Date()
        var plan = DiscoveryPlan.resolve(destination, resolver: resolver)
        if let admission {
            // After resolution: what the guard refuses is not probed; when that is everything, say why.
            let refusals = plan.targets.compactMap { target in
                admission(PeerAddress(host: target.address, port: target.port, transport: target.transport))
            }
            plan.targets.removeAll { admission(PeerAddress(host: $0.address, port: $0.port, transport: $0.transport)) != nil }
            if plan.targets.isEmpty, let first = refusals.first { throw RuntimeError.refused(first) }
        }
        onEvent(.plan(plan))
        let prober = NetworkProber(timers: .waitingAtMost(seconds: timeout), trust: trust)
        prober.link.admission = admission
        defer { prober.shutdown() }
        let result = try prober.discover(plan, concurrency: concurrency) { onEvent(.attempt($0)) }.wait()
        let report = DiscoveryReport(id: id, result: result, startedAt: startedAt, completedAt: Date())
        try service.saveDiscovery(report)
        return (report, result)
    }
}

extension TransactionTimers {
    /// Timers whose transaction timeout (64·T1) is `seconds`: what `--timeout` means for probes and discovery.
    public static func waitingAtMost(seconds: Double) -> TransactionTimers {
        let t1 = Duration.microseconds(Int64((seconds * 1_000_000 / 64).rounded()))
        return TransactionTimers(t1: t1, t2: max(t1, .seconds(4)), t4: .seconds(5))
    }
}

extension DiscoveryPlan {
    /// What DNS gave, one line each (NAPTR, SRV, A/AAAA), and the DNS failure when nothing resolved.
    public var dnsLines: [String] {
        var lines = naptrRecords.map { "NAPTR \(host) \($0)" } + srvRecords.map { "SRV   \($0)" }
        if !resolvedAddresses.isEmpty { lines.append("A/AAAA \(host) → \(resolvedAddresses.joined(separator: ", "))") }
        if let failure = dnsFailure { lines.append("\(host): \(failure.kind.rawValue): \(failure.message)") }
        return lines
    }
}
