import NIOCore
import NIOPosix
import SIPCore

/// A UDP socket for RTP, bound on the first free even port of a range, with RTCP's port (the next one) bound
/// beside it so nothing else takes it. Everything runs on one event loop; `onReceive` is called on it.
/// `@unchecked Sendable`: confined to its event loop (above); `onReceive` is set before the channels are bound.
public final class RTPSocket: @unchecked Sendable {
    public let eventLoop: EventLoop
    public let localPort: Int
    private let channel: Channel
    private let rtcp: Channel
    public var onReceive: (([UInt8], String, Int) -> Void)?
    public var onReceiveControl: (([UInt8], String, Int) -> Void)?
    /// When set, RTP is sent as SRTP and what arrives must authenticate (else it is dropped and counted).
    public private(set) var srtp: SRTPSession?
    public private(set) var srtpFailures = 0

    public func enableSRTP(sendKey: [UInt8], receiveKey: [UInt8]) throws {
        srtp = try SRTPSession(sendKey: sendKey, receiveKey: receiveKey)
    }

    /// Binds on `host` (an address of this machine) in `ports`, trying even ports in order.
    ///
    /// The ports are tried one after another from fresh event-loop tasks, not by recursion: a range of thousands of
    /// busy ports once overflowed the stack (issue 19). Only a port in use moves on to the next one; an address that
    /// is not an IP address, or not one of this host's (a NAT's public address, say), fails at once with what to do.
    public static func bind(host: String, ports: ClosedRange<Int>, on eventLoop: EventLoop) -> EventLoopFuture<RTPSocket> {
        guard (try? SocketAddress(ipAddress: host, port: 0)) != nil else {
            return eventLoop.makeFailedFuture(TransportError(.other("'\(host)' is not an IP address to receive media on: give one of this host's addresses (--media-address)")))
        }
        let candidates = Array(stride(from: ports.lowerBound + ports.lowerBound % 2, to: ports.upperBound, by: 2))
        let promise = eventLoop.makePromise(of: RTPSocket.self)
        @Sendable func attempt(_ index: Int) {
            guard index < candidates.count else {
                promise.fail(TransportError(.other("no free RTP port pair in \(ports.lowerBound)–\(ports.upperBound) on \(host)")))
                return
            }
            bindPair(host: host, port: candidates[index], on: eventLoop).whenComplete { result in
                switch result {
                case .success(let socket):
                    promise.succeed(socket)
                case .failure(let error) where Self.isAddressInUse(error):
                    // A new task each time: the stack does not grow with the number of busy ports.
                    eventLoop.execute { attempt(index + 1) }
                case .failure(let error):
                    promise.fail(TransportError(.other(Self.explain(error, host: host))))
                }
            }
        }
        eventLoop.execute { attempt(0) }
        return promise.futureResult
    }

    private static func bindPair(host: String, port: Int, on eventLoop: EventLoop) -> EventLoopFuture<RTPSocket> {
        let handler = Handler(control: false)
        let controlHandler = Handler(control: true)
        return DatagramBootstrap(group: eventLoop)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) } }
            .bind(host: host, port: port)
            .flatMap { channel in
                DatagramBootstrap(group: eventLoop)
                    .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(controlHandler) } }
                    .bind(host: host, port: port + 1).map { rtcp in
                        let socket = RTPSocket(eventLoop: eventLoop, port: port, channel: channel, rtcp: rtcp)
                        handler.socket = socket
                        controlHandler.socket = socket
                        return socket
                    }.flatMapError { error in
                        channel.close(promise: nil)
                        return eventLoop.makeFailedFuture(error)
                    }
            }
    }

    static func errnoCode(_ error: any Error) -> Int32? {
        (error as? IOError)?.errnoCode ?? ((error as? NIOCore.SocketAddressError) != nil ? EINVAL : nil)
    }

    static func isAddressInUse(_ error: any Error) -> Bool {
        errnoCode(error) == EADDRINUSE || errnoCode(error) == EACCES
    }

    static func explain(_ error: any Error, host: String) -> String {
        switch errnoCode(error) {
        case EADDRNOTAVAIL:
            "\(host) is not an address of this host, so media cannot be received on it (behind NAT, give the local address with --media-address and open the RTP range on the NAT)"
        case EAFNOSUPPORT:
            "\(host) is of an address family this host does not support"
        default:
            "cannot open an RTP socket on \(host): \(error)"
        }
    }

    private init(eventLoop: EventLoop, port: Int, channel: Channel, rtcp: Channel) {
        self.eventLoop = eventLoop
        self.localPort = port
        self.channel = channel
        self.rtcp = rtcp
    }

    public func send(_ bytes: [UInt8], to host: String, port: Int) {
        guard let address = try? SocketAddress(ipAddress: host, port: port) else { return }
        var bytes = bytes
        if let srtp {
            guard let protected = srtp.protect(bytes) else { return }
            bytes = protected
        }
        let envelope = AddressedEnvelope(remoteAddress: address, data: channel.allocator.buffer(bytes: bytes))
        channel.pipeline.writeAndFlush(envelope, promise: nil)
    }

    public func sendControl(_ bytes: [UInt8], to host: String, port: Int) {
        guard let address = try? SocketAddress(ipAddress: host, port: port) else { return }
        var bytes = bytes
        if let srtp {
            guard let protected = srtp.protectControl(bytes) else { return }
            bytes = protected
        }
        rtcp.pipeline.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: rtcp.allocator.buffer(bytes: bytes)), promise: nil)
    }

    public func close() {
        channel.close(promise: nil)
        rtcp.close(promise: nil)
    }

    /// `@unchecked Sendable`: a channel handler, called on its channel's event loop only.
    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        weak var socket: RTPSocket?
        /// Whether this is the RTCP port's handler.
        let control: Bool

        init(control: Bool) {
            self.control = control
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard let socket else { return }
            var bytes = Array(envelope.data.readableBytesView)
            // RTCP arrives on the RTCP port, or multiplexed on the RTP port (RFC 5761).
            let isControl = control || RTPPacket.isRTCP(bytes)
            if let srtp = socket.srtp {
                guard let clear = isControl ? srtp.unprotectControl(bytes) : srtp.unprotect(bytes) else {
                    socket.srtpFailures += 1
                    return
                }
                bytes = clear
            }
            let host = envelope.remoteAddress.ipAddress ?? "", port = envelope.remoteAddress.port ?? 0
            if control { socket.onReceiveControl?(bytes, host, port) } else { socket.onReceive?(bytes, host, port) }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // ICMP errors for RTP sent to a closed port: nothing to do, the counters tell the story.
        }
    }
}
