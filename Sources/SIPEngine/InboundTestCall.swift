import SIPCore

/// The inbound test call (guide Step 7, inbound direction): wait for the PBX to call a chosen number, answer
/// it, check media both ways, hang up, and report like an outbound call.
public final class InboundTestCall {
    public struct Configuration: Sendable {
        /// The number the PBX must call (digits compared, a leading + ignored).
        public var number: String
        public var duration: Duration
        /// How long to wait for the INVITE.
        public var waitTimeout: Duration
        public var codecs: [Codec]
        /// Our address for SDP `c=`.
        public var mediaAddress: String
        public var dtmf: Character?

        public init(number: String, duration: Duration = .seconds(5), waitTimeout: Duration = .seconds(60), codecs: [Codec] = [.pcmu, .pcma], mediaAddress: String, dtmf: Character? = "5") {
            self.number = number
            self.duration = duration
            self.waitTimeout = waitTimeout
            self.codecs = codecs
            self.mediaAddress = mediaAddress
            self.dtmf = dtmf
        }
    }

    public let configuration: Configuration
    let layer: TransactionLayer
    let media: MediaSession
    public private(set) var status: TestCallStatus = .queued
    public private(set) var result: TestCallResult = .pending
    public private(set) var timeline: [TestCallTimelineEvent] = []
    public private(set) var callID: String?
    public private(set) var caller: PeerAddress?
    public private(set) var mediaReport: MediaReport?
    public private(set) var connectedAt: Duration?
    public private(set) var endedAt: Duration?
    public var onChange: (() -> Void)?

    private var invite: SIPMessage?
    private var lastResponse: SIPMessage?
    private var toTag: String
    private var waitTimer: EngineTimer?
    private var retransmitTimer: EngineTimer?
    private var hangupTimer: EngineTimer?
    private var acked = false
    private var generator: SeededGenerator
    private var srtpKey: [UInt8]
    private var remoteAddress: String?

    public init<Generator: RandomNumberGenerator>(configuration: Configuration, layer: TransactionLayer, mediaLink: MediaLink, using generator: inout Generator) {
        self.configuration = configuration
        self.layer = layer
        self.generator = SeededGenerator(seed: generator.next())
        media = MediaSession(clock: layer.clock, link: mediaLink, using: &generator)
        toTag = String(generator.next() % 0xFFFF_FFFF, radix: 16)
        srtpKey = (0..<30).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }

    /// Live RTP counters while the call is up.
    public var packetsSent: Int { media.packetsSent }
    public var packetsReceived: Int { media.statistics.packets }

    public var durationSeconds: Double? {
        guard let connectedAt else { return nil }
        let elapsed = (endedAt ?? layer.clock.now) - connectedAt
        return elapsed.inSeconds
    }

    private func note(_ event: String, _ detail: String) {
        timeline.append(TestCallTimelineEvent(event: event, at: layer.clock.wallTime, detail: detail))
        onChange?()
    }

    private func finish(_ status: TestCallStatus, _ result: TestCallResult, _ event: String, _ detail: String) {
        guard !self.status.isFinal else { return }
        waitTimer?.cancel()
        retransmitTimer?.cancel()
        hangupTimer?.cancel()
        media.stop()
        endedAt = layer.clock.now
        if mediaReport == nil, connectedAt != nil {
            mediaReport = media.report(sdpAddress: remoteAddress, signallingAddress: caller?.host, natSeen: false)
        }
        self.result = result
        note(event, detail)
        self.status = status
        onChange?()
    }

    /// Starts waiting for the INVITE.
    public func start() {
        note("waiting", "waiting \(TestCall.seconds(configuration.waitTimeout)) s for a call to \(configuration.number)")
        layer.onRequest = { [weak self] request, peer in self?.received(request, from: peer) }
        waitTimer = layer.clock.schedule(after: configuration.waitTimeout) { [weak self] in
            guard let self, self.invite == nil else { return }
            self.finish(.noAnswer, .noAnswer, "no-call", "no INVITE for \(self.configuration.number) arrived within \(TestCall.seconds(self.configuration.waitTimeout)) s: check the PBX's outbound route to this deployment (siptrunk outbound-setup)")
        }
    }

    static func digits(_ text: String) -> String { String(text.filter(\.isNumber)) }

