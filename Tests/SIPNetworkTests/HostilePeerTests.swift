import Foundation
import SIPCore
import Testing

/// siptrunk against peers that misbehave on purpose (issue 19): each run of the real binary must end in bounded
/// time, name a classified reason, and write no control byte to the terminal — whatever the peer sends.
struct HostilePeerTests {
    struct Run {
        var status: Int32
        var output: String
        var seconds: Double

        /// No ESC, BEL, CSI or bidi override reached standard output or standard error.
        var isTerminalSafe: Bool {
            !output.unicodeScalars.contains { [0x1B, 0x07, 0x9B, 0x202E].contains($0.value) }
        }
    }

    static func siptrunk(_ arguments: [String]) throws -> Run {
        let start = Date()
        let result = try TestProcess.siptrunk(arguments)
        return Run(status: result.status, output: result.output, seconds: Date().timeIntervalSince(start))
    }

    static func probe(_ peer: HostilePeer, transport: String, timeout: Double = 2, extra: [String] = []) throws -> Run {
        try siptrunk(["probe", "127.0.0.1:\(peer.port)", "--transport", transport, "--timeout", "\(timeout)"] + extra)
    }

    static func database() -> String {
        NSTemporaryDirectory() + "siptrunk-hostile-\(UUID().uuidString).sqlite"
    }

    static func testCall(_ peer: HostilePeer, extra: [String] = []) throws -> (run: Run, json: [String: Any]) {
        let run = try siptrunk(
            ["test-call", "--number", "+14155550123", "--to", "sip:127.0.0.1:\(peer.port);transport=udp", "--db", database(), "--json",
             "--ring-timeout", "1", "--duration", "1", "--srtp", "off"] + extra)
        let object = (try? JSONSerialization.jsonObject(with: Data(run.output.utf8))) as? [String: Any]
        return (run, (object?["data"] as? [String: Any]) ?? [:])
    }

    // MARK: Garbage and lies

    @Test(arguments: [HostilePeer.Transport.udp, .tcp])
    func garbageIsMalformed(_ transport: HostilePeer.Transport) throws {
        let peer = try HostilePeer(transport) { _, reply in
            reply.send(transport == .udp ? "HTTP/1.1 400 Bad Request\r\n\r\n" : "\u{16}\u{03}\u{01} not sip at all")
        }
        let run = try Self.probe(peer, transport: transport == .udp ? "udp" : "tcp")
        #expect(run.status == 1)
        #expect(run.output.contains("malformed_response"), "\(run.output)")
        #expect(run.seconds < 5, "took \(run.seconds) s")
        #expect(run.isTerminalSafe)
    }

    @Test func aResponseWithoutViaOrForAnotherTransactionIsNotTakenAsTheAnswer() throws {
        let peer = try HostilePeer(.udp) { request, reply in
            guard let request else { return }
            var noVia = HostilePeer.response(to: request, code: 200)
            noVia.remove(.via)
            reply.send(noVia)
            var otherBranch = HostilePeer.response(to: request, code: 200)
            otherBranch.set(.via, "SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKsomeoneelse")
            reply.send(otherBranch)
            var otherCallID = HostilePeer.response(to: request, code: 200)
            otherCallID.set(.callID, "not-yours")
            otherCallID.set(.via, "SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKnotyours")
            reply.send(otherCallID)
        }
        let run = try Self.probe(peer, transport: "udp")
        #expect(run.status == 1)
        #expect(run.output.contains("timeout") || run.output.contains("malformed_response"), "\(run.output)")
        #expect(run.seconds < 6, "took \(run.seconds) s")
    }

    @Test func oneHundredTryingForeverEndsAtTheTransactionTimeout() throws {
        let peer = try HostilePeer(.udp) { request, reply in
            guard let request else { return }
            for _ in 0..<40 {
                guard reply.send(HostilePeer.response(to: request, code: 100)) else { return }
                usleep(200_000)
            }
        }
        let run = try Self.probe(peer, transport: "udp", timeout: 2)
        #expect(run.status == 1)
        #expect(run.output.contains("timeout"), "\(run.output)")
        #expect(run.seconds < 6, "took \(run.seconds) s")
    }

