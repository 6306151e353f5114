import Foundation
import NIOCore
import NIOPosix
import SIPCore
import SIPEngine
import SIPNetwork

// Where the engine meets the network: SIPEngine's protocols satisfied by SIPNetwork's SwiftNIO types.
// The architecture keeps the two modules apart; this small module wires them together for the executable and
// the benchmarks (and nothing below it imports it).

extension NIOTransportLink: SIPTransportLink {
    public func connect(_ peer: PeerAddress, serverName: String?, completion: @escaping (TransportFailure?) -> Void) {
        // Open already (every probe of a flood after the first): no future to make and complete.
        if isOpen(peer) {
            completion(nil)
            return
        }
        // The future completes on this link's loop, the engine's context.
        let box = UncheckedSendable(completion)
        open(peer, serverName: serverName).whenComplete { result in
            switch result {
            case .success: box.value(nil)
            case .failure(let error): box.value(NIOTransportLink.classify(error))
            }
        }
    }
}

extension DNSResolver: SIPResolver {}

extension RTPSocket: MediaLink {}

/// What the prober needs of an outbound or inbound test call to run it to its end.
protocol EngineCall: AnyObject {
    var onChange: (() -> Void)? { get set }
    var status: TestCallStatus { get }
    func start()
}

extension SIPEngine.TestCall: EngineCall {}
extension InboundTestCall: EngineCall {}

/// SIPEngine's clock on SIPNetwork's event-loop clock.
public final class EngineEventLoopClock: EngineClock {
    public let base: EventLoopClock
    public init(_ base: EventLoopClock) { self.base = base }
    public var now: Duration { base.now }
    public var wallTime: Double { base.wallTime }
    public func schedule(after delay: Duration, _ body: @escaping () -> Void) -> EngineTimer {
        base.schedule(after: delay, body)
    }
}

extension EventLoopClock.Timer: EngineTimer {}

/// OPTIONS probes over real sockets: one event loop runs the transport, the engine and the clock. Probers share the
/// process's one event-loop group (`sharedGroup`); each takes one of its loops.
/// `@unchecked Sendable`: the engine, the link, the clock and the `var`s are touched on `eventLoop` only (callers go through `submit`, `flatSubmit` or `execute`); the rest is `let`.
public final class NetworkProber: @unchecked Sendable {
    /// The process's event loops for SIP, shared by every prober (the monitor, discovery, test calls, registration):
    /// threads are made once, not per prober. At least four, so probers running side by side seldom share a loop
    /// (a flood on one does not delay another's timers). Never shut down; a prober closes its own sockets and timers.
    public static let sharedGroup = MultiThreadedEventLoopGroup(numberOfThreads: max(4, System.coreCount))

    public let eventLoop: EventLoop
    public let link: NIOTransportLink
    public let clock: EngineEventLoopClock
    public let layer: TransactionLayer
    public let probe: OptionsProbe
    /// Used on the event loop only.
    public var random = BufferedRandom()
    /// The test call in progress (read on the event loop only).
    public var currentCall: SIPEngine.TestCall?
    /// The inbound test call in progress (read on the event loop only).
    public var currentInboundCall: InboundTestCall?

    public init(
        timers: TransactionTimers = TransactionTimers(), trust: TLSTrust = .system, traceCapacity: Int = 100_000,
        on eventLoop: EventLoop = NetworkProber.sharedGroup.next()
    ) {
        self.eventLoop = eventLoop
        link = NIOTransportLink(eventLoop: eventLoop)
        link.tlsTrust = trust
        // A connection may take as long as the whole probe may (at most 10 s); a TLS handshake at most 5 s once
        // connected (issue 19: a stalled handshake took 10 s although 5 s was documented).
        let limit = TimeAmount.nanoseconds(Int64(timers.transactionTimeout.components.seconds) * 1_000_000_000 + timers.transactionTimeout.components.attoseconds / 1_000_000_000)
        link.connectTimeout = min(limit, .seconds(10))
        link.handshakeTimeout = min(limit, .seconds(5))
        clock = EngineEventLoopClock(EventLoopClock(eventLoop: eventLoop))
        let layer = TransactionLayer(clock: clock, transport: link, trace: TraceRecorder(capacity: traceCapacity))
        self.layer = layer
        // Nothing runs until the loop executes our work, so wiring here, off the loop, is safe.
        link.onReceive = { [unowned layer] bytes, peer in layer.receive(bytes, from: peer) }
        link.onReceiveMessage = { [unowned layer] message, peer in layer.receive(message, from: peer) }
        link.onFailure = { [unowned layer] failure, peer in layer.transportFailed(failure, peer: peer) }
        probe = OptionsProbe(layer: layer)
        probe.timers = timers
    }

