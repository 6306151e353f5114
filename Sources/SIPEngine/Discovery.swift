import SIPCore

/// One (address, port, transport) that discovery probes.
public struct DiscoveryTarget: Sendable, Hashable, CustomStringConvertible {
    public var address: String
    public var port: Int
    public var transport: SIPTransport
    /// The SRV record this target came from, if any (its target host name and the record's place in the order).
    public var srvTarget: String?
    public var srvRank: Int?

    public init(address: String, port: Int, transport: SIPTransport, srvTarget: String? = nil, srvRank: Int? = nil) {
        self.address = address
        self.port = port
        self.transport = transport
        self.srvTarget = srvTarget
        self.srvRank = srvRank
    }

    public var peer: PeerAddress { PeerAddress(host: address, port: port, transport: transport) }
    public var description: String { "\(transport.viaToken) \(peer.hostReference):\(port)" }
}

/// What DNS said about a destination, and the probes to run (guide Step 3).
public struct DiscoveryPlan: Sendable, Hashable {
    /// The destination's host, as typed.
    public var host: String
    /// The SIP domain (nil when the destination is an IP address).
    public var domain: String?
    public var resolvedAddresses: [String]
    public var srvRecords: [SRVRecord]
    public var naptrRecords: [NAPTRRecord]
    /// Set when nothing could be resolved: discovery then fails without probing.
    public var dnsFailure: ProbeFailure?
    public var targets: [DiscoveryTarget]
    /// The port and transport the destination gave, if any (issue 14: `sip:host:5080;transport=udp` was recommended
    /// as TCP 5060). Discovery probes them first and keeps them when they answer; it decides only what was left blank.
    public var requestedPort: Int? = nil
    public var requestedTransport: SIPTransport? = nil

    /// The ports every discovery tries, over UDP and TCP; TLS is tried on 5061.
    public static let standardPorts = [5060, 5061, 5080]

    /// Resolves `destination` (blocking: call it off the engine's context) and lays out the probe matrix:
    /// 5060, 5061 and 5080 over UDP and TCP and TLS on 5061 at the host's first address, the destination's own
    /// port if it gave one, and every SRV target (`_sip._udp`, `_sip._tcp`, `_sips._tcp`, or the names NAPTR
    /// points to, RFC 3263 §4.1) at its own port and transport.
    public static func resolve(_ destination: Destination, resolver: SIPResolver) -> DiscoveryPlan {
        let host = destination.host
        let isAddress = IPAddress.isIPv4(host) || IPAddress.isIPv6(host)
        var plan = DiscoveryPlan(
            host: host, domain: isAddress ? nil : host, resolvedAddresses: [], srvRecords: [], naptrRecords: [],
            dnsFailure: nil, targets: [], requestedPort: destination.port, requestedTransport: destination.transport)
        var hostError: DNSError?
        if isAddress {
            plan.resolvedAddresses = [host]
        } else {
            // NAPTR is optional (RFC 3263 §4.1): when it names SIP services, their SRV names are used instead.
            plan.naptrRecords = ((try? resolver.naptr(host)) ?? []).filter { $0.transport != nil && $0.flags.lowercased() == "s" }
            var services: [(name: String, transport: SIPTransport)] = plan.naptrRecords.compactMap { record in
                record.transport.map { (record.replacement, $0) }
            }
            if services.isEmpty {
                services = [SIPTransport.tls, .tcp, .udp].map { (TargetLocation.srvPrefix($0) + host, $0) }
            }
            var rank = 0
            for service in services {
                guard let records = try? resolver.srv(service.name) else { continue }
                for record in records where record.target != "." && !record.target.isEmpty {
                    plan.srvRecords.append(record)
                    let addresses = (try? resolver.addresses(record.target)) ?? []
                    if let address = addresses.first {
                        plan.targets.append(DiscoveryTarget(
                            address: address, port: record.port, transport: service.transport, srvTarget: record.target,
                            srvRank: rank))
                    }
                    rank += 1
                }
            }
            do {
                plan.resolvedAddresses = try resolver.addresses(host)
            } catch {
                hostError = error
            }
        }
        if let address = plan.resolvedAddresses.first {
            var matrix: [DiscoveryTarget] = []
            for port in standardPorts {
                matrix.append(DiscoveryTarget(address: address, port: port, transport: .udp))
                matrix.append(DiscoveryTarget(address: address, port: port, transport: .tcp))
            }
            matrix.insert(DiscoveryTarget(address: address, port: 5061, transport: .tls), at: 0)
            // What was typed goes first: the port over the given transport (or each), the transport on its default port.
            var typed: [DiscoveryTarget] = []
            if let port = destination.port {
                let transports = destination.transport.map { [$0] } ?? [.udp, .tcp]
                typed = transports.map { DiscoveryTarget(address: address, port: port, transport: $0) }
            } else if let transport = destination.transport {
                typed = [DiscoveryTarget(address: address, port: transport.defaultPort, transport: transport)]
            }
            matrix.removeAll { target in typed.contains { $0.peer == target.peer } }
            matrix.insert(contentsOf: typed, at: 0)
            for target in matrix where !plan.targets.contains(where: { $0.peer == target.peer }) {
                plan.targets.append(target)
            }
        }
        if plan.targets.isEmpty {
            plan.dnsFailure = .dns(hostError ?? .noRecords(host))
        }
        return plan
    }
}

