import SIPCore
import SIPEngine
import Testing

/// DNS answers from a table, so the plan's rules can be checked one by one (the real resolver is exercised against
/// dnsmasq in SIPNetworkTests).
final class TableResolver: SIPResolver {
    var addresses: [String: [String]] = [:]
    var srv: [String: [SRVRecord]] = [:]
    var naptr: [String: [NAPTRRecord]] = [:]
    var missing: DNSError?

    func addresses(_ host: String) throws(DNSError) -> [String] {
        if IPAddress.isIPv4(host) || IPAddress.isIPv6(host) { return [host] }
        guard let found = addresses[host] else { throw missing ?? .nxdomain(host) }
        return found
    }

    func srv(_ name: String) throws(DNSError) -> [SRVRecord] {
        guard let found = srv[name] else { throw .nxdomain(name) }
        return found
    }

    func naptr(_ domain: String) throws(DNSError) -> [NAPTRRecord] {
        guard let found = naptr[domain] else { throw .noRecords(domain) }
        return found
    }
}

struct DiscoveryPlanTests {
    static func destination(_ text: String) throws -> Destination { try Destination(parsing: text) }

    @Test func anIPAddressGetsTheStandardMatrixWithTLSFirst() throws {
        let plan = DiscoveryPlan.resolve(try Self.destination("192.0.2.40"), resolver: TableResolver())
        #expect(plan.domain == nil)
        #expect(plan.resolvedAddresses == ["192.0.2.40"])
        #expect(plan.targets.map(\.description) == [
            "TLS 192.0.2.40:5061", "UDP 192.0.2.40:5060", "TCP 192.0.2.40:5060", "UDP 192.0.2.40:5061",
            "TCP 192.0.2.40:5061", "UDP 192.0.2.40:5080", "TCP 192.0.2.40:5080",
        ])
        #expect(plan.dnsFailure == nil)
    }

    /// Issue 14: what the destination gave is probed first (and an unusual port is probed at all).
    @Test func theGivenPortAndTransportAreProbedFirst() throws {
        let plan = DiscoveryPlan.resolve(try Self.destination("192.0.2.40:5070"), resolver: TableResolver())
        #expect(plan.targets.count == 9)
        #expect(plan.targets.prefix(2).map(\.description) == ["UDP 192.0.2.40:5070", "TCP 192.0.2.40:5070"])
        #expect(plan.requestedPort == 5070 && plan.requestedTransport == nil)
        let tcpOnly = DiscoveryPlan.resolve(try Self.destination("tcp://192.0.2.40:5070"), resolver: TableResolver())
        #expect(tcpOnly.targets.first?.description == "TCP 192.0.2.40:5070")
        #expect(tcpOnly.targets.count == 8)
        let standard = DiscoveryPlan.resolve(try Self.destination("sip:192.0.2.40:5080;transport=udp"), resolver: TableResolver())
        #expect(standard.targets.first?.description == "UDP 192.0.2.40:5080")
        #expect(standard.targets.count == 7, "no probe twice")
    }

    @Test func srvTargetsComeFirstInOrderWithTheirOwnPorts() throws {
        let resolver = TableResolver()
        resolver.addresses = ["pbx.example.com": ["192.0.2.40", "2001:db8::40"], "edge1.example.com": ["192.0.2.41"], "edge2.example.com": ["192.0.2.42"]]
        resolver.srv = [
            "_sips._tcp.pbx.example.com": [SRVRecord(name: "_sips._tcp.pbx.example.com", priority: 10, weight: 0, port: 5061, target: "edge1.example.com")],
            "_sip._udp.pbx.example.com": [
                SRVRecord(name: "_sip._udp.pbx.example.com", priority: 10, weight: 0, port: 5062, target: "edge2.example.com"),
                SRVRecord(name: "_sip._udp.pbx.example.com", priority: 20, weight: 0, port: 5060, target: "gone.example.com"),
            ],
        ]
        let plan = DiscoveryPlan.resolve(try Self.destination("pbx.example.com"), resolver: resolver)
        #expect(plan.domain == "pbx.example.com")
        #expect(plan.resolvedAddresses == ["192.0.2.40", "2001:db8::40"])
        #expect(plan.srvRecords.count == 3)
        // A target with no address is listed among the records but cannot be probed.
        #expect(plan.targets.prefix(2).map(\.description) == ["TLS 192.0.2.41:5061", "UDP 192.0.2.42:5062"])
        #expect(plan.targets.prefix(2).map(\.srvRank) == [0, 1])
        #expect(plan.targets.count == 9)
    }

    @Test func naptrChoosesTheServicesToLookUp() throws {
        let resolver = TableResolver()
        resolver.addresses = ["example.com": ["192.0.2.40"], "sbc.example.com": ["192.0.2.50"]]
        resolver.naptr = ["example.com": [
            NAPTRRecord(order: 20, preference: 10, flags: "s", service: "SIP+D2U", replacement: "_sip._udp.example.com"),
            NAPTRRecord(order: 10, preference: 10, flags: "s", service: "SIPS+D2T", replacement: "_sips._tcp.sbc.example.com"),
            NAPTRRecord(order: 5, preference: 10, flags: "s", service: "E2U+sip", replacement: "_x.example.com"),
        ]]
        resolver.srv = [
            "_sips._tcp.sbc.example.com": [SRVRecord(name: "_sips._tcp.sbc.example.com", priority: 1, weight: 0, port: 5061, target: "sbc.example.com")],
            // Not consulted: NAPTR did not point at it.
            "_sip._tcp.example.com": [SRVRecord(name: "_sip._tcp.example.com", priority: 1, weight: 0, port: 5090, target: "sbc.example.com")],
        ]
        let plan = DiscoveryPlan.resolve(try Self.destination("example.com"), resolver: resolver)
        #expect(plan.naptrRecords.map(\.service) == ["SIP+D2U", "SIPS+D2T"])
        #expect(plan.srvRecords.map(\.port) == [5061])
        #expect(plan.targets.first?.description == "TLS 192.0.2.50:5061")
        #expect(!plan.targets.contains { $0.port == 5090 })
    }

    @Test func aNameThatDoesNotExistFailsWithoutProbing() throws {
        let plan = DiscoveryPlan.resolve(try Self.destination("nowhere.example.com"), resolver: TableResolver())
        #expect(plan.targets.isEmpty)
        #expect(plan.dnsFailure?.kind == .dnsNxdomain)
        let resolver = TableResolver()
        resolver.missing = .timeout("127.0.0.1:53")
        let silent = DiscoveryPlan.resolve(try Self.destination("pbx.example.com"), resolver: resolver)
        #expect(silent.dnsFailure?.kind == .dnsTimeout)
    }
}

