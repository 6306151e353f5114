import ArgumentParser
import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import TrunkCore

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
            """)

    @Option(help: "Seconds between probes of one endpoint (at least 10).") var interval: Double = 60
    @Option(help: "Failures in a row before an endpoint is unreachable.") var failAfter: Int = 3
    @Option(help: "Answers in a row before an unreachable endpoint is healthy again.") var recoverAfter: Int = 2
    @Option(help: "Reply codes that count as an answer: CODE or LOW-HIGH, repeatable (default 200-299).") var accept: [String] = []
    @Option(help: "DNS server HOST:PORT.") var dnsServer: String?
    @Option(help: ArgumentHelp("Trust only the CA certificates in this PEM file for TLS.", valueName: "path")) var caFile: String?
    @Flag(help: "Print each sample as one JSON line.") var json = false
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
        var at: Date
        var outcome: String
        var responseCode: Int?
        var responseTimeMs: Double?
        var healthStatus: String
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
            owner: "siptrunk monitor (pid \(getpid()))"
        ) { result, number in
            if json {
                JSONOutput.line(SampleJSON(
                    configId: result.endpointID, phoneNumber: number, at: Date(timeIntervalSince1970: result.wallTime), outcome: result.outcome,
                    responseCode: result.responseCode, responseTimeMs: result.responseTimeMs, healthStatus: result.state.rawValue,
                    changed: result.changed, message: result.message))
            } else if result.changed {
                let detail = result.outcome == "ok" ? "\(result.responseCode ?? 0) in \(result.responseTimeMs ?? 0) ms" : "\(result.outcome): \(result.message ?? "")"
                print("\(Self.timestamp()) \(number) \(result.state.rawValue) (\(detail))")
            }
        }
        let count = try runner.start()
        if !json {
            let every = String(format: "%g", interval)
            let unresolved = runner.unresolvedCount
            if unresolved > 0 {
                // Every endpoint failing DNS is not "no endpoints" (issue 19): say what is being watched and why it fails.
                print("monitoring \(count + unresolved) endpoint\(count + unresolved == 1 ? "" : "s") every \(every) s; \(unresolved) of them do not resolve in DNS yet and are sampled as DNS failures until they do; Ctrl-C stops")
            } else if count == 0 {
                print("no outbound endpoints to probe yet (attach one: siptrunk trunks attach NUMBER --direction outbound --endpoint HOST); the list is read again every 5 minutes; Ctrl-C stops")
            } else {
                print("monitoring \(count) endpoint\(count == 1 ? "" : "s") every \(every) s (unreachable after \(failAfter) failures, healthy after \(recoverAfter) answers); Ctrl-C stops")
            }
        }
        // Stop on INT, TERM or HUP.
        let done = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { done.signal() }
            source.resume()
            sources.append(source)
        }
        done.wait()
        runner.stop()
        _ = sources
    }

    /// One formatter for every line (making one per line was a quarter of the monitor's CPU at 10,000 endpoints).
    nonisolated(unsafe) static let formatter = ISO8601DateFormatter()

    static func timestamp() -> String { formatter.string(from: Date()) }
}

/// The phone number of each monitored configuration, written on refresh and read by the store queue.
final class NumberNames: @unchecked Sendable {
    private let lock = NSLock()
    private var names: [String: String] = [:]
    func set(_ id: String, _ number: String) { lock.withLock { names[id] = number } }
    func get(_ id: String) -> String? { lock.withLock { names[id] } }
}

/// The health monitor's loop, shared by `siptrunk monitor` and a dashboard that finds no monitor running:
/// probes on SIPRuntime's event loop, samples stored in order on their own queue, the trunk list re-read every
/// 5 minutes, samples rolled up every hour, and a heartbeat so other processes know a monitor runs.
final class MonitorRunner: @unchecked Sendable {
    let service: SIPTrunkService
    let dnsServer: String?
    let interval: Double
    let policy: HealthPolicy
    let owner: String
    let onSample: @Sendable (HealthSampleResult, String) -> Void
    let prober: NetworkProber
    let writes = DispatchQueue(label: "siptrunk.monitor.store")
    let numbers = NumberNames()
    private var timer: DispatchSourceTimer?

    init(
        service: SIPTrunkService, trust: TLSTrust, dnsServer: String?, interval: Double, policy: HealthPolicy, owner: String,
        onSample: @escaping @Sendable (HealthSampleResult, String) -> Void
    ) {
        self.service = service
        self.dnsServer = dnsServer
        self.interval = interval
        self.policy = policy
        self.owner = owner
        self.onSample = onSample
        prober = NetworkProber(timers: TransactionTimers(t1: .milliseconds(500), t2: .seconds(4), t4: .seconds(5)), trust: trust)
    }

    /// Endpoints whose names did not resolve at the last refresh (sampled as DNS failures until they do).
    private(set) var unresolvedCount = 0

    /// Loads the endpoints and starts probing; how many are probed.
    @discardableResult
    func start() throws -> Int {
        let count = try refresh()
        let timer = DispatchSource.makeTimerSource(queue: writes)
        var ticks = 0
        // Every second: store the samples; every 30 s the heartbeat, every 5 min the trunk list, hourly the roll-up.
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            ticks += 1
            self.flush()
            if ticks % 30 == 0 { try? self.service.beatMonitorHeartbeat(owner: self.owner) }
            if ticks % max(10, Int(self.interval)) == 0 { self.checkUnresolved() }
            if ticks % 300 == 0 { _ = try? self.refresh(onStoreQueue: true) }
            if ticks % 3600 == 0 { _ = try? self.service.rollUpHealth() }
        }
        timer.resume()
        self.timer = timer
        writes.async { [service, owner] in
            try? service.beatMonitorHeartbeat(owner: owner)
            _ = try? service.rollUpHealth()
        }
        return count
    }

    /// Endpoints whose name does not resolve: not probed, but sampled as DNS failures once per interval (so the
    /// dashboard shows why) and looked up again each time. Touched on the store queue only.
    var unresolved: [MonitorTarget] = []
    var unresolvedTrackers: [String: HealthTracker] = [:]
    var checkingNames = false
    let lookups = DispatchQueue(label: "siptrunk.monitor.dns")

    /// Reads the trunk list and (re)starts probing; `onStoreQueue` when called from the store queue's timer.
    /// Each distinct name is looked up once (a trunk's numbers share its endpoint).
    func refresh(onStoreQueue: Bool = false) throws -> Int {
        let targets = try runUseCase(json: false) { try self.service.monitorTargets() }
        var endpoints: [HealthMonitor.Endpoint] = []
        var failed: [(MonitorTarget, ProbeFailure)] = []
        var looked: [String: Result<CallTarget, ProbeFailure>] = [:]
        for target in targets {
            numbers.set(target.configId, target.number)
            let key = Self.nameKey(target)
            if looked[key] == nil {
                do {
                    looked[key] = .success(try CallTarget.lookup(target.endpoint, transport: target.transport, dnsServer: dnsServer))
                } catch let error as DNSError {
                    looked[key] = .failure(ProbeFailure.dns(error))
                } catch {
                    printError("siptrunk monitor: \(target.number) (\(target.endpoint)) is not monitored: \(error)")
                    continue
                }
            }
            guard let outcome = looked[key] else { continue }
            switch outcome {
            case .success(let resolved): endpoints.append(HealthMonitor.Endpoint(id: target.configId, peer: resolved.peer, domain: resolved.domain))
            case .failure(let failure): failed.append((target, failure))
            }
        }
        let initial = (try? service.healthTrackers()) ?? [:]
        let record: @Sendable () -> Void = { [self, failed] in
            unresolved = failed.map(\.0)
            unresolvedTrackers = unresolvedTrackers.filter { id, _ in failed.contains { $0.0.configId == id } }
            for (target, failure) in failed { recordUnresolved(target, failure, initial: initial) }
        }
        if onStoreQueue { record() } else { writes.async(execute: record) }
        let service = self.service, writes = self.writes, numbers = self.numbers, onSample = self.onSample
        let pending = self.pending
        prober.monitor(endpoints, interval: .milliseconds(Int64(interval * 1000)), policy: policy, initial: initial) { result, tracker in
            // Collected here, stored once a second in one transaction (see `flush`).
            pending.append((result, tracker))
            writes.async { onSample(result, numbers.get(result.endpointID) ?? result.endpointID) }
        }
        _ = service
        unresolvedCount = failed.count
        return endpoints.count
    }

    /// Once per interval: the names that did not resolve are looked up again, each once, on their own queue (a
    /// DNS server that does not answer must not hold up storing samples); any that resolves now brings a full
    /// refresh (probed from then on), the others get another DNS-failure sample.
    func checkUnresolved() {
        guard !unresolved.isEmpty, !checkingNames else { return }
        checkingNames = true
        let targets = unresolved, dnsServer = self.dnsServer
        lookups.async { [self] in
            var failures: [String: ProbeFailure] = [:]
            var resolvedAny = false
            var names: [String: MonitorTarget] = [:]
            for target in targets where names[Self.nameKey(target)] == nil { names[Self.nameKey(target)] = target }
            for (key, target) in names {
                do {
                    _ = try CallTarget.lookup(target.endpoint, transport: target.transport, dnsServer: dnsServer)
                    resolvedAny = true
                } catch let error as DNSError {
                    failures[key] = ProbeFailure.dns(error)
                } catch {
                    continue
                }
            }
            writes.async { [self, failures, resolvedAny] in
                checkingNames = false
                if resolvedAny {
                    _ = try? refresh(onStoreQueue: true)
                    return
                }
                for target in targets {
                    if let failure = failures[Self.nameKey(target)] { recordUnresolved(target, failure, initial: [:]) }
                }
            }
        }
    }

    static func nameKey(_ target: MonitorTarget) -> String { target.endpoint + "|" + (target.transport ?? "") }

    /// A failed lookup as a sample: it counts as a failed probe (degraded, then unreachable), with the resolver's
    /// reason and remedy.
    func recordUnresolved(_ target: MonitorTarget, _ failure: ProbeFailure, initial: [String: HealthTracker]) {
        var tracker = unresolvedTrackers[target.configId] ?? initial[target.configId] ?? HealthTracker()
        let changed = tracker.record(answered: false, policy: policy) != nil
        unresolvedTrackers[target.configId] = tracker
        let result = HealthSampleResult(
            endpointID: target.configId, wallTime: Date().timeIntervalSince1970, outcome: failure.kind.rawValue, message: failure.message,
            remedy: failure.remedy, state: tracker.state, changed: changed)
        pending.append((result, tracker))
        onSample(result, target.number)
    }

    /// Samples waiting to be stored, shared by the event loop (adds) and the store queue (takes).
    let pending = PendingSamples()

    /// Stores what the probes found since the last flush, in one transaction.
    func flush() {
        let batch = pending.take()
        guard !batch.isEmpty else { return }
        do {
            try service.recordHealth(batch)
        } catch {
            printError("siptrunk monitor: could not store \(batch.count) samples: \(error)")
        }
    }

    func stop() {
        timer?.cancel()
        try? prober.eventLoop.submit { self.prober.monitor?.stop() }.wait()
        writes.sync { flush() }
        prober.shutdown()
    }
}

/// Samples handed from the event loop to the store queue.
final class PendingSamples: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [(HealthSampleResult, HealthTracker)] = []
    func append(_ sample: (HealthSampleResult, HealthTracker)) { lock.withLock { samples.append(sample) } }
    func take() -> [(HealthSampleResult, HealthTracker)] {
        lock.withLock {
            defer { samples.removeAll(keepingCapacity: true) }
            return samples
        }
    }
}
