import SIPCore

/// What a test call needs (guide Step 7): where, to whom, as whom, with which codecs and credentials.
public struct TestCallConfiguration: Sendable {
    /// The peer the INVITE goes to (an IP address), and the SIP domain for the Request-URI and To.
    public var target: PeerAddress
    public var domain: String
    /// The number called (E.164, with or without +).
    public var number: String
    /// Who calls: the From user.
    public var caller: String
    /// Digest credentials; challenges are answered only with these and only from `target`.
    public var username: String?
    public var password: String?
    /// In order of preference; G.711 ones carry the tone.
    public var codecs: [Codec]
    /// Our address for SDP `c=` (the local address signalling leaves from when nil).
    public var mediaAddress: String?
    public var ringTimeout: Duration
    public var duration: Duration
    /// Offer SRTP (`RTP/SAVP` with `a=crypto`), as the guide requires over TLS.
    public var offerSRTP: Bool
    public var dtmf: Character?
    /// The SIP Call-ID to use (so the caller can record the call before it starts); random when nil.
    public var callID: String?

    public init(
        target: PeerAddress, domain: String, number: String, caller: String = "siptrunk", username: String? = nil,
        password: String? = nil, codecs: [Codec] = [.pcmu, .pcma], mediaAddress: String? = nil,
        ringTimeout: Duration = .seconds(30), duration: Duration = .seconds(5), offerSRTP: Bool = false, dtmf: Character? = "5"
    ) {
        self.target = target
        self.domain = domain
        self.number = number
        self.caller = caller
        self.username = username
        self.password = password
        self.codecs = codecs
        self.mediaAddress = mediaAddress
        self.ringTimeout = ringTimeout
        self.duration = duration
        self.offerSRTP = offerSRTP
        self.dtmf = dtmf
    }
}

/// The API's test-call status values.
public enum TestCallStatus: String, Sendable, Hashable {
    case queued, initiated, ringing
    case inProgress = "in-progress"
    case completed, failed, busy
    case noAnswer = "no-answer"

    public var isFinal: Bool { [.completed, .failed, .busy, .noAnswer].contains(self) }
}

/// The API's test-call result values.
public enum TestCallResult: String, Sendable, Hashable {
    case connected, failed, busy
    case noAnswer = "no_answer"
    case pending
}

/// One line of the call's timeline.
public struct TestCallTimelineEvent: Sendable, Hashable {
    public var event: String
    /// Wall-clock seconds since 1970.
    public var at: Double
    public var detail: String
}

/// An outbound test call: INVITE (with digest auth, redirects, CANCEL on ring timeout), ACK, media check, BYE.
///
/// Runs on the engine's context; `onChange` reports every status change and timeline event.
public final class TestCall {
    public let configuration: TestCallConfiguration
    let layer: TransactionLayer
    let media: MediaSession
    public private(set) var status: TestCallStatus = .queued
    public private(set) var result: TestCallResult = .pending
    public private(set) var timeline: [TestCallTimelineEvent] = []
    public private(set) var finalCode: Int?
    public private(set) var callID: String
    public private(set) var mediaReport: MediaReport?
    public private(set) var connectedAt: Duration?
    public private(set) var endedAt: Duration?
    /// When the first INVITE left, for the setup time (INVITE to 2xx, challenges and redirects included).
    public private(set) var firstInviteAt: Duration?
    public var onChange: (() -> Void)?

    private var target: PeerAddress
    private var requestURI: SIPURI
    private var fromTag: String
    private var cseq: UInt32 = 1
    private var invite: SIPMessage?
    private var inviteKey: ClientTransactionKey?
    private var ringTimer: EngineTimer?
    private var hangupTimer: EngineTimer?
    /// RFC 3261 §9.1: a CANCELled INVITE that gets no final response within 64·T1 is given up.
    private var cancelGuard: EngineTimer?
    /// Every call ends by this time, whatever the peer does (issue 19).
    private var deadline: EngineTimer?
    private var challengesAnswered = 0
    private var lastNonce: String?
    private var nonceCount: UInt32 = 0
    private var redirects: [String] = []
    private var dialog: (toTag: String, remoteTarget: SIPURI, routes: [String], to: String)?
    private var ack: SIPMessage?
    private var cancelled = false
    private var remoteSDP: SessionDescription?
    private var natSeen = false
    private var generator: SeededGenerator
    /// Our SRTP master key and salt, offered with a=crypto when SRTP is on.
    private var srtpKey: [UInt8] = []
    private var srtpActive = false

