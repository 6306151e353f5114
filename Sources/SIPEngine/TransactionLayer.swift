import SIPCore

/// What a client transaction tells its user.
public enum ClientTransactionEvent {
    /// A response matched the transaction; `sentAt` is when the request was last (re)transmitted.
    case response(SIPMessage, sentAt: Duration)
    case timeout(TransactionTimer)
    case transportFailure(TransportFailure)
}

/// RFC 3261 §17.1's transaction layer for client transactions: runs the state machines from SIPCore on the
/// injected clock, sends through the injected transport, matches responses, and records everything.
///
/// Confined to the clock's context: call it from one thread (the event loop) only.
/// A transaction's running timers, one slot per timer name: no dictionary (and no allocation) per transaction.
struct TimerSlots {
    private var slots: (EngineTimer?, EngineTimer?, EngineTimer?, EngineTimer?, EngineTimer?, EngineTimer?)

    init() { slots = (nil, nil, nil, nil, nil, nil) }

    subscript(timer: TransactionTimer) -> EngineTimer? {
        get {
            switch timer {
            case .a: return slots.0
            case .b: return slots.1
            case .d: return slots.2
            case .e: return slots.3
            case .f: return slots.4
            case .k: return slots.5
            }
        }
        set {
            switch timer {
            case .a: slots.0 = newValue
            case .b: slots.1 = newValue
            case .d: slots.2 = newValue
            case .e: slots.3 = newValue
            case .f: slots.4 = newValue
            case .k: slots.5 = newValue
            }
        }
    }

    /// A transaction timeout (Timer B or F) not yet given to the clock: it waits for its retransmission timer
    /// (A or E) to fire or stop, which most transactions (answered within T1) never see. Its due time is kept.
    var deferredTimeout: (timer: TransactionTimer, due: Duration)?

    mutating func cancelAll() {
        deferredTimeout = nil
        slots.0?.cancel()
        slots.1?.cancel()
        slots.2?.cancel()
        slots.3?.cancel()
        slots.4?.cancel()
        slots.5?.cancel()
        slots = (nil, nil, nil, nil, nil, nil)
    }
}

public final class TransactionLayer {
    public let clock: EngineClock
    public let transport: SIPTransportLink
    public let trace: TraceRecorder
    /// Called when bytes from a peer could not be parsed (a probe uses it to tell garbage from silence).
    public var onMalformed: ((PeerAddress, SIPParseError) -> Void)?

    private var transactions: [ClientTransactionKey: Entry] = [:]
    private let parser = SIPMessageParser()

    /// Non-INVITE client transactions in Completed (RFC 3261 §17.1.2.2) do nothing but absorb retransmitted
    /// responses until Timer K. They are kept as their key's hash in `absorbing`, with a deadline in `expiring`
    /// (oldest first, swept by one timer), instead of as transactions with their request, bytes and a timer each:
    /// a flood of UDP probes leaves T4 × rate of them (175,000 at 35,000 probes/s). A hash that two keys share
    /// only makes a stray response count as absorbed.
    private var absorbing: Set<Int> = []
    private var expiring: [(hash: Int, deadline: Duration)] = []
    private var expiringHead = 0
    private var sweep: EngineTimer?

    final class Entry {
        enum Machine {
            case invite(InviteClientTransaction)
            case nonInvite(NonInviteClientTransaction)
        }

        var machine: Machine
        /// The request as a message: kept for an INVITE (its ACK is built from it), nil for a request started
        /// from its bytes.
        let request: SIPMessage?
        let bytes: [UInt8]
        let callID: String?
        /// The Call-ID's host half when it was given apart (`callID@callIDHost`), joined only for the trace.
        let callIDHost: String?
        let peer: PeerAddress
        /// Our top Via's sent-by, which a response's top Via must repeat (host compared without case).
        let sentByHost: String
        let sentByPort: Int?
        var timers = TimerSlots()
        var lastSent: Duration = .zero
        /// How often the request was sent (the first time and each retransmission).
        var transmissions = 0
        let handler: (ClientTransactionEvent) -> Void

