import Foundation
import NIOCore
import NIOPosix
import SIPCore
import SIPEngine
import SIPNetwork

// Where the engine meets the network: SIPEngine's protocols satisfied by SIPNetwork's SwiftNIO types.
// The architecture keeps the two modules apart; the executable wires them together.

extension NIOTransportLink: SIPTransportLink {}

/// SIPEngine's clock on SIPNetwork's event-loop clock.
final class EngineEventLoopClock: EngineClock {
    let base: EventLoopClock
    init(_ base: EventLoopClock) { self.base = base }
    var now: Duration { base.now }
    var wallTime: Double { base.wallTime }
    func schedule(after delay: Duration, _ body: @escaping () -> Void) -> EngineTimer {
        EngineEventLoopTimer(base.schedule(after: delay, body))
    }
}

final class EngineEventLoopTimer: EngineTimer {
    let timer: EventLoopClock.Timer
    init(_ timer: EventLoopClock.Timer) { self.timer = timer }
    func cancel() { timer.cancel() }
}

/// OPTIONS probes over real sockets: one event loop thread runs the transport, the engine and the clock.
final class NetworkProber: @unchecked Sendable {
    let group: MultiThreadedEventLoopGroup
    let eventLoop: EventLoop
    let link: NIOTransportLink
    let clock: EngineEventLoopClock
    let layer: TransactionLayer
    let probe: OptionsProbe

    init(timers: TransactionTimers = TransactionTimers()) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        eventLoop = group.next()
        link = NIOTransportLink(eventLoop: eventLoop)
        clock = EngineEventLoopClock(EventLoopClock(eventLoop: eventLoop))
        let layer = TransactionLayer(clock: clock, transport: link)
        self.layer = layer
        // Nothing runs until the loop executes our work, so wiring here, off the loop, is safe.
        link.onReceive = { [unowned layer] bytes, peer in layer.receive(bytes, from: peer) }
        link.onFailure = { [unowned layer] failure, peer in layer.transportFailed(failure, peer: peer) }
        probe = OptionsProbe(layer: layer)
        probe.timers = timers
    }

    /// The trace of everything sent and received so far (read it after probes complete).
    var trace: [TraceEntry] {
        (try? eventLoop.submit { self.layer.trace.entries }.wait()) ?? []
    }

    /// Probes `peer` (an IP address); `domain` names the SIP domain in the Request-URI and To.
    func probe(_ peer: PeerAddress, domain: String? = nil) -> EventLoopFuture<ProbeOutcome> {
        eventLoop.flatSubmit {
            self.link.open(peer).flatMap { () -> EventLoopFuture<ProbeOutcome> in
                let promise = self.eventLoop.makePromise(of: ProbeOutcome.self)
                var generator = SystemRandomNumberGenerator()
                self.probe.probe(peer, domain: domain, using: &generator) { promise.succeed($0) }
                return promise.futureResult
            }.flatMapErrorThrowing { error in
                .failure(.transport(NIOTransportLink.classify(error), peer: peer))
            }
        }
    }

    /// Blocking form for the command line.
    func probeAndWait(_ peer: PeerAddress, domain: String? = nil) throws -> ProbeOutcome {
        try probe(peer, domain: domain).wait()
    }

    func shutdown() {
        _ = try? eventLoop.flatSubmit { self.link.closeAll() }.wait()
        try? group.syncShutdownGracefully()
    }
}

extension ProbeFailure {
    /// The failure a DNS problem means for a probe.
    static func dns(_ error: DNSError) -> ProbeFailure {
        switch error {
        case .nxdomain(let name):
            return ProbeFailure(kind: .dnsNxdomain, message: "\(name) does not exist in DNS", remedy: "check the spelling of the host name, or use the PBX's IP address")
        case .noRecords(let name):
            return ProbeFailure(kind: .dnsNoRecords, message: "\(name) has no A or AAAA records", remedy: "add an address record for the host, or use its IP address")
        case .timeout(let server):
            return ProbeFailure(kind: .dnsTimeout, message: "\(server) did not answer the DNS query", remedy: "check the DNS server (--dns-server HOST:PORT), or use an IP address")
        case .other(let detail):
            return ProbeFailure(kind: .dnsNoRecords, message: detail, remedy: "check the host name and the DNS server")
        }
    }
}
