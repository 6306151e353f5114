import Foundation
import SIPCore

/// A SIP peer on loopback that misbehaves on purpose, for the hostile-peer suite: it answers each request (or
/// connection) through a script that may send garbage, stall, trickle, loop or lie. Plain POSIX sockets on a
/// thread per connection, so the peer shares nothing with the code under test.
final class HostilePeer: @unchecked Sendable {
    enum Transport { case udp, tcp }

    /// What a script can do in reply to a request.
    struct Replier: Sendable {
        let sendBytes: @Sendable ([UInt8]) -> Bool

        /// Sends bytes; false once the other side is gone.
        @discardableResult
        func send(_ bytes: [UInt8]) -> Bool { sendBytes(bytes) }
        @discardableResult
        func send(_ text: String) -> Bool { sendBytes(Array(text.utf8)) }
        @discardableResult
        func send(_ message: SIPMessage) -> Bool { sendBytes(message.serialized()) }
    }

    /// Called with each request (nil when the bytes did not parse) on the peer's own thread.
    typealias Script = @Sendable (_ request: SIPMessage?, _ reply: Replier) -> Void

    let transport: Transport
    let port: Int
    private let socketFD: Int32
    private let script: Script
    private let lock = NSLock()
    private var stopped = false
    private var connections: [Int32] = []

    /// Listens on 127.0.0.1 at a free port. `acceptOnly` (TCP): accept connections and never read or answer.
    init(_ transport: Transport, acceptOnly: Bool = false, script: @escaping Script = { _, _ in }) throws {
        self.transport = transport
        self.script = script
        let socketFD = socket(AF_INET, transport == .udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw TestFailure("socket: \(errno)") }
        self.socketFD = socketFD
        var yes: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(socketFD)
            throw TestFailure("bind: \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        if transport == .tcp { listen(socketFD, 16) }
        let thread = Thread { [self] in
            if transport == .udp { serveDatagrams() } else { acceptConnections(acceptOnly: acceptOnly) }
        }
        thread.start()
    }

    deinit { stop() }

    func stop() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        let open = connections
        connections = []
        lock.unlock()
        guard !wasStopped else { return }
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
        for fd in open {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    private func serveDatagrams() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !isStopped {
            var from = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(socketFD, &buffer, buffer.count, 0, $0, &length) }
            }
            guard count > 0 else { return }
            let request = try? SIPMessageParser().parse(datagram: Array(buffer[..<count]))
            let sender = from
            let senderLength = length
            let fd = socketFD
            let replier = Replier { bytes in
                var to = sender
                let sent = withUnsafePointer(to: &to) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, senderLength) }
                }
                return sent >= 0
            }
            // Each request on its own thread: a script may loop or sleep without holding up the next.
            let script = self.script
            Thread { script(request, replier) }.start()
        }
    }

    private func acceptConnections(acceptOnly: Bool) {
        while !isStopped {
            let connection = accept(socketFD, nil, nil)
            guard connection >= 0 else { return }
            lock.lock()
            connections.append(connection)
            lock.unlock()
            if acceptOnly { continue }
            let script = self.script
            Thread { [self] in serve(connection, script) }.start()
        }
    }

    private func serve(_ connection: Int32, _ script: Script) {
        var stream = SIPStreamParser()
        var buffer = [UInt8](repeating: 0, count: 65536)
        let replier = Replier { bytes in
            var offset = 0
            while offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent <= 0 { return false }
                offset += sent
            }
            return true
        }
        while !isStopped {
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { return }
            stream.append(buffer[..<count])
            while let request = try? stream.next() { script(request, replier) }
        }
    }

    // MARK: Replies

    /// A response to `request` with its Via, From, To (tagged), Call-ID and CSeq, plus `headers`.
    static func response(to request: SIPMessage, code: Int, reason: String? = nil, headers: [(String, String)] = []) -> SIPMessage {
        var response = SIPMessage(startLine: .response(StatusLine(code: code, reason: reason ?? StatusLine.defaultReason(for: code))))
        for name in [SIPHeaderName.via, .from] { response.headers += request.fields(name) }
        if let to = request.field(.to) { response.headers.append(SIPHeaderField(.to, to.value + (to.value.contains(";tag=") ? "" : ";tag=hostile"))) }
        for name in [SIPHeaderName.callID, .cseq] { if let field = request.field(name) { response.headers.append(field) } }
        for (name, value) in headers { response.append(name: name, value: value) }
        response.append(.contentLength, "0")
        return response
    }
}
