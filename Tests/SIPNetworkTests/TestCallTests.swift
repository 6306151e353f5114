import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import Testing
import TrunkCore
import TrunkStore

import TrunkRuntime

/// A sipp UAS for one scenario (a file in Fixtures/sipp, or sipp's built-in `uas`), with media on its own port.
final class SippUAS {
    let pid: pid_t
    let port: Int
    let mediaPort: Int
    let log: String

    init(scenario: String, echo: Bool, transport: SIPTransport = .udp, host: String = "127.0.0.1", port fixed: Int? = nil) throws {
        port = fixed ?? ProbeIntegrationTests.freePort(transport == .udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue))
        mediaPort = ProbeIntegrationTests.freePort(Int32(SOCK_DGRAM.rawValue))
        log = NSTemporaryDirectory() + "siptrunk-sipp-\(UUID().uuidString).log"
        var arguments: [String]
        if scenario == "uas" {
            arguments = ["-sn", "uas"]
        } else {
            let file = try #require(Bundle.module.url(forResource: scenario, withExtension: "xml", subdirectory: "Fixtures/sipp"))
            arguments = ["-sf", file.path]
        }
        arguments += [
            "-i", host, "-p", String(port), "-t", transport == .udp ? "u1" : "t1", "-mi", "127.0.0.1", "-mp", String(mediaPort),
            "-nostdin", "-m", "100",
        ]
        if echo { arguments.append("-rtp_echo") }
        pid = try TestProcess.start("/usr/bin/sipp", arguments, log: log)
        // sipp binds within a moment; wait for its SIP port.
        for _ in 0..<50 {
            if transport == .udp ? Self.udpPortTaken(port, host: host) : KamailioServer.accepts(host, port) { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    static func udpPortTaken(_ port: Int, host: String = "127.0.0.1") -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } != 0
    }

    func stop() {
        TestProcess.stop(pid)
        try? FileManager.default.removeItem(atPath: log)
    }
}

/// `siptrunk test-call` end to end against sipp: the call, the media check and what is stored.
@Suite(.serialized)
struct TestCallTests {
    static func call(_ sipp: SippUAS, _ extra: [String] = [], database: String) throws -> (status: Int32, output: String, json: [String: Any]) {
        let result = try TestProcess.siptrunk(
            ["test-call", "--number", "+14155554567", "--to", "127.0.0.1:\(sipp.port)", "--duration", "1", "--ring-timeout", "2",
             "--rtp-ports", "30000-30999", "--json", "--db", database] + extra)
        let object = (try? JSONSerialization.jsonObject(with: Data(result.output.utf8))) as? [String: Any]
        return (result.status, result.output, (object?["data"] as? [String: Any]) ?? [:])
    }

    static func database() -> String { NSTemporaryDirectory() + "siptrunk-call-\(UUID().uuidString).sqlite" }

    @Test func answeredCallWithEchoHasAudioBothWaysAndIsStored() throws {
        let sipp = try SippUAS(scenario: "uas", echo: true)
        defer { sipp.stop() }
        let database = Self.database()
        let result = try Self.call(sipp, database: database)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.json["status"] as? String == "completed")
        #expect(result.json["result"] as? String == "connected")
        #expect(result.json["sip_code"] as? Int == 200)
        let media = try #require(result.json["media"] as? [String: Any])
        #expect(media["verdict"] as? String == "both_ways")
        #expect(media["echoed"] as? Bool == true)
        #expect((media["packets_received"] as? Int ?? 0) > 20)
        #expect(media["codec"] as? String == "PCMU")
        let events = (result.json["timeline"] as? [[String: Any]] ?? []).compactMap { $0["event"] as? String }
        #expect(events.starts(with: ["initiated"]))
        #expect(events.contains("answered") && events.contains("hangup") && events.last == "completed")
        // The SIP messages are named in order among the status events (issue 14).
        let details = (result.json["timeline"] as? [[String: Any]] ?? []).compactMap { $0["detail"] as? String }
        let sip = zip(events, details).filter { ["invite_sent", "trying", "ringing", "answered", "ack_sent", "bye_sent", "completed"].contains($0.0) }
        // (sipp's UAS sends no 100 Trying.)
        #expect(sip.map(\.0) == ["invite_sent", "ringing", "answered", "ack_sent", "bye_sent", "completed"], "\(events)")
        #expect(sip.first?.1.hasPrefix("INVITE sent to") == true && sip.last?.1.contains("BYE answered 200") == true, "\(details)")

