import Foundation
import SIPCore
import SIPNetwork
import SIPRuntime
import Testing

/// The HEP listener's TCP side on the program's shared event-loop group: nobody shuts that group down, so `stop`
/// itself must close the connections it accepted, and the group must go on serving others.
struct HEPListenerTests {
    /// Polls `condition` (never a fixed sleep): true once it holds, false after `seconds`.
    static func eventually(seconds: Double = 30, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return true
    }

    @Test func stopClosesItsTCPConnectionsAndLeavesTheSharedGroupRunning() throws {
        let received = NSLock()
        nonisolated(unsafe) var packets: [HEPPacket] = []
        let listener = HEPListener(host: "127.0.0.1", port: 0, password: "pw", group: NetworkProber.sharedGroup) { packet in
            received.withLock { packets.append(packet) }
        }
        try listener.startTCP()
        defer { listener.stop() }
        #expect(listener.boundPort > 0)

        // A capture agent connects and sends one HEP3 packet carrying an OPTIONS.
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(client >= 0)
        defer { close(client) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(listener.boundPort).bigEndian)
        _ = inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        let sip = Array("OPTIONS sip:trunk@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKhep1\r\nCall-ID: hep-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n".utf8)
        let packet = HEPPacket(
            version: 3, family: 2, transportProtocol: 17, sourceAddress: "127.0.0.1", sourcePort: 5060, destinationAddress: "127.0.0.1",
            destinationPort: 5080, timestamp: 1_700_000_000, payloadType: 1, captureId: 7, authKey: "pw", correlationId: nil, payload: sip)
        let bytes = packet.encodedV3()
        #expect(bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, 0) } == bytes.count)
        #expect(Self.eventually { received.withLock { packets.count } == 1 })
        #expect(received.withLock { packets.first?.payload } == sip)
        #expect(listener.openConnections == 1)

        listener.stop()
        // The listener closed the agent's connection itself: the agent reads the end of the stream.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(recv(client, &buffer, buffer.count, 0) == 0)
        #expect(Self.eventually { listener.openConnections == 0 })
        // Nothing is accepted any more, and the shared group goes on.
        let again = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(again) }
        let refused = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(again, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(refused != 0)
        #expect(try NetworkProber.sharedGroup.next().submit { 42 }.wait() == 42)
    }
}