    /// The trace of everything sent and received so far (read it after probes complete).
    public var trace: [TraceEntry] {
        (try? eventLoop.submit { self.layer.trace.entries }.wait()) ?? []
    }

    /// Probes `peer` (an IP address); `domain` names the SIP domain in the Request-URI and To, and the name the
    /// TLS certificate must carry.
    public func probe(_ peer: PeerAddress, domain: String? = nil) -> EventLoopFuture<ProbeOutcome> {
        eventLoop.flatSubmit {
            let promise = self.eventLoop.makePromise(of: ProbeOutcome.self)
                        self.probe.probe(peer, domain: domain, using: &self.random) { promise.succeed($0) }
            return promise.futureResult
        }
    }

    /// What a flood of probes found.
    public struct FloodSummary: Sendable {
        public var sent = 0
        public var answered = 0
        public var failures: [String: Int] = [:]
        public var roundTrips: [Duration] = []
        public var elapsed: Duration = .zero
    }

    /// Sends `total` probes to `peer`, keeping `concurrency` in flight (sipsak's flood mode, with answers checked).
    public func flood(_ peer: PeerAddress, domain: String?, total: Int, concurrency: Int) -> EventLoopFuture<FloodSummary> {
        eventLoop.flatSubmit {
            let promise = self.eventLoop.makePromise(of: FloodSummary.self)
            let started = self.clock.now
            var summary = FloodSummary()
            summary.roundTrips.reserveCapacity(total)
                        var launch: () -> Void = {}
            launch = {
                guard summary.sent < total else { return }
                summary.sent += 1
                self.probe.probe(peer, domain: domain, using: &self.random) { outcome in
                    switch outcome {
                    case .response(let response):
                        summary.answered += 1
                        summary.roundTrips.append(response.roundTrip)
                    case .failure(let failure):
                        summary.failures[failure.kind.rawValue, default: 0] += 1
                    }
                    if summary.answered + summary.failures.values.reduce(0, +) == total {
                        summary.elapsed = self.clock.now - started
                        launch = {}
                        promise.succeed(summary)
                    } else {
                        launch()
                    }
                }
            }
            for _ in 0..<min(concurrency, total) { launch() }
            return promise.futureResult
        }
    }

    /// Places a test call with media from an RTP socket on `mediaHost` in `rtpPorts`; `onChange` is called on
    /// the loop with each step. Completes when the call has ended.
    public func testCall(
        _ configuration: TestCallConfiguration, mediaHost: String, rtpPorts: ClosedRange<Int>,
        onChange: @escaping (SIPEngine.TestCall) -> Void
    ) -> EventLoopFuture<SIPEngine.TestCall> {
        let box = UncheckedSendable(onChange)
        return RTPSocket.bind(host: mediaHost, ports: rtpPorts, on: eventLoop).flatMap { socket in
            let call = SIPEngine.TestCall(configuration: configuration, layer: self.layer, mediaLink: socket, using: &self.random)
            self.currentCall = call
            return self.run(call, socket: socket, onChange: box)
        }
    }

    /// Listens on `listen` for the PBX's INVITE to the configured number and answers it.
    public func inboundTestCall(
        _ configuration: InboundTestCall.Configuration, listen: (host: String, port: Int), rtpPorts: ClosedRange<Int>,
        onChange: @escaping (InboundTestCall) -> Void
    ) -> EventLoopFuture<InboundTestCall> {
        let box = UncheckedSendable(onChange)
        return eventLoop.flatSubmit {
            self.link.listenUDP(host: listen.host, port: listen.port)
        }.flatMap { _ in
            RTPSocket.bind(host: configuration.mediaAddress, ports: rtpPorts, on: self.eventLoop)
        }.flatMap { socket in
            let call = InboundTestCall(configuration: configuration, layer: self.layer, mediaLink: socket, using: &self.random)
            self.currentInboundCall = call
            return self.run(call, socket: socket, onChange: box)
        }
    }