    private func received(_ request: SIPMessage, from peer: PeerAddress) {
        switch request.method {
        case .invite:
            if let invite, invite.callID == request.callID {
                // A retransmitted INVITE: repeat what we last said.
                if let lastResponse { layer.sendOutsideTransaction(lastResponse, to: peer) }
                return
            }
            guard invite == nil, !status.isFinal else {
                respond(request, 486, "Busy Here", to: peer)
                return
            }
            let user = request.requestLine.flatMap { try? SIPURI(parsing: $0.requestURI) }?.user ?? ""
            guard Self.digits(user) == Self.digits(configuration.number) else {
                respond(request, 404, "Not Found", to: peer)
                note("rejected", "an INVITE for \(user) from \(peer), not \(configuration.number): 404")
                return
            }
            answer(request, from: peer)
        case .ack:
            guard request.callID == callID, !acked else { return }
            acked = true
            retransmitTimer?.cancel()
            note("acknowledged", "ACK from \(peer)")
            hangupTimer = layer.clock.schedule(after: configuration.duration) { [weak self] in self?.hangUp() }
        case .bye:
            respond(request, 200, "OK", to: peer)
            if request.callID == callID, status == .inProgress {
                finish(.completed, .connected, "completed", "the caller hung up (BYE)")
            }
        case .cancel:
            respond(request, 200, "OK", to: peer)
            if request.callID == callID, let invite, !acked {
                respond(invite, 487, "Request Terminated", to: peer)
                finish(.failed, .failed, "cancelled", "the caller cancelled before the answer")
            }
        default:
            respond(request, 200, "OK", to: peer)
        }
    }

    private func answer(_ request: SIPMessage, from peer: PeerAddress) {
        invite = request
        callID = request.callID
        caller = peer
        waitTimer?.cancel()
        status = .initiated
        note("invited", "INVITE from \(peer) for \(configuration.number)")
        respond(request, 100, "Trying", to: peer)
        respond(request, 180, "Ringing", to: peer)
        status = .ringing
        guard request.mediaType == "application/sdp", let offer = try? SessionDescription(bytes: request.body),
            let audio = offer.media.first(where: { $0.media == "audio" && $0.port != 0 })
        else {
            respond(request, 488, "Not Acceptable Here", to: peer)
            finish(.failed, .failed, "failed", "the INVITE carries no audio offer: 488")
            return
        }
        let offered = audio.codecs
        guard let codec = offered.first(where: { answer in configuration.codecs.contains { $0.name.uppercased() == answer.name.uppercased() } }) else {
            respond(request, 488, "Not Acceptable Here", to: peer)
            finish(.failed, .failed, "failed", "no codec in common: the PBX offered \(offered.map(\.name).joined(separator: ", "))")
            return
        }
        let events = offered.first { $0.name.lowercased() == "telephone-event" }
        var srtp = false
        if audio.proto.uppercased() == "RTP/SAVP", let crypto = audio.cryptos.first(where: { $0.suite.uppercased() == "AES_CM_128_HMAC_SHA1_80" }), let key = crypto.keys.first?.keySalt {
            do {
                try media.link.enableSRTP(sendKey: srtpKey, receiveKey: key)
                srtp = true
            } catch {
                note("media", "cannot start SRTP: \(error)")
            }
        }
        let address = audio.connection?.address ?? offer.connection?.address ?? peer.host
        remoteAddress = address
        var response = makeResponse(request, 200, "OK", peer: peer)
        let sdp = answerSDP(codec: codec, events: events, srtp: srtp, cryptoTag: audio.cryptos.first?.tag ?? 1).bytes
        response.append(.contentType, "application/sdp")
        response.body = sdp
        response.append(.contentLength, "\(sdp.count)")
        lastResponse = response
        layer.sendOutsideTransaction(response, to: peer)
        connectedAt = layer.clock.now
        status = .inProgress
        note("answered", "200 OK: \(codec.name)\(srtp ? " over SRTP" : "") to \(address):\(audio.port)")
        media.start(to: address, port: audio.port, rtcpPort: audio.rtcpPort, codec: codec, eventPayloadType: events?.payloadType, dtmf: configuration.dtmf)
        retransmit(after: .milliseconds(500), to: peer, total: .zero)
    }

    /// RFC 3261 §13.3.1.4: the 2xx is retransmitted (T1, doubling to T2) until the ACK arrives, for 64·T1.
    private func retransmit(after interval: Duration, to peer: PeerAddress, total: Duration) {
        retransmitTimer = layer.clock.schedule(after: interval) { [weak self] in
            guard let self, !self.acked, !self.status.isFinal, let response = self.lastResponse else { return }
            let elapsed = total + interval
            if elapsed >= .seconds(32) {
                self.finish(.failed, .failed, "failed", "no ACK for our 200 OK within 32 s: the PBX does not reach our Contact (NAT or firewall)")
                return
            }
            self.layer.sendOutsideTransaction(response, to: peer)
            self.retransmit(after: min(interval * 2, .seconds(4)), to: peer, total: elapsed)
        }
    }

