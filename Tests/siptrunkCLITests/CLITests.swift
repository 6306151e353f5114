import Foundation
import Testing

/// Runs the built `siptrunk` binary as a user would and checks its output and exit status.
struct CLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: URL {
        get throws {
            // Test bundles sit next to the products in .build/<config>/.
            var directory = Bundle.main.bundleURL
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("siptrunk")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
                directory = directory.deletingLastPathComponent()
            }
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "siptrunk binary near \(Bundle.main.bundleURL.path)"])
        }
    }

    /// The binary may stop reading standard input early (it refuses oversized input): a write to the closed
    /// pipe must fail with EPIPE, not kill the test process.
    static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Runs the binary (or `wrapper` with the binary's path before `arguments`: setpriv, say) in `directory`.
    static func run(
        _ arguments: [String], stdin: [UInt8]? = nil, directory: String? = nil, environment: [String: String] = [:], wrapper: [String] = [],
        program other: URL? = nil
    ) throws -> Run {
        _ = ignoreSIGPIPE
        let process = Process()
        if let other {
            process.executableURL = other
            process.arguments = arguments
        } else if let program = wrapper.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(wrapper.dropFirst()) + [try binary.path] + arguments
        } else {
            process.executableURL = try binary
            process.arguments = arguments
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        let writer = input.fileHandleForWriting
        let bytes = stdin ?? []
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            try? writer.write(contentsOf: bytes)
            try? writer.close()
            done.signal()
        }
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        done.wait()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self))
    }

    /// Runs another program (openssl, say) to its end with `stdin`.
    static func runProgram(_ path: String, _ arguments: [String], stdin: [UInt8] = []) throws -> Run {
        try run(arguments, stdin: stdin, program: URL(fileURLWithPath: path))
    }

    static let options = Array(
        ("OPTIONS sip:pbx.example.com SIP/2.0\r\nVia: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK776asdhds;rport\r\n"
            + "Max-Forwards: 70\r\nTo: <sip:pbx.example.com>\r\nFrom: \"siptrunk\" <sip:probe@192.0.2.1>;tag=1928301774\r\n"
            + "Call-ID: a84b4c76e66710@192.0.2.1\r\nCSeq: 63104 OPTIONS\r\nContent-Length: 0\r\n\r\n").utf8)

    @Test func parsesAValidMessageFromStandardInput() throws {
        let run = try Self.run(["parse"], stdin: Self.options)
        #expect(run.status == 0)
        #expect(run.stdout.contains("Request     OPTIONS sip:pbx.example.com"))
        #expect(run.stdout.contains("Via         SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK776asdhds;rport"))
        #expect(run.stdout.contains("Valid: no problems found."))
    }

    @Test func jsonUsesTheEnvelope() throws {
        let run = try Self.run(["parse", "-", "--json"], stdin: Self.options)
        #expect(run.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["errors"] is NSNull)
        let data = try #require(object["data"] as? [String: Any])
        #expect(data["method"] as? String == "OPTIONS")
        #expect(data["call_id"] as? String == "a84b4c76e66710@192.0.2.1")
        let via = try #require(data["via"] as? [[String: Any]])
        #expect(via.first?["branch"] as? String == "z9hG4bK776asdhds")
        #expect(via.first?["rport"] as? String == "")
    }

    @Test func malformedMessageNamesHeaderAndOffset() throws {
        let broken = Array("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nContent-Length: -5\r\n\r\n".utf8)
        let run = try Self.run(["parse"], stdin: broken)
        #expect(run.status == 1)
        #expect(run.stderr == "siptrunk: not a valid SIP message: Content-Length at byte 61: Content-Length '-5' is not a non-negative integer\n")
        let json = try Self.run(["parse", "--json"], stdin: broken)
        #expect(json.status == 1)
        #expect(json.stdout.contains("\"error\" : \"malformed_message\""))
    }

    @Test func invalidMessageExitsOneWithProblems() throws {
        var text = String(decoding: Self.options, as: UTF8.self)
        text = text.replacingOccurrences(of: "CSeq: 63104 OPTIONS", with: "CSeq: 63104 INVITE")
        let run = try Self.run(["parse"], stdin: Array(text.utf8))
        #expect(run.status == 1)
        #expect(run.stdout.contains("CSeq method INVITE does not match the request method OPTIONS"))
    }

    @Test func garbageNeverCrashes() throws {
        var generator = SystemRandomNumberGenerator()
        for size in [0, 1, 7, 100, 5000] {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let run = try Self.run(["parse"], stdin: bytes)
            #expect(run.status == 1, "size \(size): \(run.stderr)")
            #expect(run.stderr.hasPrefix("siptrunk: "))
        }
        let huge = try Self.run(["parse"], stdin: [UInt8](repeating: 0x41, count: 200_000))
        #expect(huge.status == 1)
        #expect(huge.stderr.contains("larger than the 65536-byte limit"))
    }

    @Test func missingFileIsAUsageError() throws {
        let run = try Self.run(["parse", "/nonexistent/message.sip"])
        #expect(run.status == 2)
        #expect(run.stderr == "siptrunk: cannot read '/nonexistent/message.sip': no such file or directory\n")
    }

    @Test func parseDestination() throws {
        let accepted = try Self.run(["parse-destination", "tcp://pbx.example.com:5080", "--json"])
        #expect(accepted.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(accepted.stdout.utf8)) as? [String: Any])
        let data = try #require(object["data"] as? [String: Any])
        #expect(data["host"] as? String == "pbx.example.com")
        #expect(data["port"] as? Int == 5080)
        #expect(data["transport"] as? String == "tcp")
        #expect(data["user"] is NSNull)

        let refused = try Self.run(["parse-destination", "pbx.example.com:70000"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("port 70000 is out of range"))

        let refusedJSON = try Self.run(["parse-destination", "sctp://pbx", "--json"])
        #expect(refusedJSON.status == 1)
        #expect(refusedJSON.stdout.contains("unknown transport 'sctp'"))
        #expect(refusedJSON.stdout.contains("\"data\" : null"))
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try Self.run(["parse-destination"]).status == 2)
        #expect(try Self.run(["no-such-command"]).status == 2)
        #expect(try Self.run(["parse", "--no-such-flag"]).status == 2)
        #expect(try Self.run(["--help"]).status == 0)
    }
}