        // Stored: the call, its timeline and the whole SIP trace under its Call-ID.
        let service = SIPTrunkService(store: try TrunkDatabase(path: database))
        let callID = try #require(result.json["call_id"] as? String)
        let stored = try #require(try service.testCall(callId: callID))
        #expect(stored.call.status == "completed" && stored.call.result == "connected")
        #expect(stored.timeline.count == events.count)
        let methods = stored.trace.compactMap { try? SIPMessageParser().parse(datagram: Array($0.raw)) }.map { $0.method?.rawValue ?? "\($0.statusCode ?? 0)" }
        #expect(methods.contains("INVITE") && methods.contains("ACK") && methods.contains("BYE") && methods.contains("200"))
        // It is a call on the trunk too: in the call logs, and in the trace viewer's list as a test call.
        let page = try service.callLogPage(number: "+14155554567", after: nil)
        let log = try #require(page.logs.first)
        #expect(page.total == 1 && log.callId == callID && log.status == "completed" && log.sipCode == 200)
        #expect(log.direction == "outbound" && log.sourceIp == "127.0.0.1" && log.toUri?.contains("+14155554567") == true)
        #expect((log.durationSeconds ?? 0) >= 1)
        #expect(try service.tracedCalls(number: "+14155554567").map(\.callId) == [callID])
        #expect(try service.tracedCalls(number: "+14155554567").first?.isTestCall == true)

