import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import Testing

import TrunkRuntime

/// OPTIONS probes over real sockets against real peers on loopback: sipp (from Debian's sip-tester) as the
/// answering server, closed ports, a silent UDP socket and a socket that answers garbage.
@Suite(.serialized)
struct ProbeIntegrationTests {
    /// A free port below the kernel's ephemeral range (32768–60999) and above the RTP range (10000–20000): a port
    /// bind(0) hands out is handed out again to the next socket that needs one (a client's, in a test running
    /// alongside) while a test still means to use it; ports down here are only taken on purpose.
    static func freePort(_ type: Int32) -> Int {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let port = Int.random(in: 21000..<30000, using: &generator)
            let fd = socket(AF_INET, type, 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            close(fd)
            if bound == 0 { return port }
        }
        return 29999
    }

    /// A bound UDP socket on loopback; `answer` (if any) is sent back to each datagram by a reader thread.
    final class UDPSocket {
        let fd: Int32
        let port: Int
        /// A socket bound to `host:port` (port 0: any free one) that reads and never answers.
        convenience init(bindingTo host: String, port: Int) throws {
            self.init(answer: nil, host: host, port: port)
            guard self.port == port else { throw POSIXError(.EADDRINUSE) }
        }

        init(answer: [UInt8]?, host: String = "127.0.0.1", port requested: Int = 0) {
            let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr(host)
            address.sin_port = in_port_t(UInt16(requested).bigEndian)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
            if bound != 0 { address.sin_port = 0 }
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
            fd = descriptor
            port = bound == 0 ? Int(UInt16(bigEndian: address.sin_port)) : -1
            guard let answer else { return }
            Thread.detachNewThread {
                var buffer = [UInt8](repeating: 0, count: 65536)
                var from = sockaddr_storage()
                var fromLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
                while true {
                    let count = withUnsafeMutablePointer(to: &from) { pointer in
                        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, &buffer, buffer.count, 0, $0, &fromLength) }
                    }
                    if count <= 0 { return }
                    _ = withUnsafePointer(to: &from) { pointer in
                        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(descriptor, answer, answer.count, 0, $0, fromLength) }
                    }
                }
            }
        }
        deinit { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    /// sipp answering OPTIONS on loopback, stopped when the test ends.
    final class SippServer {
        let process = Process()
        let port: Int

        init(transport: SIPTransport) throws {
            port = ProbeIntegrationTests.freePort(transport == .udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue))
            let scenario = try #require(Bundle.module.url(forResource: "options-uas", withExtension: "xml", subdirectory: "Fixtures"))
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sipp")
            process.arguments = ["-sf", scenario.path, "-i", "127.0.0.1", "-p", String(port), "-t", transport == .udp ? "u1" : "t1", "-nostdin", "-m", "1000"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        /// sipp does not always act on SIGTERM: stop it for certain.
        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        deinit { stop() }
    }

    static let fast = TransactionTimers(t1: .milliseconds(20), t2: .milliseconds(160), t4: .milliseconds(100))

    /// Probes until sipp answers (it needs a moment to bind), at most about five seconds.
    static func probeUntilAnswered(_ prober: NetworkProber, _ peer: PeerAddress) throws -> ProbeOutcome {
        var outcome = try prober.probeAndWait(peer)
        for _ in 0..<25 where !outcome.isReachable {
            Thread.sleep(forTimeInterval: 0.2)
            outcome = try prober.probeAndWait(peer)
        }
        return outcome
    }

    @Test(arguments: [SIPTransport.udp, .tcp])
    func sippAnswersOverEachTransport(_ transport: SIPTransport) throws {
        let server = try SippServer(transport: transport)
        let prober = NetworkProber(timers: Self.fast)
        defer {
            prober.shutdown()
            server.stop()
        }
        let peer = PeerAddress(host: "127.0.0.1", port: server.port, transport: transport)
        guard case .response(let response) = try Self.probeUntilAnswered(prober, peer) else {
            Issue.record("sipp did not answer over \(transport)")
            return
        }
        #expect(response.statusCode == 200)
        #expect(response.server == "sipp-options-uas")
        #expect(response.allow == ["INVITE", "ACK", "CANCEL", "OPTIONS", "BYE"])
        #expect(response.roundTrip > .zero && response.roundTrip < .seconds(1))
        // The trace holds the request and its answer with real addresses.
        let trace = prober.trace
        #expect(trace.contains { $0.direction == .received && $0.remote.port == server.port && $0.dropReason == nil })
        #expect(trace.allSatisfy { $0.local.host == "127.0.0.1" })
    }

    @Test func closedUDPPortIsUnreachable() throws {
        let prober = NetworkProber(timers: Self.fast)
        defer { prober.shutdown() }
        let outcome = try prober.probeAndWait(PeerAddress(host: "127.0.0.1", port: Self.freePort(Int32(SOCK_DGRAM.rawValue)), transport: .udp))
        guard case .failure(let failure) = outcome else { Issue.record("\(outcome)"); return }
        #expect(failure.kind == .icmpUnreachable)
    }

    @Test func closedTCPPortIsRefused() throws {
        let prober = NetworkProber(timers: Self.fast)
        defer { prober.shutdown() }
        let port = Self.freePort(Int32(SOCK_STREAM.rawValue))
        let outcome = try prober.probeAndWait(PeerAddress(host: "127.0.0.1", port: port, transport: .tcp))
        guard case .failure(let failure) = outcome else { Issue.record("\(outcome)"); return }
        #expect(failure.kind == .connectionRefused)
        #expect(failure.message == "TCP \(port) refused on 127.0.0.1")
    }

    @Test func silentUDPPortTimesOut() throws {
        let silent = UDPSocket(answer: nil)
        let prober = NetworkProber(timers: Self.fast)
        defer { prober.shutdown() }
        let outcome = try prober.probeAndWait(PeerAddress(host: "127.0.0.1", port: silent.port, transport: .udp))
        guard case .failure(let failure) = outcome else { Issue.record("\(outcome)"); return }
        #expect(failure.kind == .timeout)
        // 11 transmissions with the fast timers, all in the trace.
        #expect(prober.trace.filter { $0.direction == .sent }.count == 11)
    }

    @Test func garbageAnswerIsMalformed() throws {
        let garbage = UDPSocket(answer: Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8))
        let prober = NetworkProber(timers: Self.fast)
        defer { prober.shutdown() }
        let outcome = try prober.probeAndWait(PeerAddress(host: "127.0.0.1", port: garbage.port, transport: .udp))
        guard case .failure(let failure) = outcome else { Issue.record("\(outcome)"); return }
        #expect(failure.kind == .malformedResponse)
    }
}
