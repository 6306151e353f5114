import Foundation
import SIPCore
import TrunkStore

/// One SIP message seen on the wire (HEP, pcap, live capture): when, between which addresses, the raw bytes.
public struct CapturedMessage: Sendable, Hashable {
    public var time: Date
    public var source: String
    public var sourcePort: Int
    public var destination: String
    public var destinationPort: Int
    /// `udp`, `tcp`, `tls` (HEP says which), `sctp`.
    public var transport: String
    public var raw: [UInt8]

    public init(time: Date, source: String, sourcePort: Int, destination: String, destinationPort: Int, transport: String, raw: [UInt8]) {
        self.time = time
        self.source = source
        self.sourcePort = sourcePort
        self.destination = destination
        self.destinationPort = destinationPort
        self.transport = transport
        self.raw = raw
    }

    var sourceText: String { "\(IPAddress.reference(source)):\(sourcePort)" }
    var destinationText: String { "\(IPAddress.reference(destination)):\(destinationPort)" }
}

/// Which numbers the trunks carry, by direction: how a captured call finds its trunk (issue 16).
public struct NumberDirectory: Sendable, Hashable {
    public var inbound: Set<String>
    public var outbound: Set<String>

    public init(inbound: Set<String> = [], outbound: Set<String> = []) {
        self.inbound = inbound
        self.outbound = outbound
    }

    /// The call's direction and the trunk number it belongs to, or nil when it matches no trunk. The callee is an
    /// inbound number (a call to us), else the caller an outbound one (a call through the trunk); a number attached
    /// in the other direction only still claims the call.
    public func classify(caller: String?, callee: String?) -> (direction: String, number: String)? {
        if let callee, inbound.contains(callee) { return ("inbound", callee) }
        if let caller, outbound.contains(caller) { return ("outbound", caller) }
        if let callee, outbound.contains(callee) { return ("inbound", callee) }
        if let caller, inbound.contains(caller) { return ("outbound", caller) }
        return nil
    }

    /// `+14155550100` from a URI's user part (`+14155550100`, `14155550100`, `tel:+1-415-555-0100`), nil when it holds
    /// no number.
    public static func number(in uri: AnyURI?) -> String? {
        let user: String?
        switch uri {
        case .sip(let sip): user = sip.user
        case .tel(let tel): user = tel.number
        default: user = nil
        }
        guard let user else { return nil }
        let digits = user.unicodeScalars.filter { ("0"..."9").contains($0) }
        guard digits.count >= 6, digits.count <= 15 else { return nil }
        return "+" + String(String.UnicodeScalarView(digits))
    }
}

/// Turns captured SIP messages into the store's traces and call logs: messages grouped by Call-ID into dialogs, one
/// call per INVITE dialog (re-INVITEs, forked answers and retransmissions make no extra call), its status from the
/// final answer — answered then ended by BYE (`completed`, the duration from 200 to BYE), busy, cancelled, no answer,
/// failed. Pure and synchronous: the ingestion loop feeds batches and writes what comes out.
public struct CallAssembler: Sendable {
    /// A call still open (its final answer or BYE not seen yet).
    struct OpenCall: Sendable {
        var log: CallLog
        var callerAddress: String
        var inviteSequence: UInt32
        var answeredAt: Date?
        var cancelled = false
    }

    public var directory: NumberDirectory
    /// Calls open at once, at most (a flood of INVITEs that never end cannot grow memory without bound: the oldest
    /// is closed as failed).
    public var maximumOpenCalls = 100_000
    /// The status an open call gets when it is evicted or the capture ends.
    private var open: [String: OpenCall] = [:]
    private var openOrder: [String] = []
    private var orderStart = 0
    /// Call-IDs that ended recently: their late messages (ACK, BYE retransmission, 200 to BYE) join their trace,
    /// and make no new call.
    /// Ended calls by Call-ID, with their caller's address (so late messages keep the ladder's columns).
    private var ended: [String: String] = [:]
    private var endedOrder: [String] = []

    public init(directory: NumberDirectory) {
        self.directory = directory
    }

    public var openCallCount: Int { open.count }
    /// Calls started since the assembler was made.
    public private(set) var callsStarted = 0

    /// What a batch gives the store.
    public struct Output: Sendable {
        public var traces: [TraceMessage] = []
        /// Calls created or changed (upserted by Call-ID).
        public var calls: [CallLog] = []
        /// Messages that were not SIP, with why.
        public var skipped: [String] = []

        public init(traces: [TraceMessage] = [], calls: [CallLog] = [], skipped: [String] = []) {
            self.traces = traces
            self.calls = calls
            self.skipped = skipped
        }
    }