        /// The whole Call-ID, as the trace records it.
        var fullCallID: String? {
            guard let callID, let callIDHost else { return callID }
            return callID + "@" + callIDHost
        }

        init(
            machine: Machine, request: SIPMessage?, bytes: [UInt8], callID: String?, callIDHost: String? = nil, peer: PeerAddress,
            sentBy: (host: String, port: Int?), handler: @escaping (ClientTransactionEvent) -> Void
        ) {
            self.machine = machine
            self.request = request
            self.bytes = bytes
            self.callID = callID
            self.callIDHost = callIDHost
            self.peer = peer
            self.sentByHost = sentBy.host
            self.sentByPort = sentBy.port
            self.handler = handler
        }
    }

    /// Requests from peers (a BYE ending a test call); without a handler they are dropped into the trace.
    public var onRequest: ((SIPMessage, PeerAddress) -> Void)?
    /// Responses that match no live transaction, after they are traced: a retransmitted 2xx to an INVITE must
    /// be ACKed again by the dialog (RFC 3261 §13.2.2.4).
    public var onStrayResponse: ((SIPMessage, PeerAddress) -> Void)?

    public init(clock: EngineClock, transport: SIPTransportLink, trace: TraceRecorder = TraceRecorder()) {
        self.clock = clock
        self.transport = transport
        self.trace = trace
        // Room for a flood's 64 transactions in flight at a low load: the table probes linearly, and removing a key
        // rehashes the keys after it in its run (at 64 in 128 buckets, 2.75 rehashes per finished probe).
        transactions.reserveCapacity(256)
    }

    public var activeTransactionCount: Int { transactions.count }

    /// Completed non-INVITE transactions still absorbing retransmissions (until their Timer K).
    public var absorbingTransactionCount: Int { absorbing.count }

    /// Starts a client transaction for `request`, whose top Via must carry a branch. A caller that built the Via
    /// itself passes its branch and sent-by (host and port), which saves parsing it back.
    @discardableResult
    public func start(
        _ request: SIPMessage, to peer: PeerAddress, timers: TransactionTimers = TransactionTimers(),
        via known: (branch: String, host: String, port: Int?)? = nil,
        handler: @escaping (ClientTransactionEvent) -> Void
    ) throws -> ClientTransactionKey {
        let branch: String
        let sentBy: (host: String, port: Int?)
        if let known {
            (branch, sentBy) = (known.branch, (known.host, known.port))
        } else if let via = try request.topVia, let parsed = via.branch {
            (branch, sentBy) = (parsed, (via.host, via.port))
        } else {
            throw SIPSyntaxError("request", "a client transaction needs a request with a Via branch", offset: 0)
        }
        guard let method = request.method else {
            throw SIPSyntaxError("request", "a client transaction needs a request", offset: 0)
        }
        return begin(
            method: method, branch: branch, sentBy: sentBy, request: request, bytes: request.serialized(), callID: request.callID,
            to: peer, timers: timers, handler: handler)
    }

    /// Starts a non-INVITE client transaction for a request already written as bytes (a probe builds them from a
    /// template): its method, top Via branch and sent-by, and Call-ID are given, not parsed back. The Call-ID may
    /// be given as its two halves (`callID@callIDHost`): only the trace reads it, and joined only when it records.
    @discardableResult
    public func start(
        bytes: [UInt8], method: SIPMethod, branch: String, sentBy: (host: String, port: Int?), callID: String,
        callIDHost: String? = nil, to peer: PeerAddress, timers: TransactionTimers = TransactionTimers(),
        handler: @escaping (ClientTransactionEvent) -> Void
    ) throws -> ClientTransactionKey {
        guard method != .invite else {
            throw SIPSyntaxError("request", "an INVITE transaction needs the request as a message (its ACK is built from it)", offset: 0)
        }
        return begin(
            method: method, branch: branch, sentBy: sentBy, request: nil, bytes: bytes, callID: callID, callIDHost: callIDHost, to: peer,
            timers: timers, handler: handler)
    }

