import Foundation
import SIPCore
import SIPEngine
import TrunkStore

/// `GET /v1/sip/test-call/status`'s document (guide Step 7), plus the media check; the CLI's `--json` prints it.
public struct TestCallReport: Codable, Hashable, Sendable {
    public struct Event: Codable, Hashable, Sendable {
        public var event: String
        public var at: Date
        public var detail: String

        public init(event: String, at: Date, detail: String) {
            self.event = event
            self.at = at
            self.detail = detail
        }
    }

    public struct Media: Codable, Hashable, Sendable {
        public var verdict: String
        public var summary: String
        public var codec: String?
        public var remote: String?
        public var packetsSent: Int
        public var packetsReceived: Int
        public var echoed: Bool
        public var lossPercent: Double
        public var jitterMs: Double
        public var dtmfSent: String?
        public var dtmfReceived: String?
        public var likelyCause: String?
        public var srtp: Bool
        public var rtcpSent: Int?
        public var rtcpReceived: Int?
        public var farEndLossPercent: Double?
        public var farEndJitterMs: Double?
        public var roundTripMs: Double?

        public init(_ report: MediaReport) {
            srtp = report.srtp
            rtcpSent = report.rtcpSent
            rtcpReceived = report.rtcpReceived
            farEndLossPercent = report.farEndLossPercent
            farEndJitterMs = report.farEndJitterMs
            roundTripMs = report.roundTripMs
            verdict = report.verdict.rawValue
            summary = report.summary
            codec = report.codec
            remote = report.remote
            packetsSent = report.packetsSent
            packetsReceived = report.packetsReceived
            echoed = report.echoed
            lossPercent = report.lossPercent
            jitterMs = report.jitterMs
            dtmfSent = report.dtmfSent
            dtmfReceived = report.dtmfReceived
            likelyCause = report.likelyCause
        }
    }

    public var callId: String
    public var phoneNumber: String
    public var status: String
    public var result: String
    public var sipCode: Int?
    public var durationSeconds: Double?
    /// Milliseconds from the first INVITE to the 2xx.
    public var setupMs: Double?
    public var timeline: [Event]
    public var media: Media?

    public init(
        callId: String, phoneNumber: String, status: String, result: String, sipCode: Int?, durationSeconds: Double?, setupMs: Double?,
        timeline: [Event], media: Media?
    ) {
        self.callId = callId
        self.phoneNumber = phoneNumber
        self.status = status
        self.result = result
        self.sipCode = sipCode
        self.durationSeconds = durationSeconds
        self.setupMs = setupMs
        self.timeline = timeline
        self.media = media
    }

    public init(call: SIPEngine.TestCall) {
        callId = call.callID
        phoneNumber = call.configuration.number
        status = call.status.rawValue
        result = call.result.rawValue
        sipCode = call.finalCode
        durationSeconds = call.durationSeconds.map { ($0 * 1000).rounded() / 1000 }
        setupMs = call.setupTime.map { ($0.inMilliseconds * 1000).rounded() / 1000 }
        timeline = call.timeline.map { Event(event: $0.event, at: Date(timeIntervalSince1970: $0.at), detail: $0.detail) }
        media = call.mediaReport.map(Media.init)
    }

    public init(inbound call: InboundTestCall) {
        callId = call.callID ?? "inbound-\(call.configuration.number)"
        phoneNumber = call.configuration.number
        status = call.status.rawValue
        result = call.result.rawValue
        sipCode = call.connectedAt == nil ? nil : 200
        durationSeconds = call.durationSeconds.map { ($0 * 1000).rounded() / 1000 }
        setupMs = nil
        timeline = call.timeline.map { Event(event: $0.event, at: Date(timeIntervalSince1970: $0.at), detail: $0.detail) }
        media = call.mediaReport.map(Media.init)
    }

    /// Connected with audio both ways: the only outcome the CLI reports as success.
    public var isGood: Bool { result == TestCallResult.connected.rawValue && media?.verdict == MediaReport.Verdict.bothWays.rawValue }
}

/// What a trace entry is, for storage.
public struct TracedMessage: Sendable {
    public var callID: String
    public var monotonicNs: Int64
    public var wallTime: Double
    public var sent: Bool
    public var transport: String
    public var local: String
    public var remote: String
    public var raw: [UInt8]

    public init(_ entry: TraceEntry) {
        callID = entry.callID ?? ""
        monotonicNs = entry.monotonic.components.seconds * 1_000_000_000 + entry.monotonic.components.attoseconds / 1_000_000_000
        wallTime = entry.wallTime
        sent = entry.direction == .sent
        transport = entry.remote.transport.rawValue
        local = entry.local.description
        remote = entry.remote.description
        raw = entry.raw
    }
}

extension SIPTrunkService {
    /// The guide's limit: 10 test calls per 15 minutes per organisation.
    public static let testCallLimit = 10
    public static let testCallWindow: TimeInterval = 15 * 60

    /// The rate limit's verdict without taking a slot: the API answers 429 before it starts a call job
    /// (`beginTestCall` checks again, atomically, when the call starts).
    public func checkTestCallAllowed() throws(TrunkError) {
        let now = self.now()
        try read { reader in
            _ = try requireEntitlement(reader)
            try Self.checkRate(try reader.testCalls(orgId: orgId, since: now.addingTimeInterval(-Self.testCallWindow)), now: now)
        }
    }

    static func checkRate(_ recent: [TrunkStore.TestCall], now: Date) throws {
        if recent.count >= Self.testCallLimit, let oldest = recent.first {
            let wait = Int((oldest.createdAt.addingTimeInterval(Self.testCallWindow).timeIntervalSince(now)).rounded(.up))
            throw TrunkError.rateLimited("\(Self.testCallLimit) test calls per 15 minutes have been made", retryAfterSeconds: max(1, wait))
        }
    }