    public static let maximumRedirects = 5

    public init<Generator: RandomNumberGenerator>(
        configuration: TestCallConfiguration, layer: TransactionLayer, mediaLink: MediaLink, using generator: inout Generator
    ) {
        self.configuration = configuration
        self.layer = layer
        self.generator = SeededGenerator(seed: generator.next())
        media = MediaSession(clock: layer.clock, link: mediaLink, using: &generator)
        target = configuration.target
        requestURI = SIPURI(scheme: configuration.target.transport == .tls ? .sips : .sip, user: configuration.number, host: configuration.domain, port: configuration.target.port)
        fromTag = String(generator.next() % 0xFFFF_FFFF, radix: 16)
        callID = configuration.callID ?? (String(generator.next(), radix: 36) + "-tc")
        if configuration.offerSRTP {
            srtpKey = (0..<30).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        }
    }

    /// The longest a call can take: connecting and ringing up to the ring timeout, a CANCEL's 64·T1, the call
    /// itself, a BYE's 64·T1, and 64·T1 for each challenge and redirect it may follow.
    public var longestCall: Duration {
        let transaction = TransactionTimers().transactionTimeout
        return configuration.ringTimeout + configuration.duration + transaction * (3 + Self.maximumRedirects)
    }

    /// Live media counters: RTP packets sent and received so far.
    public var packetsSent: Int { media.packetsSent }
    public var packetsReceived: Int { media.statistics.packets }

    /// From the first INVITE to the 2xx.
    public var setupTime: Duration? {
        guard let connectedAt, let firstInviteAt else { return nil }
        return connectedAt - firstInviteAt
    }

    public var durationSeconds: Double? {
        guard let connectedAt else { return nil }
        let end = endedAt ?? layer.clock.now
        let elapsed = end - connectedAt
        return elapsed.inSeconds
    }

    // MARK: Progress

    private func note(_ event: String, _ detail: String) {
        timeline.append(TestCallTimelineEvent(event: event, at: layer.clock.wallTime, detail: detail))
        onChange?()
    }

    private func move(to status: TestCallStatus) {
        guard self.status != status, !self.status.isFinal else { return }
        self.status = status
        onChange?()
    }

    private func finish(_ status: TestCallStatus, _ result: TestCallResult, _ event: String, _ detail: String) {
        guard !self.status.isFinal else { return }
        ringTimer?.cancel()
        hangupTimer?.cancel()
        cancelGuard?.cancel()
        deadline?.cancel()
        media.stop()
        endedAt = layer.clock.now
        if mediaReport == nil, connectedAt != nil {
            mediaReport = media.report(sdpAddress: remoteSDPAddress, signallingAddress: target.host, natSeen: natSeen)
        }
        mediaReport?.srtp = srtpActive
        self.result = result
        note(event, detail)
        self.status = status
        onChange?()
    }

    private var remoteSDPAddress: String? {
        remoteSDP?.media.first(where: { $0.media == "audio" })?.connection?.address ?? remoteSDP?.connection?.address
    }

    // MARK: Start

    /// Places the call.
    public func start() {
        move(to: .initiated)
        note("initiated", "calling \(configuration.number) via \(target)")
        layer.onRequest = { [weak self] request, peer in self?.receivedRequest(request, from: peer) }
        layer.onStrayResponse = { [weak self] response, peer in self?.receivedStray(response, from: peer) }
        ringTimer = layer.clock.schedule(after: configuration.ringTimeout) { [weak self] in self?.ringTimedOut() }
        deadline = layer.clock.schedule(after: longestCall) { [weak self] in
            guard let self else { return }
            self.finish(.failed, .failed, "failed", "the call did not end within \(Self.seconds(self.longestCall)) s (ringing, the call and the hang-up each took their longest); siptrunk gave up on it")
        }
        connectAndInvite(authorization: nil)
    }