    private func begin(
        method: SIPMethod, branch: String, sentBy: (host: String, port: Int?), request: SIPMessage?, bytes: [UInt8], callID: String?,
        callIDHost: String? = nil, to peer: PeerAddress, timers: TransactionTimers, handler: @escaping (ClientTransactionEvent) -> Void
    ) -> ClientTransactionKey {
        let key = ClientTransactionKey(branch: branch, method: method)
        let reliable = peer.transport.isReliable
        let machine: Entry.Machine =
            method == .invite
            ? .invite(InviteClientTransaction(reliable: reliable, timers: timers))
            : .nonInvite(NonInviteClientTransaction(reliable: reliable, timers: timers))
        let entry = Entry(
            machine: machine, request: request, bytes: bytes, callID: callID, callIDHost: callIDHost, peer: peer,
            sentBy: (sentBy.host.lowercased(), sentBy.port), handler: handler)
        transactions[key] = entry
        let actions: [TransactionAction]
        switch entry.machine {
        case .invite(var machine):
            actions = machine.start()
            entry.machine = .invite(machine)
        case .nonInvite(var machine):
            actions = machine.start()
            entry.machine = .nonInvite(machine)
        }
        perform(actions, key: key, entry: entry, response: nil)
        return key
    }

    /// Bytes that arrived from `peer` (one datagram, or one message framed from a stream).
    public func receive(_ bytes: [UInt8], from peer: PeerAddress) {
        let message: SIPMessage
        do {
            message = try parser.parse(datagram: bytes)
        } catch {
            if trace.isRecording {
                trace.record(
                    TraceEntry(
                        direction: .received, monotonic: clock.now, wallTime: clock.wallTime, local: transport.localAddress(for: peer),
                        remote: peer, raw: bytes, callID: nil, dropReason: "malformed: \(error)"))
            }
            onMalformed?(peer, error)
            return
        }
        receive(message, bytes: bytes, from: peer)
    }

    /// A message a stream transport already framed and parsed (its bytes are written back only for the trace:
    /// an unchanged message serializes byte-identically).
    public func receive(_ message: SIPMessage, from peer: PeerAddress) {
        receive(message, bytes: nil, from: peer)
    }

    /// `bytes` nil: the message is serialized again if the trace records it (an autoclosure doing that captured, and
    /// so copied, the whole message for every response).
    private func receive(_ message: SIPMessage, bytes: [UInt8]?, from peer: PeerAddress) {
        func record(_ callID: @autoclosure () -> String?, drop: String?) {
            guard trace.isRecording else { return }
            trace.record(
                TraceEntry(
                    direction: .received, monotonic: clock.now, wallTime: clock.wallTime, local: transport.localAddress(for: peer),
                    remote: peer, raw: bytes ?? message.serialized(), callID: callID(), dropReason: drop))
        }
        guard !message.isRequest else {
            if let onRequest {
                record(message.callID, drop: nil)
                onRequest(message, peer)
            } else {
                record(message.callID, drop: "a request; this side only runs client transactions")
            }
            return
        }
        // The top Via is parsed once: its branch finds the transaction, its sent-by checks the routing.
        let via = try? message.topVia
        guard let via, let branch = via.branch, let cseq = try? message.cseq,
            let entry = transactions[ClientTransactionKey(branch: branch, method: cseq.method)]
        else {
            if let branch = via?.branch, let cseq = try? message.cseq,
                absorbing.contains(ClientTransactionKey(branch: branch, method: cseq.method).hashValue)
            {
                // A retransmission of the final response, absorbed in Completed.
                record(message.callID, drop: nil)
                return
            }
            record(message.callID, drop: "matches no transaction (stray response)")
            onStrayResponse?(message, peer)
            return
        }
        let key = ClientTransactionKey(branch: branch, method: cseq.method)
        // RFC 3261 §18.1.2: the top Via must be ours, sent-by included; otherwise the response is misrouted.
        guard via.port == entry.sentByPort, via.hasHost(entry.sentByHost) else {
            record(message.callID, drop: "top Via sent-by is not ours (foreign Via)")
            return
        }
        record(message.callID, drop: nil)
        guard let code = message.statusCode else { return }
        let actions: [TransactionAction]
        switch entry.machine {
        case .invite(var machine):
            actions = machine.receiveResponse(statusCode: code)
            entry.machine = .invite(machine)
        case .nonInvite(var machine):
            actions = machine.receiveResponse(statusCode: code)
            entry.machine = .nonInvite(machine)
        }
        perform(actions, key: key, entry: entry, response: message)
    }

