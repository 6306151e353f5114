import Foundation
import NIOConcurrencyHelpers
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import TrunkCore
import TrunkRuntime

/// The API's long operations — discoveries and test calls — running in the server, not in the request: the POST
/// answers at once with an id, the status call polls, and the job goes on when the client goes away.
///
/// Each job runs the same runner as the CLI and the wizard (`DiscoveryRunner`, `TestCallRunner`) on its own thread
/// (the runners block on their event loops). Results stay here 10 minutes after they finish (the guide); finished
/// test calls are also in the database. On shutdown, new jobs are refused, calls in progress are hung up (BYE or
/// CANCEL, so the PBX is not left with a ringing line), and the server waits for every job to store its result.
final class JobBoard: Sendable {
    static let retention: TimeInterval = 600

    struct DiscoveryJob {
        var orgId: String
        var report: DiscoveryReport
        var finishedAt: Date?
        /// When the running discovery will have finished at the latest (for `Retry-After`).
        var deadline: Date
    }

    struct CallJob {
        var orgId: String
        var report: TestCallReport
        var finishedAt: Date?
        var prober: NetworkProber?
    }

    struct State {
        var discoveries: [String: DiscoveryJob] = [:]
        var calls: [String: CallJob] = [:]
        var stopping = false
    }

    let state = NIOLockedValueBox(State())
    let running = DispatchGroup()
    let settings: APIServer.Settings

    init(settings: APIServer.Settings) {
        self.settings = settings
    }

    /// Drops results older than the retention (called on every access: the board never grows without bound).
    private static func prune(_ state: inout State, now: Date) {
        state.discoveries = state.discoveries.filter { $0.value.finishedAt.map { now.timeIntervalSince($0) < retention } ?? true }
        state.calls = state.calls.filter { $0.value.finishedAt.map { now.timeIntervalSince($0) < retention } ?? true }
    }

    private static let stopping = APIFailure(
        .serviceUnavailable, "shutting_down", "the server is shutting down; retry against another instance or after it restarts")

    // MARK: Discovery

    /// Starts guide Step 3 for the organisation; one discovery per organisation at a time (the guide).
    func startDiscovery(_ destination: Destination, service: SIPTrunkService) throws(APIFailure) -> DiscoveryReport {
        let id = DiscoveryRunner.newIdentifier()
        let now = Date()
        let report = DiscoveryReport(id: id, starting: destination.host, startedAt: now)
        let timeout = settings.discoveryTimeout
        let refusal: APIFailure? = state.withLockedValue { state in
            if state.stopping { return Self.stopping }
            Self.prune(&state, now: now)
            if let busy = state.discoveries.values.first(where: { $0.orgId == service.orgId && $0.finishedAt == nil }) {
                let wait = max(1, Int(busy.deadline.timeIntervalSince(now).rounded(.up)))
                return APIFailure(
                    .tooManyRequests, "rate_limited", "a discovery is already running for this organisation (\(busy.report.discoveryId)); one runs at a time",
                    headers: [.retryAfter: String(wait)])
            }
            // DNS (at most a few seconds), the probes (each at most the timeout), the report's write.
            state.discoveries[id] = DiscoveryJob(orgId: service.orgId, report: report, deadline: now.addingTimeInterval(timeout * 2 + 10))
            return nil
        }
        if let refusal { throw refusal }
        var configured = DiscoveryRunner(service: service, trust: settings.trust, dnsServer: settings.dnsServer, timeout: timeout)
        configured.admission = settings.addressGuard.admission
        let runner = configured
        running.enter()
        Thread.detachNewThread { [self] in
            defer { running.leave() }
            let plan = NIOLockedValueBox<DiscoveryPlan?>(nil)
            let attempts = NIOLockedValueBox<[DiscoveryAttemptResult]>([])
            do {
                let (finished, _) = try runner.run(destination, id: id) { event in
                    switch event {
                    case .plan(let resolved): plan.withLockedValue { $0 = resolved }
                    case .attempt(let attempt): attempts.withLockedValue { $0.append(attempt) }
                    }
                    guard let current = plan.withLockedValue({ $0 }) else { return }
                    let progress = DiscoveryReport(id: id, running: current, attempts: attempts.withLockedValue { $0 }, startedAt: now)
                    self.state.withLockedValue { $0.discoveries[id]?.report = progress }
                }
                finish(discovery: id, with: finished)
            } catch {
                let (kind, message, remedy) = Self.explain(error)
                finish(discovery: id, with: DiscoveryReport(
                    id: id, host: destination.host, failedWith: kind, message: message, remedy: remedy, startedAt: now, completedAt: Date()))
            }
        }
        return report
    }

    private func finish(discovery id: String, with report: DiscoveryReport) {
        state.withLockedValue { state in
            state.discoveries[id]?.report = report
            state.discoveries[id]?.finishedAt = Date()
        }
    }

    func discovery(id: String, orgId: String) -> DiscoveryReport? {
        state.withLockedValue { state in
            Self.prune(&state, now: Date())
            guard let job = state.discoveries[id], job.orgId == orgId else { return nil }
            return job.report
        }
    }

    // MARK: Test calls

