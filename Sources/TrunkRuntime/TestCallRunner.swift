import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import TrunkCore

/// One outbound test call from start to stored result, shared by `siptrunk test-call` and the wizard's Step 7:
/// the link opened first (so an unreachable PBX is explained before anything is recorded), the rate limit and the
/// queued record, the call with its live trace and counters, then the stored report and trace.
public struct TestCallRunner {
    public let service: SIPTrunkService
    public let prober: NetworkProber

    public init(service: SIPTrunkService, prober: NetworkProber) {
        self.service = service
        self.prober = prober
    }

    public struct Request {
        public var number: E164Number
        public var target: CallTarget
        public var username: String?
        public var password: String?
        public var mediaAddress: String?
        public var ringTimeout: Duration = .seconds(30)
        public var duration: Duration = .seconds(5)
        /// on, off, or auto (on over TLS).
        public var srtp = "auto"
        public var rtpPorts: ClosedRange<Int>?
        /// The SIP Call-ID (and the record's id); the API chooses it to answer before the call starts.
        public var callID: String?

        public init(number: E164Number, target: CallTarget) {
            self.number = number
            self.target = target
        }
    }

    /// Callbacks arrive on the prober's event loop.
    public struct Observer {
        public var message: (TraceEntry, Double) -> Void = { _, _ in }
        public var timeline: (TestCallTimelineEvent) -> Void = { _ in }
        public var media: (Int, Int) -> Void = { _, _ in }
        /// The call was refused for the trunk's credentials and failover moved the number's calls: a sentence.
        public var failover: (String) -> Void = { _ in }

        public init(
            message: @escaping (TraceEntry, Double) -> Void = { _, _ in }, timeline: @escaping (TestCallTimelineEvent) -> Void = { _ in },
            media: @escaping (Int, Int) -> Void = { _, _ in }
        ) {
            self.message = message
            self.timeline = timeline
            self.media = media
        }
    }

    /// Places the call; throws `RuntimeError` (or `TrunkError` from the use cases) when it cannot start.
    public func run(_ request: Request, observer: Observer) throws -> TestCallReport {
        let target = request.target
        if let media = request.mediaAddress, !IPAddress.isIPv4(media), !IPAddress.isIPv6(media) {
            throw RuntimeError.usage("--media-address '\(media)' is not an IP address: give one of this host's addresses")
        }
        let profile = try service.firewall(region: nil)
        let ports = request.rtpPorts ?? (profile.rtp.portMin...profile.rtp.portMax)
        let local: PeerAddress
        do {
            local = try prober.eventLoop.flatSubmit { prober.link.open(target.peer, serverName: target.domain).map { prober.link.localAddress(for: target.peer) } }.wait()
        } catch let error as TransportError {
            let failure = ProbeFailure.transport(error.failure, peer: target.peer)
            throw RuntimeError.refused("cannot reach \(target.peer): \(failure.kind.rawValue): \(failure.message) — \(failure.remedy)")
        }
        var generator = SystemRandomNumberGenerator()
        let callID = request.callID ?? (String(generator.next(), radix: 36) + String(generator.next(), radix: 36) + "@" + local.hostReference)
        // The trunk decides (issue 14: with "SRTP required" the test call offered plain RTP and passed).
        var srtp = request.srtp
        if srtp == "auto", (try? service.configuration(number: request.number.value))?.outbound?.options.secureMedia == true { srtp = "on" }
        var configuration = TestCallConfiguration(
            target: target.peer, domain: target.domain, number: request.number.value, username: request.username,
            password: request.password, mediaAddress: request.mediaAddress, ringTimeout: request.ringTimeout, duration: request.duration,
            offerSRTP: srtp == "on" || (srtp == "auto" && target.peer.transport == .tls))
        // The number's codec order (siptrunk config), when it has one; G.711 is added if missing for the tone.
        if let order = (try? service.advancedConfig(number: request.number.value, direction: "outbound"))?.codecConfig.codecs, !order.isEmpty {
            var codecs = order.compactMap { Self.codec(named: $0) }
            if !codecs.contains(where: { $0.name == "PCMU" || $0.name == "PCMA" }) { codecs.append(.pcmu) }
            configuration.codecs = codecs
        }
        configuration.callID = callID

        // The rate limit and the queued record come first: a refused call sends nothing.
        try service.beginTestCall(callId: callID, number: request.number.value)

        let start = Date()
        try prober.eventLoop.submit {
            prober.layer.trace.onRecord = { entry in
                guard entry.callID == callID else { return }
                observer.message(entry, Date().timeIntervalSince(start) * 1000)
            }
        }.wait()
        let counters = mediaCounters(observer) { prober.currentCall.flatMap { $0.status == .inProgress ? ($0.packetsSent, $0.packetsReceived) : nil } }
        defer { counters() }
        var delivered = 0
        let call: SIPEngine.TestCall
        do {
            call = try prober.testCall(configuration, mediaHost: request.mediaAddress ?? local.host, rtpPorts: ports) { call in
                while delivered < call.timeline.count {
                    observer.timeline(call.timeline[delivered])
                    delivered += 1
                }
            }.wait()
        } catch let error as TransportError {
            // The RTP port pair could not be bound: nothing was sent.
            let reason = "cannot start the call's media: \(Self.describe(error.failure))"
            try? service.abandonTestCall(callId: callID, reason: reason)
            throw RuntimeError.refused(reason)
        }
        try prober.eventLoop.submit { prober.layer.trace.onRecord = nil }.wait()
        let trace = prober.trace.filter { $0.callID == call.callID }
        let report = TestCallReport(call: call)
        do {
            try service.finishTestCall(report, trace: trace.map(TracedMessage.init))
        } catch {
            // The record never stays queued (it counts against the rate limit): failed, with why it could not be kept.
            try? service.abandonTestCall(callId: callID, reason: "the call ended (\(report.status)) but its result could not be stored: \(error)")
            throw error
        }
        // Refused for the trunk's credentials at its stored endpoint: failover's auth_failure trigger on a call.
        if let owner = target.owner, let role = target.role, let code = report.sipCode, code == 403 || ([401, 407].contains(code) && request.username != nil),
            let plan = try? service.callRefused(number: owner, role: role, code: code)
        {
            observer.failover("failed over: \(owner) calls now go to the \(plan.to.name) endpoint: \(plan.reason)")
        }
        return report
    }

