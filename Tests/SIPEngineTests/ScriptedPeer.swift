import SIPCore
import SIPEngine

/// An in-process SIP peer that answers what it is sent according to a script, on the manual clock.
final class ScriptedPeer: SIPTransportLink {
    enum Behaviour {
        /// Answer every transmission from the `answerFrom`-th on (1-based) with this response after `delay`.
        case answer(code: Int, after: Duration, answerFrom: Int = 1, headers: [(String, String)] = [], body: String? = nil)
        case silent
        case garbage(after: Duration)
        /// Garbage on a stream, after which the transport drops the connection.
        case garbageThenReset
        case refuse
        /// Answer with a response whose top Via is not ours (wrong sent-by), then the real one later.
        case foreignViaThenAnswer
        /// Answer with a response for another branch (stray), then the real one later.
        case strayThenAnswer
        /// Whatever the script says for each request and its number among requests of its method (1-based):
        /// the response's code, extra headers and body, or nil for silence.
        case script(@Sendable (SIPMessage, Int) -> (code: Int, headers: [(String, String)], body: String?)?)
    }

    let clock: ManualClock
    var behaviour: Behaviour
    /// Per-peer behaviours, for tests that talk to several ports at once; others get `behaviour`.
    var behaviours: [PeerAddress: Behaviour] = [:]
    /// Peers whose connection fails before anything is sent (TCP refused, a TLS certificate rejected).
    var connectFailures: [PeerAddress: TransportFailure] = [:]
    weak var layer: TransactionLayer?
    private(set) var received: [SIPMessage] = []

    init(clock: ManualClock, behaviour: Behaviour) {
        self.clock = clock
        self.behaviour = behaviour
    }

    func localAddress(for peer: PeerAddress) -> PeerAddress {
        PeerAddress(host: "192.0.2.1", port: 5099, transport: peer.transport)
    }

    func connect(_ peer: PeerAddress, serverName: String?, completion: @escaping (TransportFailure?) -> Void) {
        let failure = connectFailures[peer]
        _ = clock.schedule(after: .milliseconds(1)) { completion(failure) }
    }

    /// Whether each send asked for its own failure to be watched, in order.
    private(set) var watched: [Bool] = []

    func send(_ bytes: [UInt8], to peer: PeerAddress, watched: Bool) {
        self.watched.append(watched)
        send(bytes, to: peer)
    }

    func send(_ bytes: [UInt8], to peer: PeerAddress) {
        guard let request = try? SIPMessageParser().parse(datagram: bytes) else { return }
        received.append(request)
        let count = received.filter { $0.method == request.method }.count
        switch behaviours[peer] ?? behaviour {
        case .answer(let code, let delay, let answerFrom, let headers, let body):
            guard count >= answerFrom else { return }
            reply(Self.response(to: request, code: code, headers: headers, body: body), after: delay, from: peer)
        case .silent:
            break
        case .garbage(let delay):
            reply(Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8), after: delay, from: peer)
        case .garbageThenReset:
            reply(Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8), after: .milliseconds(2), from: peer)
            _ = clock.schedule(after: .milliseconds(3)) { [weak self] in self?.layer?.transportFailed(.connectionReset, peer: peer) }
        case .refuse:
            _ = clock.schedule(after: .milliseconds(1)) { [weak self] in self?.layer?.transportFailed(.connectionRefused, peer: peer) }
        case .foreignViaThenAnswer:
            var foreign = SIPMessage(startLine: .response(StatusLine(code: 200, reason: "OK")))
            let via = (try? request.topVia)!
            foreign.append(.via, "SIP/2.0/UDP 203.0.113.66:5060;branch=\(via.branch!)")
            for name in [SIPHeaderName.from, .to, .callID, .cseq] { if let field = request.field(name) { foreign.headers.append(field) } }
            foreign.append(.contentLength, "0")
            reply(foreign.serialized(), after: .milliseconds(5), from: peer)
            reply(Self.response(to: request, code: 200), after: .milliseconds(20), from: peer)
        case .script(let script):
            guard let reply = script(request, count) else { return }
            self.reply(Self.response(to: request, code: reply.code, headers: reply.headers, body: reply.body), after: .milliseconds(5), from: peer)
        case .strayThenAnswer:
            var stray = Self.response(to: request, code: 200)
            stray.set(.via, "SIP/2.0/UDP 192.0.2.1:5099;branch=z9hG4bKsomeoneelse")
            reply(stray.serialized(), after: .milliseconds(5), from: peer)
            reply(Self.response(to: request, code: 200), after: .milliseconds(20), from: peer)
        }
    }

    private func reply(_ message: SIPMessage, after delay: Duration, from peer: PeerAddress) {
        reply(message.serialized(), after: delay, from: peer)
    }

    private func reply(_ bytes: [UInt8], after delay: Duration, from peer: PeerAddress) {
        _ = clock.schedule(after: delay) { [weak self] in self?.layer?.receive(bytes, from: peer) }
    }

    static func response(to request: SIPMessage, code: Int, headers: [(String, String)] = [], body: String? = nil) -> SIPMessage {
        var response = SIPMessage(startLine: .response(StatusLine(code: code, reason: StatusLine.defaultReason(for: code))))
        for name in [SIPHeaderName.via, .from] { response.headers += request.fields(name) }
        if let to = request.field(.to) { response.headers.append(SIPHeaderField(.to, to.value + ";tag=peer1")) }
        for name in [SIPHeaderName.callID, .cseq] { if let field = request.field(name) { response.headers.append(field) } }
        for (name, value) in headers { response.append(name: name, value: value) }
        if let body { response.setBody(Array(body.utf8), contentType: "application/sdp") } else { response.append(.contentLength, "0") }
        return response
    }
}
