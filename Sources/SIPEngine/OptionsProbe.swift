import SIPCore

/// What one OPTIONS probe found: the response, or a classified failure a person can act on.
public enum ProbeOutcome: Sendable, Hashable {
    case response(ProbeResponse)
    case failure(ProbeFailure)

    public var isReachable: Bool {
        if case .response = self { return true }
        return false
    }
}

public struct ProbeResponse: Sendable, Hashable {
    public var statusCode: Int
    public var reason: String
    /// From the last transmission of the request to the response (Karn's rule: a retransmitted request's
    /// first send says nothing about this answer).
    public var roundTrip: Duration
    public var server: String?
    public var userAgent: String?
    public var allow: [String]
    public var supported: [String]
    public var accept: [String]
    /// Codecs, when the response carried SDP.
    public var codecs: [String]
    /// What the TLS handshake found, for TLS probes.
    public var tls: TLSDetails?

    public init(
        statusCode: Int, reason: String, roundTrip: Duration, server: String?, userAgent: String?, allow: [String],
        supported: [String], accept: [String], codecs: [String], tls: TLSDetails? = nil
    ) {
        self.statusCode = statusCode
        self.reason = reason
        self.roundTrip = roundTrip
        self.server = server
        self.userAgent = userAgent
        self.allow = allow
        self.supported = supported
        self.accept = accept
        self.codecs = codecs
        self.tls = tls
    }
}

public struct ProbeFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The API's `error.kind` values.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case dnsNxdomain = "dns_nxdomain"
        case dnsNoRecords = "dns_no_records"
        case dnsTimeout = "dns_timeout"
        case dnsRefused = "dns_refused"
        case icmpUnreachable = "icmp_unreachable"
        case connectionRefused = "connection_refused"
        case connectionReset = "connection_reset"
        case connectionTimeout = "connection_timeout"
        case tlsUntrusted = "tls_untrusted"
        case tlsExpired = "tls_expired"
        case tlsHostnameMismatch = "tls_hostname_mismatch"
        case tlsProtocol = "tls_protocol"
        case timeout
        case malformedResponse = "malformed_response"
        case responseTooLarge = "response_too_large"
    }

    public var kind: Kind
    /// One line saying what happened.
    public var message: String
    /// What a person can do about it.
    public var remedy: String
    /// What the TLS handshake found, when it got as far as the certificate.
    public var tls: TLSDetails?

    public init(kind: Kind, message: String, remedy: String, tls: TLSDetails? = nil) {
        self.kind = kind
        self.message = message
        self.remedy = remedy
        self.tls = tls
    }

    public var description: String { "\(message) — \(remedy)" }

    /// The failure a transport problem means for a probe of `peer`.
    public static func transport(_ failure: TransportFailure, peer: PeerAddress) -> ProbeFailure {
        let name = "\(peer.transport.viaToken) \(peer.port)"
        switch failure {
        case .connectionRefused:
            let remedy = peer.transport == .tls
                ? "enable TLS on the PBX (port \(peer.port)) or choose another transport"
                : "check that the PBX listens for SIP on \(name), or choose another port"
            return ProbeFailure(kind: .connectionRefused, message: "\(name) refused on \(peer.hostReference)", remedy: remedy)
        case .connectionReset:
            let remedy = peer.transport == .tcp && peer.port == 5061
                ? "port 5061 usually speaks TLS, not plain TCP: probe it with TLS"
                : "the PBX or a firewall closed the connection: check its SIP access list and fail2ban-style blocks"
            return ProbeFailure(kind: .connectionReset, message: "\(name) connection reset by \(peer.hostReference)", remedy: remedy)
        case .connectionTimeout:
            return ProbeFailure(
                kind: .connectionTimeout, message: "\(name) connection to \(peer.hostReference) timed out",
                remedy: "a firewall is probably dropping packets: allow this deployment's addresses (siptrunk firewall)")
        case .unreachable:
            return ProbeFailure(
                kind: .icmpUnreachable, message: "\(peer.hostReference) port \(peer.port) is unreachable (ICMP)",
                remedy: "nothing listens on \(name), or a router rejects it: check the address and port")
        case .tls(let tls, let detail):
            switch tls {
            case .untrusted:
                return ProbeFailure(
                    kind: .tlsUntrusted, message: "the TLS certificate of \(peer.hostReference) is not trusted: \(detail)",
                    remedy: "install a certificate from a public CA on the PBX, or pass its CA with --ca-file")
            case .expired:
                return ProbeFailure(
                    kind: .tlsExpired, message: "the TLS certificate of \(peer.hostReference) has expired: \(detail)",
                    remedy: "renew the PBX's certificate")
            case .hostnameMismatch:
                return ProbeFailure(
                    kind: .tlsHostnameMismatch, message: "the TLS certificate does not name \(peer.hostReference): \(detail)",
                    remedy: "use the host name the certificate was issued for, or reissue it with this name")
            case .protocolError:
                return ProbeFailure(
                    kind: .tlsProtocol, message: "TLS handshake with \(peer.hostReference) failed: \(detail)",
                    remedy: "enable TLS 1.2 or newer on the PBX")
            }
        case .malformedStream(let detail):
            return ProbeFailure(
                kind: .malformedResponse, message: "\(peer.hostReference) answered on \(name) with bytes that are not SIP: \(detail)",
                remedy: "check that the port is the PBX's SIP port over \(peer.transport.viaToken), not another service")
        case .messageTooLarge(let limit):
            return ProbeFailure(
                kind: .responseTooLarge, message: "\(peer.hostReference) sent a message over the \(limit)-byte limit on \(name)",
                remedy: "a SIP answer is a few kilobytes: check that the port is the PBX's SIP port and not another service")
        case .other(let detail):
            return ProbeFailure(kind: .connectionReset, message: "\(name) to \(peer.hostReference) failed: \(detail)", remedy: "check the address, port and transport")
        }
    }
}