struct DiscoveryRunTests {
    static let address = "192.0.2.40"

    func peer(_ port: Int, _ transport: SIPTransport) -> PeerAddress {
        PeerAddress(host: Self.address, port: port, transport: transport)
    }

    /// Every target probed at once on the manual clock: the run ends at one transaction timeout (32 s), not
    /// at the sum of the silent ones.
    @Test func probesRunInParallelAndTheRecommendationFollowsTheRule() throws {
        let clock = ManualClock()
        let scripted = ScriptedPeer(clock: clock, behaviour: .silent)
        let agent = [("Server", "FreeSWITCH-mod_sofia/1.10.9-release"), ("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS")]
        scripted.behaviours = [
            peer(5060, .udp): .answer(code: 200, after: .milliseconds(3), headers: agent),
            peer(5060, .tcp): .answer(code: 200, after: .milliseconds(5), headers: agent),
            peer(5080, .tcp): .answer(code: 403, after: .milliseconds(1), headers: agent),
        ]
        scripted.connectFailures = [
            peer(5061, .tls): .tls(.untrusted, detail: "issuer CN=Private CA is not in the system trust store"),
            peer(5061, .tcp): .connectionRefused,
        ]
        let layer = TransactionLayer(clock: clock, transport: scripted)
        scripted.layer = layer
        let discovery = Discovery(probe: OptionsProbe(layer: layer))
        let plan = DiscoveryPlan.resolve(try Destination(parsing: Self.address), resolver: TableResolver())
        var live: [DiscoveryAttemptResult] = []
        var result: DiscoveryResult?
        var generator = SystemRandomNumberGenerator()
        discovery.run(plan, using: &generator, onAttempt: { live.append($0) }) { result = $0 }

        clock.advance(by: .seconds(31))
        #expect(result == nil)
        #expect(live.count == 5)
        clock.advance(by: .milliseconds(1_100))
        let finished = try #require(result)
        #expect(finished.attempts.count == 7)
        // Completion order on the wire: the first answers came back before the silent ones timed out.
        #expect(live.last?.failure?.kind == .timeout)

        let pick = try #require(finished.recommendation)
        #expect(pick.target.transport == .tcp && pick.target.port == 5060)
        #expect(pick.system.system == "FreeSWITCH" && pick.system.version == "1.10.9")
        #expect(pick.reason.contains("TLS did not answer (tls_untrusted"))
        #expect(pick.reason.contains("UDP also answered"))
        #expect(pick.warning?.contains("the guide requires TLS") == true)
        let tls = try #require(finished.attempts.first { $0.target.transport == .tls })
        #expect(tls.failure?.kind == .tlsUntrusted)
        #expect(tls.failure?.remedy.contains("--ca-file") == true)
    }