    private func connectAndInvite(authorization: (header: SIPHeaderName, value: String)?) {
        layer.transport.connect(target, serverName: configuration.domain) { [weak self] failure in
            guard let self, !self.status.isFinal else { return }
            if let failure {
                let problem = ProbeFailure.transport(failure, peer: self.target)
                self.finish(.failed, .failed, "failed", "\(problem.kind.rawValue): \(problem.message) — \(problem.remedy)")
                return
            }
            self.sendInvite(authorization: authorization)
        }
    }

    private func sendInvite(authorization: (header: SIPHeaderName, value: String)?) {
        let local = layer.transport.localAddress(for: target)
        let branch = ClientTransactionKey.newBranch(using: &generator)
        var message = SIPMessage(startLine: .request(RequestLine(method: .invite, requestURI: requestURI.description)))
        message.append(.via, "SIP/2.0/\(target.transport.viaToken) \(local.hostReference):\(local.port);branch=\(branch);rport")
        message.append(.maxForwards, "70")
        message.append(.from, "<sip:\(configuration.caller)@\(local.hostReference)>;tag=\(fromTag)")
        message.append(.to, "<\(SIPURI(scheme: requestURI.scheme, user: configuration.number, host: configuration.domain))>")
        message.append(.callID, callID)
        message.append(.cseq, "\(cseq) INVITE")
        var contact = SIPURI(scheme: target.transport == .tls ? .sips : .sip, user: configuration.caller, host: local.host, port: local.port)
        if target.transport == .tcp { contact.setParameter("transport", "tcp") }
        message.append(.contact, "<\(contact)>")
        message.append(.allow, "INVITE, ACK, CANCEL, BYE, OPTIONS")
        message.append(.userAgent, "siptrunk/0.1 test-call")
        if let authorization { message.append(authorization.header, authorization.value) }
        message.append(.contentType, "application/sdp")
        let sdp = offer(local: configuration.mediaAddress ?? local.host).bytes
        message.body = sdp
        message.append(.contentLength, "\(sdp.count)")
        invite = message
        do {
            inviteKey = try layer.start(message, to: target, timers: TransactionTimers(), via: (branch, local.host, local.port)) { [weak self] event in
                self?.inviteEvent(event)
            }
            // Set-up time runs from the first INVITE handed to the transport, as sipp's UAC measures it.
            if firstInviteAt == nil { firstInviteAt = layer.clock.now }
            // The timeline names the SIP messages as well as the status changes (issue 14: "a timeline of SIP events").
            note("invite_sent", "INVITE sent to \(target)\(authorization == nil ? "" : " with credentials")")
        } catch {
            finish(.failed, .failed, "failed", "cannot build the INVITE: \(error)")
        }
    }

    /// The SDP offer: the configured codecs in order, telephone-event, sendrecv; SAVP with a crypto line when
    /// SRTP is offered.
    func offer(local: String) -> SessionDescription {
        var formats = configuration.codecs.map { String($0.payloadType) }
        formats.append(String(Codec.telephoneEvent.payloadType))
        var attributes = configuration.codecs.map { codec in
            SessionDescription.Attribute("rtpmap", "\(codec.payloadType) \(codec.name)/\(codec.clockRate)\(codec.channels.map { "/\($0)" } ?? "")")
        }
        attributes.append(.init("rtpmap", "\(Codec.telephoneEvent.payloadType) telephone-event/8000"))
        attributes.append(.init("fmtp", "\(Codec.telephoneEvent.payloadType) 0-16"))
        attributes.append(.init("ptime", "20"))
        if configuration.offerSRTP {
            let crypto = CryptoAttribute(tag: 1, suite: "AES_CM_128_HMAC_SHA1_80", keys: [.init(keySalt: srtpKey)])
            attributes.append(.init("crypto", crypto.description))
        }
        attributes.append(.init("sendrecv"))
        let audio = MediaDescription(
            media: "audio", port: media.link.localPort, proto: configuration.offerSRTP ? "RTP/SAVP" : "RTP/AVP", formats: formats,
            attributes: attributes)
        return SessionDescription(
            origin: .init(sessionID: String(UInt32(truncatingIfNeeded: media.ssrc)), sessionVersion: "1", addressType: local.contains(":") ? "IP6" : "IP4", address: local),
            sessionName: "siptrunk test call", connection: .init(address: local), media: [audio])
    }

