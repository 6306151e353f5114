import Foundation
import NIOCore
import NIOPosix
import SIPCore

/// Receives HEP (versions 1–3) from capture agents — Kamailio's `siptrace`, OpenSIPS, Asterisk's `res_hep`,
/// FreeSWITCH, heplify — over UDP and TCP (issue 16).
///
/// UDP is read on a thread of its own with plain `recvmsg`, so the kernel's count of datagrams it dropped because the
/// socket's queue was full (`SO_RXQ_OVFL`) arrives with every packet and loss is never silent; the receive buffer is
/// asked to be large (`--hep-buffer`). TCP connections are served by SwiftNIO, framed by each HEP3 packet's length.
/// Packets over 64 KiB, malformed chunks and a wrong capture password are counted with their reason and skipped.
/// TCP runs on the event-loop group the owner passes (the program's shared one): the listener keeps its connections
/// and closes each of them on `stop`, since nobody shuts that group down.
/// `@unchecked Sendable`: `statistics`, `running`, `accepting` and `connections` are guarded by `lock`; the descriptor,
/// the server channel and the thread are set in `start` and cleared in `stop`, which the owner calls in that order
/// from one thread.
public final class HEPListener: @unchecked Sendable {
    public struct Statistics: Sendable, Hashable {
        /// HEP packets decoded and passed on.
        public var received = 0
        /// Packets refused, by reason.
        public var refused: [String: Int] = [:]
        /// Datagrams the kernel dropped before they were read (SO_RXQ_OVFL), as of the last one read.
        public var kernelDrops = 0
        /// The receive buffer the kernel granted, bytes.
        public var receiveBuffer = 0
    }

    public let host: String
    public let port: Int
    public let password: String?
    private let onPacket: @Sendable (HEPPacket) -> Void
    private let lock = NSLock()
    private var statistics = Statistics()
    private var udpDescriptor: Int32 = -1
    private var running = false
    private let group: EventLoopGroup
    private var tcpChannel: Channel?
    /// Whether new TCP connections are taken (false once `stop` began), and the ones open.
    private var accepting = false
    private var connections: [ObjectIdentifier: Channel] = [:]
    private var thread: Thread?
    public private(set) var boundPort = 0

    public init(host: String, port: Int, password: String?, group: EventLoopGroup, onPacket: @escaping @Sendable (HEPPacket) -> Void) {
        self.host = host
        self.port = port
        self.password = password
        self.group = group
        self.onPacket = onPacket
    }

    public var current: Statistics {
        lock.lock()
        defer { lock.unlock() }
        return statistics
    }

    private func count(_ update: (inout Statistics) -> Void) {
        lock.lock()
        update(&statistics)
        lock.unlock()
    }

    /// Accepts one decoded packet (the password checked) or counts why not.
    func deliver(_ bytes: some Collection<UInt8>) {
        do {
            let packet = try HEPPacket(decoding: bytes)
            if let password, packet.authKey != password {
                count { $0.refused[packet.authKey == nil ? "no HEP capture password" : "wrong HEP capture password", default: 0] += 1 }
                return
            }
            guard packet.payloadType == 1 else {
                count { $0.refused["HEP payload type \(packet.payloadType) is not SIP", default: 0] += 1 }
                return
            }
            count { $0.received += 1 }
            onPacket(packet)
        } catch {
            count { $0.refused[error.message, default: 0] += 1 }
        }
    }

    // MARK: UDP