    /// Starts guide Step 7 for an attached number: the call goes to the number's outbound endpoint with the stored
    /// credentials. The rate limit is checked here (429 at once) and again, atomically, when the call starts.
    func startTestCall(_ number: E164Number, service: SIPTrunkService) throws(APIFailure) -> String {
        do {
            try service.checkTestCallAllowed()
            guard try service.configuration(number: number.value).outbound?.sipEndpoint != nil else {
                throw APIFailure.invalid("phone_number", "\(number.value) has no outbound SIP endpoint to call; attach an outbound direction first")
            }
        } catch let error as TrunkError {
            throw APIFailure(error)
        } catch let error as APIFailure {
            throw error
        } catch {
            throw APIFailure(.internalServerError, "internal_error", "\(error)")
        }
        var generator = SystemRandomNumberGenerator()
        let callID = "tc_" + String(generator.next(), radix: 16) + String(generator.next(), radix: 16)
        let now = Date()
        let queued = TestCallReport(
            callId: callID, phoneNumber: number.value, status: TestCallStatus.queued.rawValue, result: TestCallResult.pending.rawValue,
            sipCode: nil, durationSeconds: nil, setupMs: nil, timeline: [], media: nil)
        let refused = state.withLockedValue { state in
            if state.stopping { return true }
            Self.prune(&state, now: now)
            state.calls[callID] = CallJob(orgId: service.orgId, report: queued)
            return false
        }
        if refused { throw Self.stopping }
        let settings = self.settings
        running.enter()
        Thread.detachNewThread { [self] in
            defer { running.leave() }
            do {
                let target = try CallTarget.outbound(calling: number, trunk: nil, service: service, transport: nil, dnsServer: settings.dnsServer)
                // After resolution (the link asks again when it connects).
                if let reason = settings.addressGuard.refusal(target.peer.host) { throw RuntimeError.refused(reason) }
                let prober = NetworkProber(trust: settings.trust)
                prober.link.admission = settings.addressGuard.admission
                defer { prober.shutdown() }
                let stopping = state.withLockedValue { state in
                    state.calls[callID]?.prober = prober
                    return state.stopping
                }
                if stopping { throw RuntimeError.refused("the server shut down before the call started") }
                var request = TestCallRunner.Request(number: number, target: target)
                request.callID = callID
                if let credentials = try service.outboundCredentials(number: number.value) {
                    request.username = credentials.username
                    request.password = credentials.password
                }
                request.duration = settings.testCallDuration
                var observer = TestCallRunner.Observer()
                observer.timeline = { event in
                    self.state.withLockedValue { state in
                        guard var job = state.calls[callID] else { return }
                        job.report.timeline.append(.init(event: event.event, at: Date(timeIntervalSince1970: event.at), detail: event.detail))
                        switch event.event {
                        case "initiated", "invite_sent", "trying", "challenged", "redirected": job.report.status = TestCallStatus.initiated.rawValue
                        case "ringing": job.report.status = TestCallStatus.ringing.rawValue
                        case "answered", "media": job.report.status = TestCallStatus.inProgress.rawValue
                        default: break
                        }
                        state.calls[callID] = job
                    }
                }
                let report = try TestCallRunner(service: service, prober: prober).run(request, observer: observer)
                finish(call: callID, with: report)
            } catch {
                let (_, message, remedy) = Self.explain(error)
                var failed = queued
                failed.status = TestCallStatus.failed.rawValue
                failed.result = TestCallResult.failed.rawValue
                failed.timeline = state.withLockedValue { $0.calls[callID]?.report.timeline ?? [] }
                failed.timeline.append(.init(event: "failed", at: Date(), detail: remedy.isEmpty ? message : "\(message) — \(remedy)"))
                finish(call: callID, with: failed)
            }
        }
        return callID
    }

    private func finish(call id: String, with report: TestCallReport) {
        state.withLockedValue { state in
            state.calls[id]?.report = report
            state.calls[id]?.finishedAt = Date()
            state.calls[id]?.prober = nil
        }
    }

    /// The call as it stands: live while running, then its final report (the stored one is read by the route).
    func testCall(id: String, orgId: String) -> (report: TestCallReport, finished: Bool)? {
        state.withLockedValue { state in
            Self.prune(&state, now: Date())
            guard let job = state.calls[id], job.orgId == orgId else { return nil }
            return (job.report, job.finishedAt != nil)
        }
    }

    // MARK: Shutdown

    /// Refuses new jobs, hangs up calls in progress, and waits (at most `deadline`) for every job to store its result.
    func drain(deadline: Duration) async -> Bool {
        let probers = state.withLockedValue { state in
            state.stopping = true
            return state.calls.values.compactMap(\.prober)
        }
        for prober in probers {
            prober.eventLoop.execute {
                prober.currentCall?.end("the API server is shutting down")
            }
        }
        let seconds = Double(deadline.components.seconds)
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: self.running.wait(timeout: .now() + seconds) == .success)
            }
        }
    }

    /// A runner's error in the API's words: kind, message, what to do.
    static func explain(_ error: any Error) -> (String, String, String) {
        switch error {
        case let error as RuntimeError: return ("refused", error.message, "")
        case let error as TrunkError: return (error.code, error.description, "")
        default: return ("internal_error", "\(error)", "")
        }
    }
}
