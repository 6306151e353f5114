import Foundation
import TrunkCore

/// Retries and limits of notification delivery.
public struct DeliveryPolicy: Sendable, Hashable {
    /// Attempts before a delivery is marked failed.
    public var maxAttempts: Int
    /// The first retry's delay; each next one doubles, up to `maxDelay`, with ±50 % jitter.
    public var baseDelay: Double
    public var maxDelay: Double
    /// One attempt's limit (connect, send, answer).
    public var timeout: Double
    /// Deliveries in flight at once.
    public var concurrency: Int

    public init(maxAttempts: Int = 6, baseDelay: Double = 2, maxDelay: Double = 300, timeout: Double = 10, concurrency: Int = 8) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
    }

    /// The delay after `attempts` failed attempts; `random` in 0..<1 gives the jitter.
    public func retryDelay(afterAttempts attempts: Int, random: Double) -> Double {
        let exponential = min(maxDelay, baseDelay * pow(2, Double(max(0, attempts - 1))))
        return exponential * (0.5 + random)
    }
}

/// Delivers the durable outbox: polls the database for due notifications (once a second, or at once when woken),
/// sends each on its channel off the monitor's threads (delivery never delays probing), and records every attempt.
/// A process killed mid-delivery leaves the row pending: the next deliverer sends it again with the same event id,
/// which receivers dedupe by.
/// `@unchecked Sendable`: its state is touched on `queue` only; `workers` run the sends and report back on `queue`.
public final class OutboxDeliverer: @unchecked Sendable {
    let service: SIPTrunkService
    let policy: DeliveryPolicy
    let http: HTTPNotifier
    let smtp = SMTPNotifier()
    /// Said once per delivered or failed notification (for `siptrunk monitor`'s log).
    let onEvent: @Sendable (String) -> Void
    let queue = DispatchQueue(label: "siptrunk.outbox")
    let workers = DispatchQueue(label: "siptrunk.outbox.send", attributes: .concurrent)
    let drained = DispatchGroup()
    /// Touched on `queue` only: what is being sent, and the settings it is sent with (re-read whenever the
    /// deliverer was idle, so a change applies to the next notification).
    private var inFlight: Set<String> = []
    private var credentials: NotificationCredentials?
    private var running = false
    private var timer: DispatchSourceTimer?

    public init(service: SIPTrunkService, policy: DeliveryPolicy = DeliveryPolicy(), onEvent: @escaping @Sendable (String) -> Void = { _ in }) {
        self.service = service
        self.policy = policy
        self.onEvent = onEvent
        http = HTTPNotifier()
    }

    public func start() {
        queue.sync {
            running = true
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now(), repeating: 1)
            timer.setEventHandler { [weak self] in self?.poll() }
            timer.resume()
            self.timer = timer
        }
    }

    /// Looks at the outbox now (the monitor queued something).
    public func wake() { queue.async { [weak self] in self?.poll() } }

    /// Stops taking new deliveries and waits up to `within` seconds for those in flight (one still in flight after
    /// that stays claimed in the outbox and is sent again when its claim lapses: receivers dedupe by event id).
    public func stop(within seconds: Double = 2) {
        queue.sync {
            running = false
            timer?.cancel()
            timer = nil
        }
        _ = drained.wait(timeout: .now() + seconds)
        http.shutdown()
    }

    func poll() {
        guard running, inFlight.count < policy.concurrency else { return }
        // Claimed as many as can start now, for longer than an attempt can take: another process's deliverer (a
        // monitor beside `siptrunk serve`) does not send them too; if this one dies, they are due again then.
        guard let due = try? service.claimDueDeliveries(limit: policy.concurrency - inFlight.count, lease: policy.timeout * 3 + 30), !due.isEmpty else { return }
        if credentials == nil || inFlight.isEmpty { credentials = try? service.notificationCredentials() }
        guard let credentials else { return }
        for delivery in due {
            let key = delivery.eventId + "|" + delivery.channel
            guard inFlight.insert(key).inserted else { continue }
            drained.enter()
            workers.async { [self] in
                let outcome = attempt(delivery, credentials: credentials)
                queue.async { [self] in
                    inFlight.remove(key)
                    drained.leave()
                    poll()
                }
            }
        }
    }

    /// `siptrunk alerts test`: one test notification queued on `channel` (to `recipient`, or the first configured)
    /// and sent now; what the receiver said, and whether a failed one stays in the outbox for a monitor to retry.
    public static func sendTest(
        channel: String, recipient: String?, service: SIPTrunkService
    ) throws(TrunkError) -> (delivery: OutboxDelivery, outcome: DeliveryOutcome, retried: Bool) {
        let delivery = try service.queueTestNotification(channel: channel, recipient: recipient)
        let credentials = try service.notificationCredentials()
        let deliverer = OutboxDeliverer(service: service)
        defer { deliverer.stop(within: 0) }
        let outcome = deliverer.attempt(delivery, credentials: credentials)
        let retried = (try? service.delivery(eventId: delivery.eventId, channel: delivery.channel))??.status == "pending"
        return (delivery, outcome, retried)
    }

    /// One attempt, recorded: delivered, to be retried after a backoff, or failed for good.
    @discardableResult
    public func attempt(_ delivery: OutboxDelivery, credentials: NotificationCredentials) -> DeliveryOutcome {
        let notifier: any Notifier = delivery.channel == "email" ? smtp : http
        let outcome = notifier.send(delivery, credentials: credentials, timeout: policy.timeout)
        let attempts = delivery.attempts + 1
        var retryAt: Date?
        if case .failed = outcome, attempts < policy.maxAttempts {
            retryAt = Date().addingTimeInterval(policy.retryDelay(afterAttempts: attempts, random: Double.random(in: 0..<1)))
        }
        do {
            try service.recordDelivery(delivery, outcome: outcome, retryAt: retryAt)
        } catch {
            onEvent("could not record the \(delivery.channel) delivery of \(delivery.eventId): \(error) (it will be sent again)")
        }
        switch outcome {
        case .delivered(let response):
            onEvent("delivered \(delivery.kind) \(delivery.eventId) by \(delivery.channel): \(response)")
        case .failed(let reason):
            if retryAt == nil {
                onEvent("gave up on \(delivery.kind) \(delivery.eventId) by \(delivery.channel) after \(attempts) attempts: \(reason)")
            }
        }
        return outcome
    }
}