        // The real trace (addresses as the engine records them, `udp:127.0.0.1:port`) exports to a pcap
        // tshark reads message by message.
        let pcap = NSTemporaryDirectory() + "siptrunk-call-\(UUID().uuidString).pcap"
        let export = try TestProcess.siptrunk(["trace", "export", callID, "--format", "pcap", "--output", pcap, "--db", database])
        #expect(export.status == 0, "\(export.output)")
        let tshark = try TestProcess.run("/usr/bin/tshark", ["-r", pcap, "-d", "udp.port==\(sipp.port),sip", "-T", "fields", "-e", "sip.CSeq"])
        let cseqs = tshark.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("1 ") || $0.hasPrefix("2 ") }
        #expect(cseqs.count == stored.trace.count, "\(tshark.output)")
        #expect(cseqs.contains("1 INVITE") && cseqs.contains("2 BYE"))
    }

    @Test func answeredOverTCP() throws {
        let sipp = try SippUAS(scenario: "uas", echo: true, transport: .tcp)
        defer { sipp.stop() }
        let result = try TestProcess.siptrunk(
            ["test-call", "--number", "+14155554567", "--to", "tcp://127.0.0.1:\(sipp.port)", "--duration", "1",
             "--rtp-ports", "30000-30999", "--json", "--db", Self.database()])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("\"verdict\" : \"both_ways\""))
    }

    /// Over TLS: kamailio terminates TLS (certificate checked against pbx.kamailio.test) and relays to sipp.
    @Test func answeredOverTLSThroughKamailio() throws {
        let kamailio = try KamailioServer()
        defer { kamailio.stop() }
        let sipp = try SippUAS(scenario: "uas", echo: true, host: "127.0.0.29", port: 5060)
        defer { sipp.stop() }
        // sipp has no SRTP: plain RTP here; SRTP is tested against baresip.
        let result = try TestProcess.siptrunk(
            ["test-call", "--number", "+14155554567", "--to", "tls://\(KamailioServer.good):5061", "--domain", "pbx.kamailio.test",
             "--ca-file", kamailio.caFile, "--srtp", "off", "--duration", "1", "--rtp-ports", "30000-30999", "--json", "--db", Self.database()])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("\"verdict\" : \"both_ways\""))
        #expect(result.output.contains("\"result\" : \"connected\""))
    }

    /// Inbound: sipp's UAC calls us; we answer, send the tone, get it echoed and hang up.
    @Test func inboundCallFromSippIsAnsweredWithAudioBothWays() throws {
        let listen = ProbeIntegrationTests.freePort(Int32(SOCK_DGRAM.rawValue))
        let sippPort = ProbeIntegrationTests.freePort(Int32(SOCK_DGRAM.rawValue))
        let mediaPort = ProbeIntegrationTests.freePort(Int32(SOCK_DGRAM.rawValue))
        let log = NSTemporaryDirectory() + "siptrunk-uac-\(UUID().uuidString).log"
        // sipp starts calling after a moment, retransmitting its INVITE until we listen.
        let uac = try TestProcess.start("/bin/sh", ["-c", "sleep 1; exec /usr/bin/sipp 127.0.0.1:\(listen) -sn uac -s +14155554567 -m 1 -d 4000 -rtp_echo -mi 127.0.0.1 -mp \(mediaPort) -i 127.0.0.1 -p \(sippPort) -nostdin -timeout 30"], log: log)
        defer { TestProcess.stop(uac) }
        let database = Self.database()
        let result = try TestProcess.siptrunk(
            ["test-call", "--inbound", "--number", "+14155554567", "--listen", "127.0.0.1:\(listen)", "--wait", "15", "--duration", "1.5",
             "--rtp-ports", "30000-30999", "--json", "--db", database])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("\"result\" : \"connected\""))
        #expect(result.output.contains("\"verdict\" : \"both_ways\""))
        #expect(result.output.contains("\"event\" : \"acknowledged\""))
        // Logged as an inbound call from sipp's address.
        let logged = try #require(try SIPTrunkService(store: try TrunkDatabase(path: database)).callLogPage(number: "+14155554567", after: nil).logs.first)
        #expect(logged.direction == "inbound" && logged.status == "completed" && logged.sourceIp == "127.0.0.1", "\(logged)")
        // Logged under sipp's Call-ID, where its trace is; the test call's record points there too.
        let service = SIPTrunkService(store: try TrunkDatabase(path: database))
        let traced = try #require(try service.tracedCalls(number: "+14155554567").first)
        #expect(traced.callId == logged.callId && traced.isTestCall && !logged.callId.hasPrefix("inbound-"))
        #expect(try service.trace(callId: traced.callId).contains { $0.raw.starts(with: Array("INVITE ".utf8)) })
    }

    @Test func aListenAddressThatIsNotOneIsRefusedBeforeAnythingIsStored() throws {
        let database = Self.database()
        for (text, reason) in [("pbx.example.com:5060", "'pbx.example.com' is not an IP address"), ("127.0.0.1", "listen on HOST:PORT")] {
            let result = try TestProcess.siptrunk(["test-call", "--inbound", "--number", "+14155554567", "--listen", text, "--db", database])
            #expect(result.status == 2 && result.output.contains(reason), "\(result.output)")
        }
        #expect(try SIPTrunkService(store: try TrunkDatabase(path: database)).testCalls().isEmpty)
    }

    /// A listen port already taken: refused with the reason, and the record made for it is failed, not left queued.
    @Test func aListenPortInUseFailsTheRecordInsteadOfLeavingItQueued() throws {
        let database = Self.database()
        let socket = boundUDPSocket()
        defer { close(socket.fd) }
        let result = try TestProcess.siptrunk(
            ["test-call", "--inbound", "--number", "+14155554567", "--listen", "127.0.0.1:\(socket.port)", "--wait", "1", "--db", database])
        #expect(result.status == 1 && result.output.contains("cannot listen on 127.0.0.1:\(socket.port)"), "\(result.output)")
        let calls = try SIPTrunkService(store: try TrunkDatabase(path: database)).testCalls()
        #expect(calls.count == 1 && calls.first?.status == "failed" && calls.first?.result == "failed", "\(calls)")
    }

    /// A UDP socket bound on loopback, holding its port.
    func boundUDPSocket() -> (fd: Int32, port: Int) {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test func inboundWithoutACallSaysWhatToCheck() throws {
        let listen = ProbeIntegrationTests.freePort(Int32(SOCK_DGRAM.rawValue))
        let result = try TestProcess.siptrunk(
            ["test-call", "--inbound", "--number", "+14155554567", "--listen", "127.0.0.1:\(listen)", "--wait", "1", "--db", Self.database()])
        #expect(result.status == 1)
        #expect(result.output.contains("no INVITE for +14155554567 arrived within 1 s"))
    }

    @Test func noEchoIsOneWayAudioWithACause() throws {
        let sipp = try SippUAS(scenario: "uas", echo: false)
        defer { sipp.stop() }
        let result = try Self.call(sipp, database: Self.database())
        #expect(result.status == 1)
        #expect(result.json["result"] as? String == "connected")
        let media = try #require(result.json["media"] as? [String: Any])
        #expect(media["verdict"] as? String == "outbound_only")
        #expect(media["packets_received"] as? Int == 0)
        #expect((media["likely_cause"] as? String)?.contains("firewall") == true)
    }

    @Test func busyIsBusy() throws {
        let sipp = try SippUAS(scenario: "uas-busy", echo: false)
        defer { sipp.stop() }
        let result = try Self.call(sipp, database: Self.database())
        #expect(result.status == 1)
        #expect(result.json["status"] as? String == "busy")
        #expect(result.json["result"] as? String == "busy")
        #expect(result.json["sip_code"] as? Int == 486)
    }

    @Test func ringingWithoutAnswerIsCancelled() throws {
        let sipp = try SippUAS(scenario: "uas-ring", echo: false)
        defer { sipp.stop() }
        let result = try Self.call(sipp, database: Self.database())
        #expect(result.status == 1)
        #expect(result.json["status"] as? String == "no-answer", "\(result.output)")
        #expect(result.json["result"] as? String == "no_answer")
        let events = (result.json["timeline"] as? [[String: Any]] ?? []).compactMap { $0["event"] as? String }
        #expect(events.contains("ringing") && events.contains("cancel"))
    }

    @Test func challengeIsAnsweredOnceWithTheTrunkCredentials() throws {
        let sipp = try SippUAS(scenario: "uas-auth", echo: true)
        defer { sipp.stop() }
        let good = try Self.call(sipp, ["--username", "alice", "--password", "wonderland"], database: Self.database())
        #expect(good.status == 0, "\(good.output)")
        #expect(good.json["result"] as? String == "connected")
        let events = (good.json["timeline"] as? [[String: Any]] ?? []).compactMap { $0["event"] as? String }
        #expect(events.filter { $0 == "challenged" }.count == 1)

        // Without credentials the challenge is not answered at all.
        let bare = try Self.call(sipp, database: Self.database())
        #expect(bare.status == 1)
        #expect(bare.json["sip_code"] as? Int == 401)
        #expect(((bare.json["timeline"] as? [[String: Any]])?.last?["detail"] as? String)?.contains("no credentials") == true)
    }

    @Test func unavailableCarriesRetryAfter() throws {
        let sipp = try SippUAS(scenario: "uas-503", echo: false)
        defer { sipp.stop() }
        let result = try Self.call(sipp, database: Self.database())
        #expect(result.status == 1)
        #expect(result.json["sip_code"] as? Int == 503)
        #expect(((result.json["timeline"] as? [[String: Any]])?.last?["detail"] as? String)?.contains("Retry-After 120 s") == true)
    }

    @Test func redirectLoopIsNotFollowed() throws {
        let sipp = try SippUAS(scenario: "uas-redirect-loop", echo: false)
        defer { sipp.stop() }
        let result = try Self.call(sipp, database: Self.database())
        #expect(result.status == 1)
        #expect(result.json["sip_code"] as? Int == 302)
        let timeline = result.json["timeline"] as? [[String: Any]] ?? []
        #expect(timeline.filter { $0["event"] as? String == "redirected" }.count == 1, "\(result.output)")
        #expect((timeline.last?["detail"] as? String)?.contains("redirect loop") == true)
    }

    @Test func theRateLimitStopsTheEleventhCall() throws {
        let sipp = try SippUAS(scenario: "uas-busy", echo: false)
        defer { sipp.stop() }
        let database = Self.database()
        for _ in 0..<10 { _ = try Self.call(sipp, database: database) }
        let eleventh = try TestProcess.siptrunk(["test-call", "--number", "+14155554567", "--to", "127.0.0.1:\(sipp.port)", "--db", database])
        #expect(eleventh.status == 1)
        #expect(eleventh.output.contains("10 test calls per 15 minutes have been made: the next one is allowed in 1"), "\(eleventh.output)")
        #expect(eleventh.output.contains(" min "))
    }

    @Test func aClosedTCPPortIsExplainedNotThrown() throws {
        let port = ProbeIntegrationTests.freePort(Int32(SOCK_STREAM.rawValue))
        let result = try TestProcess.siptrunk(["test-call", "--number", "+14155554567", "--to", "tcp://127.0.0.1:\(port)", "--db", Self.database()])
        #expect(result.status == 1)
        #expect(result.output.contains("connection_refused: TCP \(port) refused on 127.0.0.1"))
    }

    @Test func badNumberIsRefusedBeforeAnythingIsSent() throws {
        let result = try TestProcess.siptrunk(["test-call", "--number", "12", "--to", "127.0.0.1:5", "--db", Self.database()])
        #expect(result.status == 1)
        #expect(result.output.contains("--number 12"))
    }
}

