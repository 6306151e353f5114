import SIPCore

/// The guide's trunk health states, plus `degraded` while a failure streak has not yet crossed the threshold.
public enum HealthState: String, Sendable, Hashable, CaseIterable, Codable {
    case healthy, degraded, unreachable, unchecked
}

/// When a trunk turns unreachable and when it counts as recovered, and which replies count as an answer.
public struct HealthPolicy: Sendable, Hashable {
    /// Consecutive failures before `unreachable` (fewer: `degraded`).
    public var failAfter: Int
    /// Consecutive answers before an unreachable trunk is `healthy` again.
    public var recoverAfter: Int
    /// Reply codes that count as an answer (2xx by default; some PBXs answer OPTIONS with 404 or 405).
    public var acceptedCodes: [ClosedRange<Int>]

    public init(failAfter: Int = 3, recoverAfter: Int = 2, acceptedCodes: [ClosedRange<Int>] = [200...299]) {
        self.failAfter = max(1, failAfter)
        self.recoverAfter = max(1, recoverAfter)
        self.acceptedCodes = acceptedCodes
    }

    public func accepts(_ code: Int) -> Bool { acceptedCodes.contains { $0.contains(code) } }
}

/// One endpoint's health: the state and the streak that moves it.
public struct HealthTracker: Sendable, Hashable {
    public private(set) var state: HealthState = .unchecked
    public private(set) var failures = 0
    public private(set) var successes = 0

    public init(state: HealthState = .unchecked, failures: Int = 0, successes: Int = 0) {
        self.state = state
        self.failures = failures
        self.successes = successes
    }

    /// Records one probe; returns the new state when it changed.
    @discardableResult
    public mutating func record(answered: Bool, policy: HealthPolicy) -> HealthState? {
        let before = state
        if answered {
            successes += 1
            failures = 0
            switch state {
            case .unchecked, .degraded, .healthy: state = .healthy
            case .unreachable: if successes >= policy.recoverAfter { state = .healthy }
            }
        } else {
            failures += 1
            successes = 0
            if failures >= policy.failAfter {
                state = .unreachable
            } else if state != .unreachable {
                state = .degraded
            }
        }
        return state == before ? nil : state
    }
}

/// What one probe of a monitored endpoint found.
public struct HealthSampleResult: Sendable, Hashable {
    /// The outcome of a probe that was answered with an accepted code (every other outcome names a failure).
    public static let answered = "ok"

    /// Whether an outcome, as stored, is an answered probe.
    public static func isAnswered(_ outcome: String?) -> Bool { outcome == answered }

    public var isAnswered: Bool { outcome == Self.answered }

    public var endpointID: String
    /// Engine clock time the probe completed, and wall-clock seconds.
    public var wallTime: Double
    /// `ok`, or why not: a `ProbeFailure.Kind` value, or `rejected` for a reply outside the accepted codes.
    public var outcome: String
    public var responseCode: Int?
    public var responseTimeMs: Double?
    /// For failures: what happened and what to do.
    public var message: String?
    public var remedy: String?
    public var state: HealthState
    /// Set when this probe changed the state.
    public var changed: Bool

    public init(
        endpointID: String, wallTime: Double, outcome: String, responseCode: Int? = nil, responseTimeMs: Double? = nil, message: String? = nil,
        remedy: String? = nil, state: HealthState, changed: Bool
    ) {
        self.endpointID = endpointID
        self.wallTime = wallTime
        self.outcome = outcome
        self.responseCode = responseCode
        self.responseTimeMs = responseTimeMs
        self.message = message
        self.remedy = remedy
        self.state = state
        self.changed = changed
    }
}

/// Probes every endpoint with OPTIONS once per interval, spreading the probes evenly over the interval so
/// 10,000 endpoints do not all go at once, and tracks each one's state.
public final class HealthMonitor {
    public struct Endpoint: Sendable, Hashable {
        public var id: String
        public var peer: PeerAddress
        public var domain: String?
        public init(id: String, peer: PeerAddress, domain: String?) {
            self.id = id
            self.peer = peer
            self.domain = domain
        }
    }