extension ProbeFailure {
    /// The failure a DNS problem means for a probe or a discovery.
    public static func dns(_ error: DNSError) -> ProbeFailure {
        switch error {
        case .nxdomain(let name):
            return ProbeFailure(kind: .dnsNxdomain, message: "\(name) does not exist in DNS", remedy: "check the spelling of the host name, or use the PBX's IP address")
        case .noRecords(let name):
            return ProbeFailure(kind: .dnsNoRecords, message: "\(name) has no A, AAAA or SIP SRV records", remedy: "add an address record for the host, or use its IP address")
        case .timeout(let server):
            return ProbeFailure(kind: .dnsTimeout, message: "\(server) did not answer the DNS query", remedy: "check the DNS server (--dns-server HOST:PORT), or use an IP address")
        case .refused(let server):
            return ProbeFailure(
                kind: .dnsRefused, message: "\(server) refused the DNS query (REFUSED or SERVFAIL, or nothing listens there)",
                remedy: "use a DNS server that resolves this name for you (--dns-server HOST:PORT), or the PBX's IP address")
        case .other(let detail):
            return ProbeFailure(kind: .dnsNoRecords, message: detail, remedy: "check the host name and the DNS server")
        }
    }
}

/// One probe of a discovery and what it found.
public struct DiscoveryAttemptResult: Sendable, Hashable {
    public var target: DiscoveryTarget
    public var outcome: ProbeOutcome

    public init(target: DiscoveryTarget, outcome: ProbeOutcome) {
        self.target = target
        self.outcome = outcome
    }

    public var response: ProbeResponse? {
        if case .response(let response) = outcome { return response }
        return nil
    }

    public var failure: ProbeFailure? {
        if case .failure(let failure) = outcome { return failure }
        return nil
    }
}

/// The finished discovery: every attempt, the recommendation and its reason.
public struct DiscoveryResult: Sendable, Hashable {
    public var plan: DiscoveryPlan
    public var attempts: [DiscoveryAttemptResult]
    public var recommendation: Recommendation?

    public struct Recommendation: Sendable, Hashable {
        public var target: DiscoveryTarget
        public var response: ProbeResponse
        public var system: Fingerprint
        /// Why this one, in a sentence or two a person can check against the attempts.
        public var reason: String
        /// Set when TLS is not available: the guide requires TLS for signalling.
        public var warning: String?
    }

    /// Whether anything answered.
    public var isReachable: Bool { recommendation != nil }

    public init(plan: DiscoveryPlan, attempts: [DiscoveryAttemptResult]) {
        self.plan = plan
        self.attempts = attempts
        self.recommendation = Self.recommend(attempts, requestedPort: plan.requestedPort, requestedTransport: plan.requestedTransport)
    }