/// baresip (Debian's baresip-core) answering with SRTP required, on 127.0.0.30:5060.
final class BaresipUAS {
    let directory: String
    let pid: pid_t

    init() throws {
        directory = NSTemporaryDirectory() + "siptrunk-baresip-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let modules = try #require(
            ["/usr/lib/baresip/modules", "/usr/lib/x86_64-linux-gnu/baresip/modules"].first { FileManager.default.fileExists(atPath: $0 + "/srtp.so") },
            "baresip-core is not installed")
        for name in ["config", "accounts"] {
            let template = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/baresip"))
            let text = try String(contentsOf: template, encoding: .utf8)
                .replacingOccurrences(of: "@DIR@", with: directory).replacingOccurrences(of: "@MODULES@", with: modules)
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        try Self.tone().write(to: URL(fileURLWithPath: directory + "/tone.wav"))
        pid = try TestProcess.start("/usr/bin/baresip", ["-f", directory], log: directory + "/log")
        for _ in 0..<60 where !SippUAS.udpPortTaken(5060, host: "127.0.0.30") { Thread.sleep(forTimeInterval: 0.05) }
    }

    /// 30 s of a 440 Hz tone, 8 kHz 16-bit mono WAV: baresip's aufile source plays it into the call.
    static func tone() -> Data {
        let samples = (0..<(8000 * 30)).map { Int16(8000 * sin(2 * Double.pi * 440 * Double($0) / 8000)) }
        var data = Data("RIFF".utf8)
        func le32(_ value: Int) { withUnsafeBytes(of: UInt32(value).littleEndian) { data.append(contentsOf: $0) } }
        func le16(_ value: Int) { withUnsafeBytes(of: UInt16(value).littleEndian) { data.append(contentsOf: $0) } }
        le32(36 + samples.count * 2)
        data.append(contentsOf: Array("WAVEfmt ".utf8))
        le32(16); le16(1); le16(1); le32(8000); le32(16000); le16(2); le16(16)
        data.append(contentsOf: Array("data".utf8))
        le32(samples.count * 2)
        for sample in samples { withUnsafeBytes(of: sample.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    var log: String { (try? String(contentsOfFile: directory + "/log", encoding: .utf8)) ?? "" }

    func stop() {
        TestProcess.stop(pid)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

@Suite(.serialized)
struct SRTPTests {
    @Test func srtpCallWithBaresipHasAudioBothWaysAndDTMF() throws {
        let baresip = try BaresipUAS()
        defer { baresip.stop() }
        let result = try TestProcess.siptrunk(
            ["test-call", "--number", "+14155554567", "--to", "127.0.0.30:5060", "--srtp", "on", "--duration", "6",
             "--rtp-ports", "30000-30999", "--json", "--db", TestCallTests.database()])
        #expect(result.status == 0, "\(result.output)\n\(baresip.log.suffix(1500))")
        // RTCP both ways as SRTCP: our reports went out, and baresip's authenticated and told us how it hears us.
        let json = (try? JSONSerialization.jsonObject(with: Data(result.output.utf8))) as? [String: Any]
        let media = try #require((json?["data"] as? [String: Any])?["media"] as? [String: Any], "\(result.output)")
        #expect((media["rtcp_sent"] as? Int ?? 0) >= 2, "\(result.output)")
        #expect((media["rtcp_received"] as? Int ?? 0) >= 1, "\(result.output)")
        #expect(media["far_end_loss_percent"] as? Double != nil, "\(result.output)")
        #expect(result.output.contains("\"srtp\" : true"))
        #expect(result.output.contains("\"verdict\" : \"both_ways\""))
        #expect(result.output.contains("\"dtmf_sent\" : \"5\""))
        // baresip decrypted our SRTP: it logs the digit it received.
        #expect(baresip.log.contains("received event: '5'"))
        #expect(baresip.log.contains("SRTP is Enabled"))
    }
}

/// `siptrunk register` against kamailio as a registrar with digest auth.
@Suite(.serialized)
struct RegisterTests {
    @Test func registersOnEachTransportAndRejectsWrongCredentials() throws {
        let kamailio = try KamailioServer()
        defer { kamailio.stop() }
        for target in ["\(KamailioServer.good):5060", "tcp://\(KamailioServer.good):5060", "tls://\(KamailioServer.good):5061"] {
            let result = try TestProcess.siptrunk([
                "register", "--to", target, "--domain", "pbx.kamailio.test", "--username", "alice", "--password", "wonderland",
                "--once", "--json", "--ca-file", kamailio.caFile,
            ])
            #expect(result.status == 0, "\(target): \(result.output)")
            #expect(result.output.contains("\"state\" : \"registered\""), "\(target)")
        }
        let wrong = try TestProcess.siptrunk([
            "register", "--to", "\(KamailioServer.good):5060", "--domain", "pbx.kamailio.test", "--username", "alice",
            "--password", "looking-glass", "--once",
        ])
        #expect(wrong.status == 1)
        #expect(wrong.output.contains("rejected user alice's credentials"))
    }

    @Test func registersForATrunkWithItsCredentialsAndStoresTheState() throws {
        let kamailio = try KamailioServer()
        defer { kamailio.stop() }
        let database = TestCallTests.database()
        // Registration authentication on the inbound direction (as the guide has it), the registrar at the outbound one.
        let attach = try TestProcess.siptrunk([
            "trunks", "attach", "+14155557001", "--trunk", "reg-trunk", "--direction", "inbound", "--auth", "register",
            "--register-username", "alice", "--register-password", "wonderland", "--db", database,
        ])
        #expect(attach.status == 0, "\(attach.output)")
        let outbound = try TestProcess.siptrunk([
            "trunks", "attach", "+14155557003", "--trunk", "reg-trunk", "--direction", "outbound", "--endpoint", KamailioServer.good,
            "--port", "5060", "--transport", "udp", "--db", database,
        ])
        #expect(outbound.status == 0, "\(outbound.output)")
        let result = try TestProcess.siptrunk(["register", "--trunk", "reg-trunk", "--once", "--json", "--db", database])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("\"state\" : \"registered\""), "\(result.output)")

        let service = SIPTrunkService(store: try TrunkDatabase(path: database))
        let stored = try #require(try service.registration(trunkId: "reg-trunk"))
        // --once ends the client: the dashboard sees it registered once and no longer kept fresh.
        #expect(stored.state == "stopped" && stored.registrations == 1 && stored.username == "alice")
        #expect(stored.registrar.contains(KamailioServer.good))

        // Wrong credentials: the failure and its reason are stored.
        let update = try TestProcess.siptrunk([
            "trunks", "update", "+14155557001", "--direction", "inbound", "--auth", "register", "--register-username", "alice",
            "--register-password", "looking-glass", "--db", database,
        ])
        #expect(update.status == 0, "\(update.output)")
        let wrong = try TestProcess.siptrunk(["register", "--trunk", "reg-trunk", "--once", "--db", database])
        #expect(wrong.status == 1, "\(wrong.output)")
        let failed = try #require(try service.registration(trunkId: "reg-trunk"))
        #expect(failed.state == "failed" && failed.lastError?.contains("rejected") == true, "\(failed)")
    }

    @Test func anIPAuthTrunkHasNothingToRegister() throws {
        let database = TestCallTests.database()
        _ = try TestProcess.siptrunk(["trunks", "attach", "+14155557002", "--trunk", "ip-trunk", "--direction", "outbound", "--endpoint", "127.0.0.1", "--db", database])
        let result = try TestProcess.siptrunk(["register", "--trunk", "ip-trunk", "--db", database])
        #expect(result.status != 0)
        #expect(result.output.contains("IP-based authentication"), "\(result.output)")
        let unknown = try TestProcess.siptrunk(["register", "--trunk", "nope", "--db", database])
        #expect(unknown.output.contains("no trunk 'nope'"), "\(unknown.output)")
    }

    @Test func refreshesBeforeExpiryAndSurvivesAStaleNonce() throws {
        let kamailio = try KamailioServer()
        defer { kamailio.stop() }
        let prober = NetworkProber()
        defer { prober.shutdown() }
        // 10 s registrations refresh after 5 s; kamailio's nonces live 3 s, so each refresh meets stale=true.
        let configuration = RegisterClient.Configuration(
            registrar: PeerAddress(host: KamailioServer.good, port: 5060, transport: .udp), domain: "pbx.kamailio.test",
            username: "alice", password: "wonderland", expires: 10)
        let registrations = LockedCounter()
        _ = prober.register(configuration, once: false) { client in
            if case .registered = client.state { registrations.set(client.registrations) }
        }
        for _ in 0..<140 where registrations.value < 3 { Thread.sleep(forTimeInterval: 0.1) }
        #expect(registrations.value >= 3)
        let failures = prober.trace.compactMap { try? SIPMessageParser().parse(datagram: $0.raw) }.filter { $0.statusCode == 401 }
        // The first challenge, then at most one per refresh (stale nonces), never a loop.
        #expect(failures.count <= registrations.value + 1)
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = 0
    var value: Int { lock.withLock { stored } }
    func set(_ value: Int) { lock.withLock { stored = value } }
}