    static func response(_ code: Int, ms: Int, server: String? = nil) -> ProbeResponse {
        ProbeResponse(
            statusCode: code, reason: code == 200 ? "OK" : "Forbidden", roundTrip: .milliseconds(ms), server: server, userAgent: nil,
            allow: [], supported: [], accept: [], codecs: [])
    }

    @Test func recommendationRulesInOrder() {
        func attempt(_ port: Int, _ transport: SIPTransport, _ code: Int?, ms: Int = 5, rank: Int? = nil) -> DiscoveryAttemptResult {
            let target = DiscoveryTarget(address: "192.0.2.40", port: port, transport: transport, srvTarget: rank.map { _ in "edge.example.com" }, srvRank: rank)
            guard let code else {
                return DiscoveryAttemptResult(target: target, outcome: .failure(ProbeFailure(kind: .timeout, message: "t", remedy: "r")))
            }
            return DiscoveryAttemptResult(target: target, outcome: .response(Self.response(code, ms: ms)))
        }
        // TLS beats a quicker TCP and UDP.
        var pick = DiscoveryResult.recommend([attempt(5060, .udp, 200, ms: 1), attempt(5060, .tcp, 200, ms: 2), attempt(5061, .tls, 200, ms: 9)])
        #expect(pick?.target.transport == .tls)
        #expect(pick?.warning == nil)
        // Within a transport, 2xx beats 403; then the SRV order; then the standard port; then speed.
        pick = DiscoveryResult.recommend([attempt(5060, .tcp, 403, ms: 1), attempt(5080, .tcp, 200, ms: 5)])
        #expect(pick?.target.port == 5080)
        pick = DiscoveryResult.recommend([attempt(5060, .udp, 200, ms: 1), attempt(5062, .udp, 200, ms: 8, rank: 0)])
        #expect(pick?.target.port == 5062)
        pick = DiscoveryResult.recommend([attempt(5080, .udp, 200, ms: 1), attempt(5060, .udp, 200, ms: 8)])
        #expect(pick?.target.port == 5060)
        #expect(pick?.reason.contains("UDP is the only transport that answered") == true)
        // A 403 still shows a SIP server, and the reason says so.
        pick = DiscoveryResult.recommend([attempt(5060, .udp, 403)])
        #expect(pick?.reason.contains("still shows a SIP server") == true)
        // Nothing answered: no recommendation.
        #expect(DiscoveryResult.recommend([attempt(5060, .udp, nil)]) == nil)

        // Issue 14: sip:host:5080;transport=udp answered on UDP 5080 is kept, though TCP 5060 answered too.
        let typed = [attempt(5080, .udp, 200, ms: 3), attempt(5060, .tcp, 200, ms: 1), attempt(5061, .tls, nil)]
        pick = DiscoveryResult.recommend(typed, requestedPort: 5080, requestedTransport: .udp)
        #expect(pick?.target.port == 5080 && pick?.target.transport == .udp)
        #expect(pick?.reason.hasPrefix("UDP port 5080 was given and answered with 200 OK: kept as typed.") == true, "\(pick?.reason ?? "")")
        #expect(DiscoveryResult.recommend(typed)?.target.transport == .tcp)
        // Only a port given: the transport is still discovered among that port's answers.
        pick = DiscoveryResult.recommend([attempt(5080, .udp, 200), attempt(5080, .tcp, 200), attempt(5060, .tls, 200)], requestedPort: 5080)
        #expect(pick?.target.port == 5080 && pick?.target.transport == .tcp)
        // What was given did not answer: the wider choice, with a warning that says so.
        pick = DiscoveryResult.recommend([attempt(5080, .udp, nil), attempt(5060, .tcp, 200)], requestedPort: 5080, requestedTransport: .udp)
        #expect(pick?.target.port == 5060 && pick?.warning?.contains("did not answer") == true)
    }
}

struct FingerprintTests {
    static func response(server: String? = nil, userAgent: String? = nil, allow: [String] = [], supported: [String] = []) -> ProbeResponse {
        ProbeResponse(
            statusCode: 200, reason: "OK", roundTrip: .milliseconds(1), server: server, userAgent: userAgent, allow: allow,
            supported: supported, accept: [], codecs: [])
    }