    // MARK: Responses

    private func inviteEvent(_ event: ClientTransactionEvent) {
        switch event {
        case .response(let response, _):
            handle(response)
        case .timeout:
            if cancelled {
                finish(.noAnswer, .noAnswer, "no-answer", "no answer within \(Self.seconds(configuration.ringTimeout)) s; CANCEL sent")
            } else {
                finish(.failed, .failed, "failed", "no response to INVITE from \(target) (timeout): check the address, port and transport, and the PBX's firewall")
            }
        case .transportFailure(let failure):
            let problem = ProbeFailure.transport(failure, peer: target)
            finish(.failed, .failed, "failed", "\(problem.kind.rawValue): \(problem.message) — \(problem.remedy)")
        }
    }

    private func handle(_ response: SIPMessage) {
        guard let code = response.statusCode else { return }
        if let via = try? response.topVia, via.received != nil { natSeen = true }
        let reason = response.statusLine?.reason ?? ""
        // Provisional responses after the call ended (a peer that keeps sending 183 after our CANCEL) change nothing.
        if code < 200, status.isFinal { return }
        switch code {
        case 100:
            note("trying", "100 \(reason)")
        case 101...199:
            if status != .ringing { note("ringing", "\(code) \(reason)\(response.body.isEmpty ? "" : " (early media SDP)")") }
            move(to: .ringing)
        case 200...299:
            answered(response)
        case 300...399:
            redirect(response)
        case 401, 407:
            challenge(response, code: code)
        case 486, 600:
            finishFinal(code, reason, .busy, .busy, "busy")
        case 487 where cancelled:
            finishFinal(code, reason, .noAnswer, .noAnswer, "no-answer")
        case 503:
            let retry = (try? response.retryAfter).flatMap { $0 }.map { "; Retry-After \($0.seconds) s" } ?? ""
            finishFinal(code, reason + retry, .failed, .failed, "failed")
        default:
            finishFinal(code, reason, .failed, .failed, "failed")
        }
    }

    private func finishFinal(_ code: Int, _ reason: String, _ status: TestCallStatus, _ result: TestCallResult, _ event: String) {
        finalCode = code
        finish(status, result, event, "\(code) \(reason)")
    }

    private func answered(_ response: SIPMessage) {
        guard dialog == nil else { return }
        // Connected when the 2xx arrived (the ACK is sent after).
        connectedAt = layer.clock.now
        finalCode = response.statusCode
        ringTimer?.cancel()
        let toTag = (try? response.to)?.tag ?? ""
        let contact: SIPURI
        if case .addresses(let addresses)? = try? response.contact, let uri = addresses.first?.sipURI {
            contact = uri
        } else {
            contact = requestURI
        }
        let routes = ((try? response.recordRoute) ?? []).reversed().map(\.description)
        let to = response.field(.to)?.value ?? ""
        dialog = (toTag, contact, routes, to)
        move(to: .inProgress)
        note("answered", "\(response.statusCode ?? 200) \(response.statusLine?.reason ?? "")")
        sendACK()
        startMedia(response)
        hangupTimer = layer.clock.schedule(after: configuration.duration) { [weak self] in self?.hangUp() }
    }