    @Test func aTenMegabyteResponseIsTooLarge() throws {
        let peer = try HostilePeer(.tcp) { request, reply in
            guard let request else { return }
            var head = HostilePeer.response(to: request, code: 200).serialized()
            head.removeLast(2)  // keep the header section open
            reply.send(head)
            let line = Array(("X-Filler: " + String(repeating: "a", count: 1000) + "\r\n").utf8)
            for _ in 0..<10_000 { guard reply.send(line) else { return } }
        }
        let run = try Self.probe(peer, transport: "tcp")
        #expect(run.status == 1)
        #expect(run.output.contains("response_too_large"), "\(run.output)")
        #expect(run.seconds < 6, "took \(run.seconds) s")
    }

    @Test func aSlowTrickleEndsAtTheTimeout() throws {
        let peer = try HostilePeer(.tcp) { request, reply in
            guard let request else { return }
            for byte in HostilePeer.response(to: request, code: 200).serialized().prefix(60) {
                guard reply.send([byte]) else { return }
                usleep(150_000)
            }
        }
        let run = try Self.probe(peer, transport: "tcp")
        #expect(run.status == 1)
        #expect(run.output.contains("timeout"), "\(run.output)")
        #expect(run.seconds < 6, "took \(run.seconds) s")
    }

    @Test func aTCPPeerThatAcceptsAndNeverAnswersIsATimeout() throws {
        let peer = try HostilePeer(.tcp, acceptOnly: true)
        let run = try Self.probe(peer, transport: "tcp")
        #expect(run.status == 1)
        #expect(run.output.contains("timeout"), "\(run.output)")
        #expect(run.seconds < 6, "took \(run.seconds) s")
    }

    @Test func escapeSequencesInHeadersAreShownEscaped() throws {
        // The parser refuses C0 controls in a header (ESC makes the answer malformed, and that is said safely);
        // a C1 CSI and a bidi override are valid UTF-8 text and reach the output layer, which escapes them.
        let peer = try HostilePeer(.udp) { request, reply in
            guard let request else { return }
            reply.send(HostilePeer.response(to: request, code: 200, headers: [("Server", "evil\u{9B}2J \u{202E}gnp.exe")]))
        }
        let run = try Self.probe(peer, transport: "udp")
        #expect(run.status == 0, "\(run.output)")
        #expect(run.isTerminalSafe, "\(run.output.debugDescription)")
        #expect(run.output.contains("evil\\x9B2J \\u202Egnp.exe"), "\(run.output)")
        // JSON keeps the exact data, escaped the JSON way.
        let json = try Self.probe(peer, transport: "udp", extra: ["--json"])
        #expect(json.isTerminalSafe)
        #expect(json.output.contains("evil\\u009B2J \\u202Egnp.exe"), "\(json.output)")

        let escape = try HostilePeer(.udp) { request, reply in
            guard let request else { return }
            reply.send(HostilePeer.response(to: request, code: 200, headers: [("Server", "evil\u{1B}]0;pwned\u{07}")]))
        }
        let refused = try Self.probe(escape, transport: "udp")
        #expect(refused.output.contains("malformed_response"), "\(refused.output)")
        #expect(refused.isTerminalSafe, "\(refused.output.debugDescription)")
    }

    // MARK: TLS

    /// A self-signed certificate whose subject and names carry escape sequences, served by `openssl s_server`.
    final class TLSServer {
        let directory: String
        let port: Int
        let pid: pid_t

