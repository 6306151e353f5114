import Foundation
import SIPCore
import SIPNetwork
import Testing

/// DNS through c-ares against a real dnsmasq on loopback, started and stopped by the tests.
@Suite(.serialized)
struct DNSResolverTests {
    final class Dnsmasq {
        let process = Process()
        let port: Int

        init(port: Int? = nil, extra: [String] = []) throws {
            self.port = port ?? ProbeIntegrationTests.freePort(Int32(SOCK_DGRAM.rawValue))
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/dnsmasq")
            process.arguments = [
                "--no-daemon", "--port=\(self.port)", "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv",
                "--no-hosts", "--user=\(ProcessInfo.processInfo.environment["USER"] ?? "root")", "--pid-file=",
                "--local=/test/",
                "--srv-host=_sip._udp.pbx.test,pbx.test,5070,10,60",
                "--srv-host=_sip._udp.pbx.test,backup.pbx.test,5080,20,10",
                "--srv-host=_sips._tcp.pbx.test,pbx.test,5061,10,10",
                "--host-record=pbx.test,127.0.0.1,::1",
                "--host-record=backup.pbx.test,127.0.0.2",
                "--txt-record=nothing.pbx.test,hello",
            ] + extra
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        var server: String { "127.0.0.1:\(port)" }

        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        deinit { stop() }
    }

    /// A dnsmasq that answers: a port picked free may be taken by a test running alongside before dnsmasq binds
    /// it, so one that does not answer within two seconds is replaced on another port (three tries).
    static func answeringDnsmasq(port: Int? = nil, extra: [String] = []) throws -> Dnsmasq {
        for attempt in 0..<3 {
            let dnsmasq = try Dnsmasq(port: attempt == 0 ? port : nil, extra: extra)
            let resolver = try DNSResolver(server: dnsmasq.server, timeout: .milliseconds(200), tries: 1)
            for _ in 0..<10 {
                if (try? resolver.addresses("pbx.test")) != nil { return dnsmasq }
                Thread.sleep(forTimeInterval: 0.2)
            }
            dnsmasq.stop()
        }
        throw DNSError.timeout("dnsmasq on loopback never answered")
    }