/// One OPTIONS request (RFC 3261 §11) to a peer, classified into `ProbeOutcome`.
public final class OptionsProbe {
    let layer: TransactionLayer
    public var userAgent = "siptrunk/0.1"
    public var timers = TransactionTimers()

    /// Peers that sent bytes which did not parse during a probe: a timeout then means "garbage", not silence.
    private var malformedFrom: [PeerAddress: SIPParseError] = [:]
    /// Requests prepared per peer, local address and domain.
    private var templates: [TemplateKey: ByteTemplate] = [:]
    /// The last template used, checked first. A class: an optional tuple of the two was copied out and destroyed
    /// through the run time's generic witnesses on every probe.
    private final class LastTemplate {
        let key: TemplateKey
        let template: ByteTemplate
        init(_ key: TemplateKey, _ template: ByteTemplate) {
            self.key = key
            self.template = template
        }
    }
    private var lastTemplate: LastTemplate?

    public init(layer: TransactionLayer) {
        self.layer = layer
        let previous = layer.onMalformed
        layer.onMalformed = { [weak self] peer, error in
            self?.malformedFrom[peer] = error
            previous?(peer, error)
        }
    }

    /// Probes `peer`: connects (TCP, TLS), sends OPTIONS, and classifies what happened. `domain` is the SIP
    /// domain for the Request-URI, To and the TLS certificate check; `completion` runs once, on the clock's context.
    public func probe<Generator: RandomNumberGenerator>(
        _ peer: PeerAddress, domain: String? = nil, using generator: inout Generator,
        completion: @escaping (ProbeOutcome) -> Void
    ) {
        let identifiers = Identifiers(using: &generator)
        let transport = layer.transport
        transport.connect(peer, serverName: domain) { [weak self] failure in
            guard let self else { return }
            if let failure {
                var result = ProbeFailure.transport(failure, peer: peer)
                result.tls = transport.tlsDetails(for: peer)
                completion(.failure(result))
                return
            }
            self.send(to: peer, domain: domain, identifiers: identifiers, completion: completion)
        }
    }

    /// Random values for one request, drawn before connecting (the generator cannot wait for the connection).
    struct Identifiers {
        var branch: String
        var tag: String
        var callID: String

        init<Generator: RandomNumberGenerator>(using generator: inout Generator) {
            branch = ClientTransactionKey.newBranch(using: &generator)
            tag = Self.digits(generator.next() % 0xFFFF_FFFF, radix: 16)
            callID = Self.digits(generator.next(), radix: 36)
        }

