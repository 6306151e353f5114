/// Timer values of RFC 3261 §17 (Table 4), configurable for tests and for peers that need other values.
public struct TransactionTimers: Sendable, Hashable {
    /// RTT estimate; 500 ms by default.
    public var t1: Duration
    /// Longest retransmit interval for non-INVITE requests; 4 s by default.
    public var t2: Duration
    /// Longest time a message stays in the network; 5 s by default.
    public var t4: Duration

    public init(t1: Duration = .milliseconds(500), t2: Duration = .seconds(4), t4: Duration = .seconds(5)) {
        self.t1 = t1
        self.t2 = t2
        self.t4 = t4
    }

    /// Timer B and Timer F: 64·T1 (32 s by default).
    public var transactionTimeout: Duration { t1 * 64 }
    /// Timer D: at least 32 s over unreliable transports, zero over reliable ones.
    public func timerD(reliable: Bool) -> Duration { reliable ? .zero : max(.seconds(32), t1 * 64) }
    /// Timer K: T4 over unreliable transports, zero over reliable ones.
    public func timerK(reliable: Bool) -> Duration { reliable ? .zero : t4 }
}

/// The client transaction timers of RFC 3261 §17.1.
public enum TransactionTimer: String, Sendable, Hashable, CaseIterable {
    /// INVITE retransmission (§17.1.1.2).
    case a = "A"
    /// INVITE transaction timeout.
    case b = "B"
    /// Wait time for response retransmissions after a non-2xx final response to INVITE.
    case d = "D"
    /// Non-INVITE retransmission (§17.1.2.2).
    case e = "E"
    /// Non-INVITE transaction timeout.
    case f = "F"
    /// Wait time for response retransmissions after a final response to a non-INVITE request.
    case k = "K"
}

/// What a client transaction asks its driver to do. The driver owns sockets and clocks; the state machine
/// owns the rules.
public enum TransactionAction: Sendable, Hashable {
    /// Send the request (the first time, or again).
    case sendRequest
    /// Send an ACK for the non-2xx final response just received (§17.1.1.3).
    case sendACK
    case startTimer(TransactionTimer, after: Duration)
    case cancelTimer(TransactionTimer)
    /// Pass this response up to the transaction user.
    case deliverResponse(statusCode: Int)
    /// Tell the transaction user that no final response came in time (Timer B or F).
    case reportTimeout(TransactionTimer)
    /// Tell the transaction user the transport failed (§17.1.4).
    case reportTransportError
    /// The transaction is over; the driver forgets it.
    case terminate
}

/// The INVITE client transaction of RFC 3261 §17.1.1 (Figure 5).
public struct InviteClientTransaction: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        case calling, proceeding, completed, terminated
    }

    public private(set) var state: State = .calling
    public let reliable: Bool
    public let timers: TransactionTimers
    private var timerAInterval: Duration

    public init(reliable: Bool, timers: TransactionTimers = TransactionTimers()) {
        self.reliable = reliable
        self.timers = timers
        self.timerAInterval = timers.t1
    }

    /// §17.1.1.2: send the INVITE; Timer A over unreliable transports, Timer B always.
    public mutating func start() -> [TransactionAction] {
        // One array literal each (appending to `[.sendRequest]` grew the array twice).
        reliable
            ? [.sendRequest, .startTimer(.b, after: timers.transactionTimeout)]
            : [.sendRequest, .startTimer(.a, after: timerAInterval), .startTimer(.b, after: timers.transactionTimeout)]
    }

    public mutating func receiveResponse(statusCode: Int) -> [TransactionAction] {
        switch (state, statusCode) {
        case (.calling, 100...199):
            state = .proceeding
            return [.cancelTimer(.a), .cancelTimer(.b), .deliverResponse(statusCode: statusCode)]
        case (.proceeding, 100...199):
            return [.deliverResponse(statusCode: statusCode)]
        case (.calling, 200...299), (.proceeding, 200...299):
            // §17.1.1.2: a 2xx ends the transaction; the transaction user sends the ACK.
            state = .terminated
            return [.cancelTimer(.a), .cancelTimer(.b), .deliverResponse(statusCode: statusCode), .terminate]
        case (.calling, 300...699), (.proceeding, 300...699):
            state = .completed
            let timerD = timers.timerD(reliable: reliable)
            var actions: [TransactionAction] = [.cancelTimer(.a), .cancelTimer(.b), .sendACK, .deliverResponse(statusCode: statusCode)]
            if timerD == .zero {
                state = .terminated
                actions.append(.terminate)
            } else {
                actions.append(.startTimer(.d, after: timerD))
            }
            return actions
        case (.completed, 300...699):
            // A retransmitted final response: ACK it again, do not bother the transaction user.
            return [.sendACK]
        default:
            return []
        }
    }

    public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
        switch (state, timer) {
        case (.calling, .a):
            // §17.1.1.2: the interval doubles each time (no T2 cap for INVITE).
            timerAInterval = timerAInterval * 2
            return [.sendRequest, .startTimer(.a, after: timerAInterval)]
        case (.calling, .b):
            state = .terminated
            return [.cancelTimer(.a), .reportTimeout(.b), .terminate]
        case (.completed, .d):
            state = .terminated
            return [.terminate]
        default:
            return []
        }
    }

    public mutating func transportFailed() -> [TransactionAction] {
        guard state == .calling || state == .completed else { return [] }
        let reportable = state == .calling
        state = .terminated
        return [.cancelTimer(.a), .cancelTimer(.b), .cancelTimer(.d)] + (reportable ? [.reportTransportError] : []) + [.terminate]
    }
}

