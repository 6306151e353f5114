import Foundation
import SIPCore
import SIPNetwork
import SIPRuntime
import Testing
import TrunkCore
import TrunkStore

/// Calls of a real deployment into the call logs (issue 16): kamailio's siptrace sends HEP3 to `siptrunk capture`
/// while sipp places calls through kamailio to sipp answering sides (answered, busy, cancelled, unanswered); the
/// stored calls match sipp's own counts per final code, and the same traffic recorded by tshark and imported with
/// `trace import` gives the same calls.
@Suite(.serialized)
struct CaptureTests {
    static let proxy = "127.0.0.31"
    static let numbers = ["+14155550100", "+14155550101", "+14155550102", "+14155550103"]

    /// kamailio with siptrace on 127.0.0.31:5060, relaying by called number to four sipp UASes.
    final class TracingProxy {
        let directory = NSTemporaryDirectory() + "siptrunk-trace-" + UUID().uuidString
        var pids: [pid_t] = []

        init(hep: Int, password: String) throws {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let modules = try #require(
                ["/usr/lib/x86_64-linux-gnu/kamailio/modules", "/usr/lib/aarch64-linux-gnu/kamailio/modules", "/usr/lib/kamailio/modules"]
                    .first { FileManager.default.fileExists(atPath: $0 + "/siptrace.so") }, "kamailio's siptrace module is not installed")
            let ports = (0..<4).map { _ in ProbeIntegrationTests.freePort(Int32(SOCK_DGRAM.rawValue)) }
            let template = try #require(Bundle.module.url(forResource: "kamailio-trace", withExtension: "cfg", subdirectory: "Fixtures/kamailio"))
            let config = try String(contentsOf: template, encoding: .utf8)
                .replacingOccurrences(of: "@LISTEN@", with: "\(CaptureTests.proxy):5060")
                .replacingOccurrences(of: "@HEP@", with: "127.0.0.1:\(hep)").replacingOccurrences(of: "@PASSWORD@", with: password)
                .replacingOccurrences(of: "@DIR@", with: directory).replacingOccurrences(of: "@MODULES@", with: modules + "/")
                .replacingOccurrences(of: "@ANSWER@", with: "127.0.0.1:\(ports[0])").replacingOccurrences(of: "@BUSY@", with: "127.0.0.1:\(ports[1])")
                .replacingOccurrences(of: "@RING@", with: "127.0.0.1:\(ports[2])").replacingOccurrences(of: "@NOANSWER@", with: "127.0.0.1:\(ports[3])")
            try config.write(toFile: directory + "/kamailio.cfg", atomically: true, encoding: .utf8)
            for (port, scenario) in zip(ports, ["uas", "uas-busy", "uas-ring", "uas-noanswer"]) {
                var arguments = scenario == "uas" ? ["-sn", "uas"] : ["-sf", try Self.scenario(scenario)]
                arguments += ["-i", "127.0.0.1", "-p", String(port), "-nostdin"]
                pids.append(try TestProcess.start("/usr/bin/sipp", arguments, log: directory + "/\(scenario).log"))
            }
            pids.append(try TestProcess.start(
                "/usr/sbin/kamailio",
                ["-DD", "-E", "-f", directory + "/kamailio.cfg", "-Y", directory, "-w", directory, "-P", directory + "/kamailio.pid", "-m", "32", "-M", "8"],
                log: directory + "/kamailio.log"))
            // kamailio answers OPTIONS once it runs.
            let prober = NetworkProber(timers: ProbeIntegrationTests.fast)
            defer { prober.shutdown() }
            for _ in 0..<100 {
                if case .response = try prober.probe(PeerAddress(host: CaptureTests.proxy, port: 5060, transport: .udp)).wait() { return }
                Thread.sleep(forTimeInterval: 0.05)
            }
            stop()
            throw TestFailure("kamailio did not start: \((try? String(contentsOfFile: directory + "/kamailio.log", encoding: .utf8))?.suffix(2000) ?? "")")
        }