    /// The transport could not reach `peer`: every transaction towards it learns so.
    public func transportFailed(_ failure: TransportFailure, peer: PeerAddress) {
        for (key, entry) in transactions where entry.peer == peer {
            let actions: [TransactionAction]
            switch entry.machine {
            case .invite(var machine):
                actions = machine.transportFailed()
                entry.machine = .invite(machine)
            case .nonInvite(var machine):
                actions = machine.transportFailed()
                entry.machine = .nonInvite(machine)
            }
            perform(actions, key: key, entry: entry, response: nil, failure: failure)
        }
    }

    private func fire(_ timer: TransactionTimer, key: ClientTransactionKey) {
        guard let entry = transactions[key] else { return }
        entry.timers[timer] = nil as EngineTimer?
        // The request is being retransmitted: its timeout goes to the clock now, due when it always was.
        if timer == .a || timer == .e { armDeferredTimeout(entry, key: key) }
        let actions: [TransactionAction]
        switch entry.machine {
        case .invite(var machine):
            actions = machine.timerFired(timer)
            entry.machine = .invite(machine)
        case .nonInvite(var machine):
            actions = machine.timerFired(timer)
            entry.machine = .nonInvite(machine)
        }
        perform(actions, key: key, entry: entry, response: nil)
    }

    private func perform(
        _ actions: [TransactionAction], key: ClientTransactionKey, entry: Entry, response: SIPMessage?,
        failure: TransportFailure? = nil
    ) {
        for action in actions {
            switch action {
            case .sendRequest:
                // A request's first transmission goes unwatched (a completion per message is costly; a link reports
                // a socket that a failed send closed by itself): should a UDP send fail and leave the socket open
                // (EHOSTUNREACH once the route is gone, EMSGSIZE), the retransmission T1 later is watched and says so.
                let first = entry.transmissions == 0
                entry.transmissions += 1
                entry.lastSent = clock.now
                send(entry.bytes, callID: entry.fullCallID, to: entry.peer, watched: !first)
            case .sendACK:
                if let response, let request = entry.request, let ack = Self.ack(for: request, response: response) {
                    send(ack.serialized(), callID: ack.callID, to: entry.peer)
                }
            case .startTimer(.k, let delay):
                // Timer K: the transaction only absorbs retransmissions from now on (see `absorbing`).
                entry.timers.cancelAll()
                transactions[key] = nil
                absorb(key, until: clock.now + delay)
            case .startTimer(let timer, let delay)
            where (timer == .b && entry.timers[.a] != nil) || (timer == .f && entry.timers[.e] != nil):
                // A timeout behind a running retransmission timer: kept aside, not scheduled (see `deferredTimeout`).
                // An answered probe then costs the clock one timer, not two.
                entry.timers[timer]?.cancel()
                entry.timers[timer] = nil as EngineTimer?
                entry.timers.deferredTimeout = (timer, clock.now + delay)
            case .startTimer(let timer, let delay):
                entry.timers[timer]?.cancel()
                entry.timers[timer] = clock.schedule(after: delay) { [weak self] in self?.fire(timer, key: key) }
            case .cancelTimer(let timer):
                if entry.timers.deferredTimeout?.timer == timer { entry.timers.deferredTimeout = nil }
                entry.timers[timer]?.cancel()
                entry.timers[timer] = nil as EngineTimer?
            case .deliverResponse:
                if let response { entry.handler(.response(response, sentAt: entry.lastSent)) }
            case .reportTimeout(let timer):
                entry.handler(.timeout(timer))
            case .reportTransportError:
                entry.handler(.transportFailure(failure ?? .other("transport error")))
            case .terminate:
                entry.timers.cancelAll()
                transactions[key] = nil
            }
        }
        // The retransmission timer stopped (a provisional response, a transport that became reliable ...) while
        // the timeout waited behind it: the timeout goes to the clock.
        if let deferred = entry.timers.deferredTimeout, entry.timers[deferred.timer == .b ? .a : .e] == nil {
            armDeferredTimeout(entry, key: key)
        }
    }

