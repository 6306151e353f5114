import Foundation
import NIOCore
import SIPCore
import SIPNetwork
import SIPRuntime
import Testing

/// The link's sockets, counted from the other end.
struct TransportLinkTests {
    /// A TCP listener on loopback that counts the connections made to it (accepted without blocking, after the
    /// fact: the kernel completes each handshake into the backlog).
    final class CountingListener {
        let descriptor: Int32
        let port: Int

        init() throws {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(descriptor, 256) == 0 else {
                close(descriptor)
                throw TestFailure("bind/listen: \(String(cString: strerror(errno)))")
            }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            self.descriptor = descriptor
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        /// Accepts every connection waiting and closes it; how many there were.
        func acceptAll() -> Int {
            var count = 0
            while true {
                let connection = accept(descriptor, nil, nil)
                guard connection >= 0 else { return count }
                close(connection)
                count += 1
            }
        }

        deinit { close(descriptor) }
    }

    /// Probes started together open the peer once: a flood's first 64 probes used to open a connection each and
    /// keep one, leaving 63 open beside it.
    @Test func opensOfOnePeerInProgressShareOneConnection() throws {
        let listener = try CountingListener()
        let loop = NetworkProber.sharedGroup.next()
        let link = NIOTransportLink(eventLoop: loop)
        let peer = PeerAddress(host: "127.0.0.1", port: listener.port, transport: .tcp)
        let opens = try loop.submit { (0..<64).map { _ in link.open(peer) } }.wait()
        for open in opens { try open.wait() }
        // Opened again once connected: the open socket is reused.
        try loop.flatSubmit { link.open(peer) }.wait()
        Thread.sleep(forTimeInterval: 0.2)
        #expect(listener.acceptAll() == 1)
        try loop.flatSubmit { link.shutDown() }.wait()
    }

    /// What a link reports about one peer, collected on its loop.
    /// `@unchecked Sendable`: `seen` is touched on the loop only.
    final class Failures: @unchecked Sendable {
        let loop: EventLoop
        var seen: [TransportFailure] = []

        /// Listens to `link`'s failures for `peer` and opens it.
        init(_ link: NIOTransportLink, opening peer: PeerAddress, on loop: EventLoop) throws {
            self.loop = loop
            try loop.flatSubmit {
                link.onFailure = { failure, to in if to == peer { self.seen.append(failure) } }
                return link.open(peer)
            }.wait()
        }

        /// The failures reported: waits up to 10 s for the first, then 0.2 s for any that would follow it.
        func reported() throws -> [TransportFailure] {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, try loop.submit({ self.seen.isEmpty }).wait() { Thread.sleep(forTimeInterval: 0.02) }
            Thread.sleep(forTimeInterval: 0.2)
            return try loop.submit { self.seen }.wait()
        }
    }

    /// A UDP port with nothing listening on it (bound, noted, closed).
    static func closedUDPPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw TestFailure("bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Unwatched datagrams (a probe's first transmission, sent without a promise) still report a peer that is not
    /// there, once: the ICMP port-unreachable is read as an error when the loop gets to it first, and when a send
    /// gets to it first (two sends in one turn of the loop, as a flood makes them), SwiftNIO closes the socket and
    /// the link reports that. Before, the second case said nothing: the probes waited for their timeout.
    @Test(arguments: [false, true]) func unwatchedDatagramsToAClosedPortReportItUnreachableOnce(sendTakesTheError: Bool) throws {
        let loop = NetworkProber.sharedGroup.next()
        let link = NIOTransportLink(eventLoop: loop)
        let peer = PeerAddress(host: "127.0.0.1", port: try Self.closedUDPPort(), transport: .udp)
        let failures = try Failures(link, opening: peer, on: loop)
        let datagram = Array("OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\n\r\n".utf8)
        try loop.submit {
            link.send(datagram, to: peer, watched: false)
            guard sendTakesTheError else { return }
            // The loop held while the ICMP error comes back: the next send, not a read, takes it.
            usleep(200_000)
            link.send(datagram, to: peer, watched: false)
        }.wait()
        #expect(try failures.reported() == [.unreachable])
        #expect(try loop.submit { link.isOpen(peer) }.wait() == false, "the failed socket is dropped; the next open makes a new one")
        try loop.flatSubmit { link.shutDown() }.wait()
    }

    /// A TCP request goes unwatched too (a stream never retransmits, so every request is a first transmission): a
    /// write to a connection the peer has reset fails, SwiftNIO closes the socket, and the link reports the peer —
    /// once, as a reset connection.
    @Test func anUnwatchedWriteToAResetConnectionReportsItOnce() throws {
        let listener = try CountingListener()
        let loop = NetworkProber.sharedGroup.next()
        let link = NIOTransportLink(eventLoop: loop)
        let peer = PeerAddress(host: "127.0.0.1", port: listener.port, transport: .tcp)
        let failures = try Failures(link, opening: peer, on: loop)
        let request = Array("OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n".utf8)
        try loop.submit {
            // The peer resets the connection (SO_LINGER 0) while the loop is held; the next write is the first to hear.
            var connection: Int32 = -1
            for _ in 0..<100 where connection < 0 {
                connection = accept(listener.descriptor, nil, nil)
                if connection < 0 { usleep(10_000) }
            }
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            close(connection)
            usleep(200_000)
            link.send(request, to: peer, watched: false)
        }.wait()
        #expect(try failures.reported() == [.connectionReset])
        #expect(try loop.submit { link.isOpen(peer) }.wait() == false)
        try loop.flatSubmit { link.shutDown() }.wait()
    }

    /// A flood of a closed UDP port: sends fail at once (a send takes the ICMP error a previous datagram left), and
    /// failures reach the engine on a later turn of the loop, never from inside the send. Reported inside it, the
    /// next probe started from within the one still sending and the process trapped (two overlapping accesses of
    /// the prober's random generator); and every probe says why the port failed, none "connection reset".
    @Test func aFloodOfAClosedUDPPortFailsEveryProbeAsUnreachable() throws {
        let prober = NetworkProber(traceCapacity: 0)
        defer { prober.shutdown() }
        let peer = PeerAddress(host: "127.0.0.1", port: try Self.closedUDPPort(), transport: .udp)
        let summary = try prober.flood(peer, domain: nil, total: 2000, concurrency: 64).wait()
        #expect(summary.sent == 2000 && summary.answered == 0)
        #expect(summary.failures == ["icmp_unreachable": 2000], "\(summary.failures)")
    }
}
