import Foundation
import SIPCore
import SIPEngine
import Testing
import TrunkCore
import TrunkStore

/// `siptrunk monitor` against kamailio: healthy, then unreachable when kamailio stops, healthy again when it is
/// back; every sample stored with its classification and the uptime computed from them.
@Suite(.serialized)
struct MonitorTests {
    static func waitForLine(containing text: String, in log: String, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let content = try? String(contentsOfFile: log, encoding: .utf8), content.contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    @Test func unreachableWhenKamailioStopsAndHealthyWhenItIsBack() throws {
        var kamailio: KamailioServer? = try KamailioServer()
        defer { kamailio?.stop() }
        let database = TestCallTests.database()
        let attach = try TestProcess.siptrunk([
            "trunks", "attach", "+14155558001", "--trunk", "mon-trunk", "--direction", "outbound", "--endpoint", KamailioServer.good,
            "--port", "5060", "--transport", "udp", "--db", database,
        ])
        #expect(attach.status == 0, "\(attach.output)")
        let inbound = try TestProcess.siptrunk(["trunks", "attach", "+14155558002", "--trunk", "mon-trunk", "--direction", "inbound", "--db", database])
        #expect(inbound.status == 0, "\(inbound.output)")

        let log = NSTemporaryDirectory() + "siptrunk-monitor-\(UUID().uuidString).log"
        let monitor = try TestProcess.start(
            try TestProcess.siptrunkPath(), ["monitor", "--interval", "10", "--fail-after", "1", "--recover-after", "1", "--json", "--db", database], log: log)
        defer { TestProcess.stop(monitor) }

        #expect(Self.waitForLine(containing: "\"health_status\":\"healthy\"", in: log, seconds: 15), "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        // The dashboard, in its own process, follows what the monitor stores without a key press.
        let dashboard = try TmuxSession(command: "env LANG=C.UTF-8 TERM=xterm-256color \(try TestProcess.siptrunkPath()) dashboard --refresh 1 --db \(database); sleep 15", width: 80, height: 24)
        defer { dashboard.kill() }
        let before = try dashboard.waitFor("healthy")
        #expect(before.contains("+14155558001") && before.contains("unchecked"), "\(before)")
        kamailio?.stop()
        kamailio = nil
        #expect(Self.waitForLine(containing: "\"health_status\":\"unreachable\"", in: log, seconds: 25), "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        let down = try dashboard.waitFor("unreachable", seconds: 5)
        #expect(down.split(separator: "\n").contains { $0.contains("+14155558001") && $0.contains("unreachable") }, "\(down)")

        // The state is in the database for every other process (the dashboard, siptrunk numbers).
        let service = SIPTrunkService(store: try TrunkDatabase(path: database))
        // The monitor stores its samples once a second, in one transaction.
        let stored = try #require(try Self.eventually(service, .unreachable))
        #expect(stored.healthStatus == .unreachable)
        #expect(stored.lastFailures.first?.outcome == "icmp_unreachable" || stored.lastFailures.first?.outcome == "timeout", "\(stored.lastFailures)")
        #expect(stored.lastFailures.first?.remedy != nil)
        #expect(try service.healthOverview().first { $0.phoneNumber == "+14155558002" }?.healthStatus == .unchecked)

        kamailio = try KamailioServer()
        let start = (try? String(contentsOfFile: log, encoding: .utf8))?.count ?? 0
        let deadline = Date().addingTimeInterval(25)
        var recovered = false
        while Date() < deadline, !recovered {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            recovered = text.dropFirst(start).contains("\"health_status\":\"healthy\"")
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(recovered)
        try dashboard.waitFor("healthy", seconds: 5)
        let after = try dashboard.screen()
        #expect(!after.contains("unreachable"), "\(after)")
        let up = try #require(try Self.eventually(service, .healthy))
        #expect(up.healthStatus == .healthy)
        let uptime = try #require(up.uptime1h)
        #expect(uptime > 0 && uptime < 100, "one failure among the samples: \(uptime)")
        #expect(up.averageResponseMs != nil && up.recentResponseMs.contains { $0 == nil })

        let numbers = try TestProcess.siptrunk(["numbers", "--json", "--db", database])
        #expect(numbers.output.contains("\"health_status\" : \"healthy\""), "\(numbers.output)")
    }

    /// The number's full health (uptime, failures) once the overview shows `state` (within 3 s), else the last seen.
    static func eventually(_ service: SIPTrunkService, _ state: HealthState, number: String = "+14155558001") throws -> HealthView? {
        var view: HealthView?
        for _ in 0..<30 {
            view = try service.healthOverview().first { $0.phoneNumber == number }
            if view?.healthStatus == state { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return try view.map { try service.health(configId: $0.configId) }
    }

    /// A name that does not resolve is sampled as a DNS failure each interval (so the dashboard says why), and
    /// probed once it resolves: dnsmasq first without the record, then restarted with it.
    @Test func anEndpointWhoseNameDoesNotResolveIsSampledAsADNSFailureUntilItDoes() throws {
        var dnsmasq: DNSResolverTests.Dnsmasq? = try DNSResolverTests.answeringDnsmasq()
        defer { dnsmasq?.stop() }
        let port = dnsmasq!.port
        let kamailio = try KamailioServer()
        defer { kamailio.stop() }
        let database = TestCallTests.database()
        let attach = try TestProcess.siptrunk([
            "trunks", "attach", "+14155558003", "--trunk", "dns-trunk", "--direction", "outbound", "--endpoint", "moved.pbx.test",
            "--port", "5060", "--transport", "udp", "--db", database,
        ])
        #expect(attach.status == 0, "\(attach.output)")
        let log = NSTemporaryDirectory() + "siptrunk-monitor-\(UUID().uuidString).log"
        let monitor = try TestProcess.start(
            try TestProcess.siptrunkPath(),
            ["monitor", "--interval", "10", "--fail-after", "2", "--recover-after", "1", "--json", "--dns-server", "127.0.0.1:\(port)", "--db", database], log: log)
        defer { TestProcess.stop(monitor) }

        // At once, then 10 s later: degraded, then unreachable, each with the resolver's reason.
        #expect(Self.waitForLine(containing: "\"outcome\":\"dns_nxdomain\"", in: log, seconds: 5), "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        #expect(Self.waitForLine(containing: "\"health_status\":\"unreachable\"", in: log, seconds: 15), "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        let service = SIPTrunkService(store: try TrunkDatabase(path: database))
        var view = try Self.eventually(service, .unreachable, number: "+14155558003")
        #expect(view?.healthStatus == .unreachable)
        let failure = try #require(view?.lastFailures.first)
        #expect(failure.outcome == "dns_nxdomain" && failure.message?.contains("moved.pbx.test") == true && failure.remedy != nil, "\(failure)")

        // The name now points at kamailio: the next look-up finds it and the endpoint is probed.
        dnsmasq?.stop()
        // Same port (the monitor was told it); dnsmasq must answer there again.
        dnsmasq = try DNSResolverTests.Dnsmasq(port: port, extra: ["--host-record=moved.pbx.test,\(KamailioServer.good)"])
        _ = try DNSResolverTests.resolver(for: dnsmasq!)
        #expect(Self.waitForLine(containing: "\"health_status\":\"healthy\"", in: log, seconds: 25), "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        view = try Self.eventually(service, .healthy, number: "+14155558003")
        #expect(view?.healthStatus == .healthy && view?.lastCheckedAt != nil)
    }

    /// Every endpoint failing DNS is not "no outbound endpoints" (issue 19): the monitor says what it watches.
    @Test func aMonitorWhoseEveryNameFailsDNSSaysSo() throws {
        let database = TestCallTests.database()
        let attach = try TestProcess.siptrunk([
            "trunks", "attach", "+14155558004", "--direction", "outbound", "--endpoint", "nowhere.pbx.test", "--port", "5060",
            "--transport", "udp", "--db", database,
        ])
        #expect(attach.status == 0, "\(attach.output)")
        let log = NSTemporaryDirectory() + "siptrunk-monitor-\(UUID().uuidString).log"
        // Nothing answers DNS on the discard port: every look-up fails.
        let monitor = try TestProcess.start(
            try TestProcess.siptrunkPath(), ["monitor", "--interval", "10", "--dns-server", "127.0.0.1:9", "--db", database], log: log)
        defer { TestProcess.stop(monitor) }
        #expect(Self.waitForLine(containing: "1 of them do not resolve in DNS yet", in: log, seconds: 20), "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        #expect(!((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("no outbound endpoints"))
    }

    /// Issue 15: one probe per distinct endpoint per interval, its result stored for every number on it (100 numbers
    /// on one PBX sent it 100 OPTIONS per interval; SBCs ban that).
    @Test func oneProbePerEndpointWhateverTheNumbersOnIt() throws {
        let probes = Counter()
        let pbx = try HostilePeer(.udp) { request, reply in
            guard let request, request.method == .options else { return }
            _ = probes.next()
            reply.send(HostilePeer.response(to: request, code: 200))
        }
        let database = TestCallTests.database()
        let numbers = (0..<20).map { String(format: "+1415555%04d", 6000 + $0) }
        let attach = try TestProcess.siptrunk(
            ["trunks", "attach"] + numbers + ["--direction", "outbound", "--endpoint", "udp://127.0.0.1:\(pbx.port)", "--db", database])
        #expect(attach.status == 0, "\(attach.output)")
        let log = NSTemporaryDirectory() + "siptrunk-monitor-\(UUID().uuidString).log"
        let monitor = try TestProcess.start(try TestProcess.siptrunkPath(), ["monitor", "--interval", "10", "--json", "--db", database], log: log)
        defer { TestProcess.stop(monitor) }
        let deadline = Date().addingTimeInterval(15)
        var samples = 0
        while Date() < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            samples = text.components(separatedBy: "\"outcome\":\"ok\"").count - 1
            if samples >= numbers.count { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(samples == numbers.count, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        #expect(probes.value == 1, "\(probes.value) OPTIONS for one endpoint")
        let service = SIPTrunkService(store: try TrunkDatabase(path: database))
        let view = try Self.eventually(service, .healthy, number: numbers[19])
        #expect(view?.healthStatus == .healthy)
    }

    /// Issue 15: a second monitor stands by while one runs (no endpoint probed twice) and takes over within seconds
    /// when it dies, even by SIGKILL (its heartbeat names its process).
    @Test func aSecondMonitorStandsByAndTakesOverWhenTheFirstDies() throws {
        let pbx = try HostilePeer(.udp) { request, reply in
            guard let request, request.method == .options else { return }
            reply.send(HostilePeer.response(to: request, code: 200))
        }
        let database = TestCallTests.database()
        let attach = try TestProcess.siptrunk(["trunks", "attach", "+14155556100", "--direction", "outbound", "--endpoint", "udp://127.0.0.1:\(pbx.port)", "--db", database])
        #expect(attach.status == 0, "\(attach.output)")
        let firstLog = NSTemporaryDirectory() + "siptrunk-monitor-\(UUID().uuidString).log"
        let first = try TestProcess.start(try TestProcess.siptrunkPath(), ["monitor", "--interval", "10", "--db", database], log: firstLog)
        #expect(Self.waitForLine(containing: "monitoring 1 endpoint", in: firstLog, seconds: 10))
        let secondLog = NSTemporaryDirectory() + "siptrunk-monitor-\(UUID().uuidString).log"
        let second = try TestProcess.start(try TestProcess.siptrunkPath(), ["monitor", "--interval", "10", "--db", database], log: secondLog)
        defer { TestProcess.stop(second) }
        #expect(Self.waitForLine(containing: "stands by", in: secondLog, seconds: 10), "\((try? String(contentsOfFile: secondLog, encoding: .utf8)) ?? "")")
        TestProcess.stop(first)  // SIGKILL: no chance to clear its heartbeat
        #expect(Self.waitForLine(containing: "taking over", in: secondLog, seconds: 10), "\((try? String(contentsOfFile: secondLog, encoding: .utf8)) ?? "")")
        #expect(Self.waitForLine(containing: "monitoring 1 endpoint", in: secondLog, seconds: 10))
    }

    /// Issue 15: with another process holding the database's write lock past the busy timeout, samples wait and are
    /// stored when it lets go; what is reported is what was stored (1,513 stored of 1,555 printed before).
    @Test func aBusyDatabaseDelaysSamplesAndLosesNone() throws {
        let pbx = try HostilePeer(.udp) { request, reply in
            guard let request, request.method == .options else { return }
            reply.send(HostilePeer.response(to: request, code: 200))
        }
        let database = TestCallTests.database()
        let attach = try TestProcess.siptrunk(["trunks", "attach", "+14155556200", "--direction", "outbound", "--endpoint", "udp://127.0.0.1:\(pbx.port)", "--db", database])
        #expect(attach.status == 0, "\(attach.output)")
        let log = NSTemporaryDirectory() + "siptrunk-monitor-\(UUID().uuidString).log"
        let monitor = try TestProcess.start(try TestProcess.siptrunkPath(), ["monitor", "--interval", "10", "--json", "--db", database], log: log)
        defer { TestProcess.stop(monitor) }
        #expect(Self.waitForLine(containing: "\"outcome\":\"ok\"", in: log, seconds: 15))
        // Hold the write lock for 24 s: the next probe's write waits out the 10 s busy timeout and fails once.
        let holderLog = NSTemporaryDirectory() + "siptrunk-holder-\(UUID().uuidString).log"
        let script = "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None); c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(24); c.execute('COMMIT')"
        let holder = try TestProcess.start("/usr/bin/python3", ["-c", script, database], log: holderLog)
        #expect(Self.waitForLine(containing: "locked", in: holderLog, seconds: 5))
        #expect(Self.waitForLine(containing: "samples wait to be stored", in: log, seconds: 30), "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        _ = TestProcess.wait(holder)
        #expect(Self.waitForLine(containing: "all stored", in: log, seconds: 15), "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        TestProcess.stop(monitor)
        let printed = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").components(separatedBy: "\"outcome\"").count - 1
        let store = try TrunkDatabase(path: database)
        let configId = try #require(try SIPTrunkService(store: store).configuration(number: "+14155556200").outbound?.id)
        let stored = try store.read { try $0.healthSampleCount(configId: configId) }
        #expect(printed >= 2 && stored == printed, "printed \(printed), stored \(stored)")
    }

    /// Issue 15: a restarted monitor goes on from the stored state (an unreachable endpoint flapped back to degraded
    /// with "changed": true on every restart).
    @Test func stateSurvivesARestart() throws {
        let closed = ProbeIntegrationTests.freePort(Int32(SOCK_DGRAM.rawValue))  // nothing listens: ICMP unreachable
        let database = TestCallTests.database()
        let attach = try TestProcess.siptrunk(["trunks", "attach", "+14155556300", "--direction", "outbound", "--endpoint", "udp://127.0.0.1:\(closed)", "--db", database])
        #expect(attach.status == 0, "\(attach.output)")
        let arguments = ["monitor", "--interval", "10", "--fail-after", "2", "--json", "--db", database]
        let firstLog = NSTemporaryDirectory() + "siptrunk-monitor-\(UUID().uuidString).log"
        let first = try TestProcess.start(try TestProcess.siptrunkPath(), arguments, log: firstLog)
        #expect(Self.waitForLine(containing: "\"health_status\":\"unreachable\"", in: firstLog, seconds: 30), "\((try? String(contentsOfFile: firstLog, encoding: .utf8)) ?? "")")
        TestProcess.stop(first)
        let secondLog = NSTemporaryDirectory() + "siptrunk-monitor-\(UUID().uuidString).log"
        let second = try TestProcess.start(try TestProcess.siptrunkPath(), arguments, log: secondLog)
        defer { TestProcess.stop(second) }
        #expect(Self.waitForLine(containing: "\"outcome\"", in: secondLog, seconds: 20))
        let line = ((try? String(contentsOfFile: secondLog, encoding: .utf8)) ?? "").split(separator: "\n").first { $0.contains("\"outcome\"") } ?? ""
        #expect(line.contains("\"health_status\":\"unreachable\"") && line.contains("\"changed\":false"), "\(line)")
    }

    @Test func intervalsBelowTenSecondsAreRefused() throws {
        let result = try TestProcess.siptrunk(["monitor", "--interval", "5", "--db", TestCallTests.database()])
        #expect(result.status == 2)
    }
}