    /// Gives a deferred transaction timeout to the clock, due when the machine asked for it.
    private func armDeferredTimeout(_ entry: Entry, key: ClientTransactionKey) {
        guard let (timer, due) = entry.timers.deferredTimeout else { return }
        entry.timers.deferredTimeout = nil
        entry.timers[timer] = clock.schedule(after: max(.zero, due - clock.now)) { [weak self] in self?.fire(timer, key: key) }
    }

    private func absorb(_ key: ClientTransactionKey, until deadline: Duration) {
        let hash = key.hashValue
        absorbing.insert(hash)
        expiring.append((hash, deadline))
        if sweep == nil { scheduleSweep() }
    }

    /// One timer for all absorbing transactions: it fires at the oldest deadline and lets go of every one due.
    private func scheduleSweep() {
        guard expiringHead < expiring.count else {
            expiring.removeAll(keepingCapacity: expiring.count < 4096)
            expiringHead = 0
            sweep = nil
            return
        }
        let delay = max(.zero, expiring[expiringHead].deadline - clock.now)
        sweep = clock.schedule(after: delay) { [weak self] in
            guard let self else { return }
            let now = self.clock.now
            while self.expiringHead < self.expiring.count, self.expiring[self.expiringHead].deadline <= now {
                self.absorbing.remove(self.expiring[self.expiringHead].hash)
                self.expiringHead += 1
            }
            // Drop the swept front once it is most of the array, so the queue does not grow without end.
            if self.expiringHead > 1024, self.expiringHead * 2 > self.expiring.count {
                self.expiring.removeFirst(self.expiringHead)
                self.expiringHead = 0
            }
            self.scheduleSweep()
        }
    }

    /// Sends a message outside any client transaction (the ACK for a 2xx, a response to a request from the
    /// peer), recorded in the trace like everything else.
    public func sendOutsideTransaction(_ message: SIPMessage, to peer: PeerAddress) {
        send(message.serialized(), callID: message.callID, to: peer)
    }

    private func send(_ bytes: [UInt8], callID: @autoclosure () -> String?, to peer: PeerAddress, watched: Bool = true) {
        defer { transport.send(bytes, to: peer, watched: watched) }
        guard trace.isRecording else { return }
        trace.record(
            TraceEntry(
                direction: .sent, monotonic: clock.now, wallTime: clock.wallTime, local: transport.localAddress(for: peer),
                remote: peer, raw: bytes, callID: callID(), dropReason: nil))
    }

    /// The ACK for a non-2xx final response (RFC 3261 §17.1.1.3): same Request-URI, top Via, From, Call-ID and
    /// CSeq number as the INVITE, the response's To (with its tag), and the INVITE's Route headers.
    static func ack(for invite: SIPMessage, response: SIPMessage) -> SIPMessage? {
        guard let line = invite.requestLine, let via = invite.field(.via), let cseq = try? invite.cseq else { return nil }
        var ack = SIPMessage(startLine: .request(RequestLine(method: .ack, requestURI: line.requestURI)))
        ack.headers.append(via)
        ack.append(.maxForwards, "70")
        if let from = invite.field(.from) { ack.headers.append(from) }
        if let to = response.field(.to) { ack.headers.append(to) }
        if let callID = invite.field(.callID) { ack.headers.append(callID) }
        ack.append(.cseq, "\(cseq.sequence) ACK")
        ack.headers += invite.fields(.route)
        ack.append(.contentLength, "0")
        return ack
    }
}