    /// dnsmasq needs a moment to bind: ask until it answers.
    static func resolver(for dnsmasq: Dnsmasq) throws -> DNSResolver {
        let resolver = try DNSResolver(server: dnsmasq.server, timeout: .milliseconds(300), tries: 1)
        for _ in 0..<30 {
            if (try? resolver.addresses("pbx.test")) != nil { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return resolver
    }

    @Test func srvRecordsInPriorityOrderAndAddressesOfBothFamilies() throws {
        let dnsmasq = try Dnsmasq()
        defer { dnsmasq.stop() }
        let resolver = try Self.resolver(for: dnsmasq)
        let records = try resolver.srv("_sip._udp.pbx.test")
        #expect(records.map(\.target) == ["pbx.test", "backup.pbx.test"])
        #expect(records.map(\.port) == [5070, 5080])
        #expect(records.first?.priority == 10 && records.first?.weight == 60)
        #expect(try resolver.srv("_sips._tcp.pbx.test").first?.port == 5061)
        #expect(try resolver.addresses("pbx.test") == ["127.0.0.1", "::1"])
        #expect(try resolver.addresses("backup.pbx.test") == ["127.0.0.2"])
    }

    @Test func nxdomainNoRecordsAndASilentServerAreTold() throws {
        let dnsmasq = try Dnsmasq()
        defer { dnsmasq.stop() }
        let resolver = try Self.resolver(for: dnsmasq)
        #expect(throws: DNSError.nxdomain("missing.test")) { try resolver.addresses("missing.test") }
        #expect(throws: DNSError.nxdomain("_sip._tcp.pbx.test")) { try resolver.srv("_sip._tcp.pbx.test") }
        #expect(throws: DNSError.noRecords("pbx.test")) { try resolver.srv("pbx.test") }
        #expect(throws: DNSError.noRecords("nothing.pbx.test")) { try resolver.addresses("nothing.pbx.test") }
        // A port where nothing answers DNS: a timeout, not a hang.
        let silent = ProbeIntegrationTests.UDPSocket(answer: nil)
        let deaf = try DNSResolver(server: "127.0.0.1:\(silent.port)", timeout: .milliseconds(200), tries: 1)
        #expect(throws: DNSError.timeout("127.0.0.1:\(silent.port)")) { try deaf.addresses("pbx.test") }
    }

    @Test func srvOrderingFollowsRFC2782() {
        var generator = SystemRandomNumberGenerator()
        let records = [
            SRVRecord(name: "s", priority: 20, weight: 0, port: 3, target: "c"),
            SRVRecord(name: "s", priority: 10, weight: 100, port: 1, target: "a"),
            SRVRecord(name: "s", priority: 10, weight: 0, port: 2, target: "b"),
        ]
        var firstIsHeavy = 0
        for _ in 0..<500 {
            let ordered = SRVRecord.ordered(records, using: &generator)
            #expect(ordered.last?.target == "c")
            if ordered.first?.target == "a" { firstIsHeavy += 1 }
        }
        // Weight 100 against weight 0 (plus one each): "a" comes first about 99% of the time.
        #expect(firstIsHeavy > 450)
    }

    @Test func badServerAddressIsRefused() {
        #expect(throws: DNSError.self) { try DNSResolver(server: "not a server") }
    }
}

/// `siptrunk probe` end to end: a name resolved by SRV through dnsmasq, answered by sipp, all on loopback.
@Suite(.serialized)
struct ProbeCommandDNSTests {
    static func runProbe(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try TestProcess.siptrunk(["probe"] + arguments)
    }

    @Test func srvLeadsToTheAnsweringServer() throws {
        let sipp = try ProbeIntegrationTests.SippServer(transport: .udp)
        defer { sipp.stop() }
        let dnsmasq = try DNSResolverTests.Dnsmasq(extra: ["--srv-host=_sip._udp.live.test,live.test,\(sipp.port),10,10", "--host-record=live.test,127.0.0.1"])
        defer { dnsmasq.stop() }
        _ = try DNSResolverTests.resolver(for: dnsmasq)
        var result = try Self.runProbe(["live.test", "--dns-server", dnsmasq.server, "--timeout", "1"])
        for _ in 0..<20 where result.status != 0 {
            Thread.sleep(forTimeInterval: 0.25)
            result = try Self.runProbe(["live.test", "--dns-server", dnsmasq.server, "--timeout", "1"])
        }
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("SRV _sip._udp.live.test → live.test:\(sipp.port)"))
        #expect(result.output.contains("200 OK"))
    }

    /// A server that answers REFUSED (dnsmasq for a name outside its zones, with no upstream) is not a timeout.
    @Test func aRefusedAnswerHasItsOwnKind() throws {
        // A dnsmasq with no zone and no upstream answers REFUSED to every query.
        let port = ProbeIntegrationTests.freePort(Int32(SOCK_DGRAM.rawValue))
        let dnsmasq = Process()
        dnsmasq.executableURL = URL(fileURLWithPath: "/usr/sbin/dnsmasq")
        dnsmasq.arguments = ["--no-daemon", "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts", "--pid-file="]
        dnsmasq.standardOutput = FileHandle.nullDevice
        dnsmasq.standardError = FileHandle.nullDevice
        try dnsmasq.run()
        defer {
            kill(dnsmasq.processIdentifier, SIGKILL)
            dnsmasq.waitUntilExit()
        }
        let server = "127.0.0.1:\(port)"
        let resolver = try DNSResolver(server: server, timeout: .milliseconds(500), tries: 1)
        var outcome: DNSError?
        for _ in 0..<20 {
            do { _ = try resolver.addresses("pbx.example.com") } catch { outcome = error }
            if outcome == .refused(server) { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(outcome == .refused(server))
        let result = try Self.runProbe(["pbx.example.com", "--dns-server", server, "--json"])
        #expect(result.status == 1)
        #expect(result.output.contains("\"kind\" : \"dns_refused\""), "\(result.output)")
    }

    @Test func unknownNameIsNXDOMAIN() throws {
        let dnsmasq = try DNSResolverTests.Dnsmasq()
        defer { dnsmasq.stop() }
        _ = try DNSResolverTests.resolver(for: dnsmasq)
        let result = try Self.runProbe(["missing.test", "--dns-server", dnsmasq.server, "--json"])
        #expect(result.status == 1)
        #expect(result.output.contains("\"kind\" : \"dns_nxdomain\""))
    }
}
