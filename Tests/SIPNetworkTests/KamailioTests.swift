import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import Testing
import TrunkCore
import TrunkStore

import TrunkRuntime

/// A real kamailio (with its TLS module) on loopback, with certificates from a CA the test makes with openssl.
/// Addresses and what listens there are in Fixtures/kamailio/kamailio.cfg.
final class KamailioServer {
    let directory: String
    let pid: pid_t
    var caFile: String { directory + "/ca.pem" }

    static let good = "127.0.0.23"
    static let expired = "127.0.0.24"
    static let wrongName = "127.0.0.25"
    static let noTLS = "127.0.0.26"
    static let dead = "127.0.0.27"

    /// Suites run in parallel, but there is one set of addresses: one kamailio at a time, process-wide.
    static let inUse = NSLock()
    private var stopped = false

    init() throws {
        Self.inUse.lock()
        do {
            try Self.checkAddressesFree()
            directory = NSTemporaryDirectory() + "siptrunk-kamailio-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory + "/issued", withIntermediateDirectories: true)
            try Self.makeCertificates(in: directory)
            let modules = try #require(
                ["/usr/lib/x86_64-linux-gnu/kamailio/modules", "/usr/lib/aarch64-linux-gnu/kamailio/modules", "/usr/lib/kamailio/modules"]
                    .first { FileManager.default.fileExists(atPath: $0 + "/tls.so") },
                "kamailio-tls-modules is not installed")
            for name in ["kamailio.cfg", "tls.cfg"] {
                let template = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/kamailio"))
                let text = try String(contentsOf: template, encoding: .utf8)
                    .replacingOccurrences(of: "@DIR@", with: directory).replacingOccurrences(of: "@MODULES@", with: modules + "/")
                    .replacingOccurrences(
                        of: "@IPV6@",
                        with: Self.hasIPv6Loopback ? "listen=udp:[::1]:5060\nlisten=tcp:[::1]:5060\nlisten=tls:[::1]:5061" : "")
                try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
            }
            pid = try TestProcess.start(
                "/usr/sbin/kamailio",
                ["-DD", "-E", "-f", directory + "/kamailio.cfg", "-Y", directory, "-w", directory, "-P", directory + "/kamailio.pid", "-m", "32", "-M", "8"],
                log: directory + "/kamailio.log")
        } catch {
            // Nothing started: free the addresses for the next test.
            Self.inUse.unlock()
            throw error
        }
        try waitUntilListening()
    }

    static func checkAddressesFree() throws {
        for _ in 0..<50 where accepts(good, 5060) { Thread.sleep(forTimeInterval: 0.05) }
        if accepts(good, 5060) {
            throw TestFailure("something already listens on \(good):5060 (a kamailio left running?): stop it, these tests need that address")
        }
    }

    /// kamailio opens its sockets a moment after it starts: connect until TCP 5060 and TLS 5061 accept.
    func waitUntilListening() throws {
        for _ in 0..<100 {
            if Self.accepts(Self.good, 5060), Self.accepts(Self.good, 5061), Self.accepts(Self.noTLS, 5060) { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let log = (try? String(contentsOfFile: directory + "/kamailio.log", encoding: .utf8)) ?? ""
        stop()
        throw TestFailure("kamailio did not start:\n\(log.suffix(2000))")
    }

    /// Whether ::1 exists here (a container may have IPv6 turned off).
    static let hasIPv6Loopback: Bool = {
        let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        } == 0
    }()

    static func accepts(_ host: String, _ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// kamailio's main process puts itself and its workers in a process group of their own: end that group
    /// (its leader is in the pid file), then the process we started.
    func stop() {
        guard !stopped else { return }
        stopped = true
        defer { Self.inUse.unlock() }
        if let text = try? String(contentsOfFile: directory + "/kamailio.pid", encoding: .utf8),
            let main = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), main > 1
        {
            kill(-main, SIGKILL)
            kill(main, SIGKILL)
        }
        TestProcess.stop(pid)
        // Its sockets close with the last worker; wait until the next test can bind them.
        for _ in 0..<100 where Self.accepts(Self.good, 5060) { Thread.sleep(forTimeInterval: 0.02) }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A CA, and three server certificates it signs: good (pbx.test), expired (pbx.test, 2020), wrong name.
    static func makeCertificates(in directory: String) throws {
        let config = try #require(Bundle.module.url(forResource: "ca.cnf", withExtension: nil, subdirectory: "Fixtures/kamailio")).path
        try "".write(toFile: directory + "/index.txt", atomically: true, encoding: .utf8)
        try "1000\n".write(toFile: directory + "/serial", atomically: true, encoding: .utf8)
        let environment = ["CADIR": directory, "SAN": "DNS:unused"]
        try openssl(
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", directory + "/ca.key",
             "-out", directory + "/ca.pem", "-days", "30", "-subj", "/CN=siptrunk test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            environment)
        let servers = [
            ("good", "pbx.kamailio.test", "DNS:pbx.kamailio.test,URI:sip:pbx.kamailio.test", "20250101000000Z", "20451231000000Z"),
            ("expired", "pbx.kamailio.test", "DNS:pbx.kamailio.test", "20200101000000Z", "20210101000000Z"),
            ("wrongname", "other.kamailio.test", "DNS:other.kamailio.test", "20250101000000Z", "20451231000000Z"),
        ]
        for (name, commonName, san, start, end) in servers {
            let base = directory + "/" + name
            try openssl(
                ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", base + ".key",
                 "-out", base + ".csr", "-subj", "/CN=\(commonName)"],
                environment)
            var signing = environment
            signing["SAN"] = san
            try openssl(
                ["ca", "-batch", "-config", config, "-cert", directory + "/ca.pem", "-keyfile", directory + "/ca.key",
                 "-in", base + ".csr", "-out", base + ".pem", "-extensions", "server", "-startdate", start, "-enddate", end, "-notext"],
                signing)
        }
    }

    static func openssl(_ arguments: [String], _ environment: [String: String]) throws {
        let result = try TestProcess.run("/usr/bin/openssl", arguments, environment: environment)
        guard result.status == 0 else { throw TestFailure("openssl \(arguments.first ?? "") failed: \(result.output)") }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Probes and discovery against kamailio on UDP, TCP and TLS, with real certificates.
@Suite(.serialized)
struct KamailioTests {
    static func prober(trust: TLSTrust) -> NetworkProber {
        NetworkProber(timers: TransactionTimers(t1: .microseconds(31_250)), trust: trust)
    }

    @Test func answersOnEachTransportWithTheTLSDetails() throws {
        let kamailio = try KamailioServer()
        defer { kamailio.stop() }
        let prober = Self.prober(trust: try TLSTrust.caFile(kamailio.caFile))
        defer { prober.shutdown() }
        for transport in [SIPTransport.udp, .tcp] {
            let outcome = try prober.probeAndWait(PeerAddress(host: KamailioServer.good, port: 5060, transport: transport), domain: "pbx.kamailio.test")
            guard case .response(let response) = outcome else {
                Issue.record("\(transport): \(outcome)")
                continue
            }
            #expect(response.statusCode == 200)
            #expect(response.server?.hasPrefix("kamailio") == true)
            #expect(response.tls == nil)
        }
        let outcome = try prober.probeAndWait(PeerAddress(host: KamailioServer.good, port: 5061, transport: .tls), domain: "pbx.kamailio.test")
        guard case .response(let response) = outcome else {
            Issue.record("TLS: \(outcome)")
            return
        }
        #expect(response.statusCode == 200)
        let tls = try #require(response.tls)
        #expect(["TLSv1.2", "TLSv1.3"].contains(tls.protocolVersion))
        #expect(tls.cipher.hasPrefix("TLS_"))
        #expect(tls.subject == "CN=pbx.kamailio.test")
        #expect(tls.subjectAlternativeNames == ["DNS:pbx.kamailio.test", "URI:sip:pbx.kamailio.test"])
        #expect(tls.issuer == "CN=siptrunk test CA")
        #expect(tls.trusted && tls.hostnameMatches)
        // The trace holds the TLS exchange like any other.
        #expect(prober.trace.contains { $0.remote.transport == .tls })
    }

    @Test(.enabled(if: KamailioServer.hasIPv6Loopback, "no IPv6 loopback on this machine"))
    func answersOverIPv6OnEachTransport() throws {
        let kamailio = try KamailioServer()
        defer { kamailio.stop() }
        let prober = Self.prober(trust: try TLSTrust.caFile(kamailio.caFile))
        defer { prober.shutdown() }
        for (port, transport) in [(5060, SIPTransport.udp), (5060, .tcp), (5061, .tls)] {
            var outcome = try prober.probeAndWait(PeerAddress(host: "::1", port: port, transport: transport), domain: "pbx.kamailio.test")
            // kamailio may still be opening its IPv6 sockets.
            for _ in 0..<20 where !outcome.isReachable {
                Thread.sleep(forTimeInterval: 0.1)
                outcome = try prober.probeAndWait(PeerAddress(host: "::1", port: port, transport: transport), domain: "pbx.kamailio.test")
            }
            guard case .response(let response) = outcome else {
                Issue.record("\(transport) over IPv6: \(outcome)")
                continue
            }
            #expect(response.statusCode == 200)
            #expect(response.server?.hasPrefix("kamailio") == true)
        }
        // The Via carried a bracketed IPv6 sent-by and kamailio answered to it.
        let sent = prober.trace.filter { $0.direction == .sent }.compactMap { try? SIPMessageParser().parse(datagram: $0.raw) }
        #expect(sent.contains { (try? $0.topVia)?.host == "::1" })
    }

    @Test func certificateProblemsAreClassified() throws {
        let kamailio = try KamailioServer()
        defer { kamailio.stop() }
        let trusting = Self.prober(trust: try TLSTrust.caFile(kamailio.caFile))
        defer { trusting.shutdown() }
        let system = Self.prober(trust: .system)
        defer { system.shutdown() }

        func failure(_ prober: NetworkProber, _ host: String) throws -> ProbeFailure {
            let outcome = try prober.probeAndWait(PeerAddress(host: host, port: 5061, transport: .tls), domain: "pbx.kamailio.test")
            guard case .failure(let failure) = outcome else { throw TestFailure("\(host) answered: \(outcome)") }
            return failure
        }

        let untrusted = try failure(system, KamailioServer.good)
        #expect(untrusted.kind == .tlsUntrusted)
        #expect(untrusted.message.contains("CN=siptrunk test CA"))
        #expect(untrusted.remedy.contains("--ca-file"))
        #expect(untrusted.tls?.trusted == false)
        #expect(untrusted.tls?.hostnameMatches == true)

        let expired = try failure(trusting, KamailioServer.expired)
        #expect(expired.kind == .tlsExpired)
        #expect(expired.message.contains("2021-01-01"))
        #expect(expired.tls.map { $0.notAfter < Date().timeIntervalSince1970 } == true)

        let mismatch = try failure(trusting, KamailioServer.wrongName)
        #expect(mismatch.kind == .tlsHostnameMismatch)
        #expect(mismatch.message.contains("DNS:other.kamailio.test"))
        #expect(mismatch.tls?.trusted == true)
        #expect(mismatch.tls?.hostnameMatches == false)

        // Plain TCP to a TLS port, and TLS where nothing listens.
        let plain = try trusting.probeAndWait(PeerAddress(host: KamailioServer.good, port: 5061, transport: .tcp), domain: "pbx.kamailio.test")
        #expect(plain.failureKind == .connectionReset || plain.failureKind == .timeout)
        let closed = try trusting.probeAndWait(PeerAddress(host: KamailioServer.noTLS, port: 5061, transport: .tls), domain: "pbx.kamailio.test")
        #expect(closed.failureKind == .connectionRefused)
        #expect(closed.failure?.remedy.contains("enable TLS") == true)
    }

    /// Discovery end to end through the CLI: dnsmasq serves NAPTR, SRV and A records; kamailio answers.
    @Test func discoveryRecommendsTLSWithItsReasonAndStoresTheRun() throws {
        let kamailio = try KamailioServer()
        defer { kamailio.stop() }
        let dnsmasq = try DNSResolverTests.Dnsmasq(extra: [
            "--host-record=pbx.kamailio.test,\(KamailioServer.good)",
            "--naptr-record=pbx.kamailio.test,10,10,S,SIPS+D2T,,_sips._tcp.pbx.kamailio.test",
            "--naptr-record=pbx.kamailio.test,20,10,S,SIP+D2U,,_sip._udp.pbx.kamailio.test",
            "--srv-host=_sips._tcp.pbx.kamailio.test,pbx.kamailio.test,5061,10,10",
        ])
        defer { dnsmasq.stop() }
        _ = try DNSResolverTests.resolver(for: dnsmasq)
        // A UDP socket that reads and never answers: the silent port of the matrix.
        let silent = try ProbeIntegrationTests.UDPSocket(bindingTo: KamailioServer.good, port: 5080)
        defer { withExtendedLifetime(silent) {} }
        let database = NSTemporaryDirectory() + "siptrunk-discover-\(UUID().uuidString).sqlite"
        // A TLS handshake with certificate checks in a debug build, beside 300 tests on two cores, took over 1.5 s
        // and then over 4 s twice in full runs (never alone): the timeout is not what this test is about.
        let result = try TestProcess.siptrunk([
            "discover", "pbx.kamailio.test", "--dns-server", dnsmasq.server, "--ca-file", kamailio.caFile, "--timeout", "10",
            "--json", "--db", database,
        ])
        #expect(result.status == 0, "\(result.output)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let data = try #require(json["data"] as? [String: Any])
        #expect(data["status"] as? String == "completed")
        #expect(data["resolved_addresses"] as? [String] == [KamailioServer.good])
        let srv = try #require(data["srv_records"] as? [String])
        #expect(srv.contains { $0.hasPrefix("_sips._tcp.pbx.kamailio.test") })
        #expect((data["naptr_records"] as? [String])?.count == 2)
        let attempts = try #require(data["attempts"] as? [[String: Any]])
        func attempt(_ port: Int, _ transport: String) -> [String: Any]? {
            attempts.first { $0["port"] as? Int == port && $0["transport"] as? String == transport }
        }
        #expect(attempts.count == 7)
        #expect(attempt(5060, "udp")?["response_code"] as? Int == 200)
        #expect(attempt(5060, "tcp")?["response_code"] as? Int == 200)
        #expect(attempt(5061, "tls")?["response_code"] as? Int == 200, "\(attempt(5061, "tls") ?? [:])")
        #expect((attempt(5061, "tls")?["srv_target"] as? String) == "pbx.kamailio.test")
        #expect((attempt(5080, "udp")?["error"] as? [String: Any])?["kind"] as? String == "timeout")
        #expect((attempt(5080, "tcp")?["error"] as? [String: Any])?["kind"] as? String == "connection_refused")
        #expect((attempt(5061, "udp")?["error"] as? [String: Any])?["kind"] as? String == "icmp_unreachable")
        let recommended = try #require(data["recommended"] as? [String: Any])
        #expect(recommended["transport"] as? String == "tls")
        #expect(recommended["port"] as? Int == 5061)
        #expect((recommended["detected_system"] as? String)?.hasPrefix("Kamailio 5.") == true)
        #expect((recommended["reason"] as? String)?.contains("TLS is preferred") == true)
        #expect(recommended["warning"] == nil || recommended["warning"] is NSNull)
        #expect(data["discovery_id"] as? String != nil && data["started_at"] as? String != nil && data["completed_at"] as? String != nil)

        // The run is in the database: the same store the wizard and the API read.
        let service = SIPTrunkService(store: try TrunkDatabase(path: database))
        let stored = try #require(try service.discoveryRun(id: data["discovery_id"] as? String))
        #expect(stored.run.status == "completed")
        #expect(stored.attempts.count == 7)
        #expect(stored.run.recommended?.contains("\"transport\":\"tls\"") == true)
    }

    @Test func withoutTLSDiscoveryFallsBackToTCPAndWarns() throws {
        let kamailio = try KamailioServer()
        defer { kamailio.stop() }
        let database = NSTemporaryDirectory() + "siptrunk-discover-\(UUID().uuidString).sqlite"
        let result = try TestProcess.siptrunk(["discover", KamailioServer.noTLS, "--timeout", "1", "--db", database])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("recommended: TCP port 5060 on \(KamailioServer.noTLS)"))
        #expect(result.output.contains("TLS did not answer (connection_refused"))
        #expect(result.output.contains("warning:     TLS is not available"))
        #expect(result.output.contains("detected:    Kamailio"))
    }

    @Test func deadFirstSRVTargetHandsOverToTheNext() throws {
        let kamailio = try KamailioServer()
        defer { kamailio.stop() }
        let dnsmasq = try DNSResolverTests.Dnsmasq(extra: [
            "--srv-host=_sip._udp.srv.test,dead.test,5060,10,10",
            "--srv-host=_sip._udp.srv.test,live.test,5060,20,10",
            "--host-record=dead.test,\(KamailioServer.dead)",
            "--host-record=live.test,\(KamailioServer.good)",
        ])
        defer { dnsmasq.stop() }
        _ = try DNSResolverTests.resolver(for: dnsmasq)
        let probe = try TestProcess.siptrunk(["probe", "srv.test", "--dns-server", dnsmasq.server, "--timeout", "1"])
        #expect(probe.status == 0, "\(probe.output)")
        #expect(probe.output.contains("UDP \(KamailioServer.dead):5060  icmp_unreachable"))
        #expect(probe.output.contains("UDP \(KamailioServer.good):5060  200 OK"))

        let database = NSTemporaryDirectory() + "siptrunk-discover-\(UUID().uuidString).sqlite"
        let result = try TestProcess.siptrunk(["discover", "srv.test", "--dns-server", dnsmasq.server, "--timeout", "1", "--json", "--db", database])
        #expect(result.status == 0, "\(result.output)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let data = try #require(json["data"] as? [String: Any])
        let attempts = try #require(data["attempts"] as? [[String: Any]])
        #expect(attempts.count == 2)
        let dead = try #require(attempts.first { $0["srv_target"] as? String == "dead.test" })
        #expect((dead["error"] as? [String: Any])?["kind"] as? String == "icmp_unreachable")
        let recommended = try #require(data["recommended"] as? [String: Any])
        #expect(recommended["address"] as? String == KamailioServer.good)
        #expect(recommended["transport"] as? String == "udp")
        #expect((recommended["warning"] as? String)?.contains("TLS is not available") == true)
    }

    @Test func unknownNameFailsDiscoveryWithADNSKind() throws {
        let dnsmasq = try DNSResolverTests.Dnsmasq()
        defer { dnsmasq.stop() }
        _ = try DNSResolverTests.resolver(for: dnsmasq)
        let database = NSTemporaryDirectory() + "siptrunk-discover-\(UUID().uuidString).sqlite"
        let result = try TestProcess.siptrunk(["discover", "missing.test", "--dns-server", dnsmasq.server, "--json", "--db", database])
        #expect(result.status == 1)
        #expect(result.output.contains("\"status\" : \"failed\""))
        #expect(result.output.contains("\"kind\" : \"dns_nxdomain\""))
    }

    @Test func unusableCAFileIsAUsageError() throws {
        let result = try TestProcess.siptrunk(["probe", "127.0.0.1", "--transport", "tls", "--ca-file", "/nonexistent/ca.pem"])
        #expect(result.status == 2)
        #expect(result.output.contains("the CA file /nonexistent/ca.pem cannot be read"))
    }
}

extension ProbeOutcome {
    var failure: ProbeFailure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
    var failureKind: ProbeFailure.Kind? { failure?.kind }
}