        /// `String(value, radix:)` in lowercase, written straight into the string (a probe flood makes two per
        /// probe, and the generic conversion cost more than the probe's own bookkeeping).
        static func digits(_ value: UInt64, radix: UInt64) -> String {
            var scratch: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
            return withUnsafeMutableBytes(of: &scratch) { raw in
                var value = value
                var start = raw.count
                repeat {
                    let digit = UInt8(truncatingIfNeeded: value % radix)
                    value /= radix
                    start -= 1
                    raw[start] = digit < 10 ? 0x30 + digit : 0x61 + digit - 10
                } while value > 0
                return String(decoding: UnsafeRawBufferPointer(rebasing: raw[start...]), as: UTF8.self)
            }
        }
    }

    private func send(to peer: PeerAddress, domain: String?, identifiers: Identifiers, completion: @escaping (ProbeOutcome) -> Void) {
        let local = layer.transport.localAddress(for: peer)
        let template = template(to: peer, local: local, domain: domain)
        let bytes = template.request(identifiers)
        if !malformedFrom.isEmpty { malformedFrom[peer] = nil }
        do {
            try layer.start(
                bytes: bytes, method: .options, branch: identifiers.branch, sentBy: (local.host, local.port),
                callID: identifiers.callID, callIDHost: template.callIDHost, to: peer, timers: timers
            ) { [weak self] event in
                guard let self else { return }
                switch event {
                case .response(let response, let sentAt):
                    guard let code = response.statusCode, code >= 200 else { return }
                    var summary = Self.summarize(response, roundTrip: self.layer.clock.now - sentAt)
                    summary.tls = self.layer.transport.tlsDetails(for: peer)
                    completion(.response(summary))
                case .timeout:
                    if let error = self.malformedFrom[peer] {
                        completion(.failure(Self.malformed(peer, error)))
                    } else {
                        let waited = self.timers.transactionTimeout
                        let seconds = waited.inSeconds
                        let shown = seconds == seconds.rounded() ? "\(Int(seconds))" : String(seconds)
                        completion(.failure(ProbeFailure(
                            kind: .timeout, message: "no answer to OPTIONS on \(peer.transport.viaToken) \(peer.port) within \(shown) s",
                            remedy: peer.transport == .udp
                                ? "a firewall drops UDP, or nothing listens: allow this deployment's addresses, or try TCP or TLS"
                                : "the PBX accepted the connection but did not answer: check its SIP access list for our address")))
                    }
                case .transportFailure(let failure):
                    // A stream that carried garbage is closed by the transport: the garbage is the finding.
                    if let error = self.malformedFrom[peer] {
                        completion(.failure(Self.malformed(peer, error)))
                    } else {
                        var result = ProbeFailure.transport(failure, peer: peer)
                        result.tls = self.layer.transport.tlsDetails(for: peer)
                        completion(.failure(result))
                    }
                }
            }
        } catch {
            completion(.failure(ProbeFailure(kind: .malformedResponse, message: "cannot build the probe: \(error)", remedy: "report this as a bug")))
        }
    }

    static func malformed(_ peer: PeerAddress, _ error: SIPParseError) -> ProbeFailure {
        ProbeFailure(
            kind: .malformedResponse, message: "\(peer) answered with bytes that are not SIP: \(error)",
            remedy: "something other than a SIP server listens there, or a SIP ALG mangles messages")
    }

    /// A probe request as bytes with three gaps: the branch, the From tag and the Call-ID's random part. Every
    /// other byte is the same for every probe of a peer, so it is written once (by `makeTemplate`) and copied.
    struct ByteTemplate {
        var head: [UInt8]
        var afterBranch: [UInt8]
        var afterTag: [UInt8]
        var afterCallID: [UInt8]
        /// The host part of the Call-ID (`random@host`).
        var callIDHost: String

        static let branchGap = "\u{1}B\u{1}"
        static let tagGap = "\u{1}T\u{1}"
        static let callIDGap = "\u{1}C\u{1}"

