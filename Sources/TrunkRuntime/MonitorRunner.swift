import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import TrunkCore

/// The phone number of each monitored configuration, written on refresh and read by the store queue.
/// `@unchecked Sendable`: `names` is guarded by `lock`.
public final class NumberNames: @unchecked Sendable {
    private let lock = NSLock()
    private var names: [String: String] = [:]
    func set(_ id: String, _ number: String) { lock.withLock { names[id] = number } }
    func get(_ id: String) -> String? { lock.withLock { names[id] } }
}

/// The health monitor's loop, shared by `siptrunk monitor` and a dashboard that finds no monitor running:
/// probes on SIPRuntime's event loop, samples stored in order on their own queue, the trunk list re-read every
/// 5 minutes, samples rolled up every hour, and a heartbeat so other processes know a monitor runs.
/// `@unchecked Sendable`: the judge, the deliverer and the sample bookkeeping are touched on `writes` only, DNS on `lookups`, probing state on the prober's event loop; the timer is set in `start` and cancelled in `stop`.
public final class MonitorRunner: @unchecked Sendable {
    let service: SIPTrunkService
    let dnsServer: String?
    let interval: Double
    let policy: HealthPolicy
    let owner: String
    /// Each stored sample with who it is about: the number and the endpoint's role.
    let onSample: @Sendable (HealthSampleResult, String, EndpointRole) -> Void
    /// A problem worth telling (an endpoint that cannot be monitored, samples that could not be stored), as a sentence.
    let onProblem: @Sendable (String) -> Void
    public let prober: NetworkProber
    let writes = DispatchQueue(label: "siptrunk.monitor.store")
    let numbers = NumberNames()
    private var timer: DispatchSourceTimer?
    /// Failover and alert rules over the samples as they are stored (touched on the store queue only).
    var judge = MonitorJudge(configurations: [:], renotifyInterval: 3600)
    /// Sends what the judge queued; nil when this monitor does not deliver.
    public let deliverer: OutboxDeliverer?

    public init(
        service: SIPTrunkService, trust: TLSTrust, dnsServer: String?, interval: Double, policy: HealthPolicy, owner: String,
        delivery: DeliveryPolicy? = DeliveryPolicy(),
        onSample: @escaping @Sendable (HealthSampleResult, String, EndpointRole) -> Void, onProblem: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.onProblem = onProblem
        deliverer = delivery.map { OutboxDeliverer(service: service, policy: $0, onEvent: onProblem) }
        self.service = service
        self.dnsServer = dnsServer
        self.interval = interval
        self.policy = policy
        self.owner = owner
        self.onSample = onSample
        prober = NetworkProber(timers: TransactionTimers(t1: .milliseconds(500), t2: .seconds(4), t4: .seconds(5)), trust: trust)
    }

    /// Endpoints whose names did not resolve at the last refresh (sampled as DNS failures until they do).
    public private(set) var unresolvedCount = 0
    /// The numbers' configurations the probed endpoints stand for.
    public private(set) var probedConfigurations = 0