    public mutating func ingest(_ batch: [CapturedMessage]) -> Output {
        var output = Output()
        var changed: [String: CallLog] = [:]
        var changedOrder: [String] = []
        let parser = SIPMessageParser()
        for captured in batch {
            let message: SIPMessage
            do {
                message = try parser.parse(datagram: captured.raw)
            } catch {
                output.skipped.append("not SIP: \(error.description.prefix(120))")
                continue
            }
            guard let callID = message.callID, !callID.isEmpty else {
                output.skipped.append("SIP without a Call-ID")
                continue
            }
            let cseq = try? message.cseq
            var call = open[callID]
            var isNew = false
            if call == nil, ended[callID] == nil, message.method == .invite, ((try? message.to) ?? nil)?.tag == nil {
                call = startCall(message, captured, callID: callID, cseq: cseq?.sequence ?? 0)
                openOrder.append(callID)
                isNew = true
                callsStarted += 1
            }
            // The trace: sent is from the caller's side, received from the callee's (the ladder's two columns).
            let callerAddress = call?.callerAddress ?? ended[callID]
            let fromCaller = callerAddress.map { captured.sourceText == $0 } ?? true
            output.traces.append(TraceMessage(
                sipCallId: callID, monotonicNs: Int64(captured.time.timeIntervalSince1970 * 1_000_000_000), wallTime: captured.time,
                direction: fromCaller ? "sent" : "received", transport: captured.transport,
                localAddress: fromCaller ? captured.sourceText : captured.destinationText,
                remoteAddress: fromCaller ? captured.destinationText : captured.sourceText, raw: Data(captured.raw)))
            guard var current = call else { continue }
            let before = current.log
            let finished = advance(&current, message, cseq: cseq, at: captured.time)
            if finished {
                open[callID] = nil
                remember(ended: callID, caller: current.callerAddress)
            } else {
                open[callID] = current
            }
            if isNew || current.log != before {
                if changed[callID] == nil { changedOrder.append(callID) }
                changed[callID] = current.log
            }
        }
        evictIfNeeded(into: &changed, order: &changedOrder)
        output.calls = changedOrder.compactMap { changed[$0] }
        return output
    }

    /// Closes every open call as it stands (the capture stopped): answered calls end where their last message was.
    public mutating func closeAll() -> [CallLog] {
        let calls = open.values.map { call -> CallLog in
            var log = call.log
            if log.status == "in-progress" { log.status = "completed" }
            return log
        }
        open.removeAll()
        openOrder.removeAll()
        orderStart = 0
        return calls
    }

    private func startCall(_ message: SIPMessage, _ captured: CapturedMessage, callID: String, cseq: UInt32) -> OpenCall {
        let from = (try? message.from) ?? nil
        let to = (try? message.to) ?? nil
        let requestURI = message.requestLine.flatMap { try? AnyURI(parsing: $0.requestURI) }
        let callee = NumberDirectory.number(in: requestURI) ?? NumberDirectory.number(in: to?.uri)
        let caller = NumberDirectory.number(in: from?.uri)
        let match = directory.classify(caller: caller, callee: callee)
        let log = CallLog(
            callId: callID, number: match?.number ?? CallLog.unmatchedNumber, direction: match?.direction ?? "unknown",
            fromUri: from?.uri.description, toUri: to?.uri.description, status: "initiated", sipCode: nil, durationSeconds: nil,
            startedAt: captured.time, endedAt: nil, sourceIp: captured.source)
        return OpenCall(log: log, callerAddress: captured.sourceText, inviteSequence: cseq)
    }

    /// Moves the call on by one message; true when it has ended.
    private func advance(_ call: inout OpenCall, _ message: SIPMessage, cseq: CSeq?, at time: Date) -> Bool {
        if let method = message.method {
            switch method {
            case .cancel:
                call.cancelled = true
            case .bye where call.answeredAt != nil:
                call.log.status = "completed"
                call.log.endedAt = time
                call.log.durationSeconds = Self.seconds(from: call.answeredAt, to: time)
                return true
            case .bye:
                // A BYE before any answer (an early dialog torn down): the call ends unanswered.
                call.log.status = "canceled"
                call.log.endedAt = time
                return true
            default:
                break
            }
            return false
        }
        guard let status = message.statusLine, let cseq, cseq.method == .invite, cseq.sequence == call.inviteSequence else { return false }
        switch status.code {
        case 100..<200:
            if status.code >= 180, call.answeredAt == nil { call.log.status = "ringing" }
            return false
        case 200..<300:
            // The first 2xx answers the call; another (a fork, a retransmission) changes nothing.
            guard call.answeredAt == nil else { return false }
            call.answeredAt = time
            call.log.status = "in-progress"
            call.log.sipCode = status.code
            call.log.setupMs = ((time.timeIntervalSince(call.log.startedAt) * 1000) * 1000).rounded() / 1000
            return false
        default:
            guard call.answeredAt == nil else { return false }
            call.log.sipCode = status.code
            call.log.endedAt = time
            call.log.status = Self.status(forFinal: status.code, cancelled: call.cancelled)
            return true
        }
    }

    /// The API's call status for a final non-2xx answer.
    public static func status(forFinal code: Int, cancelled: Bool) -> String {
        switch code {
        case 487: return "canceled"
        case 486, 600, 603: return "busy"
        case 408, 480: return cancelled ? "canceled" : "no-answer"
        default: return cancelled ? "canceled" : "failed"
        }
    }

    static func seconds(from start: Date?, to end: Date) -> Double? {
        guard let start else { return nil }
        return (end.timeIntervalSince(start) * 1000).rounded() / 1000
    }

    private mutating func remember(ended callID: String, caller: String) {
        ended[callID] = caller
        endedOrder.append(callID)
        if endedOrder.count > 2 * maximumOpenCalls {
            let drop = endedOrder.prefix(maximumOpenCalls)
            for id in drop { ended[id] = nil }
            endedOrder.removeFirst(maximumOpenCalls)
        }
    }

    /// Closes the oldest open calls beyond the limit as failed ("never ended while captured").
    private mutating func evictIfNeeded(into changed: inout [String: CallLog], order: inout [String]) {
        while open.count > maximumOpenCalls, orderStart < openOrder.count {
            let id = openOrder[orderStart]
            orderStart += 1
            guard var call = open.removeValue(forKey: id) else { continue }
            if call.log.status != "in-progress" { call.log.status = "failed" }
            if changed[id] == nil { order.append(id) }
            changed[id] = call.log
            remember(ended: id, caller: call.callerAddress)
        }
        if orderStart > 4096, orderStart * 2 > openOrder.count {
            openOrder = openOrder[orderStart...].filter { open[$0] != nil }
            orderStart = 0
        }
    }
}