        static func scenario(_ name: String) throws -> String {
            try #require(Bundle.module.url(forResource: name, withExtension: "xml", subdirectory: "Fixtures/sipp")).path
        }

        func stop() {
            for pid in pids { TestProcess.stop(pid) }
            pids = []
        }

        deinit {
            stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Runs one sipp client to its end; the count of each response it received, from its own statistics screen.
    static func placeCalls(_ scenario: String, to number: String, count: Int) throws -> [Int: Int] {
        let run = try TestProcess.run(
            "/usr/bin/sipp",
            ["-sf", try TracingProxy.scenario(scenario), "-s", number, "\(proxy):5060", "-i", "127.0.0.1", "-p", "0", "-m", String(count), "-r", "100",
             "-nostdin", "-timeout", "60"])
        var received: [Int: Int] = [:]
        // Lines like "         486 <----------         50        0 ...".
        for line in run.output.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count >= 3, let code = Int(words[0]), words[1].hasPrefix("<--"), let times = Int(words[2]) else { continue }
            received[code, default: 0] = max(received[code, default: 0], times)
        }
        return received
    }

    static func database() throws -> (path: String, service: SIPTrunkService) {
        let path = NSTemporaryDirectory() + "siptrunk-capture-\(UUID().uuidString).sqlite"
        let store = try TrunkDatabase(path: path)
        try Installation.prepare(store, host: .init(hostName: "sbc.test", ipv4: [], ipv6: []))
        let service = SIPTrunkService(store: store)
        _ = try service.attach(AttachRequest(phoneNumbers: numbers, directions: [.init(type: "inbound")]))
        return (path, service)
    }

    /// Final status and SIP code of every call of the four numbers.
    static func outcomes(_ service: SIPTrunkService) throws -> [String: [String: Int]] {
        var result: [String: [String: Int]] = [:]
        for number in numbers {
            for call in try service.calls(number: number, limit: 200).calls {
                result[number, default: [:]]["\(call.status) \(call.sipCode.map(String.init) ?? "-") \(call.direction)", default: 0] += 1
            }
        }
        return result
    }

    @Test func kamailioSiptraceIntoCaptureGivesTheCallsSippPlacedAndTheSamePcapImportsToTheSameCalls() throws {
        let hepPort = ProbeIntegrationTests.freePort(Int32(SOCK_DGRAM.rawValue))
        let password = "hep-\(UUID().uuidString.prefix(8))"
        let (database, service) = try Self.database()
        let captureLog = NSTemporaryDirectory() + "siptrunk-capture-\(UUID().uuidString).log"
        let capture = try TestProcess.start(
            try TestProcess.siptrunkPath(), ["capture", "--hep", "127.0.0.1:\(hepPort)", "--hep-password", password, "--db", database], log: captureLog)
        defer { TestProcess.stop(capture) }
        for _ in 0..<100 where !((try? String(contentsOfFile: captureLog, encoding: .utf8)) ?? "").contains("listening for HEP") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        // The same traffic recorded from the wire.
        let pcap = NSTemporaryDirectory() + "siptrunk-capture-\(UUID().uuidString).pcap"
        let tsharkLog = pcap + ".log"
        let tshark = try TestProcess.start("/usr/bin/tshark", ["-i", "lo", "-f", "host \(Self.proxy) and udp port 5060", "-w", pcap], log: tsharkLog)
        defer { TestProcess.stop(tshark) }
        for _ in 0..<200 where !((try? String(contentsOfFile: tsharkLog, encoding: .utf8)) ?? "").contains("Capturing on") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.5)