    /// Starts `call` and completes when it ends; its `onChange` closure holds it (nothing else does) until then,
    /// then lets go and closes its RTP socket.
    private func run<Call: EngineCall>(_ call: Call, socket: RTPSocket, onChange: UncheckedSendable<(Call) -> Void>) -> EventLoopFuture<Call> {
        let promise = eventLoop.makePromise(of: Call.self)
        mediaSockets[ObjectIdentifier(socket)] = socket
        call.onChange = {
            onChange.value(call)
            if call.status.isFinal {
                call.onChange = nil
                self.mediaSockets[ObjectIdentifier(socket)] = nil
                socket.close()
                promise.succeed(call)
            }
        }
        call.start()
        return promise.futureResult
    }

    /// The RTP sockets of calls still running (used on the event loop only): `shutdown` closes them.
    private var mediaSockets: [ObjectIdentifier: RTPSocket] = [:]

    /// The health monitor while one runs (used on the event loop only).
    public var monitor: HealthMonitor?

    /// Starts (or updates) health monitoring of `endpoints`; `onSample` is called on the loop with each probe's
    /// result and the endpoint's tracker after it.
    public func monitor(
        _ endpoints: [HealthMonitor.Endpoint], interval: Duration, policy: HealthPolicy, initial: [String: HealthTracker],
        onSample: @escaping (HealthSampleResult, HealthTracker) -> Void
    ) {
        let box = UncheckedSendable(onSample)
        let work = UncheckedSendable((endpoints, initial))
        eventLoop.execute {
            let monitor = self.monitor ?? HealthMonitor(probe: self.probe, interval: interval, policy: policy, using: SystemRandomNumberGenerator())
            self.monitor = monitor
            monitor.onSample = { [unowned monitor] result in
                box.value(result, monitor.trackers[result.endpointID] ?? HealthTracker())
            }
            monitor.monitor(work.value.0, initial: work.value.1)
        }
    }

    /// Registers; with `once`, completes at the first registered or failed state, otherwise keeps refreshing
    /// until failure. `onChange` is called on the loop.
    public func register(_ configuration: RegisterClient.Configuration, once: Bool, onChange: @escaping (RegisterClient) -> Void) -> EventLoopFuture<RegisterClient> {
        let box = UncheckedSendable(onChange)
        return eventLoop.flatSubmit {
            let promise = self.eventLoop.makePromise(of: RegisterClient.self)
            let client = RegisterClient(configuration: configuration, layer: self.layer, using: &self.random)
            // The closure holds the client (nothing else does) while it runs.
            client.onChange = {
                box.value(client)
                switch client.state {
                case .registered where once:
                    client.stop()
                    client.onChange = nil
                    promise.succeed(client)
                case .failed:
                    client.onChange = nil
                    promise.succeed(client)
                default:
                    break
                }
            }
            client.start()
            return promise.futureResult
        }
    }

    /// Runs a discovery plan on the loop; `onAttempt` is called on the loop as each probe completes.
    public func discover(_ plan: DiscoveryPlan, concurrency: Int = 16, onAttempt: @escaping (DiscoveryAttemptResult) -> Void) -> EventLoopFuture<DiscoveryResult> {
        let box = UncheckedSendable(onAttempt)
        return eventLoop.flatSubmit {
            let promise = self.eventLoop.makePromise(of: DiscoveryResult.self)
                        let discovery = Discovery(probe: self.probe)
            discovery.concurrency = concurrency
            discovery.run(plan, using: &self.random, onAttempt: box.value) { promise.succeed($0) }
            return promise.futureResult
        }
    }

    /// Blocking form for the command line.
    public func probeAndWait(_ peer: PeerAddress, domain: String? = nil) throws -> ProbeOutcome {
        try probe(peer, domain: domain).wait()
    }

    /// Closes the prober's sockets and stops its timers (the loop itself is shared and goes on). Called from a
    /// thread that is not an event loop, like every blocking form here.
    public func shutdown() {
        _ = try? eventLoop.flatSubmit {
            self.clock.base.stop()
            for socket in self.mediaSockets.values { socket.close() }
            self.mediaSockets.removeAll()
            return self.link.shutDown()
        }.wait()
    }
}

/// Carries a closure into the event loop that will be its only caller.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