    /// Loads the endpoints and starts probing; how many are probed.
    @discardableResult
    public func start() throws -> Int {
        judge = try service.monitorJudge(recoverAfter: policy.recoverAfter)
        let count = try refresh()
        deliverer?.start()
        let timer = DispatchSource.makeTimerSource(queue: writes)
        var ticks = 0
        // Every second: store the samples; every 30 s the heartbeat, every 5 min the trunk list, hourly the roll-up.
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            ticks += 1
            self.flush()
            if ticks % 30 == 0 {
                try? self.service.beatMonitorHeartbeat(owner: self.owner)
                self.reloadSettings()
            }
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
    var unresolvedTrackers: [MonitorMember: HealthTracker] = [:]
    var checkingNames = false
    let lookups = DispatchQueue(label: "siptrunk.monitor.dns")

    /// Reads the trunk list and (re)starts probing; `onStoreQueue` when called from the store queue's timer.
    /// Each distinct name is looked up once (a trunk's numbers share its endpoint), and each distinct endpoint is
    /// probed once, its result fanned out to every number and role that uses it.
    func refresh(onStoreQueue: Bool = false) throws -> Int {
        let targets = try self.service.monitorTargets()
        var endpoints: [HealthMonitor.Endpoint] = []
        var members: [String: [MonitorMember]] = [:]
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
                    onProblem("\(target.number) (\(target.role.name) \(target.endpoint)) is not monitored: \(error)")
                    continue
                }
            }
            guard let outcome = looked[key] else { continue }
            switch outcome {
            case .success(let resolved):
                // One probe per distinct endpoint (address, port, transport, TLS name), its result fanned out to every
                // number and direction on it (issue 15: 100 numbers on one PBX sent it 100 OPTIONS per interval).
                let endpointKey = "\(resolved.peer)|\(resolved.domain)"
                if members[endpointKey] == nil {
                    endpoints.append(HealthMonitor.Endpoint(id: endpointKey, peer: resolved.peer, domain: resolved.domain))
                }
                members[endpointKey, default: []].append(target.member)
            case .failure(let failure): failed.append((target, failure))
            }
        }
        let stored = (try? service.healthTrackers()) ?? [:]
        // An endpoint's state starts from what its members had (they were probed together).
        var initial: [String: HealthTracker] = [:]
        for (endpointKey, group) in members {
            if let tracker = group.lazy.compactMap({ stored[$0] }).first { initial[endpointKey] = tracker }
        }
        let fanOut = members
        let record: @Sendable () -> Void = { [self, failed] in
            unresolved = failed.map(\.0)
            unresolvedTrackers = unresolvedTrackers.filter { member, _ in failed.contains { $0.0.member == member } }
            for (target, failure) in failed { recordUnresolved(target, failure, initial: stored) }
        }
        if onStoreQueue { record() } else { writes.async(execute: record) }
        let pending = self.pending
        prober.monitor(endpoints, interval: .milliseconds(Int64(interval * 1000)), policy: policy, initial: initial) { result, tracker in
            // Collected here, stored once a second in one transaction (see `flush`), once per member.
            for member in fanOut[result.endpointID] ?? [] {
                var each = result
                each.endpointID = member.configId
                pending.append(MonitorSample(member: member, result: each, tracker: tracker))
            }
        }
        unresolvedCount = failed.count
        probedConfigurations = Set(members.values.joined().map(\.configId)).count
        return endpoints.count
    }

    /// The failover and alert settings and the unresolved alerts, re-read every 30 s (a `siptrunk config set` or an
    /// acknowledgement in another process takes effect within that); the endpoints' streaks stay.
    func reloadSettings() {
        guard let fresh = try? service.monitorSettings(recoverAfter: policy.recoverAfter) else { return }
        judge.adopt(settingsOf: fresh)
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
    func recordUnresolved(_ target: MonitorTarget, _ failure: ProbeFailure, initial: [MonitorMember: HealthTracker]) {
        var tracker = unresolvedTrackers[target.member] ?? initial[target.member] ?? HealthTracker()
        let changed = tracker.record(answered: false, policy: policy) != nil
        unresolvedTrackers[target.member] = tracker
        let result = HealthSampleResult(
            endpointID: target.configId, wallTime: Date().timeIntervalSince1970, outcome: failure.kind.rawValue, message: failure.message,
            remedy: failure.remedy, state: tracker.state, changed: changed)
        pending.append(MonitorSample(member: target.member, result: result, tracker: tracker))
    }

    /// Samples waiting to be stored, shared by the event loop (adds) and the store queue (takes).
    let pending = PendingSamples()

    /// Stores what the probes found since the last flush, in one transaction with what the failover and alert
    /// rules decided about it, and only then reports the samples (issue 15: with the database held by another
    /// process, samples were printed and then dropped). A failed write puts the batch back to be tried again (the
    /// judge's copy is dropped with it); the queue is bounded and what it sheds is counted and said.
    func flush() {
        let batch = pending.take()
        guard !batch.isEmpty else { return }
        var next = judge
        let now = Date()
        let actions: [MonitorAction]
        do {
            actions = try service.recordMonitorSamples(batch) { active in next.judge(batch, active: active, now: now) }
        } catch {
            let shed = pending.putBack(batch)
            if !delayedWriteSaid || shed > 0 {
                onProblem("the database is busy; \(pending.count) samples wait to be stored\(shed > 0 ? ", \(pending.shed) dropped so far (the queue holds \(PendingSamples.capacity))" : "") — \(error)")
                delayedWriteSaid = true
            }
            return
        }
        judge = next
        if delayedWriteSaid {
            onProblem("the database took the waiting samples: all stored")
            delayedWriteSaid = false
        }
        for sample in batch { onSample(sample.result, numbers.get(sample.member.configId) ?? sample.member.configId, sample.member.role) }
        for action in actions { onProblem(Self.sentence(action, numbers: numbers)) }
        if actions.contains(where: \.queuesDeliveries) { deliverer?.wake() }
    }

    static func sentence(_ action: MonitorAction, numbers: NumberNames) -> String {
        switch action {
        case .switchEndpoint(let configId, let plan, _, _):
            let number = numbers.get(configId) ?? configId
            return "\(plan.trigger == "failback" ? "failed back" : "failed over"): \(number) outbound calls now go to the \(plan.to.name) endpoint, not the \(plan.from.name): \(plan.reason)"
        case .openAlert(let alert, _): return "alert \(alert.id) opened: \(alert.summary)"
        case .notifyAgain(let id, _, _): return "alert \(id) is still open: notified again"
        case .resolveAlert(let id, _, _): return "alert \(id) resolved"
        }
    }

    /// Whether a delayed write was said (touched on the store queue only).
    private var delayedWriteSaid = false

    public func stop() {
        timer?.cancel()
        deliverer?.stop()
        try? service.endMonitorHeartbeat(owner: owner)
        try? prober.eventLoop.submit { self.prober.monitor?.stop() }.wait()
        writes.sync { flush() }
        prober.shutdown()
    }
}

/// Samples handed from the event loop to the store queue: a bounded queue (a lock guards it; both sides are
/// other threads).
/// `@unchecked Sendable`: guarded by its lock (above).
public final class PendingSamples: @unchecked Sendable {
    /// A day of 60 s probes of 300 endpoints, or an hour of 5,000: a database held longer than that sheds the oldest.
    static let capacity = 500_000
    private let lock = NSLock()
    private var samples: [MonitorSample] = []
    private var dropped = 0

    var count: Int { lock.withLock { samples.count } }
    /// Samples dropped because the queue was full.
    var shed: Int { lock.withLock { dropped } }

    func append(_ sample: MonitorSample) {
        lock.withLock {
            samples.append(sample)
            trim()
        }
    }

    func take() -> [MonitorSample] {
        lock.withLock {
            defer { samples.removeAll(keepingCapacity: true) }
            return samples
        }
    }

    /// A batch that could not be stored goes back in front of what came since; returns how many were shed.
    @discardableResult
    func putBack(_ batch: [MonitorSample]) -> Int {
        lock.withLock {
            let before = dropped
            samples = batch + samples
            trim()
            return dropped - before
        }
    }

    private func trim() {
        guard samples.count > Self.capacity else { return }
        let excess = samples.count - Self.capacity
        samples.removeFirst(excess)
        dropped += excess
    }
}
