import Foundation

/// A process as a heartbeat names it: its id, when it started (so a reused pid is not taken for the same process)
/// and the host it runs on. Linux's /proc gives the start time in clock ticks since boot.
public struct ProcessIdentity: Hashable, Sendable {
    public var pid: Int32
    public var started: String
    public var host: String

    public init(pid: Int32, started: String, host: String) {
        self.pid = pid
        self.started = started
        self.host = host
    }

    /// This process.
    public static func current() -> ProcessIdentity {
        let pid = getpid()
        return ProcessIdentity(pid: pid, started: startTime(of: pid) ?? "", host: hostName())
    }

    /// Whether the process `pid` that started at `started` still runs on this host.
    public static func isAlive(pid: Int32, started: String) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        // Its start time must match: after a crash the pid may belong to another process by now.
        guard let now = startTime(of: pid) else { return false }
        return started.isEmpty || now == started
    }

    /// Field 22 of /proc/PID/stat (after the command name in parentheses, which may hold spaces).
    static func startTime(of pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After ")": state is field 3, so starttime (22) is the 20th.
        return fields.count > 19 ? String(fields[19]) : nil
    }

    public static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        return gethostname(&name, name.count) == 0 ? String(cString: name) : "localhost"
    }
}