    private func startMedia(_ response: SIPMessage) {
        guard response.mediaType == "application/sdp", let sdp = try? SessionDescription(bytes: response.body),
            let audio = sdp.media.first(where: { $0.media == "audio" && $0.port != 0 })
        else {
            note("media", "the answer has no audio SDP: no media check")
            return
        }
        remoteSDP = sdp
        let codecs = audio.codecs
        let common = codecs.filter { answer in configuration.codecs.contains { $0.name.uppercased() == answer.name.uppercased() } }
        guard !common.isEmpty else {
            note("media", "no codec in common: the far end answered \(codecs.map(\.name).joined(separator: ", "))")
            return
        }
        // The tone is G.711: any G.711 codec the answer accepted may be sent (RFC 3264 §6.1), even if not its first.
        guard let chosen = common.first(where: { ["PCMU", "PCMA"].contains($0.name.uppercased()) }) else {
            note("media", "the far end accepted only \(common.map(\.name).joined(separator: ", ")): the media check sends G.711, so it is skipped")
            return
        }
        let address = audio.connection?.address ?? sdp.connection?.address ?? target.host
        let events = codecs.first { $0.name.lowercased() == "telephone-event" }?.payloadType
        if configuration.offerSRTP {
            // RFC 4568 §6.1: the answer picks one of our suites (by tag) and gives its own key.
            guard let crypto = audio.cryptos.first(where: { $0.suite.uppercased() == "AES_CM_128_HMAC_SHA1_80" }), let key = crypto.keys.first?.keySalt else {
                note("media", "SRTP was offered but the answer has no AES_CM_128_HMAC_SHA1_80 a=crypto (\(audio.proto)): no secure media")
                return
            }
            do {
                try media.link.enableSRTP(sendKey: srtpKey, receiveKey: key)
                srtpActive = true
            } catch {
                note("media", "cannot start SRTP: \(error)")
                return
            }
        }
        note("media", "\(chosen.name)\(srtpActive ? " over SRTP" : "") to \(address):\(audio.port)\(events == nil ? "" : ", DTMF as telephone-event")")
        media.start(to: address, port: audio.port, rtcpPort: audio.rtcpPort, codec: chosen, eventPayloadType: events, dtmf: configuration.dtmf)
    }

    /// ACK for a 2xx (RFC 3261 §13.2.2.4): a new transaction-less request to the remote target, same CSeq number.
    private func sendACK() {
        guard let dialog, let invite else { return }
        let local = layer.transport.localAddress(for: target)
        var message = SIPMessage(startLine: .request(RequestLine(method: .ack, requestURI: dialog.remoteTarget.description)))
        message.append(.via, "SIP/2.0/\(target.transport.viaToken) \(local.hostReference):\(local.port);branch=\(ClientTransactionKey.newBranch(using: &generator));rport")
        for route in dialog.routes { message.append(.route, route) }
        message.append(.maxForwards, "70")
        if let from = invite.field(.from) { message.headers.append(from) }
        message.append(.to, dialog.to)
        message.append(.callID, callID)
        message.append(.cseq, "\(cseq) ACK")
        message.append(.contentLength, "0")
        ack = message
        layer.sendOutsideTransaction(message, to: target)
        note("ack_sent", "ACK sent")
    }

    private func receivedStray(_ response: SIPMessage, from peer: PeerAddress) {
        // A retransmitted 2xx means our ACK was lost: send it again.
        guard response.callID == callID, let code = response.statusCode, (200..<300).contains(code), let ack else { return }
        layer.sendOutsideTransaction(ack, to: peer)
    }