    /// The advanced config's codec names as SDP codecs.
    static func codec(named name: String) -> Codec? {
        switch name.uppercased().replacingOccurrences(of: ".", with: "") {
        case "PCMU": .pcmu
        case "PCMA": .pcma
        case "G722": .g722
        case "G729": .g729
        case "OPUS": .opus
        default: nil
        }
    }

    /// A media socket failure in words (`RTPSocket` explains the address; a full range says how to widen it).
    public static func describe(_ failure: TransportFailure) -> String {
        guard case .other(let text) = failure else { return "\(failure)" }
        return text.hasPrefix("no free RTP port") ? text + " — widen --rtp-ports or free ports in the range" : text
    }

    /// The RTP counters, once a second while the call is up (`live` runs on the event loop); returns the stop.
    func mediaCounters(_ observer: Observer, _ live: @escaping () -> (sent: Int, received: Int)?) -> () -> Void {
        let task = prober.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            if let counts = live() { observer.media(counts.sent, counts.received) }
        }
        return { task.cancel() }
    }

    /// `HOST:PORT` to listen on (IPv6 in brackets), or why not.
    public static func listenAddress(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            throw RuntimeError.usage("listen on HOST:PORT, e.g. 0.0.0.0:5060 (not '\(text)')")
        }
        let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard IPAddress.isIPv4(host) || IPAddress.isIPv6(host) else { throw RuntimeError.usage("'\(host)' is not an IP address to listen on") }
        return (host, port)
    }

    public struct InboundRequest {
        public var number: E164Number
        public var listen: (host: String, port: Int)
        public var mediaAddress: String?
        public var wait: Duration = .seconds(60)
        public var duration: Duration = .seconds(5)
        public var rtpPorts: ClosedRange<Int>?

        public init(
            number: E164Number, listen: (host: String, port: Int), mediaAddress: String? = nil, wait: Duration = .seconds(60),
            duration: Duration = .seconds(5), rtpPorts: ClosedRange<Int>? = nil
        ) {
            self.number = number
            self.listen = listen
            self.mediaAddress = mediaAddress
            self.wait = wait
            self.duration = duration
            self.rtpPorts = rtpPorts
        }
    }

    /// Waits for the PBX to call `number` at `listen`, answers, checks the media and hangs up; the record is made
    /// first (rate limit), then stored with the trace under the caller's Call-ID. The observer sees the call's
    /// messages once its INVITE has arrived (OPTIONS and other calls to the socket are left out).
    public func runInbound(_ request: InboundRequest, observer: Observer) throws -> (report: TestCallReport, trace: [TraceEntry]) {
        let profile = try service.firewall(region: nil)
        let ports = request.rtpPorts ?? (profile.rtp.portMin...profile.rtp.portMax)
        let host = request.listen.host
        let media = request.mediaAddress ?? (host == "0.0.0.0" || host == "::" ? (profile.ipv4.first ?? "127.0.0.1") : host)
        let configuration = InboundTestCall.Configuration(
            number: request.number.value, duration: request.duration, waitTimeout: request.wait, mediaAddress: media)
        var generator = SystemRandomNumberGenerator()
        let recordID = "inbound-" + String(generator.next(), radix: 36)
        try service.beginTestCall(callId: recordID, number: request.number.value, direction: "inbound")

        let start = Date()
        // `@unchecked Sendable`: read and written only in the trace callback, which runs on the prober's event loop.
        final class Caller: @unchecked Sendable { var callID: String? }
        let caller = Caller()
        try prober.eventLoop.submit {
            prober.layer.trace.onRecord = { entry in
                if caller.callID == nil, entry.direction == .received, entry.raw.starts(with: Array("INVITE ".utf8)) { caller.callID = entry.callID }
                guard let id = caller.callID, entry.callID == id else { return }
                observer.message(entry, Date().timeIntervalSince(start) * 1000)
            }
        }.wait()
        let counters = mediaCounters(observer) {
            prober.currentInboundCall.flatMap { $0.status == .inProgress ? ($0.packetsSent, $0.packetsReceived) : nil }
        }
        defer { counters() }
        var delivered = 0
        let call: InboundTestCall
        do {
            call = try prober.inboundTestCall(configuration, listen: request.listen, rtpPorts: ports) { call in
                while delivered < call.timeline.count {
                    observer.timeline(call.timeline[delivered])
                    delivered += 1
                }
            }.wait()
        } catch let error as TransportError {
            let failure = ProbeFailure.transport(error.failure, peer: PeerAddress(host: host, port: request.listen.port, transport: .udp))
            let reason = "cannot listen on \(host):\(request.listen.port): \(failure.message)"
            try? service.abandonTestCall(callId: recordID, reason: reason)
            throw RuntimeError.refused(reason)
        }
        try prober.eventLoop.submit { prober.layer.trace.onRecord = nil }.wait()
        var report = TestCallReport(inbound: call)
        report.callId = recordID
        let trace = prober.trace.filter { $0.callID == call.callID }
        try service.finishTestCall(report, trace: trace.map(TracedMessage.init))
        return (report, trace)
    }
}