    private func answerSDP(codec: Codec, events: Codec?, srtp: Bool, cryptoTag: UInt32) -> SessionDescription {
        var formats = [String(codec.payloadType)]
        var attributes = [SessionDescription.Attribute("rtpmap", "\(codec.payloadType) \(codec.name)/\(codec.clockRate)")]
        if let events {
            formats.append(String(events.payloadType))
            attributes.append(.init("rtpmap", "\(events.payloadType) telephone-event/8000"))
            attributes.append(.init("fmtp", "\(events.payloadType) 0-16"))
        }
        attributes.append(.init("ptime", "20"))
        if srtp {
            attributes.append(.init("crypto", CryptoAttribute(tag: cryptoTag, suite: "AES_CM_128_HMAC_SHA1_80", keys: [.init(keySalt: srtpKey)]).description))
        }
        attributes.append(.init("sendrecv"))
        let local = configuration.mediaAddress
        let audio = MediaDescription(media: "audio", port: media.link.localPort, proto: srtp ? "RTP/SAVP" : "RTP/AVP", formats: formats, attributes: attributes)
        return SessionDescription(
            origin: .init(sessionID: String(media.ssrc), sessionVersion: "1", addressType: local.contains(":") ? "IP6" : "IP4", address: local),
            sessionName: "siptrunk test call", connection: .init(address: local), media: [audio])
    }

    private func makeResponse(_ request: SIPMessage, _ code: Int, _ reason: String, peer: PeerAddress) -> SIPMessage {
        var response = SIPMessage(startLine: .response(StatusLine(code: code, reason: reason)))
        for field in request.fields(.via) { response.headers.append(field) }
        if let from = request.field(.from) { response.headers.append(from) }
        if let to = request.field(.to) {
            let value = to.value
            response.append(.to, value.contains(";tag=") || code == 100 ? value : value + ";tag=" + toTag)
        }
        for name in [SIPHeaderName.callID, .cseq] { if let field = request.field(name) { response.headers.append(field) } }
        if code >= 180 {
            let local = layer.transport.localAddress(for: peer)
            response.append(.contact, "<sip:\(configuration.number)@\(local.hostReference):\(local.port)>")
        }
        return response
    }

    private func respond(_ request: SIPMessage, _ code: Int, _ reason: String, to peer: PeerAddress) {
        var response = makeResponse(request, code, reason, peer: peer)
        response.append(.contentLength, "0")
        if request.method == .invite, code >= 180 { lastResponse = response }
        layer.sendOutsideTransaction(response, to: peer)
    }

    /// BYE after the chosen duration: a client transaction in the dialog, to the caller's Contact.
    /// Ends the call now, as the person who started it asked: stops waiting, or hangs up with BYE once answered.
    public func end(_ reason: String) {
        guard !status.isFinal else { return }
        if status == .inProgress {
            hangUp(reason)
        } else {
            finish(.noAnswer, .noAnswer, "ended", reason)
        }
    }

    private func hangUp(_ detail: String? = nil) {
        guard status == .inProgress, let invite, let caller else { return }
        hangupTimer?.cancel()
        media.stop()
        mediaReport = media.report(sdpAddress: remoteAddress, signallingAddress: caller.host, natSeen: false)
        note("hangup", detail.map { "\($0): BYE" } ?? "BYE after \(TestCall.seconds(configuration.duration)) s")
        let local = layer.transport.localAddress(for: caller)
        var target = invite.requestLine?.requestURI ?? "sip:\(caller.hostReference):\(caller.port)"
        if case .addresses(let contacts)? = try? invite.contact, let uri = contacts.first?.sipURI { target = uri.description }
        let branch = ClientTransactionKey.newBranch(using: &generator)
        var bye = SIPMessage(startLine: .request(RequestLine(method: .bye, requestURI: target)))
        bye.append(.via, "SIP/2.0/UDP \(local.hostReference):\(local.port);branch=\(branch);rport")
        bye.append(.maxForwards, "70")
        // Our side of the dialog: their To (with our tag) is our From, their From our To.
        if let to = invite.field(.to) { bye.append(.from, to.value.contains(";tag=") ? to.value : to.value + ";tag=" + toTag) }
        if let from = invite.field(.from) { bye.append(.to, from.value) }
        if let callID { bye.append(.callID, callID) }
        bye.append(.cseq, "1 BYE")
        bye.append(.contentLength, "0")
        do {
            try layer.start(bye, to: caller, via: (branch, local.host, local.port)) { [weak self] event in
                guard let self else { return }
                switch event {
                case .response(let response, _):
                    guard let code = response.statusCode, code >= 200 else { return }
                    self.finish(.completed, .connected, "completed", "BYE answered \(code) \(response.statusLine?.reason ?? "")")
                case .timeout, .transportFailure:
                    self.finish(.completed, .connected, "completed", "BYE was not answered")
                }
            }
        } catch {
            finish(.completed, .connected, "completed", "cannot send BYE: \(error)")
        }
    }
}