/// The non-INVITE client transaction of RFC 3261 §17.1.2 (Figure 6): OPTIONS, REGISTER, BYE, CANCEL.
public struct NonInviteClientTransaction: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        case trying, proceeding, completed, terminated
    }

    public private(set) var state: State = .trying
    public let reliable: Bool
    public let timers: TransactionTimers
    private var timerEInterval: Duration

    public init(reliable: Bool, timers: TransactionTimers = TransactionTimers()) {
        self.reliable = reliable
        self.timers = timers
        self.timerEInterval = timers.t1
    }

    /// §17.1.2.2: send the request; Timer E over unreliable transports, Timer F always.
    public mutating func start() -> [TransactionAction] {
        // One array literal each (appending to `[.sendRequest]` grew the array twice).
        reliable
            ? [.sendRequest, .startTimer(.f, after: timers.transactionTimeout)]
            : [.sendRequest, .startTimer(.e, after: timerEInterval), .startTimer(.f, after: timers.transactionTimeout)]
    }

    public mutating func receiveResponse(statusCode: Int) -> [TransactionAction] {
        switch (state, statusCode) {
        case (.trying, 100...199):
            state = .proceeding
            return [.deliverResponse(statusCode: statusCode)]
        case (.proceeding, 100...199):
            return [.deliverResponse(statusCode: statusCode)]
        case (.trying, 200...699), (.proceeding, 200...699):
            state = .completed
            let timerK = timers.timerK(reliable: reliable)
            var actions: [TransactionAction] = [.cancelTimer(.e), .cancelTimer(.f), .deliverResponse(statusCode: statusCode)]
            if timerK == .zero {
                state = .terminated
                actions.append(.terminate)
            } else {
                actions.append(.startTimer(.k, after: timerK))
            }
            return actions
        default:
            // In Completed, retransmitted responses are absorbed.
            return []
        }
    }

    public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
        switch (state, timer) {
        case (.trying, .e):
            // §17.1.2.2: double up to T2.
            timerEInterval = min(timerEInterval * 2, timers.t2)
            return [.sendRequest, .startTimer(.e, after: timerEInterval)]
        case (.proceeding, .e):
            // In Proceeding, retransmit every T2.
            timerEInterval = timers.t2
            return [.sendRequest, .startTimer(.e, after: timerEInterval)]
        case (.trying, .f), (.proceeding, .f):
            state = .terminated
            return [.cancelTimer(.e), .reportTimeout(.f), .terminate]
        case (.completed, .k):
            state = .terminated
            return [.terminate]
        default:
            return []
        }
    }

    public mutating func transportFailed() -> [TransactionAction] {
        guard state == .trying || state == .proceeding else { return [] }
        state = .terminated
        return [.cancelTimer(.e), .cancelTimer(.f), .reportTransportError, .terminate]
    }
}

/// What identifies a client transaction (RFC 3261 §17.1.3): the top Via branch and the CSeq method.
public struct ClientTransactionKey: Sendable, Hashable, CustomStringConvertible {
    public var branch: String
    public var method: SIPMethod

    public init(branch: String, method: SIPMethod) {
        self.branch = branch
        self.method = method
    }

    /// The key of a response, or nil when it lacks a top Via branch or a CSeq (such responses match nothing).
    public init?(response: SIPMessage) {
        guard !response.isRequest, let via = try? response.topVia, let branch = via.branch,
            let cseq = try? response.cseq
        else { return nil }
        self.init(branch: branch, method: cseq.method)
    }

    public var description: String { "\(branch)/\(method)" }

    /// Hashes the branch's length and last eight bytes with the method's length: branches end in random
    /// characters (ours in 19 of them), so this spreads keys as well as hashing every byte, at a fraction of the
    /// cost (a probe flood looks keys up several times per probe). Equality still compares everything.
    public func hash(into hasher: inout Hasher) {
        let utf8 = branch.utf8
        // Straight from the string's bytes (a branch is always stored contiguously); a generic walk of the view
        // cost as much as the dictionary operation itself.
        let tail = utf8.withContiguousStorageIfAvailable { Self.tail($0) } ?? Self.tail(Array(utf8))
        hasher.combine(tail)
        hasher.combine(utf8.count &* 64 &+ method.rawValue.utf8.count)
    }

    /// The last eight bytes (fewer for a shorter branch) as one number.
    @inline(__always)
    static func tail(_ bytes: some RandomAccessCollection<UInt8>) -> UInt64 {
        var tail: UInt64 = 0
        for byte in bytes.suffix(8) { tail = tail << 8 | UInt64(byte) }
        return tail
    }

    /// A new branch: the RFC 3261 magic cookie and 96 random bits (§8.1.1.7).
    public static func newBranch<Generator: RandomNumberGenerator>(using generator: inout Generator) -> String {
        // Written straight into the string's storage: a probe flood makes one branch per probe. Each 64-bit
        // random number gives ten base-36 digits (36^10 < 2^64 / 2^12, so they are all but uniform).
        String(unsafeUninitializedCapacity: 26) { buffer in
            // "z9hG4bK", byte by byte (enumerating the literal's UTF-8 view cost more than the rest).
            (buffer[0], buffer[1], buffer[2], buffer[3], buffer[4], buffer[5], buffer[6]) = (0x7A, 0x39, 0x68, 0x47, 0x34, 0x62, 0x4B)
            var random = generator.next()
            for index in 7..<26 {
                if index == 17 { random = generator.next() }
                let digit = UInt8(truncatingIfNeeded: random % 36)
                random /= 36
                buffer[index] = digit < 10 ? 0x30 + digit : 0x61 + digit - 10
            }
            return 26
        }
    }
}