    private func redirect(_ response: SIPMessage) {
        guard case .addresses(let addresses)? = try? response.contact, let uri = addresses.first?.sipURI else {
            finishFinal(response.statusCode ?? 300, "redirect without a Contact", .failed, .failed, "failed")
            return
        }
        let key = uri.description
        if redirects.contains(key) || key == requestURI.description {
            finishFinal(response.statusCode ?? 302, "redirect loop: \(key) again after \(redirects.count) redirects", .failed, .failed, "failed")
            return
        }
        guard redirects.count < Self.maximumRedirects else {
            finishFinal(response.statusCode ?? 302, "more than \(Self.maximumRedirects) redirects", .failed, .failed, "failed")
            return
        }
        guard IPAddress.isIPv4(uri.host) || IPAddress.isIPv6(uri.host) || uri.host.lowercased() == target.host.lowercased() || uri.host.lowercased() == configuration.domain.lowercased() else {
            finishFinal(response.statusCode ?? 302, "redirected to \(uri.host), which is not followed (only addresses or the same host)", .failed, .failed, "failed")
            return
        }
        redirects.append(key)
        note("redirected", "\(response.statusCode ?? 302) to \(key)")
        let host = IPAddress.isIPv4(uri.host) || IPAddress.isIPv6(uri.host) ? uri.host : target.host
        target = PeerAddress(host: host, port: uri.port ?? target.transport.defaultPort, transport: target.transport)
        requestURI = uri
        cseq += 1
        connectAndInvite(authorization: nil)
    }

    private func challenge(_ response: SIPMessage, code: Int) {
        let challenges = code == 401 ? ((try? response.wwwAuthenticate) ?? []) : ((try? response.proxyAuthenticate) ?? [])
        guard let username = configuration.username, let password = configuration.password else {
            finishFinal(code, "authentication required, and this trunk has no credentials (IP-based auth: add our addresses to the PBX's trusted list)", .failed, .failed, "failed")
            return
        }
        guard let chosen = DigestAuthenticator.preferredChallenge(challenges) else {
            finishFinal(code, "no Digest challenge we can answer", .failed, .failed, "failed")
            return
        }
        // One answer per challenge; one more only when the server says the nonce was stale (RFC 3261 §22.4).
        let allowed = challengesAnswered == 0 || (challengesAnswered == 1 && chosen.isStale)
        guard allowed else {
            finishFinal(code, "credentials rejected for user \(username): check the username and password on both sides", .failed, .failed, "failed")
            return
        }
        challengesAnswered += 1
        if chosen.nonce != lastNonce {
            lastNonce = chosen.nonce
            nonceCount = 0
        }
        nonceCount += 1
        let cnonce = String(generator.next(), radix: 16)
        do {
            let credentials = try DigestAuthenticator(username: username, password: password).credentials(
                for: chosen, method: .invite, uri: requestURI.description, nonceCount: nonceCount, cnonce: cnonce)
            note("challenged", "\(code) \(response.statusLine?.reason ?? ""): answering for realm \(chosen.realm ?? "")")
            cseq += 1
            sendInvite(authorization: (code == 401 ? .authorization : .proxyAuthorization, credentials.description))
        } catch {
            finishFinal(code, "cannot answer the challenge: \(error)", .failed, .failed, "failed")
        }
    }

    // MARK: Ending

    private func ringTimedOut() {
        sendCancel("no answer within \(Self.seconds(configuration.ringTimeout)) s: CANCEL")
    }

    /// Ends the call now, as the person who placed it asked (issue 14: leaving the wizard's step left the call
    /// running): CANCEL while it rings, BYE once it is answered; nothing to send before the INVITE left.
    public func end(_ reason: String) {
        switch status {
        case .queued:
            finish(.failed, .failed, "ended", reason)
        case .initiated where invite == nil:
            finish(.failed, .failed, "ended", reason)
        case .initiated, .ringing:
            sendCancel("\(reason): CANCEL")
        case .inProgress:
            hangUp("\(reason): BYE")
        default:
            break
        }
    }

