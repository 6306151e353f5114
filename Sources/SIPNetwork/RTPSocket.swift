import NIOCore
import NIOPosix
import SIPCore

/// A UDP socket for RTP, bound on the first free even port of a range, with RTCP's port (the next one) bound
/// beside it so nothing else takes it. Everything runs on one event loop; `onReceive` is called on it.
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
    public static func bind(host: String, ports: ClosedRange<Int>, on eventLoop: EventLoop) -> EventLoopFuture<RTPSocket> {
        let candidates = stride(from: ports.lowerBound + ports.lowerBound % 2, to: ports.upperBound, by: 2).map { $0 }
        func attempt(_ index: Int) -> EventLoopFuture<RTPSocket> {
            guard index < candidates.count else {
                return eventLoop.makeFailedFuture(TransportError(.other("no free RTP port pair in \(ports.lowerBound)–\(ports.upperBound) on \(host)")))
            }
            let port = candidates[index]
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
                .flatMapError { _ in attempt(index + 1) }
        }
        return attempt(0)
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
        channel.writeAndFlush(envelope, promise: nil)
    }

    public func sendControl(_ bytes: [UInt8], to host: String, port: Int) {
        guard let address = try? SocketAddress(ipAddress: host, port: port) else { return }
        var bytes = bytes
        if let srtp {
            guard let protected = srtp.protectControl(bytes) else { return }
            bytes = protected
        }
        rtcp.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: rtcp.allocator.buffer(bytes: bytes)), promise: nil)
    }

    public func close() {
        channel.close(promise: nil)
        rtcp.close(promise: nil)
    }

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