        let proxy = try TracingProxy(hep: hepPort, password: password)
        defer { proxy.stop() }
        let perNumber = 50
        let answered = try Self.placeCalls("uac-final", to: Self.numbers[0], count: perNumber)
        let busy = try Self.placeCalls("uac-final", to: Self.numbers[1], count: perNumber)
        let cancelled = try Self.placeCalls("uac-cancel", to: Self.numbers[2], count: perNumber)
        let unanswered = try Self.placeCalls("uac-final", to: Self.numbers[3], count: perNumber)
        #expect(answered[200] == perNumber && busy[486] == perNumber && cancelled[487] == perNumber && unanswered[480] == perNumber,
            "sipp: \(answered) \(busy) \(cancelled) \(unanswered)")

        // A HEP agent with the wrong password is refused and counted, never stored.
        let intruder = HEPPacket(
            version: 3, family: 2, transportProtocol: 17, sourceAddress: "127.0.0.1", sourcePort: 5060, destinationAddress: "127.0.0.2",
            destinationPort: 5060, timestamp: nil, payloadType: 1, captureId: 1, authKey: "wrong", correlationId: nil,
            payload: Array("OPTIONS sip:x SIP/2.0\r\nCall-ID: intruder\r\nCSeq: 1 OPTIONS\r\n\r\n".utf8))
        let sender = ProbeIntegrationTests.UDPSocket(answer: nil)
        Self.send(intruder.encodedV3(), from: sender.fd, to: hepPort)

        // Every call reaches its final state in the store within the capture's batches.
        let expected: [String: [String: Int]] = [
            Self.numbers[0]: ["completed 200 inbound": answered[200] ?? 0], Self.numbers[1]: ["busy 486 inbound": busy[486] ?? 0],
            Self.numbers[2]: ["canceled 487 inbound": cancelled[487] ?? 0], Self.numbers[3]: ["no-answer 480 inbound": unanswered[480] ?? 0],
        ]
        var captured: [String: [String: Int]] = [:]
        for _ in 0..<100 {
            captured = try Self.outcomes(service)
            if captured == expected { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(captured == expected)
        let stored = try service.trace(callId: try #require(service.calls(number: Self.numbers[0], limit: 1).calls.first?.callId))
        // Both legs of a relayed call are in its trace: INVITE, 100, 180, 200, ACK and BYE with its 200, each twice.
        #expect(stored.count >= 12, "\(stored.count) messages")

        #expect(TestProcess.terminate(capture, within: 20) == 0)
        let log = (try? String(contentsOfFile: captureLog, encoding: .utf8)) ?? ""
        #expect(log.contains("stopped: \(4 * perNumber) calls"), "\(log.suffix(800))")
        let source = try #require(try service.captureSources().first)
        #expect(source.calls == 4 * perNumber && source.skipped == 1 && source.lastSkipReason == "wrong HEP capture password", "\(source)")
        #expect(source.kernelDrops == 0 && source.stored == source.received - source.skipped)

        // The recording, imported, gives the same calls (dumpcap is given a moment to write what it has read).
        Thread.sleep(forTimeInterval: 1)
        #expect(TestProcess.terminate(tshark, within: 20) != nil)
        let (imported, importService) = try Self.database()
        let run = try TestProcess.siptrunk(["trace", "import", pcap, "--db", imported, "--json"])
        #expect(run.status == 0, "\(run.output)")
        let importedOutcomes = try Self.outcomes(importService)
        #expect(importedOutcomes == expected, "\(run.output)")
    }

    @Test func aTruncatedCaptureImportsUpToItsEndAndSaysSo() throws {
        // A capture of one answered call, cut in the middle of a frame.
        let sipp = try SippUAS(scenario: "uas", echo: false)
        defer { sipp.stop() }
        let pcap = NSTemporaryDirectory() + "siptrunk-truncated-\(UUID().uuidString).pcap"
        let tsharkLog = pcap + ".log"
        let tshark = try TestProcess.start("/usr/bin/tshark", ["-i", "lo", "-f", "udp port \(sipp.port)", "-w", pcap], log: tsharkLog)
        defer { TestProcess.stop(tshark) }
        for _ in 0..<200 where !((try? String(contentsOfFile: tsharkLog, encoding: .utf8)) ?? "").contains("Capturing on") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.5)
        _ = try TestProcess.run(
            "/usr/bin/sipp", ["-sn", "uac", "-s", "+14155550100", "127.0.0.1:\(sipp.port)", "-i", "127.0.0.1", "-p", "0", "-m", "3", "-d", "100", "-nostdin", "-timeout", "20"])
        Thread.sleep(forTimeInterval: 0.5)
        #expect(TestProcess.terminate(tshark, within: 20) != nil)
        let whole = try #require(FileManager.default.contents(atPath: pcap))
        let cut = pcap + ".cut"
        try whole.prefix(whole.count - 100).write(to: URL(fileURLWithPath: cut))
        let (database, service) = try Self.database()
        let run = try TestProcess.siptrunk(["trace", "import", cut, "--db", database])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("the file ends early"), "\(run.output)")
        #expect(try service.calls(number: "+14155550100").calls.count == 3)

        let garbage = pcap + ".txt"
        try Data("not a capture".utf8).write(to: URL(fileURLWithPath: garbage))
        let refused = try TestProcess.siptrunk(["trace", "import", garbage, "--db", database])
        #expect(refused.status == 1)
        #expect(refused.output.contains("cannot read '\(garbage)' as a capture"), "\(refused.output)")
    }

    static func send(_ bytes: [UInt8], from fd: Int32, to port: Int) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// A pcap of `count` answered calls to +14155550100, recorded by tshark from sipp to sipp.
    static func recordCalls(count: Int) throws -> String {
        let sipp = try SippUAS(scenario: "uas", echo: false)
        defer { sipp.stop() }
        let pcap = NSTemporaryDirectory() + "siptrunk-recorded-\(UUID().uuidString).pcap"
        let tsharkLog = pcap + ".log"
        let tshark = try TestProcess.start("/usr/bin/tshark", ["-i", "lo", "-f", "udp port \(sipp.port)", "-w", pcap], log: tsharkLog)
        defer { TestProcess.stop(tshark) }
        for _ in 0..<200 where !((try? String(contentsOfFile: tsharkLog, encoding: .utf8)) ?? "").contains("Capturing on") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.5)
        _ = try TestProcess.run(
            "/usr/bin/sipp",
            ["-sn", "uac", "-s", "+14155550100", "127.0.0.1:\(sipp.port)", "-i", "127.0.0.1", "-p", "0", "-m", String(count), "-d", "100", "-nostdin", "-timeout", "20"])
        Thread.sleep(forTimeInterval: 1)
        _ = TestProcess.terminate(tshark, within: 20)
        return pcap
    }

    /// A captured call in the dashboard (tmux): in the number's call logs with the capture's counters under them,
    /// and Enter opens its ladder.
    @Test func aCapturedCallShowsInTheDashboardAndOpensItsLadder() throws {
        let pcap = try Self.recordCalls(count: 1)
        let (database, _) = try Self.database()
        #expect(try TestProcess.siptrunk(["trace", "import", pcap, "--db", database]).status == 0)
        let binary = try TestProcess.siptrunkPath()
        let session = try TmuxSession(command: "env LANG=C.UTF-8 TERM=xterm-256color \(binary) dashboard --no-monitor --db \(database); sleep 15", width: 120, height: 30)
        defer { session.kill() }
        try session.waitFor("SIP dashboard")
        try session.keys("Enter")  // the first number, +14155550100
        try session.waitFor("1 Health")
        try session.keys("3")
        let logs = try session.waitFor("capture: ")
        #expect(logs.contains("completed") && logs.contains("200"), "\(logs)")
        #expect(logs.contains("capture: 6 received · 6 stored · 0 skipped · 0 dropped by the kernel"), "\(logs)")
        try session.keys("Enter")
        let ladder = try session.waitFor("BYE")
        #expect(ladder.contains("INVITE") && ladder.contains("180 Ringing") && ladder.contains("200 OK") && ladder.contains("ACK"), "\(ladder)")
    }

    /// The messages of one answered call as a HEP agent would send them.
    static func hepCall(_ callID: String, password: String?) -> [[UInt8]] {
        let invite = "INVITE sip:+14155550100@127.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK\(callID)\r\nFrom: <sip:+16505550100@127.0.0.1>;tag=a\r\nTo: <sip:+14155550100@127.0.0.2>\r\nCall-ID: \(callID)\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        let ok = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK\(callID)\r\nFrom: <sip:+16505550100@127.0.0.1>;tag=a\r\nTo: <sip:+14155550100@127.0.0.2>;tag=b\r\nCall-ID: \(callID)\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        let bye = "BYE sip:+14155550100@127.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK\(callID)b\r\nFrom: <sip:+16505550100@127.0.0.1>;tag=a\r\nTo: <sip:+14155550100@127.0.0.2>;tag=b\r\nCall-ID: \(callID)\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
        let now = Date().timeIntervalSince1970
        return [(invite, false, 0.0), (ok, true, 1.0), (bye, false, 31.0)].map { text, fromCallee, offset in
            HEPPacket(
                version: 3, family: 2, transportProtocol: 17, sourceAddress: fromCallee ? "127.0.0.2" : "127.0.0.1", sourcePort: 5060,
                destinationAddress: fromCallee ? "127.0.0.1" : "127.0.0.2", destinationPort: 5060, timestamp: now + offset, payloadType: 1,
                captureId: 7, authKey: password, correlationId: callID, payload: Array(text.utf8)).encodedV3()
        }
    }

    static func waitForLog(_ log: String, _ text: String) {
        for _ in 0..<100 where !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains(text) { Thread.sleep(forTimeInterval: 0.05) }
    }

    /// `monitor --hep`: one process probes and collects; HEP3 over TCP framed across writes (`capture --hep-tcp`).
    @Test func theMonitorCollectsHEPTooAndCaptureReadsHEPOverTCP() throws {
        let (database, service) = try Self.database()
        let port = ProbeIntegrationTests.freePort(Int32(SOCK_STREAM.rawValue))
        let log = NSTemporaryDirectory() + "siptrunk-monitor-hep-\(UUID().uuidString).log"
        let monitor = try TestProcess.start(
            try TestProcess.siptrunkPath(), ["monitor", "--interval", "60", "--hep", "127.0.0.1:\(port)", "--hep-password", "pw", "--db", database], log: log)
        defer { TestProcess.stop(monitor) }
        Self.waitForLog(log, "collecting HEP")
        let socket = ProbeIntegrationTests.UDPSocket(answer: nil)
        for packet in Self.hepCall("monitor-hep", password: "pw") { Self.send(packet, from: socket.fd, to: port) }
        var calls: [CallRecord] = []
        for _ in 0..<100 {
            calls = try service.calls(number: "+14155550100").calls
            if calls.first?.status == "completed" { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(calls.count == 1 && calls.first?.status == "completed" && calls.first?.durationSeconds == 30, "\(calls)")
        #expect(TestProcess.terminate(monitor, within: 20) == 0)
        #expect(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("HEP: 1 calls, 3 messages stored"))

        // TCP: three packets in two writes, the second packet split between them.
        let tcpLog = NSTemporaryDirectory() + "siptrunk-capture-tcp-\(UUID().uuidString).log"
        let capture = try TestProcess.start(
            try TestProcess.siptrunkPath(), ["capture", "--hep", "127.0.0.1:\(port)", "--hep-tcp", "--db", database], log: tcpLog)
        defer { TestProcess.stop(capture) }
        Self.waitForLog(tcpLog, "listening for HEP")
        let stream = Self.hepCall("tcp-hep", password: nil).flatMap { $0 }
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(connected == 0)
        let half = stream.count / 2
        _ = Array(stream[..<half]).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        Thread.sleep(forTimeInterval: 0.2)
        _ = Array(stream[half...]).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        for _ in 0..<100 {
            if try service.calls(number: "+14155550100").calls.contains(where: { $0.callId == "tcp-hep" && $0.status == "completed" }) { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(try service.calls(number: "+14155550100").calls.contains { $0.callId == "tcp-hep" && $0.status == "completed" })
        #expect(TestProcess.terminate(capture, within: 20) == 0)
    }
}