    /// The written-down rule: among the probes that got a SIP answer, prefer TLS (the guide requires TLS for
    /// signalling), then TCP, then UDP. Within a transport, a 2xx answer beats others, then targets published in
    /// SRV (in RFC 2782 order), then the standard port (5061 for TLS, 5060 otherwise), then the quickest answer.
    ///
    /// What the destination gave is kept when it answers: a given port and/or transport narrows the choice to the
    /// targets that match it, and only when none of them answered does the rule look wider (and says so).
    public static func recommend(_ attempts: [DiscoveryAttemptResult], requestedPort: Int? = nil, requestedTransport: SIPTransport? = nil) -> Recommendation? {
        if requestedPort != nil || requestedTransport != nil {
            let matching = attempts.filter { attempt in
                (requestedPort.map { attempt.target.port == $0 } ?? true) && (requestedTransport.map { attempt.target.transport == $0 } ?? true)
            }
            if var kept = recommend(matching) {
                let given = [requestedTransport?.viaToken, requestedPort.map { "port \($0)" }].compactMap { $0 }.joined(separator: " ")
                kept.reason = "\(given) was given and answered with \(kept.response.statusCode) \(kept.response.reason): kept as typed. " + kept.reason
                return kept
            }
            if var wider = recommend(attempts) {
                let given = [requestedTransport?.viaToken, requestedPort.map { "port \($0)" }].compactMap { $0 }.joined(separator: " ")
                wider.reason = "\(given), as given, did not answer; " + wider.reason
                wider.warning = [wider.warning, "the destination's \(given) did not answer: check it, or use the recommendation"].compactMap { $0 }.joined(separator: "; ")
                return wider
            }
            return nil
        }
        let answered = attempts.compactMap { attempt in attempt.response.map { (attempt.target, $0) } }
        let rank: (SIPTransport) -> Int = { $0 == .tls ? 0 : ($0 == .tcp ? 1 : 2) }
        guard
            let best = answered.min(by: { lhs, rhs in
                let left = (
                    rank(lhs.0.transport), (200..<300).contains(lhs.1.statusCode) ? 0 : 1, lhs.0.srvRank ?? Int.max,
                    lhs.0.port == lhs.0.transport.defaultPort ? 0 : 1, lhs.1.roundTrip)
                let right = (
                    rank(rhs.0.transport), (200..<300).contains(rhs.1.statusCode) ? 0 : 1, rhs.0.srvRank ?? Int.max,
                    rhs.0.port == rhs.0.transport.defaultPort ? 0 : 1, rhs.1.roundTrip)
                return left < right
            })
        else { return nil }
        let (target, response) = best
        let system = Fingerprint.identify([response] + answered.map(\.1).filter { $0 != response })
        var reason: String
        var warning: String?
        let via = target.srvTarget.map { " (SRV target \($0))" } ?? ""
        let others = Set(answered.map(\.0.transport)).subtracting([target.transport]).sorted { rank($0) < rank($1) }
        let alsoAnswered = others.isEmpty ? "" : "; \(others.map(\.viaToken).joined(separator: " and ")) also answered"
        switch target.transport {
        case .tls:
            reason = "TLS answered on \(target.port)\(via) with \(response.statusCode) \(response.reason): TLS is preferred because the guide requires encrypted signalling\(alsoAnswered)."
            if let tls = response.tls, !tls.trusted || !tls.hostnameMatches {
                warning = "the certificate was accepted only partly (trusted: \(tls.trusted), name matches: \(tls.hostnameMatches))"
            }
        case .tcp, .udp:
            let tlsAttempts = attempts.filter { $0.target.transport == .tls }
            let why = tlsAttempts.compactMap(\.failure).first.map { "\($0.kind.rawValue): \($0.message)" } ?? "not tried"
            let fallback = target.transport == .tcp ? "TCP is the next best: reliable delivery and no UDP fragmentation of large INVITEs" : "UDP is the only transport that answered"
            reason = "TLS did not answer (\(why)); \(fallback). \(target.transport.viaToken) \(target.port)\(via) answered \(response.statusCode) \(response.reason)\(alsoAnswered)."
            warning = "TLS is not available: the guide requires TLS for signalling; enable TLS on port 5061 of the PBX and run discovery again"
        }
        if !(200..<300).contains(response.statusCode) {
            reason += " The server answered OPTIONS with \(response.statusCode), which still shows a SIP server listening."
        }
        return Recommendation(target: target, response: response, system: system, reason: reason, warning: warning)
    }
}