/// The store commands against a real database file.
struct StoreCLITests {
    static func temporaryDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("siptrunk-cli-\(UUID().uuidString)/db.sqlite").path
    }

    @Test func attachShowListDetach() throws {
        let db = Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: (db as NSString).deletingLastPathComponent) }
        let attach = try CLITests.run(["trunks", "attach", "+14155550123", "+1415", "--endpoint", "tls://pbx.example.com", "--trunk", "acme", "--db", db, "--json"])
        // One of the two failed: exit 1, with both parts in the JSON (issue 14).
        #expect(attach.status == 1)
        let data = try #require(try JSONSerialization.jsonObject(with: Data(attach.stdout.utf8)) as? [String: Any])["data"] as? [String: Any]
        #expect((data?["configured"] as? [[String: Any]])?.first?["phone_number"] as? String == "+14155550123")
        #expect((data?["failed"] as? [[String: Any]])?.first?["reason"] as? String
            == "phone_numbers[1]: \"+1415\" is not a valid E.164 number: has 4 digits; an E.164 number has 7 to 15")

        let show = try CLITests.run(["trunks", "show", "+14155550123", "--db", db])
        #expect(show.status == 0)
        #expect(show.stdout.contains("endpoint      sip:pbx.example.com;transport=tls"))

        let numbers = try CLITests.run(["numbers", "--db", db, "--json"])
        #expect(numbers.stdout.contains("\"health_status\" : \"unchecked\""))

        let detach = try CLITests.run(["trunks", "detach", "+14155550123", "--db", db])
        #expect(detach.status == 0)
        let again = try CLITests.run(["trunks", "detach", "+14155550123", "--db", db])
        #expect(again.status == 1)
        #expect(again.stderr.contains("has no SIP configuration to detach"))
    }

    @Test func refusedRequestsNameTheFieldAndExitOne() throws {
        let db = Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: (db as NSString).deletingLastPathComponent) }
        let refused = try CLITests.run(["trunks", "attach", "+14155550123", "--endpoint", "pbx:70000", "--db", db])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("directions[0].sip_endpoint: \"pbx:70000\" is not a SIP server address: port 70000 is out of range"))
        let json = try CLITests.run(["trunks", "attach", "+14155550123", "--direction", "sideways", "--db", db, "--json"])
        #expect(json.status == 1)
        #expect(json.stdout.contains("\"error\" : \"invalid_request\""))
        #expect(try CLITests.run(["trunks", "attach", "--db", db]).status == 2)
        let badJSON = try CLITests.run(["trunks", "attach", "--request", "-", "--db", db], stdin: Array("{\"directions\": 5}".utf8))
        #expect(badJSON.status == 1)
        #expect(badJSON.stderr.contains("directions: must be an array"), "\(badJSON.stderr)")
    }

    @Test func databaseThatIsNotSQLiteIsRefusedAndKept() throws {
        let db = Self.temporaryDatabase()
        let directory = (db as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(String(repeating: "my notes ", count: 100).utf8).write(to: URL(fileURLWithPath: db))
        let run = try CLITests.run(["numbers", "--db", db])
        #expect(run.status == 1)
        #expect(run.stderr.contains("is not a siptrunk database"))
        #expect(try String(contentsOfFile: db, encoding: .utf8).hasPrefix("my notes"))
    }

    @Test func demoFillsAFreshDatabaseOnce() throws {
        let db = Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: (db as NSString).deletingLastPathComponent) }
        let first = try CLITests.run(["demo", "--db", db])
        #expect(first.status == 0)
        #expect(first.stdout.contains("4 trunks, 8 numbers"))
        let second = try CLITests.run(["demo", "--db", db])
        #expect(second.status == 1)
        #expect(second.stderr.contains("demo data goes into a fresh database only"))
    }
}
