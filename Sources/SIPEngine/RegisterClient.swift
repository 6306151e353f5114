import SIPCore

/// Registration-based trunk authentication (RFC 3261 §10): REGISTER with digest credentials, refreshed before it
/// expires, one retry on a stale nonce, and a clear stop when the credentials are rejected.
public final class RegisterClient {
    public struct Configuration: Sendable {
        public var registrar: PeerAddress
        public var domain: String
        public var username: String
        public var password: String
        public var expires: UInt32

        public init(registrar: PeerAddress, domain: String, username: String, password: String, expires: UInt32 = 300) {
            self.registrar = registrar
            self.domain = domain
            self.username = username
            self.password = password
            self.expires = expires
        }
    }

    public enum State: Sendable, Hashable {
        case idle
        case registering
        /// Registered until `until` (engine clock time).
        case registered(until: Duration)
        /// Stopped: credentials rejected, or the registrar refused or could not be reached.
        case failed(String)
    }

    public let configuration: Configuration
    let layer: TransactionLayer
    public private(set) var state: State = .idle
    public private(set) var lastError: String?
    /// The expiry the registrar granted last time.
    public private(set) var grantedExpires: UInt32?
    public private(set) var registrations = 0
    public var onChange: (() -> Void)?

    private let callID: String
    private let fromTag: String
    private var cseq: UInt32 = 0
    private var challenge: (header: SIPHeaderName, value: AuthChallenge)?
    private var nonceCount: UInt32 = 0
    private var answeredThisRound = 0
    private var refreshTimer: EngineTimer?
    private var generator: SeededGenerator

    public init<Generator: RandomNumberGenerator>(configuration: Configuration, layer: TransactionLayer, using generator: inout Generator) {
        self.configuration = configuration
        self.layer = layer
        self.generator = SeededGenerator(seed: generator.next())
        callID = String(generator.next(), radix: 36) + "-reg"
        fromTag = String(generator.next() % 0xFFFF_FFFF, radix: 16)
    }

    /// Seconds until the registration expires, when registered.
    public var expiresIn: Double? {
        guard case .registered(let until) = state else { return nil }
        let left = until - layer.clock.now
        return max(0, left.inSeconds)
    }

    public func start() {
        answeredThisRound = 0
        state = .registering
        onChange?()
        layer.transport.connect(configuration.registrar, serverName: configuration.domain) { [weak self] failure in
            guard let self else { return }
            if let failure {
                let problem = ProbeFailure.transport(failure, peer: self.configuration.registrar)
                self.fail("\(problem.message) — \(problem.remedy)")
                return
            }
            self.send()
        }
    }

    public func stop() {
        refreshTimer?.cancel()
        refreshTimer = nil
    }

    private var requestURI: String {
        SIPURI(scheme: configuration.registrar.transport == .tls ? .sips : .sip, host: configuration.domain).description
    }

    private func send() {
        let registrar = configuration.registrar
        let local = layer.transport.localAddress(for: registrar)
        let branch = ClientTransactionKey.newBranch(using: &generator)
        cseq += 1
        var message = SIPMessage(startLine: .request(RequestLine(method: .register, requestURI: requestURI)))
        message.append(.via, "SIP/2.0/\(registrar.transport.viaToken) \(local.hostReference):\(local.port);branch=\(branch);rport")
        message.append(.maxForwards, "70")
        let aor = "<\(SIPURI(scheme: .sip, user: configuration.username, host: configuration.domain))>"
        message.append(.from, "\(aor);tag=\(fromTag)")
        message.append(.to, aor)
        message.append(.callID, callID)
        message.append(.cseq, "\(cseq) REGISTER")
        var contact = SIPURI(scheme: registrar.transport == .tls ? .sips : .sip, user: configuration.username, host: local.host, port: local.port)
        if registrar.transport == .tcp { contact.setParameter("transport", "tcp") }
        message.append(.contact, "<\(contact)>")
        message.append(.expires, "\(configuration.expires)")
        message.append(.userAgent, "siptrunk/0.1")
        // Once challenged, every REGISTER carries credentials for the same nonce with the next nonce count.
        if let challenge {
            nonceCount += 1
            if let credentials = try? DigestAuthenticator(username: configuration.username, password: configuration.password).credentials(
                for: challenge.value, method: .register, uri: requestURI, nonceCount: nonceCount, cnonce: String(generator.next(), radix: 16))
            {
                message.append(challenge.header, credentials.description)
            }
        }
        message.append(.contentLength, "0")
        do {
            try layer.start(message, to: registrar, via: (branch, local.host, local.port)) { [weak self] event in
                self?.handle(event)
            }
        } catch {
            fail("cannot build REGISTER: \(error)")
        }
    }

    private func handle(_ event: ClientTransactionEvent) {
        switch event {
        case .response(let response, _):
            guard let code = response.statusCode, code >= 200 else { return }
            switch code {
            case 200...299:
                registered(response)
            case 401, 407:
                let challenges = code == 401 ? ((try? response.wwwAuthenticate) ?? []) : ((try? response.proxyAuthenticate) ?? [])
                guard let chosen = DigestAuthenticator.preferredChallenge(challenges) else {
                    fail("\(code): the registrar offers no Digest challenge we can answer")
                    return
                }
                // A fresh challenge is answered once; a stale nonce once more; anything else means wrong credentials.
                let fresh = challenge?.value.nonce != chosen.nonce
                guard answeredThisRound == 0 || (answeredThisRound == 1 && chosen.isStale) else {
                    fail("\(code) \(response.statusLine?.reason ?? ""): the registrar rejected user \(configuration.username)'s credentials — check the username and password")
                    return
                }
                answeredThisRound += 1
                if fresh || chosen.isStale { nonceCount = 0 }
                challenge = (code == 401 ? .authorization : .proxyAuthorization, chosen)
                send()
            case 423:
                // Interval Too Brief: the registrar says the minimum.
                fail("423 Interval Too Brief: the registrar wants a longer expiry (Min-Expires \(response[.minExpires] ?? "?"))")
            default:
                fail("\(code) \(response.statusLine?.reason ?? ""): the registrar refused the registration")
            }
        case .timeout:
            fail("no answer to REGISTER from \(configuration.registrar) (timeout)")
        case .transportFailure(let failure):
            let problem = ProbeFailure.transport(failure, peer: configuration.registrar)
            fail("\(problem.message) — \(problem.remedy)")
        }
    }

    private func registered(_ response: SIPMessage) {
        // The granted expiry: our Contact's expires parameter, else the Expires header, else what we asked for.
        var granted = (try? response.expires).flatMap { $0 } ?? configuration.expires
        if case .addresses(let contacts)? = try? response.contact,
            let ours = contacts.first(where: { $0.sipURI?.user == configuration.username }),
            let value = ours.parameter("expires").flatMap(UInt32.init)
        {
            granted = value
        }
        grantedExpires = granted
        registrations += 1
        lastError = nil
        answeredThisRound = 0
        state = .registered(until: layer.clock.now + .seconds(Int64(granted)))
        onChange?()
        // Refresh well before expiry: at half the interval for short ones, 30 s before for longer ones.
        let refreshIn = granted > 120 ? Int64(granted) - 30 : max(1, Int64(granted) / 2)
        refreshTimer?.cancel()
        refreshTimer = layer.clock.schedule(after: .seconds(refreshIn)) { [weak self] in
            self?.answeredThisRound = 0
            self?.send()
        }
    }

    private func fail(_ reason: String) {
        refreshTimer?.cancel()
        lastError = reason
        state = .failed(reason)
        onChange?()
    }
}