        init(commonName: String, san: String) throws {
            directory = NSTemporaryDirectory() + "siptrunk-hostile-tls-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let config = """
                [req]
                distinguished_name = dn
                prompt = no
                string_mask = utf8only
                utf8 = yes
                x509_extensions = ext
                [dn]
                CN = \(commonName)
                [ext]
                basicConstraints = critical,CA:TRUE
                keyUsage = critical,digitalSignature,keyCertSign
                subjectAltName = \(san)
                """
            try config.write(toFile: directory + "/req.cnf", atomically: true, encoding: .utf8)
            let made = try TestProcess.run(
                "/usr/bin/openssl",
                ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", directory + "/key.pem",
                 "-out", directory + "/cert.pem", "-days", "2", "-config", directory + "/req.cnf"])
            guard made.status == 0 else { throw TestFailure("openssl req: \(made.output)") }
            port = ProbeIntegrationTests.freePort(Int32(SOCK_STREAM.rawValue))
            pid = try TestProcess.start(
                "/usr/bin/openssl",
                ["s_server", "-quiet", "-accept", "127.0.0.1:\(port)", "-cert", directory + "/cert.pem", "-key", directory + "/key.pem"],
                log: directory + "/s_server.log")
            // Wait until it accepts.
            for _ in 0..<100 {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = UInt16(port).bigEndian
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                close(fd)
                if connected == 0 { return }
                usleep(50_000)
            }
            throw TestFailure("openssl s_server did not start")
        }

        deinit {
            TestProcess.stop(pid)
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func certificateNamesWithEscapeSequencesAreShownEscapedAndUntrusted() throws {
        let server = try TLSServer(commonName: "pbx\u{1B}[2J.test", san: "DNS:evil\u{1B}]0;pwned\u{07}.test")
        let run = try Self.siptrunk(["probe", "tls://127.0.0.1:\(server.port)", "--timeout", "3"])
        #expect(run.status == 1)
        #expect(run.output.contains("tls_untrusted"), "\(run.output)")
        #expect(run.isTerminalSafe, "\(run.output.debugDescription)")
        #expect(run.output.contains("pbx\\x1B[2J.test"), "\(run.output)")
        #expect(run.seconds < 8, "took \(run.seconds) s")
    }

    @Test func aCertificateForAnotherNameIsAMismatchEvenWhenTrusted() throws {
        let server = try TLSServer(commonName: "other.test", san: "DNS:other.test")
        let run = try Self.siptrunk(["probe", "tls://127.0.0.1:\(server.port)", "--timeout", "3", "--ca-file", server.directory + "/cert.pem"])
        #expect(run.status == 1)
        #expect(run.output.contains("tls_hostname_mismatch"), "\(run.output)")
        #expect(run.seconds < 8, "took \(run.seconds) s")
    }

    @Test func aStalledTLSHandshakeEndsAtTheHandshakeTimeout() throws {
        let peer = try HostilePeer(.tcp, acceptOnly: true)
        let run = try Self.siptrunk(["probe", "tls://127.0.0.1:\(peer.port)", "--timeout", "30"])
        #expect(run.status == 1)
        #expect(run.output.contains("tls_protocol"), "\(run.output)")
        // The handshake timeout is 5 s; the probe's own 30 s must not be what ends it.
        #expect(run.seconds < 8, "took \(run.seconds) s")
    }

    // MARK: Calls

    @Test func provisionalResponsesForeverAfterCancelEndTheCallWithinSixtyFourT1() throws {
        let peer = try HostilePeer(.udp) { request, reply in
            guard let request else { return }
            switch request.method {
            case .invite:
                for _ in 0..<120 {
                    guard reply.send(HostilePeer.response(to: request, code: 183)) else { return }
                    usleep(500_000)
                }
            case .cancel:
                reply.send(HostilePeer.response(to: request, code: 200))  // and never the INVITE's 487
            default:
                break
            }
        }
        let (run, data) = try Self.testCall(peer)
        #expect(run.status == 1)
        #expect(data["status"] as? String == "no-answer", "\(run.output)")
        #expect(run.output.contains("RFC 3261 §9.1"), "\(run.output)")
        // Ring timeout 1 s + 64·T1 (32 s) + setting up and storing.
        #expect(run.seconds < 45, "took \(run.seconds) s")
        #expect(run.isTerminalSafe)
    }

    @Test func aRedirectLoopIsRefused() throws {
        let peer = try HostilePeer(.udp) { request, reply in
            guard let request, request.method == .invite else { return }
            reply.send(HostilePeer.response(to: request, code: 302, headers: [("Contact", "<sip:+14155550123@127.0.0.1:\(request.requestURIPort)>")]))
        }
        let (run, data) = try Self.testCall(peer)
        #expect(run.status == 1)
        #expect(data["status"] as? String == "failed", "\(run.output)")
        #expect(run.output.contains("loop"), "\(run.output)")
        #expect(run.seconds < 10, "took \(run.seconds) s")
    }

    @Test func aLongRedirectChainStopsAtFive() throws {
        let counter = Counter()
        let peer = try HostilePeer(.udp) { request, reply in
            guard let request, request.method == .invite else { return }
            let hop = counter.next()
            reply.send(HostilePeer.response(to: request, code: 302, headers: [("Contact", "<sip:hop\(hop)@127.0.0.1:\(request.requestURIPort)>")]))
        }
        let (run, data) = try Self.testCall(peer)
        #expect(run.status == 1)
        #expect(data["status"] as? String == "failed", "\(run.output)")
        #expect(counter.value <= 6, "followed \(counter.value) redirects")
        #expect(run.seconds < 10, "took \(run.seconds) s")
    }

    @Test(arguments: [false, true])
    func aChallengeLoopIsAnsweredAtMostTwice(stale: Bool) throws {
        let counter = Counter()
        let peer = try HostilePeer(.udp) { request, reply in
            guard let request, request.method == .invite else { return }
            let nonce = "n\(counter.next())"
            reply.send(HostilePeer.response(
                to: request, code: 407,
                headers: [("Proxy-Authenticate", "Digest realm=\"hostile\", nonce=\"\(nonce)\", algorithm=MD5, qop=\"auth\"\(stale ? ", stale=true" : "")")]))
        }
        let (run, data) = try Self.testCall(peer, extra: ["--username", "alice", "--password", "secret123"])
        #expect(run.status == 1)
        #expect(data["status"] as? String == "failed", "\(run.output)")
        #expect(counter.value <= 3, "answered \(counter.value - 1) challenges")
        #expect(run.seconds < 10, "took \(run.seconds) s")
    }
}

/// `probe --count N` ends with ping's summary (issue 14).
struct ProbeSummaryTests {
    @Test func countEndsWithSentAnsweredLossAndRoundTrips() throws {
        let calls = Ordinals()
        // Answers every probe but the second (and none of its retransmissions).
        let peer = try HostilePeer(.udp) { request, reply in
            guard let request, calls.ordinal(of: request.callID ?? "") != 2 else { return }
            reply.send(HostilePeer.response(to: request, code: 200))
        }
        let run = try HostilePeerTests.siptrunk(["probe", "127.0.0.1:\(peer.port)", "--count", "3", "--interval", "0", "--timeout", "0.5"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("--- 127.0.0.1:\(peer.port) probe statistics ---"), "\(run.output)")
        #expect(run.output.contains("3 probes sent, 2 answered, 33.3% loss"), "\(run.output)")
        #expect(run.output.contains("round trip min/avg/max/mdev = "), "\(run.output)")
        let json = try HostilePeerTests.siptrunk(["probe", "127.0.0.1:\(peer.port)", "--count", "2", "--interval", "0", "--timeout", "0.5", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        let summary = try #require((object?["data"] as? [String: Any])?["summary"] as? [String: Any])
        #expect(summary["sent"] as? Int == 2 && summary["answered"] as? Int == 2 && summary["loss_percent"] as? Double == 0)
        #expect(summary["min_ms"] != nil && summary["mdev_ms"] != nil)
    }
}

/// The order in which keys were first seen (1-based), thread-safe.
final class Ordinals: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [String: Int] = [:]

    func ordinal(of key: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        if let known = seen[key] { return known }
        seen[key] = seen.count + 1
        return seen.count
    }
}

/// A thread-safe counter for the peers' scripts.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
}

extension SIPMessage {
    /// The port of the Request-URI (5060 when it names none).
    var requestURIPort: Int {
        guard let uri = requestLine?.requestURI, let parsed = try? SIPURI(parsing: uri) else { return 5060 }
        return parsed.port ?? 5060
    }
}