    /// Binds UDP `host:port` (port 0 picks one: `boundPort`) and starts reading.
    public func startUDP(receiveBuffer: Int = 16 << 20) throws {
        let v6 = host.contains(":")
        let descriptor = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        var size = Int32(receiveBuffer)
        // SO_RCVBUFFORCE passes rmem_max when allowed (root); else SO_RCVBUF takes what the system allows.
        if setsockopt(descriptor, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_RXQ_OVFL, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bound: Int32
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            _ = inet_pton(AF_INET6, host, &address.sin6_addr)
            bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
                close(descriptor)
                throw HEPListenerError("'\(host)' is not an IP address to listen on")
            }
            bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        guard bound == 0 else {
            let reason = String(validatingCString: strerror(errno)) ?? "error \(errno)"
            close(descriptor)
            throw HEPListenerError("cannot listen for HEP on UDP \(IPAddress.reference(host)):\(port): \(reason)")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        boundPort = Int(UInt16(bigEndian: withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }
        }))
        var granted: Int32 = 0
        var grantedLength = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &granted, &grantedLength)
        count { $0.receiveBuffer = Int(granted) }
        udpDescriptor = descriptor
        running = true
        let thread = Thread { [self] in readUDP(descriptor) }
        thread.name = "siptrunk-hep-udp"
        self.thread = thread
        thread.start()
    }

    private func readUDP(_ descriptor: Int32) {
        var buffer = [UInt8](repeating: 0, count: HEPPacket.maximumSize + 1)
        var control = [UInt8](repeating: 0, count: 64)
        while lock.withLock({ running }) {
            let received: Int = buffer.withUnsafeMutableBytes { data in
                control.withUnsafeMutableBytes { controlBytes in
                    var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                    return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                        var header = msghdr()
                        header.msg_iov = vectorPointer
                        header.msg_iovlen = 1
                        header.msg_control = controlBytes.baseAddress
                        header.msg_controllen = controlBytes.count
                        let count = recvmsg(descriptor, &header, 0)
                        if count >= 0, header.msg_controllen >= MemoryLayout<cmsghdr>.size, let base = controlBytes.baseAddress {
                            // One control message: SOL_SOCKET / SO_RXQ_OVFL, a 32-bit cumulative drop counter.
                            let message = base.assumingMemoryBound(to: cmsghdr.self).pointee
                            if message.cmsg_level == SOL_SOCKET, message.cmsg_type == SO_RXQ_OVFL {
                                let value = base.advanced(by: MemoryLayout<cmsghdr>.stride).loadUnaligned(as: UInt32.self)
                                self.count { $0.kernelDrops = Int(value) }
                            }
                        }
                        if count >= 0, header.msg_flags & Int32(MSG_TRUNC) != 0 { return -2 }
                        return count
                    }
                }
            }
            if received == -2 {
                count { $0.refused["packet over the 64 KiB limit", default: 0] += 1 }
                continue
            }
            if received <= 0 { continue }  // timeout (to see `running`), EINTR
            deliver(buffer[0..<received])
        }
        close(descriptor)
    }

    // MARK: TCP

    /// Listens on TCP `host:port` for HEP3 streams.
    public func startTCP() throws {
        let listener = self
        lock.withLock { accepting = true }
        do {
            tcpChannel = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    guard listener.track(channel) else { return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HEPStreamHandler(listener: listener))
                    }
                }
                .bind(host: host, port: port).wait()
        } catch {
            lock.withLock { accepting = false }
            throw HEPListenerError("cannot listen for HEP on TCP \(IPAddress.reference(host)):\(port): \(error)")
        }
        if boundPort == 0 { boundPort = tcpChannel?.localAddress?.port ?? port }
    }

    /// Keeps an accepted connection until it closes; false (refuse it) once the listener is stopping.
    private func track(_ channel: Channel) -> Bool {
        let key = ObjectIdentifier(channel)
        let taken = lock.withLock {
            guard accepting else { return false }
            connections[key] = channel
            return true
        }
        if taken { channel.closeFuture.whenComplete { [self] _ in lock.withLock { _ = connections.removeValue(forKey: key) } } }
        return taken
    }

    /// TCP connections open now.
    public var openConnections: Int { lock.withLock { connections.count } }

    /// Stops reading; returns once the UDP reader has ended (within its 200 ms receive timeout) and every TCP
    /// connection is closed, so no packet is handed on after `stop`.
    public func stop() {
        lock.withLock { running = false }
        if let thread {
            for _ in 0..<100 where thread.isExecuting { Thread.sleep(forTimeInterval: 0.01) }
        }
        thread = nil
        try? tcpChannel?.close().wait()
        tcpChannel = nil
        let open = lock.withLock {
            accepting = false
            return Array(connections.values)
        }
        for channel in open { try? channel.close().wait() }
    }
}

public struct HEPListenerError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One TCP connection of HEP3 packets, framed by their length; a stream that is not HEP3 is closed.
/// `@unchecked Sendable`: a channel handler, called on its channel's event loop only.
final class HEPStreamHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let listener: HEPListener
    private var buffer: [UInt8] = []

    init(listener: HEPListener) {
        self.listener = listener
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        buffer += bytes.readBytes(length: bytes.readableBytes) ?? []
        var start = 0
        while start < buffer.count {
            do {
                guard let length = try HEPPacket.frameLength(buffer[start...]) else { break }
                listener.deliver(buffer[start..<(start + length)])
                start += length
            } catch {
                listener.deliver(buffer[start...])  // counted with its reason
                buffer = []
                context.close(promise: nil)
                return
            }
        }
        buffer.removeFirst(start)
    }
}
