import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SIPCore

/// Lets a non-Sendable value cross into an event-loop closure that runs on the same loop that owns it.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// SIP over UDP, TCP and TLS with SwiftNIO: one connected socket per peer (so ICMP "port unreachable" reaches us as
/// an error on UDP), TCP and TLS framed by `SIPStreamParser`, connections reused while open.
///
/// TLS (swift-nio-ssl) requires TLS 1.2 or newer, sends SNI, and checks the server's certificate itself so that a
/// failure says which check failed: validity dates, the chain to `tlsTrust`, then the SIP domain (RFC 5922).
///
/// Everything runs on one event loop; the callbacks are called on it.
/// `@unchecked Sendable`: confined to its event loop (above): every method is called on it and every callback comes from it.
public final class NIOTransportLink: @unchecked Sendable {
    public let eventLoop: EventLoop
    /// A message (one datagram, or one message framed from a stream) arrived from a peer.
    public var onReceive: (([UInt8], PeerAddress) -> Void)?
    /// Messages a stream (TCP, TLS) framed: already parsed, so they are handed over as messages when this is set
    /// (otherwise written back to bytes for `onReceive`).
    public var onReceiveMessage: ((SIPMessage, PeerAddress) -> Void)?
    /// The socket to a peer failed; it has been closed. Always called on a later turn of the loop, never from inside
    /// `send` (a send that fails at once — SwiftNIO closing the socket in the write — reported inside it re-entered
    /// the engine: a flood's next probe started from within the probe that was still sending, and two accesses of
    /// its random generator overlapped).
    public var onFailure: ((TransportFailure, PeerAddress) -> Void)?
    public var connectTimeout: TimeAmount = .seconds(5)
    /// How long a TLS handshake may take once TCP is connected.
    public var handshakeTimeout: TimeAmount = .seconds(5)
    /// The roots TLS certificates must chain to.
    public var tlsTrust: TLSTrust = .system
    /// Asked with the resolved address before every socket to a peer is opened and every datagram is sent without
    /// one: a reason refuses it (the API server's SSRF guard checks here, at connect time, so a DNS answer that
    /// changes between its check and the connection cannot slip a private address through).
    public var admission: (@Sendable (PeerAddress) -> String?)?

    private var channels: [PeerAddress: Channel] = [:]
    /// Why each peer's last socket failed, until a new one opens: a send that finds the socket gone says the same
    /// (not "connection reset" for a UDP port that refused).
    private var lastFailure: [PeerAddress: TransportFailure] = [:]
    private var locals: [PeerAddress: PeerAddress] = [:]
    /// Opens in progress, by peer: a second open of the same peer joins the first. (A flood starts 64 probes
    /// before the first connection is up; each opened its own socket, and 63 were left open beside the one kept.)
    private var opening: [PeerAddress: EventLoopFuture<Void>] = [:]
    private var tls: [PeerAddress: TLSDetails] = [:]
    private var sslContext: NIOSSLContext?
    /// True while datagrams of one read batch are being delivered; writes then wait for `flushBatch`.
    private var reading = false
    private var unflushed: [ObjectIdentifier: Channel] = [:]

    public init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    /// The last `localAddress` answer from `locals` (every probe of a flood asks for the same peer: a comparison, not
    /// a hash of the host name per probe); cleared whenever `locals` changes.
    private var lastLocal: (peer: PeerAddress, local: PeerAddress)?

    public func localAddress(for peer: PeerAddress) -> PeerAddress {
        if let lastLocal, lastLocal.peer == peer { return lastLocal.local }
        if let local = locals[peer] {
            lastLocal = (peer, local)
            return local
        }
        if peer.transport == .udp, let listenerAddress { return listenerAddress }
        return PeerAddress(host: "0.0.0.0", port: 0, transport: peer.transport)
    }

    /// What the last TLS handshake with `peer` found (kept after a failed handshake too).
    public func tlsDetails(for peer: PeerAddress) -> TLSDetails? { tls[peer] }