    let probe: OptionsProbe
    let clock: EngineClock
    public let interval: Duration
    public var policy: HealthPolicy
    static let slotLength = Duration.milliseconds(100)
    public private(set) var trackers: [String: HealthTracker] = [:]
    private var endpoints: [String: Endpoint] = [:]
    private var timers: [String: EngineTimer] = [:]
    private var generator: any RandomNumberGenerator
    /// Called on the engine's context with every probe's result.
    public var onSample: ((HealthSampleResult) -> Void)?

    public init<Generator: RandomNumberGenerator>(probe: OptionsProbe, interval: Duration, policy: HealthPolicy = HealthPolicy(), using generator: Generator) {
        self.probe = probe
        self.clock = probe.layer.clock
        self.interval = interval
        self.policy = policy
        self.generator = generator
    }

    /// Starts (or updates) the set of endpoints: new ones are scheduled at evenly spread offsets within one
    /// interval, removed ones stop; `initial` restores states kept from an earlier run.
    public func monitor(_ endpoints: [Endpoint], initial: [String: HealthTracker] = [:]) {
        let wanted = Set(endpoints.map(\.id))
        for (id, timer) in timers where !wanted.contains(id) {
            timer.cancel()
            timers[id] = nil
            trackers[id] = nil
        }
        self.endpoints = Dictionary(endpoints.map { ($0.id, $0) }) { _, last in last }
        let fresh = endpoints.filter { timers[$0.id] == nil }
        // Spread over the interval in slots of at least 100 ms: probes sharing a slot go out in one wake-up of the
        // event loop (10,000 endpoints a minute is 10 wake-ups a second, not 166), which is most of the CPU.
        let slots = max(1, min(fresh.count, Int(interval / Self.slotLength)))
        for (index, endpoint) in fresh.enumerated() {
            if trackers[endpoint.id] == nil { trackers[endpoint.id] = initial[endpoint.id] ?? HealthTracker() }
            schedule(endpoint.id, after: (interval / slots) * (index * slots / max(1, fresh.count)))
        }
    }

    public func stop() {
        timers.values.forEach { $0.cancel() }
        timers = [:]
    }

    private func schedule(_ id: String, after delay: Duration) {
        timers[id] = clock.schedule(after: delay) { [weak self] in self?.run(id) }
    }

    private func run(_ id: String) {
        guard let endpoint = endpoints[id] else { return }
        // The next probe is due one interval after this one started, whatever this one takes.
        schedule(id, after: interval)
        var random = AnyGenerator(generator)
        probe.probe(endpoint.peer, domain: endpoint.domain, using: &random) { [weak self] outcome in
            self?.generator = random.base
            self?.record(endpoint, outcome)
        }
    }

    private func record(_ endpoint: Endpoint, _ outcome: ProbeOutcome) {
        guard var tracker = trackers[endpoint.id] else { return }
        var result = HealthSampleResult(endpointID: endpoint.id, wallTime: clock.wallTime, outcome: HealthSampleResult.answered, state: tracker.state, changed: false)
        let answered: Bool
        switch outcome {
        case .response(let response):
            result.responseCode = response.statusCode
            result.responseTimeMs = (response.roundTrip.inMilliseconds * 1000).rounded() / 1000
            answered = policy.accepts(response.statusCode)
            if !answered {
                result.outcome = "rejected"
                result.message = "answered \(response.statusCode) \(response.reason), which this monitor does not count as healthy"
                result.remedy = "allow OPTIONS from this deployment on the PBX, or accept \(response.statusCode) with --accept"
            }
        case .failure(let failure):
            // A timeout is never an answer, even where a stack reports it as a locally generated 408.
            answered = false
            result.outcome = failure.kind.rawValue
            result.message = failure.message
            result.remedy = failure.remedy
        }
        result.changed = tracker.record(answered: answered, policy: policy) != nil
        result.state = tracker.state
        trackers[endpoint.id] = tracker
        onSample?(result)
    }
}

/// A type-erased generator, so the monitor can keep whichever one it was given.
struct AnyGenerator: RandomNumberGenerator {
    var base: any RandomNumberGenerator
    init(_ base: any RandomNumberGenerator) { self.base = base }
    mutating func next() -> UInt64 { base.next() }
}