        /// Splits a serialized template at its three gaps (which `makeTemplate`'s caller always writes).
        init(_ bytes: [UInt8], callIDHost: String) {
            var pieces: [[UInt8]] = []
            var start = 0
            for gap in [Self.branchGap, Self.tagGap, Self.callIDGap].map({ Array($0.utf8) }) {
                let found = Self.find(gap, in: bytes, from: start) ?? bytes.count
                pieces.append(Array(bytes[start..<found]))
                start = min(found + gap.count, bytes.count)
            }
            pieces.append(Array(bytes[start...]))
            (head, afterBranch, afterTag, afterCallID) = (pieces[0], pieces[1], pieces[2], pieces[3])
            self.callIDHost = callIDHost
        }

        static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
            guard bytes.count >= needle.count else { return nil }
            var index = start
            while index + needle.count <= bytes.count {
                if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
                index += 1
            }
            return nil
        }

        func request(_ identifiers: Identifiers) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(head.count + afterBranch.count + afterTag.count + afterCallID.count + 64)
            out.append(contentsOf: head)
            out.append(contentsOf: identifiers.branch.utf8)
            out.append(contentsOf: afterBranch)
            out.append(contentsOf: identifiers.tag.utf8)
            out.append(contentsOf: afterTag)
            out.append(contentsOf: identifiers.callID.utf8)
            out.append(contentsOf: afterCallID)
            return out
        }
    }

    /// The byte template for probes of `peer` from `local` (kept per peer, local address and domain; the last
    /// one used is checked first).
    func template(to peer: PeerAddress, local: PeerAddress, domain: String?) -> ByteTemplate {
        let key = TemplateKey(peer: peer, local: local, domain: domain)
        if let last = lastTemplate, last.key == key { return last.template }
        let template: ByteTemplate
        if let known = templates[key] {
            template = known
        } else {
            var message = makeTemplate(to: peer, local: local, domain: domain)
            // RFC 3581: ask for rport so a NAT in between still gets the response back to us.
            message.headers[0] = SIPHeaderField(
                .via, "SIP/2.0/\(peer.transport.viaToken) \(local.hostReference):\(local.port);branch=\(ByteTemplate.branchGap);rport")
            message.headers[2] = SIPHeaderField(.from, "<sip:siptrunk@\(local.hostReference)>;tag=\(ByteTemplate.tagGap)")
            message.headers[4] = SIPHeaderField(.callID, ByteTemplate.callIDGap + "@" + local.hostReference)
            template = ByteTemplate(message.serialized(), callIDHost: local.hostReference)
            if templates.count > 256 { templates.removeAll() }
            templates[key] = template
        }
        lastTemplate = LastTemplate(key, template)
        return template
    }

    struct TemplateKey: Hashable {
        var peer: PeerAddress
        var local: PeerAddress
        var domain: String?
    }

    /// The request with placeholders where Via (0), From (2) and Call-ID (4) go.
    private func makeTemplate(to peer: PeerAddress, local: PeerAddress, domain: String?) -> SIPMessage {
        // TLS is asked for with a sips: URI (RFC 3261 §26.2.2; transport=tls is deprecated), TCP with transport=tcp.
        var uri = SIPURI(scheme: peer.transport == .tls ? .sips : .sip, host: domain ?? peer.host, port: peer.port)
        if peer.transport == .tcp { uri.setParameter("transport", "tcp") }
        var message = SIPMessage(startLine: .request(RequestLine(method: .options, requestURI: uri.description)))
        message.append(.via, "")
        message.append(.maxForwards, "70")
        message.append(.from, "")
        message.append(.to, "<\(SIPURI(scheme: .sip, host: domain ?? peer.host))>")
        message.append(.callID, "")
        message.append(.cseq, "1 OPTIONS")
        message.append(.accept, "application/sdp")
        message.append(.userAgent, userAgent)
        message.append(.contentLength, "0")
        return message
    }

    static func summarize(_ response: SIPMessage, roundTrip: Duration) -> ProbeResponse {
        var codecs: [String] = []
        if response.mediaType == "application/sdp", let sdp = try? SessionDescription(bytes: response.body) {
            codecs = sdp.codecNames
        }
        return ProbeResponse(
            statusCode: response.statusCode ?? 0, reason: response.statusLine?.reason ?? "", roundTrip: roundTrip,
            server: response.server, userAgent: response.userAgent, allow: response.allow, supported: response.supported,
            accept: response.accept, codecs: codecs)
    }
}