/// Probes a plan's targets in parallel, at most `concurrency` at a time, on the engine's context.
public final class Discovery {
    let probe: OptionsProbe
    public var concurrency = 16

    public init(probe: OptionsProbe) {
        self.probe = probe
    }

    /// Runs every target of `plan`; `onAttempt` reports each as it completes, `completion` the whole result.
    public func run<Generator: RandomNumberGenerator>(
        _ plan: DiscoveryPlan, using generator: inout Generator,
        onAttempt: @escaping (DiscoveryAttemptResult) -> Void = { _ in },
        completion: @escaping (DiscoveryResult) -> Void
    ) {
        guard plan.dnsFailure == nil, !plan.targets.isEmpty else {
            completion(DiscoveryResult(plan: plan, attempts: []))
            return
        }
        // Seeds for each probe's identifiers, drawn now: later probes start from callbacks.
        var seeds = plan.targets.map { _ in generator.next() }
        var pending = plan.targets[...]
        var results: [DiscoveryAttemptResult?] = Array(repeating: nil, count: plan.targets.count)
        var remaining = plan.targets.count
        let probe = self.probe
        // The closure refers to itself to start the next probe; the cycle ends when the last probe completes.
        var startNext: () -> Void = {}
        startNext = {
            guard let target = pending.popFirst() else { return }
            let index = plan.targets.count - pending.count - 1
            var seeded = SeededGenerator(seed: seeds[index])
            seeds[index] = 0
            probe.probe(target.peer, domain: plan.domain, using: &seeded) { outcome in
                let attempt = DiscoveryAttemptResult(target: target, outcome: outcome)
                results[index] = attempt
                remaining -= 1
                onAttempt(attempt)
                if remaining == 0 {
                    completion(DiscoveryResult(plan: plan, attempts: results.compactMap { $0 }))
                    startNext = {}
                } else {
                    startNext()
                }
            }
        }
        for _ in 0..<min(concurrency, plan.targets.count) { startNext() }
    }
}

/// SplitMix64: expands one seed into a reproducible sequence (the few random values a probe needs; the demo data
/// set, the same on every run).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// RFC 3263 §4.2 for a known transport: where to send a request for `destination`. A name without a port is looked
/// up by SRV (`_sip._udp.`, `_sip._tcp.` or `_sips._tcp.`), the records in RFC 2782 order and each resolved to an
/// address (a target that does not resolve is skipped); without usable SRV records, the name's own address at the
/// given or the transport's default port. An IP address needs no DNS. Probes, the monitor and test calls locate
/// their peer with this; discovery (`DiscoveryPlan`) also asks NAPTR and probes the whole matrix.
public enum TargetLocation {
    /// The SRV service prefix for a transport.
    public static func srvPrefix(_ transport: SIPTransport) -> String {
        transport == .tls ? "_sips._tcp." : (transport == .tcp ? "_sip._tcp." : "_sip._udp.")
    }

    /// The targets in order, with the SRV records that gave them. Throws the resolver's error when the name has
    /// no address, `DNSError.noRecords` when nothing is left.
    public static func locate(
        _ destination: Destination, transport: SIPTransport, resolver: SIPResolver
    ) throws(DNSError) -> (srv: [(service: String, record: SRVRecord)], targets: [DiscoveryTarget]) {
        let host = destination.host
        if IPAddress.isIPv4(host) || IPAddress.isIPv6(host) {
            return ([], [DiscoveryTarget(address: host, port: destination.port ?? transport.defaultPort, transport: transport)])
        }
        var srv: [(service: String, record: SRVRecord)] = []
        var targets: [DiscoveryTarget] = []
        if destination.port == nil {
            let service = srvPrefix(transport) + host
            for record in (try? resolver.srv(service)) ?? [] where record.target != "." && !record.target.isEmpty {
                srv.append((service, record))
                if let address = try? resolver.addresses(record.target).first {
                    targets.append(DiscoveryTarget(address: address, port: record.port, transport: transport, srvTarget: record.target))
                }
            }
        }
        if targets.isEmpty, let address = try resolver.addresses(host).first {
            targets = [DiscoveryTarget(address: address, port: destination.port ?? transport.defaultPort, transport: transport)]
        }
        guard !targets.isEmpty else { throw DNSError.noRecords(host) }
        return (srv, targets)
    }
}
