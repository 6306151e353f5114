import Foundation
import Testing

/// Issue 19 through the real binary: odd paths, damaged or foreign databases, secrets at rest, exports, and
/// escape sequences that must never reach the terminal raw.
struct SecurityCLITests {
    typealias Run = CLITests.Run

    static func run(_ arguments: [String], stdin: [UInt8]? = nil, in directory: String? = nil, wrapper: [String] = []) throws -> Run {
        try CLITests.run(arguments, stdin: stdin, directory: directory, wrapper: wrapper)
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "siptrunk-security-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func noEscapes(_ run: Run) -> Bool {
        !(run.stdout + run.stderr).unicodeScalars.contains { [0x1B, 0x07, 0x9B, 0x202E].contains($0.value) }
    }

    /// A process killed by a signal exits 128 + the signal (132 SIGILL, 134 SIGABRT, 139 SIGSEGV).
    static func ended(_ run: Run) -> Bool { run.status < 128 }

    // MARK: Paths

    @Test func oddDatabasePathsAreExplainedNeverTrapped() throws {
        let directory = try Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/dir", withIntermediateDirectories: true)
        for path in ["a", ".", "..", "dir/", "dir", "with space.sqlite", "ünïcødé.sqlite", "", "./b"] {
            let run = try Self.run(["numbers", "--db", path], in: directory)
            #expect(Self.ended(run), "numbers --db '\(path)' crashed: \(run.stderr)")
            #expect(run.status == 1, "numbers --db '\(path)': \(run.stderr)")
            #expect(run.stderr.hasPrefix("siptrunk: "), "numbers --db '\(path)': \(run.stderr)")
        }
        // A one-character name is a fine database for a command that creates one.
        let created = try Self.run(["trunks", "attach", "+14155550123", "--db", "a"], in: directory)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(try Self.run(["numbers", "--db", "a"], in: directory).stdout.contains("+14155550123"))
        let spaced = try Self.run(["trunks", "attach", "+14155550124", "--db", "with space/ünï.sqlite"], in: directory)
        #expect(spaced.status == 0, "\(spaced.stderr)")
    }