    /// Opens (or reuses) the socket to `peer`; fails with a `TransportError`. For TLS, `serverName` is the SIP
    /// domain: sent as SNI (unless it is an IP address) and checked against the certificate.
    public func open(_ peer: PeerAddress, serverName: String? = nil) -> EventLoopFuture<Void> {
        eventLoop.assertInEventLoop()
        if isShutDown { return eventLoop.makeFailedFuture(TransportError(.other("the link was shut down"))) }
        if isOpen(peer) { return eventLoop.makeSucceededFuture(()) }
        if let pending = opening[peer] { return pending }
        if let reason = admission?(peer) { return eventLoop.makeFailedFuture(TransportError(.other(reason))) }
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: peer.host, port: peer.port)
        } catch {
            return eventLoop.makeFailedFuture(TransportError(.other("'\(peer.host)' is not an IP address; resolve it first")))
        }
        let connected: EventLoopFuture<Channel>
        switch peer.transport {
        case .udp:
            let handler = DatagramHandler(link: self, peer: peer)
            connected = DatagramBootstrap(group: eventLoop)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) } }
                .connect(to: address)
        case .tcp:
            let handler = StreamHandler(link: self, peer: peer)
            connected = ClientBootstrap(group: eventLoop)
                .connectTimeout(connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) } }
                .connect(to: address)
        case .tls:
            connected = openTLS(peer, address: address, serverName: serverName ?? peer.host)
        }
        let opened = connected.flatMapErrorThrowing { error in
            throw TransportError(Self.classify(error))
        }.flatMapThrowing { channel in
            // Connected after the link was shut down (the loop is shared and outlives it): not kept.
            guard !self.isShutDown else {
                channel.close(promise: nil)
                throw TransportError(.other("the link was shut down"))
            }
            self.channels[peer] = channel
            self.lastFailure[peer] = nil
            self.recent = nil
            if let local = channel.localAddress, let host = local.ipAddress, let port = local.port {
                self.locals[peer] = PeerAddress(host: host, port: port, transport: peer.transport)
                self.lastLocal = nil
            }
        }
        opening[peer] = opened
        // Registered first, so it runs before any caller's callback (and at once if the open already finished).
        opened.whenComplete { _ in
            if self.opening[peer] === opened { self.opening[peer] = nil }
        }
        return opened
    }

    private func openTLS(_ peer: PeerAddress, address: SocketAddress, serverName: String) -> EventLoopFuture<Channel> {
        let context: NIOSSLContext
        do {
            context = try sslContext ?? Self.makeSSLContext()
            sslContext = context
        } catch {
            return eventLoop.makeFailedFuture(TransportError(.tls(.protocolError, detail: "cannot set up TLS: \(error)")))
        }
        let inspection = TLSInspection(serverName: serverName)
        let trust = tlsTrust
        let handshake = eventLoop.makePromise(of: Void.self)
        let handler = StreamHandler(link: self, peer: peer)
        let sni = IPAddress.isIPv4(serverName) || IPAddress.isIPv6(serverName) ? nil : serverName
        let connected = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let ssl = try NIOSSLClientHandler(context: context, serverHostname: sni) { chain, promise in
                        // Certificate checks leave the loop (the verifier is async); the negotiated version is
                        // read back on the loop, as swift-nio-ssl allows once outside its callback.
                        let verdict = channel.eventLoop.makePromise(of: NIOSSLVerificationResult.self)
                        inspection.verify(chain, trust: trust, promise: verdict)
                        verdict.futureResult.whenComplete { result in
                            channel.eventLoop.execute {
                                let version = try? channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).tlsVersion
                                self.tls[peer] = inspection.details(version: version)
                                promise.completeWith(result)
                            }
                        }
                    }
                    let operations = channel.pipeline.syncOperations
                    try operations.addHandler(ServerHelloSniffer(inspection: inspection))
                    try operations.addHandler(ssl)
                    try operations.addHandler(HandshakeWatcher(promise: handshake, inspection: inspection))
                    try operations.addHandler(handler)
                }
            }
            .connect(to: address)
        // A connection that never came up leaves the handshake promise to be completed here.
        connected.whenFailure { handshake.fail($0) }
        return connected.flatMap { channel in
            let timeout = channel.eventLoop.scheduleTask(in: self.handshakeTimeout) {
                handshake.fail(TransportError(.tls(.protocolError, detail: "the TLS handshake did not finish in time")))
                _ = channel.close()
            }
            return handshake.futureResult.always { _ in timeout.cancel() }.map {
                if let version = try? channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).tlsVersion {
                    self.tls[peer] = inspection.details(version: version)
                }
                return channel
            }
        }
    }

    static func makeSSLContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        // The verification callback checks the chain and the SIP domain itself (RFC 5922 rules, not HTTPS ones).
        configuration.certificateVerification = .noHostnameVerification
        return try NIOSSLContext(configuration: configuration)
    }

    /// A UDP socket bound to `host:port` that takes requests from anyone (the inbound test call waits on it);
    /// answers to peers without a connected socket of their own leave from it.
    public func listenUDP(host: String, port: Int) -> EventLoopFuture<PeerAddress> {
        eventLoop.assertInEventLoop()
        let handler = ListenerHandler(link: self)
        return DatagramBootstrap(group: eventLoop)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) } }
            .bind(host: host, port: port)
            .flatMapErrorThrowing { error in throw TransportError(Self.classify(error)) }
            .map { channel in
                self.udpListener = channel
                let bound = channel.localAddress?.port ?? port
                let address = PeerAddress(host: host, port: bound, transport: .udp)
                self.listenerAddress = address
                return address
            }
    }

    private var udpListener: Channel?
    private var listenerAddress: PeerAddress?

    /// The open channel to the peer sent to last and its remote address (a flood sends to one peer thousands of
    /// times: no dictionary look-up, and no `SocketAddress` rebuilt from the socket, per message).
    private var recent: (peer: PeerAddress, channel: Channel, remote: SocketAddress?)?

    private func openChannel(_ peer: PeerAddress) -> (channel: Channel, remote: SocketAddress?)? {
        if let recent, recent.peer == peer, recent.channel.isActive { return (recent.channel, recent.remote) }
        guard let channel = channels[peer], channel.isActive else { return nil }
        let remote = channel.remoteAddress
        recent = (peer, channel, remote)
        return (channel, remote)
    }

    /// Whether a socket to `peer` is open (then `open` and `connect` complete at once).
    public func isOpen(_ peer: PeerAddress) -> Bool {
        eventLoop.assertInEventLoop()
        return openChannel(peer) != nil
    }

    public func send(_ bytes: [UInt8], to peer: PeerAddress) {
        send(bytes, to: peer, watched: true)
    }

    /// Sends `bytes`; a failed send is reported through `onFailure`. An unwatched message is written without a
    /// promise: making, completing and freeing one per message (with the run-time metadata look-ups of
    /// `EventLoopFuture<Void>` and its `Result`) cost about 6,400 instructions of a UDP probe and 6,800 of a TCP one.
    /// What that leaves unsaid on UDP: EHOSTUNREACH and EMSGSIZE (SwiftNIO keeps the socket open and tells only the
    /// promise) — the engine watches every retransmission, which says it T1 later. Any other send error (above all
    /// the ECONNREFUSED a connected UDP socket holds after an ICMP port-unreachable, returned by the next send when
    /// that comes before the loop reads the error) closes the socket, and `DatagramHandler.channelInactive` reports
    /// it. On TCP every write error closes the connection, which `StreamHandler.channelInactive` reports as reset
    /// (EPIPE and ECONNRESET, the errors a write meets, say that too). TLS is always watched: its handler may
    /// refuse a write without closing.
    public func send(_ bytes: [UInt8], to peer: PeerAddress, watched: Bool) {
        guard let (channel, remote) = openChannel(peer) else {
            if admission?(peer) != nil {
                report(.other("refused by the address policy"), peer)
                return
            }
            if peer.transport == .udp, let listener = udpListener, let address = try? SocketAddress(ipAddress: peer.host, port: peer.port) {
                listener.pipeline.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: listener.allocator.buffer(bytes: bytes)), promise: nil)
                return
            }
            report(lastFailure[peer] ?? .connectionReset, peer)
            return
        }
        let buffer = channel.allocator.buffer(bytes: bytes)
        let promise = watched || peer.transport == .tls ? eventLoop.makePromise(of: Void.self) : nil
        // Through the pipeline's own (inlinable) write: `Channel.write<T>` is generic and compiled in NIOCore, so each
        // call wrapped the value in `NIOAny` with dynamic casts at run time (about 1,100 instructions per message);
        // here `NIOAny` is built for the one type at compile time.
        if peer.transport == .udp, let remote {
            let envelope = AddressedEnvelope(remoteAddress: remote, data: buffer)
            if reading {
                // Sent in answer to what is being read: flushed together (sendmmsg) when the read batch ends.
                channel.pipeline.write(envelope, promise: promise)
                unflushed[ObjectIdentifier(channel)] = channel
            } else {
                channel.pipeline.writeAndFlush(envelope, promise: promise)
            }
        } else if reading {
            // Likewise on a stream: one write for all the answers to what one read brought.
            channel.pipeline.write(buffer, promise: promise)
            unflushed[ObjectIdentifier(channel)] = channel
        } else {
            channel.pipeline.writeAndFlush(buffer, promise: promise)
        }
        promise?.futureResult.whenFailure { [weak self] error in self?.failed(peer, Self.classify(error)) }
    }

    /// Closes every socket.
    /// Set by `shutDown`: no socket is opened any more.
    public private(set) var isShutDown = false

    /// Closes every socket for good: the loop is shared, so nothing of this link may open again on it.
    public func shutDown() -> EventLoopFuture<Void> {
        eventLoop.assertInEventLoop()
        isShutDown = true
        onReceive = nil
        onReceiveMessage = nil
        onFailure = nil
        return closeAll()
    }

    public func closeAll() -> EventLoopFuture<Void> {
        var closing = channels.values.map { $0.close() }
        if let udpListener { closing.append(udpListener.close()) }
        udpListener = nil
        channels.removeAll()
        lastFailure.removeAll()
        recent = nil
        return EventLoopFuture.andAllComplete(closing, on: eventLoop)
    }

    fileprivate func received(_ bytes: [UInt8], from peer: PeerAddress) {
        onReceive?(bytes, peer)
    }

    fileprivate func receivedInBatch(_ bytes: [UInt8], from peer: PeerAddress) {
        reading = true
        onReceive?(bytes, peer)
    }

    fileprivate func receivedInBatch(_ message: SIPMessage, from peer: PeerAddress) {
        reading = true
        if let onReceiveMessage {
            onReceiveMessage(message, peer)
        } else {
            onReceive?(message.serialized(), peer)
        }
    }

    fileprivate func flushBatch() {
        reading = false
        guard !unflushed.isEmpty else { return }
        let channels = unflushed.values
        unflushed.removeAll(keepingCapacity: true)
        for channel in channels { channel.flush() }
    }

    fileprivate func failed(_ peer: PeerAddress, _ failure: TransportFailure) {
        if let channel = channels[peer] {
            channels[peer] = nil
            recent = nil
            channel.close(promise: nil)
        }
        lastFailure[peer] = failure
        report(failure, peer)
    }

    /// Tells `onFailure` on the next turn of the loop (after a shutdown, nobody).
    private func report(_ failure: TransportFailure, _ peer: PeerAddress) {
        eventLoop.execute { self.onFailure?(failure, peer) }
    }

    /// Maps socket errors to the engine's transport failures.
    public static func classify(_ error: any Error) -> TransportFailure {
        if let error = error as? TransportError { return error.failure }
        if let error = error as? IOError { return classify(errno: error.errnoCode) }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return classify(first.error) }
            return .connectionTimeout
        }
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout: return .connectionTimeout
            case .eof, .alreadyClosed, .ioOnClosedChannel, .outputClosed: return .connectionReset
            default: return .other("\(error)")
            }
        }
        return .other("\(error)")
    }

    static func classify(errno code: Int32) -> TransportFailure {
        switch code {
        case ECONNREFUSED: return .connectionRefused
        case ECONNRESET, EPIPE: return .connectionReset
        case ETIMEDOUT: return .connectionTimeout
        case EHOSTUNREACH, ENETUNREACH: return .unreachable
        default: return .other(String(cString: strerror(code)))
        }
    }

    /// Delivers datagrams to the engine.
    /// `@unchecked Sendable`: a channel handler, called on its channel's event loop only.
    final class DatagramHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let link: NIOTransportLink
        let peer: PeerAddress

        init(link: NIOTransportLink, peer: PeerAddress) {
            self.link = link
            self.peer = peer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            link.receivedInBatch(Array(envelope.data.readableBytesView), from: peer)
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            link.flushBatch()
        }

        /// The socket closed without the link asking: SwiftNIO closes a datagram socket whose send failed with
        /// anything but EHOSTUNREACH or EMSGSIZE, and tells only that send's promise, which an unwatched send has
        /// not got. On a connected socket that is an ICMP error come back (ECONNREFUSED from a port-unreachable,
        /// taken by the send instead of the read) or a route gone (ENETUNREACH): the peer is unreachable. A socket
        /// the link closed itself has left `channels` first, so this is said once.
        func channelInactive(context: ChannelHandlerContext) {
            if link.channels[peer] === context.channel { link.failed(peer, .unreachable) }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            link.flushBatch()
            // On a connected UDP socket, an ICMP port-unreachable surfaces as ECONNREFUSED on the next read.
            let failure = NIOTransportLink.classify(error)
            link.failed(peer, failure == .connectionRefused ? .unreachable : failure)
        }
    }

    /// Delivers datagrams from anyone to the engine, addressed by their sender.
    /// `@unchecked Sendable`: a channel handler, called on its channel's event loop only.
    final class ListenerHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let link: NIOTransportLink

        init(link: NIOTransportLink) {
            self.link = link
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard let host = envelope.remoteAddress.ipAddress, let port = envelope.remoteAddress.port else { return }
            link.received(Array(envelope.data.readableBytesView), from: PeerAddress(host: host, port: port, transport: .udp))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // An ICMP error for one peer says nothing about the listener.
        }
    }

    /// Frames a TCP stream by Content-Length and delivers each message to the engine.
    /// `@unchecked Sendable`: a channel handler, called on its channel's event loop only.
    final class StreamHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let link: NIOTransportLink
        let peer: PeerAddress
        var stream = SIPStreamParser()

        init(link: NIOTransportLink, peer: PeerAddress) {
            self.link = link
            self.peer = peer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            stream.append(buffer.readableBytesView)
            do {
                while let message = try stream.next() {
                    link.receivedInBatch(message, from: peer)
                }
            } catch {
                // The stream's framing is lost: say why and drop the connection (issue 19: a 10 MB answer was
                // reported as the parse error of its last chunk, garbage as a reset).
                if case .messageTooLarge(let limit) = error.kind {
                    link.failed(peer, .messageTooLarge(limit: limit))
                } else {
                    link.failed(peer, .malformedStream(error.description))
                }
                context.close(promise: nil)
            }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            link.flushBatch()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            link.flushBatch()
            link.failed(peer, NIOTransportLink.classify(error))
        }

        func channelInactive(context: ChannelHandlerContext) {
            link.flushBatch()
            if link.channels[peer] === context.channel { link.failed(peer, .connectionReset) }
        }
    }
}

/// A `TransportFailure` as a Swift error.
public struct TransportError: Error, Sendable {
    public var failure: TransportFailure
    public init(_ failure: TransportFailure) { self.failure = failure }
}
