import Foundation
import Testing

/// `siptrunk serve` as a process (issue 17): listening, a request log line per request that never holds the key,
/// slow clients cut off at the header deadline, many idle connections, and a graceful stop on SIGTERM.
@Suite(.serialized)
struct ServeCLITests {
    /// A running server: its process, the URL it printed, its standard error (the request log).
    final class Server {
        let process = Process()
        let errors = Pipe()
        let port: Int
        let database: String

        init(database: String, extra: [String] = []) throws {
            self.database = database
            _ = CLITests.ignoreSIGPIPE
            process.executableURL = try CLITests.binary
            process.arguments = ["serve", "--listen", "127.0.0.1:0", "--db", database] + extra
            let output = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            // The first line on stdout names the address, with the port the kernel chose.
            var line = Data()
            while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line.append(byte) }
            let text = String(decoding: line, as: UTF8.self)
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...].prefix(while: \.isNumber)) else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "serve printed '\(text)'"])
            }
            self.port = port
        }

        /// SIGTERM, then the exit status and everything it logged.
        func stop() -> (status: Int32, log: String) {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            process.waitUntilExit()
            let log = errors.fileHandleForReading.readDataToEndOfFile()
            return (process.terminationStatus, String(decoding: log, as: UTF8.self))
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    /// A TCP connection to the server on loopback.
    final class Connection {
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
            var timeout = timeval(tv_sec: 15, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        func send(_ text: String) {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        /// Everything until the server closes (or the receive timeout).
        func readAll() -> String {
            var result = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count <= 0 { break }
                result += buffer[0..<count]
            }
            return String(decoding: result, as: UTF8.self)
        }

        deinit { close(fd) }
    }

    static func request(_ port: Int, _ method: String, _ path: String, key: String? = nil) throws -> String {
        let connection = try Connection(port: port)
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let key { text += "Authorization: Bearer \(key)\r\n" }
        connection.send(text + "\r\n")
        return connection.readAll()
    }

    static func database() throws -> String {
        let directory = NSTemporaryDirectory() + "siptrunk-serve-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory + "/siptrunk.sqlite"
    }

    static func createKey(_ database: String) throws -> (key: String, id: String) {
        let run = try CLITests.run(["api-key", "create", "--name", "cli", "--db", database, "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let data = try #require(json?["data"] as? [String: Any])
        let summary = try #require(data["summary"] as? [String: Any])
        return (try #require(data["key"] as? String), try #require(summary["id"] as? String))
    }

    @Test func servesWithAKeyLogsEachRequestWithoutTheKeyAndStopsGracefullyOnSIGTERM() throws {
        let database = try Self.database()
        let (key, id) = try Self.createKey(database)
        let server = try Server(database: database)
        let health = try Self.request(server.port, "GET", "/healthz")
        #expect(health.hasPrefix("HTTP/1.1 200"), "\(health)")
        let numbers = try Self.request(server.port, "GET", "/v1/sip/numbers", key: key)
        #expect(numbers.hasPrefix("HTTP/1.1 200"), "\(numbers)")
        #expect(numbers.contains("\"numbers\":[]") && numbers.contains("\"errors\":null"), "\(numbers)")
        let refused = try Self.request(server.port, "GET", "/v1/sip/numbers", key: key + "x")
        #expect(refused.hasPrefix("HTTP/1.1 401"))
        let escaped = try Self.request(server.port, "GET", "/v1/sip/%1B%5B2J", key: key)
        #expect(escaped.hasPrefix("HTTP/1.1 404"))

        let (status, log) = server.stop()
        #expect(status == 0, "\(log)")
        #expect(log.contains("method=GET") && log.contains("path=/v1/sip/numbers") && log.contains("status=200") && log.contains("key=\(id)"), "\(log)")
        #expect(log.contains("status=401"))
        #expect(!log.contains(key), "the key reached the log")
        #expect(!log.unicodeScalars.contains { $0.value == 0x1B }, "an escape sequence reached the log")
        #expect(log.contains("jobs finished; stopping"))
    }

    @Test func aClientTricklingItsHeadersIsDisconnectedAtTheDeadlineWhileOthersAreServed() throws {
        let database = try Self.database()
        _ = try Self.createKey(database)
        let server = try Server(database: database, extra: ["--header-timeout", "1"])
        defer { _ = server.stop() }
        let slow = try Connection(port: server.port)
        let started = Date()
        slow.send("GET /healthz HTTP/1.1\r\n")
        // One byte every 200 ms: an idle timeout would never fire; the header deadline does.
        var closedAfter: TimeInterval?
        for _ in 0..<40 {
            slow.send("X")
            var probe = [UInt8](repeating: 0, count: 1)
            let peeked = recv(slow.fd, &probe, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
            if peeked == 0 {
                closedAfter = Date().timeIntervalSince(started)
                break
            }
            #expect(try Self.request(server.port, "GET", "/healthz").hasPrefix("HTTP/1.1 200"))
            Thread.sleep(forTimeInterval: 0.2)
        }
        let after = try #require(closedAfter, "the trickling client was never disconnected")
        #expect(after < 4, "disconnected after \(after) s")
    }

    @Test func hundredsOfIdleConnectionsDoNotKeepARequestOut() throws {
        let database = try Self.database()
        _ = try Self.createKey(database)
        let server = try Server(database: database, extra: ["--header-timeout", "1", "--max-connections", "64"])
        defer { _ = server.stop() }
        let idle = try (0..<300).map { _ in try Connection(port: server.port) }
        let answer = try Self.request(server.port, "GET", "/healthz")
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        withExtendedLifetime(idle) {}
    }

    @Test func keysAreShownOnceListedWithoutSecretsAndRevoked() throws {
        let database = try Self.database()
        let created = try CLITests.run(["api-key", "create", "--name", "crm", "--db", database])
        #expect(created.status == 0, "\(created.stderr)")
        let key = try #require(created.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix("stk_") })
        let list = try CLITests.run(["api-key", "list", "--db", database])
        #expect(list.status == 0)
        #expect(list.stdout.contains("crm") && list.stdout.contains("active"))
        #expect(!list.stdout.contains(key))
        let id = String(key.split(separator: "_")[1])
        #expect(try CLITests.run(["api-key", "revoke", id, "--db", database]).status == 0)
        #expect(try CLITests.run(["api-key", "list", "--db", database]).stdout.contains("revoked"))
        let again = try CLITests.run(["api-key", "revoke", id, "--db", database])
        #expect(again.status == 1)
        #expect(again.stderr.contains("no active API key"))
    }

    @Test func badListenAddressesAndHalfATLSPairAreUsageErrors() throws {
        let database = try Self.database()
        for arguments in [["--listen", "nowhere"], ["--listen", "127.0.0.1:99999"], ["--tls-cert", "/nonexistent.pem"]] {
            let run = try CLITests.run(["serve", "--db", database] + arguments)
            #expect(run.status == 2, "\(arguments): \(run.stderr)")
        }
        let missing = try CLITests.run(["serve", "--db", database, "--listen", "127.0.0.1:0", "--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"])
        #expect(missing.status == 2, "\(missing.stderr)")
        #expect(missing.stderr.contains("cannot load --tls-cert"))
    }

    /// HTTPS with --tls-cert/--tls-key (a self-signed certificate made with openssl), spoken to with openssl s_client.
    @Test func servesHTTPSWithTheGivenCertificate() throws {
        let database = try Self.database()
        let directory = (database as NSString).deletingLastPathComponent
        let certificate = directory + "/cert.pem"
        let key = directory + "/key.pem"
        let made = try CLITests.runProgram(
            "/usr/bin/openssl",
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
             "-keyout", key, "-out", certificate])
        #expect(made.status == 0, "\(made.stderr)")
        let server = try Server(database: database, extra: ["--tls-cert", certificate, "--tls-key", key])
        let answer = try CLITests.runProgram(
            "/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", "-quiet", "-verify_quiet"],
            stdin: Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        #expect(answer.stdout.contains("HTTP/1.1 200") && answer.stdout.contains("\"status\":\"ok\""), "\(answer.stdout) \(answer.stderr)")
        let (status, _) = server.stop()
        #expect(status == 0)
    }
}