    private func sendCancel(_ detail: String) {
        guard status == .initiated || status == .ringing, !cancelled, let invite, let line = invite.requestLine, let via = invite.field(.via) else { return }
        ringTimer?.cancel()
        cancelled = true
        note("cancel", detail)
        // CANCEL (RFC 3261 §9.1): the INVITE's Request-URI, top Via (same branch), From, To, Call-ID, CSeq number.
        var cancel = SIPMessage(startLine: .request(RequestLine(method: .cancel, requestURI: line.requestURI)))
        cancel.headers.append(via)
        cancel.append(.maxForwards, "70")
        for name in [SIPHeaderName.from, .to, .callID] { if let field = invite.field(name) { cancel.headers.append(field) } }
        cancel.append(.cseq, "\(cseq) CANCEL")
        cancel.append(.contentLength, "0")
        _ = try? layer.start(cancel, to: target) { _ in }
        // RFC 3261 §9.1: if no final response to the INVITE arrives within 64·T1 of the CANCEL, the INVITE
        // transaction is considered ended; a peer that answers the CANCEL and keeps the INVITE in 1xx forever
        // must not keep the call (and its record) open.
        let wait = TransactionTimers().transactionTimeout
        cancelGuard = layer.clock.schedule(after: wait) { [weak self] in
            guard let self else { return }
            self.finish(
                .noAnswer, .noAnswer, "no-answer",
                "\(detail) sent, and no final response to the INVITE came within \(Self.seconds(wait)) s after it (RFC 3261 §9.1)")
        }
    }

    private func hangUp(_ detail: String? = nil) {
        guard status == .inProgress, let dialog, let invite else { return }
        hangupTimer?.cancel()
        media.stop()
        mediaReport = media.report(sdpAddress: remoteSDPAddress, signallingAddress: target.host, natSeen: natSeen)
        note("hangup", detail ?? "BYE after \(Self.seconds(configuration.duration)) s")
        let local = layer.transport.localAddress(for: target)
        cseq += 1
        var bye = SIPMessage(startLine: .request(RequestLine(method: .bye, requestURI: dialog.remoteTarget.description)))
        bye.append(.via, "SIP/2.0/\(target.transport.viaToken) \(local.hostReference):\(local.port);branch=\(ClientTransactionKey.newBranch(using: &generator));rport")
        for route in dialog.routes { bye.append(.route, route) }
        bye.append(.maxForwards, "70")
        if let from = invite.field(.from) { bye.headers.append(from) }
        bye.append(.to, dialog.to)
        bye.append(.callID, callID)
        bye.append(.cseq, "\(cseq) BYE")
        bye.append(.contentLength, "0")
        do {
            defer { if !status.isFinal { note("bye_sent", "BYE sent") } }
            try layer.start(bye, to: target) { [weak self] event in
                guard let self else { return }
                switch event {
                case .response(let response, _):
                    guard let code = response.statusCode, code >= 200 else { return }
                    self.finish(.completed, .connected, "completed", "BYE answered \(code) \(response.statusLine?.reason ?? "")")
                case .timeout:
                    self.finish(.completed, .connected, "completed", "BYE was not answered (timeout)")
                case .transportFailure:
                    self.finish(.completed, .connected, "completed", "the connection closed before BYE was answered")
                }
            }
        } catch {
            finish(.completed, .connected, "completed", "cannot send BYE: \(error)")
        }
    }

    /// A request from the far end: BYE ends the call; OPTIONS and others get a plain answer.
    private func receivedRequest(_ request: SIPMessage, from peer: PeerAddress) {
        guard request.callID == callID || request.method == .options else {
            respond(to: request, code: 481, reason: "Call/Transaction Does Not Exist", peer: peer)
            return
        }
        switch request.method {
        case .bye:
            respond(to: request, code: 200, reason: "OK", peer: peer)
            if status == .inProgress {
                finish(.completed, .connected, "completed", "the far end hung up (BYE)")
            }
        case .ack:
            break
        default:
            respond(to: request, code: 200, reason: "OK", peer: peer)
        }
    }

    private func respond(to request: SIPMessage, code: Int, reason: String, peer: PeerAddress) {
        var response = SIPMessage(startLine: .response(StatusLine(code: code, reason: reason)))
        for field in request.fields(.via) { response.headers.append(field) }
        for name in [SIPHeaderName.from, .to, .callID, .cseq] { if let field = request.field(name) { response.headers.append(field) } }
        response.append(.contentLength, "0")
        layer.sendOutsideTransaction(response, to: peer)
    }

    static func seconds(_ duration: Duration) -> String {
        let value = duration.inSeconds
        return value == value.rounded() ? String(Int(value)) : String(value)
    }
}
