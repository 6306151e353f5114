import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import TrunkCore

/// The wizard's live steps over real sockets: discovery (Step 3) and the test call (Step 7), each on its own
/// prober and thread, so the screen's thread never blocks; progress goes back through the callbacks.
/// `@unchecked Sendable`: `activeProber` is guarded by `lock`; each run owns its prober on its own thread.
public final class WizardNetwork: SetupNetwork, @unchecked Sendable {
    let service: SIPTrunkService
    let trust: TLSTrust
    let dnsServer: String?
    let discoveryTimeout: Double

    public init(service: SIPTrunkService, trust: TLSTrust, dnsServer: String?, discoveryTimeout: Double = 4) {
        self.service = service
        self.trust = trust
        self.dnsServer = dnsServer
        self.discoveryTimeout = discoveryTimeout
    }

    public func discover(_ destination: String, progress: @escaping @Sendable (DiscoveryProgress) -> Void) {
        let service = service, trust = trust, dnsServer = dnsServer, timeout = discoveryTimeout
        Thread.detachNewThread {
            do {
                let parsed = try Destination(parsing: destination)
                let runner = DiscoveryRunner(service: service, trust: trust, dnsServer: dnsServer, timeout: timeout)
                let (report, _) = try runner.run(parsed) { event in
                    switch event {
                    case .plan(let plan):
                        for line in plan.dnsLines { progress(.dns(line)) }
                    case .attempt(let attempt):
                        let answered: Bool
                        if case .response = attempt.outcome { answered = true } else { answered = false }
                        progress(.attempt(AttemptText.line(attempt), answered: answered))
                    }
                }
                progress(.finished(report))
            } catch let error as TrunkError {
                progress(.failed(error.messages.joined(separator: "; ")))
            } catch let error as Destination.Problem {
                progress(.failed("cannot use '\(destination)': \(error.message)"))
            } catch {
                progress(.failed("\(error)"))
            }
        }
    }

    /// The prober of the call in progress, so it can be ended from the screen's thread.
    private let lock = NSLock()
    private var activeProber: NetworkProber?
    private let calls = DispatchGroup()

    private func running(_ prober: NetworkProber?) { lock.withLock { activeProber = prober } }

    public func endCall(_ reason: String) {
        guard let prober = lock.withLock({ activeProber }) else { return }
        prober.eventLoop.execute {
            prober.currentCall?.end(reason)
            prober.currentInboundCall?.end(reason)
        }
    }

    /// Waits up to `seconds` for a call in progress to finish (after `endCall`), so a wizard that quits does not cut
    /// it off before its CANCEL or BYE is answered.
    public func waitForCalls(seconds: Double) {
        _ = calls.wait(timeout: .now() + seconds)
    }

    public func testCall(number: String, destination: String, transport: String?, progress: @escaping @Sendable (TestCallProgress) -> Void) {
        let service = service, trust = trust, dnsServer = dnsServer
        calls.enter()
        Thread.detachNewThread { [self] in
            defer { calls.leave() }
            do {
                let e164 = try E164Number(parsing: number)
                let target = try CallTarget.resolve(destination, transport: transport, dnsServer: dnsServer)
                let prober = NetworkProber(trust: trust)
                running(prober)
                defer {
                    running(nil)
                    prober.shutdown()
                }
                let report = try TestCallRunner(service: service, prober: prober).run(.init(number: e164, target: target), observer: Self.observer(progress))
                progress(.finished(report))
            } catch let error as TrunkError {
                progress(.failed(error.messages.joined(separator: "; ")))
            } catch let error as RuntimeError {
                progress(.failed(error.message))
            } catch {
                progress(.failed("\(error)"))
            }
        }
    }

    public func inboundTestCall(number: String, listen: String, progress: @escaping @Sendable (TestCallProgress) -> Void) {
        let service = service
        calls.enter()
        Thread.detachNewThread { [self] in
            defer { calls.leave() }
            do {
                let e164 = try E164Number(parsing: number)
                let address = try TestCallRunner.listenAddress(listen)
                let prober = NetworkProber()
                running(prober)
                defer {
                    running(nil)
                    prober.shutdown()
                }
                let report = try TestCallRunner(service: service, prober: prober).runInbound(
                    .init(number: e164, listen: address), observer: Self.observer(progress)).report
                progress(.finished(report))
            } catch let error as TrunkError {
                progress(.failed(error.messages.joined(separator: "; ")))
            } catch let error as RuntimeError {
                progress(.failed(error.message))
            } catch let error as E164Number.Problem {
                progress(.failed("\(number): \(error)"))
            } catch {
                progress(.failed("\(error)"))
            }
        }
    }

    /// The runner's callbacks as the screen's progress.
    static func observer(_ progress: @escaping @Sendable (TestCallProgress) -> Void) -> TestCallRunner.Observer {
        var observer = TestCallRunner.Observer()
        observer.message = { entry, elapsed in
            let firstLine = String(decoding: entry.raw.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
            progress(.message(sent: entry.direction == .sent, summary: firstLine, elapsedMs: elapsed))
        }
        observer.timeline = { event in progress(.status("\(event.event): \(event.detail)")) }
        observer.media = { sent, received in progress(.media(sent: sent, received: received)) }
        return observer
    }
}
