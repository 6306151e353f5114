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

    /// The addresses of `host` (A and AAAA, through the system resolver), IPv4 first.
    static func resolve(_ host: String, port: Int) throws -> [String] {
        if IPAddress.isIPv4(host) || IPAddress.isIPv6(host) { return [host] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            throw ProbeFailure(
                kind: status == EAI_NONAME ? .dnsNxdomain : (status == EAI_AGAIN ? .dnsTimeout : .dnsNoRecords),
                message: "cannot resolve \(host): \(String(cString: gai_strerror(status)))",
                remedy: "check the host name, or give an IP address")
        }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let text = String(cString: buffer)
                if !addresses.contains(text) { addresses.append(text) }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses.sorted { !$0.contains(":") && $1.contains(":") }
    }
}
