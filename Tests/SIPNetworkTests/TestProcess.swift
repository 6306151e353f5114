import Foundation
import Testing

/// Child processes for the integration tests, with posix_spawn and waitpid: Foundation's
/// `Process.waitUntilExit` can stall on Linux while other children (sipp, dnsmasq, kamailio) are alive.
enum TestProcess {
    /// The built `siptrunk` next to the test bundle.
    static func siptrunkPath() throws -> String {
        var directory = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("siptrunk").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw POSIXError(.ENOENT)
    }

    /// Runs `siptrunk` with `arguments` to the end; stdout and stderr together.
    static func siptrunk(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        try run(try siptrunkPath(), arguments, environment: environment)
    }

    /// Runs a program to the end and returns its exit status and its output (stdout and stderr together).
    static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EIO) }
        let pid = try spawn(path, arguments, stdout: fds[1], closeInChild: fds[0], environment: environment)
        close(fds[1])
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fds[0], &buffer, buffer.count)
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        close(fds[0])
        return (wait(pid), String(decoding: output, as: UTF8.self))
    }

    /// Starts a program in its own process group (so `stop` ends it and every child it forks), output to `log`.
    static func start(_ path: String, _ arguments: [String], log: String) throws -> pid_t {
        let fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        return try spawn(path, arguments, stdout: fd, closeInChild: nil, environment: [:], newGroup: true)
    }

    /// Kills a process group started by `start` and reaps its leader.
    static func stop(_ pid: pid_t) {
        kill(-pid, SIGKILL)
        _ = wait(pid)
    }

    /// SIGTERM, then the exit status within `seconds`; SIGKILL to the group (and nil) when it does not end by then.
    /// (A child may inherit SIGINT ignored from the test runner: SIGTERM is what asks it to stop.)
    static func terminate(_ pid: pid_t, within seconds: Double) -> Int32? {
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while Date() < deadline {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                let exited = (status & 0x7F) == 0
                return exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            }
            if reaped < 0, errno != EINTR { return nil }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(-pid, SIGKILL)
        _ = wait(pid)
        return nil
    }

    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = (status & 0x7F) == 0
        return exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    private static func spawn(
        _ path: String, _ arguments: [String], stdout: Int32, closeInChild: Int32?, environment: [String: String],
        newGroup: Bool = false
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stdout, 2)
        if let closeInChild { posix_spawn_file_actions_addclose(&actions, closeInChild) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The test runner's threads block and ignore signals (libdispatch); a child would inherit that and never
        // stop on SIGTERM (tshark did not). Children start with no signal blocked and SIGINT/SIGTERM at default.
        var flags = Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        if newGroup {
            flags |= Int16(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, flags)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        return pid
    }
}
