import SIPCore

/// Time as the engine sees it: monotonic time and one-shot timers. Tests use `ManualClock`; the network
/// layer supplies one backed by its event loop. All engine work happens on the clock's one context.
public protocol EngineClock: AnyObject {
    /// Monotonic time since an arbitrary origin.
    var now: Duration { get }
    /// Wall-clock time in seconds since 1970, for traces and logs.
    var wallTime: Double { get }
    /// Runs `body` after `delay`, unless the returned timer is cancelled first.
    func schedule(after delay: Duration, _ body: @escaping () -> Void) -> EngineTimer
}

public protocol EngineTimer: AnyObject {
    func cancel()
}

/// Sends bytes to peers and tells the engine what came back. Implemented over sockets by SIPNetwork and by
/// scripted peers in tests.
public protocol SIPTransportLink: AnyObject {
    /// The local address messages leave from, for Via and Contact.
    func localAddress(for peer: PeerAddress) -> PeerAddress
    /// Sends one message. Failures are reported later through `TransactionLayer.transportFailed`.
    func send(_ bytes: [UInt8], to peer: PeerAddress)
    /// Sends one message, watching for the send's own failure only when `watched` (a link may skip the watch
    /// otherwise, at the cost of a completion per message saved, as long as a send that breaks the socket is still
    /// reported; a UDP send error that leaves it open is said by the watched retransmission).
    func send(_ bytes: [UInt8], to peer: PeerAddress, watched: Bool)
    /// Opens (or reuses) the connection to `peer` (a no-op for connected UDP sockets already open), then calls
    /// `completion` on the engine's context with nil, or why it failed. For TLS, `serverName` is the SIP domain
    /// the certificate must name.
    func connect(_ peer: PeerAddress, serverName: String?, completion: @escaping (TransportFailure?) -> Void)
    /// What the TLS handshake with `peer` found, for TLS peers.
    func tlsDetails(for peer: PeerAddress) -> TLSDetails?
}

extension SIPTransportLink {
    public func send(_ bytes: [UInt8], to peer: PeerAddress, watched: Bool) {
        send(bytes, to: peer)
    }
    public func connect(_ peer: PeerAddress, serverName: String?, completion: @escaping (TransportFailure?) -> Void) {
        completion(nil)
    }
    public func tlsDetails(for peer: PeerAddress) -> TLSDetails? { nil }
}

/// DNS as the engine needs it. Calls block: run them off the engine's context (discovery resolves before it
/// starts probing).
public protocol SIPResolver: AnyObject {
    /// IPv4 then IPv6 addresses of `host` (an IP address resolves to itself).
    func addresses(_ host: String) throws(DNSError) -> [String]
    /// SRV records of `name`, in RFC 2782 order.
    func srv(_ name: String) throws(DNSError) -> [SRVRecord]
    /// NAPTR records of `domain`, in RFC 3403 order.
    func naptr(_ domain: String) throws(DNSError) -> [NAPTRRecord]
}

/// A clock whose time moves only when a test says so.
public final class ManualClock: EngineClock {
    public private(set) var now: Duration = .zero
    public var wallTimeOrigin: Double
    private var nextID = 0
    private var pending: [(id: Int, due: Duration, body: () -> Void)] = []

    public init(wallTimeOrigin: Double = 1_800_000_000) {
        self.wallTimeOrigin = wallTimeOrigin
    }

    public var wallTime: Double {
        wallTimeOrigin + now.inSeconds
    }

    final class Timer: EngineTimer {
        weak var clock: ManualClock?
        let id: Int
        init(clock: ManualClock, id: Int) {
            self.clock = clock
            self.id = id
        }
        func cancel() { clock?.pending.removeAll { $0.id == id } }
    }

    public func schedule(after delay: Duration, _ body: @escaping () -> Void) -> EngineTimer {
        nextID += 1
        pending.append((nextID, now + max(delay, .zero), body))
        return Timer(clock: self, id: nextID)
    }

    /// Moves time forward, running every timer that falls due, in order (ties in scheduling order).
    public func advance(by delta: Duration) {
        let target = now + delta
        while let next = pending.enumerated().min(by: { ($0.element.due, $0.element.id) < ($1.element.due, $1.element.id) }),
            next.element.due <= target
        {
            pending.remove(at: next.offset)
            now = next.element.due
            next.element.body()
        }
        now = target
    }

    public var pendingTimerCount: Int { pending.count }
}