    @Test(arguments: [
        ("Asterisk PBX 20.5.0", "Asterisk", "20.5.0"),
        ("FPBX-16.0.33(18.20.0)", "FreePBX", "16.0.33"),
        ("FreeSWITCH-mod_sofia/1.10.9-release~64bit", "FreeSWITCH", "1.10.9"),
        ("kamailio (5.6.3 (x86_64/linux))", "Kamailio", "5.6.3"),
        ("OpenSIPS (3.4.2 (x86_64/linux))", "OpenSIPS", "3.4.2"),
        ("3CXPhoneSystem 18.0.9.20 (20)", "3CX", "18.0.9.20"),
        ("Cisco-SIPGateway/IOS-17.6.4", "Cisco CUBE", "17.6.4"),
        ("Cisco-CUCM14.0", "Cisco UCM", "14.0"),
        ("Microsoft.PSTNHub.SIPProxy v.2024.1.2.3 i.EUNO.0", "Microsoft Teams Direct Routing", "2024.1.2.3"),
        ("AudioCodes/Mediant SW/v.7.40A.500.775", "AudioCodes SBC", "7.40"),
        ("Ribbon SBC SWe 11.1.1", "Ribbon SBC", "11.1.1"),
        ("Oracle SBC 9.2.0", "Oracle SBC (Acme Packet)", "9.2.0"),
        ("Twilio Gateway", "Twilio", nil),
    ] as [(String, String, String?)])
    func productsNamedInTheirHeaders(header: String, system: String, version: String?) {
        let found = Fingerprint.identify([Self.response(server: header)])
        #expect(found.system == system)
        #expect(found.version == version)
        #expect(found.confidence >= 0.9)
        // User-Agent counts as much as Server.
        #expect(Fingerprint.identify([Self.response(userAgent: header)]).system == system)
    }

    @Test func behaviourWhenTheHeaderIsHidden() {
        let pjsip = Self.response(allow: ["OPTIONS", "REGISTER", "SUBSCRIBE", "NOTIFY", "PUBLISH", "INVITE", "ACK", "BYE", "CANCEL", "UPDATE", "PRACK", "MESSAGE", "REFER"])
        let guess = Fingerprint.identify([pjsip])
        #expect(guess.system == "Asterisk")
        #expect(guess.confidence < 0.9 && guess.confidence > 0)
        let sofia = Self.response(allow: ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "MESSAGE", "INFO", "UPDATE", "REGISTER", "REFER", "NOTIFY"], supported: ["timer", "path", "replaces"])
        #expect(Fingerprint.identify([sofia]).system == "FreeSWITCH")
        let unknown = Fingerprint.identify([Self.response(server: "MyPBX 1.0")])
        #expect(unknown.system == "unknown")
        #expect(unknown.evidence.contains("MyPBX 1.0"))
        #expect(Fingerprint.identify([Self.response()]) == .unknown)
    }
}

/// RFC 3263 §4.2 for a known transport, the one place probes, the monitor and test calls locate their peer.
struct TargetLocationTests {
    @Test func srvRecordsInOrderThenTheNameItself() throws {
        let resolver = TableResolver()
        resolver.srv["_sip._udp.pbx.example"] = [
            SRVRecord(name: "_sip._udp.pbx.example", priority: 10, weight: 0, port: 5070, target: "a.pbx.example"),
            SRVRecord(name: "_sip._udp.pbx.example", priority: 20, weight: 0, port: 5080, target: "gone.pbx.example"),
            SRVRecord(name: "_sip._udp.pbx.example", priority: 30, weight: 0, port: 5090, target: "b.pbx.example"),
        ]
        resolver.addresses = ["a.pbx.example": ["192.0.2.1"], "b.pbx.example": ["192.0.2.2"], "pbx.example": ["192.0.2.9"]]
        let found = try TargetLocation.locate(try Destination(parsing: "pbx.example"), transport: .udp, resolver: resolver)
        // A target that does not resolve is skipped; its record is still reported.
        #expect(found.targets.map { "\($0.address):\($0.port)" } == ["192.0.2.1:5070", "192.0.2.2:5090"])
        #expect(found.srv.map(\.record.port) == [5070, 5080, 5090])
        // With a port, or over TLS where no SRV exists, the name's own address at that or the default port.
        let withPort = try TargetLocation.locate(try Destination(parsing: "pbx.example:5099"), transport: .udp, resolver: resolver)
        #expect(withPort.targets.map { "\($0.address):\($0.port)" } == ["192.0.2.9:5099"])
        let tls = try TargetLocation.locate(try Destination(parsing: "pbx.example"), transport: .tls, resolver: resolver)
        #expect(tls.targets.map { "\($0.address):\($0.port)" } == ["192.0.2.9:5061"])
        #expect(tls.srv.isEmpty)
    }

    @Test func anAddressNeedsNoDNSAndANameWithoutOneFails() throws {
        let resolver = TableResolver()
        let address = try TargetLocation.locate(try Destination(parsing: "[2001:db8::5]"), transport: .tcp, resolver: resolver)
        #expect(address.targets.map(\.address) == ["2001:db8::5"])
        #expect(address.targets.map(\.port) == [5060])
        #expect(throws: DNSError.nxdomain("nowhere.example")) {
            try TargetLocation.locate(try Destination(parsing: "nowhere.example"), transport: .udp, resolver: resolver)
        }
    }
}