    @Test func aMistypedDatabaseIsNotCreatedByReadingCommands() throws {
        let directory = try Self.temporaryDirectory()
        for command in [["numbers"], ["trunks", "list"], ["firewall"], ["config", "show", "+14155550123"], ["trace", "export", "x"]] {
            let run = try Self.run(command + ["--db", directory + "/typo.sqlite"])
            #expect(run.status == 1)
            #expect(run.stderr.contains("no database at \(directory)/typo.sqlite"), "\(command): \(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/typo.sqlite"))
    }

    @Test func parseOfADirectoryIsAUsageError() throws {
        let directory = try Self.temporaryDirectory()
        let run = try Self.run(["parse", directory])
        #expect(run.status == 2)
        #expect(run.stderr == "siptrunk: cannot read '\(directory)': it is a directory, not a file\n")
    }

    @Test func anOversizedRequestOnStandardInputIsRefusedWithoutBeingHeld() throws {
        let run = try Self.run(["trunks", "attach", "--request", "-", "--db", try Self.temporaryDirectory() + "/db"], stdin: [UInt8](repeating: 0x20, count: 3 << 20))
        #expect(run.status == 2)
        #expect(run.stderr.contains("larger than the 2097152-byte limit"), "\(run.stderr)")
    }

    // MARK: The database file

    @Test func aDatabaseFromANewerSiptrunkIsRefusedWithBothVersions() throws {
        let database = try Self.temporaryDirectory() + "/db.sqlite"
        #expect(try Self.run(["trunks", "attach", "+14155550123", "--db", database]).status == 0)
        // A migration this build does not know, as a newer siptrunk would have recorded it.
        let sqlite = try Self.run(["numbers", "--db", database])
        #expect(sqlite.status == 0)
        try SQLiteShell.execute(database, "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
        let run = try Self.run(["numbers", "--db", database])
        #expect(run.status == 1)
        #expect(run.stderr.contains("was written by a newer siptrunk"), "\(run.stderr)")
        #expect(run.stderr.contains("v99: from the future"), "\(run.stderr)")
        let attach = try Self.run(["trunks", "attach", "+14155550124", "--db", database])
        #expect(attach.status == 1, "a newer database must not be written: \(attach.stderr)")
    }

    @Test func aDatabaseReadableByOthersIsTightenedAndSaid() throws {
        let database = try Self.temporaryDirectory() + "/db.sqlite"
        #expect(try Self.run(["trunks", "attach", "+14155550123", "--db", database]).status == 0)
        #expect(chmod(database, 0o644) == 0)
        let run = try Self.run(["numbers", "--db", database])
        #expect(run.status == 0)
        #expect(run.stderr.contains("was readable by other users (mode 0644); it is now 0600"), "\(run.stderr)")
        var status = stat()
        #expect(stat(database, &status) == 0 && status.st_mode & 0o777 == 0o600)
    }

    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func aReadOnlyDatabaseIsStillReadable() throws {
        // As another user, the file and its directory are read-only: reading commands must work all the same.
        let directory = try Self.temporaryDirectory()
        let database = directory + "/db.sqlite"
        #expect(try Self.run(["trunks", "attach", "+14155550123", "--db", database]).status == 0)
        #expect(chmod(directory, 0o755) == 0 && chmod(database, 0o644) == 0)
        let nobody = ["/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
        let run = try Self.run(["numbers", "--db", database], wrapper: nobody)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("+14155550123"))
        let write = try Self.run(["trunks", "attach", "+14155550124", "--db", database], wrapper: nobody)
        #expect(write.status == 1 && write.stderr.contains("cannot write"), "\(write.stderr)")
    }

    @Test func demoKilledAtAnyMomentLeavesTheDatabaseUsable() throws {
        for delay in [150_000, 400_000, 800_000, 1_500_000] as [useconds_t] {
            let database = try Self.temporaryDirectory() + "/db.sqlite"
            let process = Process()
            process.executableURL = try CLITests.binary
            process.arguments = ["demo", "--db", database]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // Either nothing of the demo is there, or all of it: a second run completes or says it is done.
            let again = try Self.run(["demo", "--db", database])
            let complete = again.status == 0 || again.stderr.contains("already holds 4 trunk(s)")
            #expect(complete, "after a kill at \(delay) µs: \(again.stderr)")
            let numbers = try Self.run(["numbers", "--db", database])
            #expect(numbers.status == 0 && numbers.stdout.contains("+14155550101"), "after a kill at \(delay) µs: \(numbers.stderr)")
        }
    }

    // MARK: Secrets

    @Test func passwordsAreNotInTheDatabaseFileAndComeFromStandardInput() throws {
        let directory = try Self.temporaryDirectory()
        let database = directory + "/db.sqlite"
        let password = "Sup3r-Secret-Pa55word"
        let run = try Self.run(
            ["trunks", "attach", "+14155550123", "--direction", "inbound", "--auth", "register", "--register-password-stdin", "--db", database],
            stdin: Array((password + "\n").utf8))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stdout.contains(password))
        let outbound = try Self.run(
            ["trunks", "attach", "+14155550124", "--endpoint", "sip:pbx.example.com", "--sip-username", "pbx", "--sip-password-stdin", "--db", database],
            stdin: Array((password + "-2\n").utf8))
        #expect(outbound.status == 0, "\(outbound.stderr)")
        // Nothing of either password, nor the installation secret, is in the database or its WAL.
        _ = try Self.run(["numbers", "--db", database])
        for file in [database, database + "-wal"] where FileManager.default.fileExists(atPath: file) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(bytes.range(of: Data(password.utf8)) == nil, "\(file) holds the password in plain text")
        }
        var status = stat()
        #expect(stat(database + ".key", &status) == 0 && status.st_mode & 0o777 == 0o600)
        let key = try String(contentsOfFile: database + ".key", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.count == 64)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: database))
        #expect(bytes.range(of: Data(key.utf8)) == nil)
        let show = try Self.run(["trunks", "show", "+14155550124", "--db", database])
        #expect(!show.stdout.contains(password))
    }

    @Test func mediaAddressesThatCannotBeUsedAreExplainedNotCrashed() throws {
        let database = try Self.temporaryDirectory() + "/db.sqlite"
        let notIP = try Self.run(["test-call", "--number", "+14155550123", "--to", "sip:127.0.0.1:9;transport=udp", "--media-address", "abc", "--db", database])
        #expect(notIP.status == 2, "\(notIP.stderr)")
        #expect(notIP.stderr.contains("--media-address 'abc' is not an IP address"), "\(notIP.stderr)")
        let foreign = try Self.run(["test-call", "--number", "+14155550123", "--to", "sip:127.0.0.1:9;transport=udp", "--media-address", "192.0.2.1", "--db", database])
        #expect(Self.ended(foreign), "test-call crashed: \(foreign.stderr)")
        #expect(foreign.status == 1)
        #expect(foreign.stderr.contains("192.0.2.1 is not an address of this host"), "\(foreign.stderr)")
    }

    // MARK: Text from outside

    @Test func refusedInputIsEchoedEscaped() throws {
        let database = try Self.temporaryDirectory() + "/db.sqlite"
        let run = try Self.run(["trunks", "attach", "+14155550123", "--header", "X-Evil=a\u{1B}[2Jb", "--db", database])
        #expect(run.status == 1)
        #expect(Self.noEscapes(run), "\(run.stderr.debugDescription)")
        #expect(run.stderr.contains("control character \\x1B"), "\(run.stderr)")
        let destination = try Self.run(["parse-destination", "pbx\u{1B}]0;pwned\u{07}.example"])
        #expect(Self.noEscapes(destination), "\(destination.stderr.debugDescription)")
    }

    @Test func sdpWithEscapesIsShownEscapedAndKeptExactInJSON() throws {
        let body = "v=0\r\ns=\u{1B}]0;pwned\u{07}\u{202E}x\r\n"
        let message = "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\n"
            + "Call-ID: 1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        let run = try Self.run(["parse"], stdin: Array(message.utf8))
        #expect(Self.noEscapes(run), "\(run.stdout.debugDescription)")
        #expect(run.stdout.contains("s=\\x1B]0;pwned\\x07\\u202Ex"), "\(run.stdout)")
        let json = try Self.run(["parse", "--json"], stdin: Array(message.utf8))
        #expect(Self.noEscapes(json))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["data"] as? [String: Any])?["body"] as? String == body, "JSON must keep the exact bytes")
    }

    @Test func exportsAreRedactedPrivateAndNeverOverwritten() throws {
        let directory = try Self.temporaryDirectory()
        let database = directory + "/db.sqlite"
        #expect(try Self.run(["demo", "--db", database]).status == 0)
        let callID = "a84b4c76e66710-demo@sbc.demo.example"
        let output = directory + "/trace.txt"
        let first = try Self.run(["trace", "export", callID, "--output", output, "--db", database])
        #expect(first.status == 0, "\(first.stderr)")
        var status = stat()
        #expect(stat(output, &status) == 0 && status.st_mode & 0o777 == 0o600)
        let again = try Self.run(["trace", "export", callID, "--output", output, "--db", database])
        #expect(again.status == 1 && again.stderr.contains("exists: give another name, or --force"), "\(again.stderr)")
        #expect(try Self.run(["trace", "export", callID, "--output", output, "--force", "--format", "markdown", "--db", database]).status == 0)
        let toDirectory = try Self.run(["trace", "export", callID, "--output", directory, "--db", database])
        #expect(toDirectory.status == 1 && toDirectory.stderr.contains("is a directory"), "\(toDirectory.stderr)")
        #expect(!toDirectory.stderr.contains("NSCocoaErrorDomain"))
        let piped = try Self.run(["trace", "export", callID, "--format", "pcap", "--output", "-", "--db", database])
        #expect(piped.status == 0 && !piped.stdout.isEmpty, "\(piped.stderr)")
    }
}

/// SQL on a database file through the sqlite3 library's own shell-less API (Foundation has no SQLite).
enum SQLiteShell {
    static func execute(_ path: String, _ sql: String) throws {
        let python = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", python, path, sql]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