    /// The digest credentials stored for the number's outbound direction (`options.sip_username`/`sip_password`),
    /// opened with the installation key; nil when none are stored.
    public func outboundCredentials(number text: String) throws(TrunkError) -> (username: String, password: String?)? {
        let number = try Self.number(text, field: "phone_number")
        let secret: [UInt8]?
        do {
            secret = try store.installationSecret(create: false)
        } catch {
            throw .store(error)
        }
        return try read { reader in
            _ = try requireEntitlement(reader)
            guard let config = try reader.configurations(number: number.value).first(where: { $0.direction == .outbound }),
                let authentication = try reader.authentication(configId: config.id), let username = authentication.outboundUsername
            else { return nil }
            let password = try authentication.outboundPassword.map { stored throws(TrunkError) in
                try SealedSecret.open(stored, secret: secret, configId: config.id)
            }
            return (username, password)
        }
    }

    /// Checks the entitlement and the rate limit, and records the call as queued (atomically, so two processes
    /// cannot both take the last slot).
    public func beginTestCall(callId: String, number: String, direction: String = "outbound") throws(TrunkError) {
        let now = self.now()
        try write { writer in
            _ = try requireEntitlement(writer.reader)
            try Self.checkRate(try writer.reader.testCalls(orgId: orgId, since: now.addingTimeInterval(-Self.testCallWindow)), now: now)
            try writer.save(TrunkStore.TestCall(
                callId: callId, orgId: orgId, number: number, direction: direction, status: TestCallStatus.queued.rawValue,
                result: TestCallResult.pending.rawValue, durationSeconds: nil, mediaReport: nil, createdAt: now))
        }
    }

    /// Stores the finished call: its status, timeline, media report and the full SIP trace of its Call-IDs.
    public func finishTestCall(_ report: TestCallReport, trace: [TracedMessage]) throws(TrunkError) {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        let media = report.media.flatMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        try write { writer in
            guard var call = try writer.reader.testCall(callId: report.callId) else {
                throw TrunkError.notFound("test call \(report.callId) was never started")
            }
            call.status = report.status
            call.result = report.result
            call.durationSeconds = report.durationSeconds
            call.mediaReport = media
            call.sipCallId = Self.invite(of: report, in: trace)?.callID ?? call.sipCallId
            try writer.save(call)
            for event in report.timeline {
                try writer.insert(TestCallEvent(callId: report.callId, event: event.event, at: event.at, detail: event.detail))
            }
            for message in trace where !message.callID.isEmpty {
                try writer.insert(TraceMessage(
                    sipCallId: message.callID, monotonicNs: message.monotonicNs, wallTime: Date(timeIntervalSince1970: message.wallTime),
                    direction: message.sent ? "sent" : "received", transport: message.transport, localAddress: message.local,
                    remoteAddress: message.remote, raw: Data(message.raw)))
            }
            // A test call is a call on the trunk: it goes into the call logs too (once, under its SIP Call-ID).
            if try writer.reader.callLog(callId: call.sipCallId ?? report.callId) == nil {
                try writer.insert(Self.callLog(of: report, call: call, trace: trace))
            }
        }
    }

    /// The call's INVITE in its trace (an inbound call's Call-ID is the caller's, not the record's).
    static func invite(of report: TestCallReport, in trace: [TracedMessage]) -> TracedMessage? {
        let invites = trace.filter { $0.raw.starts(with: Array("INVITE ".utf8)) }
        return invites.first { $0.callID == report.callId } ?? invites.first
    }

    /// The call-log line of a finished test call: the addresses from its INVITE as sent or received.
    static func callLog(of report: TestCallReport, call: TrunkStore.TestCall, trace: [TracedMessage]) -> CallLog {
        let invite = invite(of: report, in: trace)
        let message = invite.flatMap { try? SIPMessageParser().parse(datagram: $0.raw) }
        let status: String
        switch report.result {
        case TestCallResult.connected.rawValue: status = "completed"
        case TestCallResult.busy.rawValue: status = "busy"
        case TestCallResult.noAnswer.rawValue: status = "no-answer"
        default: status = "failed"
        }
        let source = invite.map { AddressText.host(of: $0.sent ? $0.local : $0.remote) }
        let ended = report.timeline.last?.at
        return CallLog(
            callId: call.sipCallId ?? report.callId, number: report.phoneNumber, direction: call.direction,
            fromUri: (try? message?.from)??.uri.description, toUri: (try? message?.to)??.uri.description,
            status: status, sipCode: report.sipCode, durationSeconds: report.durationSeconds, startedAt: call.createdAt,
            endedAt: ended, sourceIp: source)
    }

    /// A queued call that never started (its socket could not be opened): failed, with why in its timeline, so it
    /// does not stay queued.
    public func abandonTestCall(callId: String, reason: String) throws(TrunkError) {
        let now = self.now()
        try write { writer in
            guard var call = try writer.reader.testCall(callId: callId), call.status == TestCallStatus.queued.rawValue else { return }
            call.status = TestCallStatus.failed.rawValue
            call.result = TestCallResult.failed.rawValue
            try writer.save(call)
            try writer.insert(TestCallEvent(callId: callId, event: "failed", at: now, detail: reason))
        }
    }

    /// The stored call with its timeline (the API's status call).
    public func testCall(callId: String) throws(TrunkError) -> (call: TrunkStore.TestCall, timeline: [TestCallEvent], trace: [TraceMessage])? {
        try read { reader in
            _ = try requireEntitlement(reader)
            guard let call = try reader.testCall(callId: callId), call.orgId == orgId else { return nil }
            return (call, try reader.timeline(callId: callId), try reader.trace(sipCallId: call.sipCallId ?? callId))
        }
    }
}
