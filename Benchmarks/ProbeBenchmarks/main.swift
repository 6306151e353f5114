// Probe and discovery figures against a real kamailio on loopback, next to the simplest possible client and sipp.
//
//   swift build -c release --product siptrunk && swift run -c release ProbeBenchmarks
//
// 1. Round trip: 2,000 sequential OPTIONS from `siptrunk probe`, against the same OPTIONS sent from a blocking
//    socket in this process (the wire time as close as user space sees it). The difference is what the engine adds.
// 2. Throughput: `siptrunk probe --concurrency` floods 100,000 probes; its own summary gives the rate and CPU time.
//    sipp's UAC runs the same flood for comparison, when installed.
// 3. Discovery: the full matrix against kamailio with one silent UDP port, timed against the probe timeout.
// 4. Call setup: INVITE to 200 from `siptrunk test-call` against a sipp UAS (a process per call), from the engine
//    warm in this process (calls back to back), and from sipp's own UAC against the same UAS (INVITE sent to 200
//    received, from its message trace).
//
// 5. The monitor: 10,000 endpoints every 60 s, the process's CPU over one interval (`ProbeBenchmarks monitor`).
// 6. Failover and alerts: 10,000 numbers on 2,000 endpoints (500 failing), three alert rules each — the judge's cost
//    per sample, the monitor's CPU per interval, the outbox's deliveries per second (`ProbeBenchmarks alerts`).
//
// kamailio is started here, on 127.0.0.61 (UDP and TCP 5060), and stopped at the end.

import Foundation

let address = "127.0.0.61"
let scratch = NSTemporaryDirectory() + "siptrunk-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)

func siptrunkPath() -> String {
    let candidates = [".build/release/siptrunk", ".build/x86_64-unknown-linux-gnu/release/siptrunk"]
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        fatalError("build siptrunk first: swift build -c release --product siptrunk")
    }
    return found
}

/// Runs a program to the end; its stdout. posix_spawn and waitpid, because Foundation's Process.waitUntilExit
/// can stall on Linux while another child (kamailio) is alive.
@discardableResult
func run(_ path: String, _ arguments: [String]) -> (status: Int32, output: String, seconds: Double) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { fatalError("pipe failed") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let start = DispatchTime.now()
    var pid = pid_t()
    guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { fatalError("cannot start \(path)") }
    close(fds[1])
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(fds[0], &buffer, buffer.count)
        if count <= 0 { break }
        output += buffer[0..<count]
    }
    close(fds[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    return ((status >> 8) & 0xFF, String(decoding: output, as: UTF8.self), seconds)
}

/// Starts a program in the background; its pid.
func start(_ path: String, _ arguments: [String]) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for fd in [Int32(0), 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid = pid_t()
    guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { fatalError("cannot start \(path)") }
    return pid
}

// MARK: kamailio

let modules = ["/usr/lib/x86_64-linux-gnu/kamailio/modules", "/usr/lib/aarch64-linux-gnu/kamailio/modules"]
    .first { FileManager.default.fileExists(atPath: $0 + "/sl.so") } ?? "/usr/lib/kamailio/modules"
let config = """
    #!KAMAILIO
    debug=1
    log_stderror=yes
    children=4
    tcp_children=2
    auto_aliases=no
    listen=udp:\(address):5060
    listen=tcp:\(address):5060
    mpath="\(modules)/"
    loadmodule "sl.so"
    request_route {
        if (method=="OPTIONS") { sl_send_reply("200", "OK"); exit; }
        sl_send_reply("403", "Forbidden");
    }
    """
try config.write(toFile: scratch + "/kamailio.cfg", atomically: true, encoding: .utf8)
let kamailio = start("/usr/sbin/kamailio", ["-DD", "-E", "-f", scratch + "/kamailio.cfg", "-Y", scratch, "-w", scratch, "-P", scratch + "/pid", "-m", "64", "-M", "8"])
defer {
    if let text = try? String(contentsOfFile: scratch + "/pid", encoding: .utf8), let main = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
        kill(-main, SIGKILL)
        kill(main, SIGKILL)
    }
    kill(kamailio, SIGKILL)
    try? FileManager.default.removeItem(atPath: scratch)
}
Thread.sleep(forTimeInterval: 1.5)

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

// `ProbeBenchmarks monitor` runs only section 5.
let only = CommandLine.arguments.dropFirst().first
if only == nil {
// MARK: 1. Round trip

/// OPTIONS from a plain blocking UDP socket: send, wait for the answer, time it.
func rawRoundTrips(count: Int) -> [Double] {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(fd) }
    var remote = sockaddr_in()
    remote.sin_family = sa_family_t(AF_INET)
    remote.sin_port = in_port_t(UInt16(5060).bigEndian)
    inet_pton(AF_INET, address, &remote.sin_addr)
    _ = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var local = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    let port = UInt16(bigEndian: local.sin_port)
    var times: [Double] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    for index in 0..<count {
        let request = Array("""
            OPTIONS sip:\(address):5060 SIP/2.0\r
            Via: SIP/2.0/UDP 127.0.0.1:\(port);branch=z9hG4bK-raw\(index)-\(getpid());rport\r
            Max-Forwards: 70\r
            From: <sip:bench@127.0.0.1>;tag=\(index)\r
            To: <sip:\(address)>\r
            Call-ID: raw-\(index)-\(getpid())@127.0.0.1\r
            CSeq: 1 OPTIONS\r
            Content-Length: 0\r
            \r

            """.utf8)
        let start = DispatchTime.now().uptimeNanoseconds
        _ = send(fd, request, request.count, 0)
        _ = recv(fd, &buffer, buffer.count, 0)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return Array(times.dropFirst(10))
}

func engineRoundTrips(count: Int) -> [Double] {
    let result = run(siptrunkPath(), ["probe", address, "--count", "\(count)", "--interval", "0", "--timeout", "2", "--json"])
    guard let json = try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any],
        let data = json["data"] as? [String: Any], let attempts = data["attempts"] as? [[String: Any]]
    else { fatalError("siptrunk probe gave no JSON: \(result.output.prefix(400))") }
    return Array(attempts.compactMap { $0["response_time_ms"] as? Double }.dropFirst(10))
}

let raw = rawRoundTrips(count: 2_010)
let engine = engineRoundTrips(count: 2_010)
print(String(format: "round trip, median of %d: blocking socket %.3f ms, siptrunk probe %.3f ms, added %.3f ms", raw.count, median(raw), median(engine), median(engine) - median(raw)))

// MARK: 2. Throughput

for concurrency in [16, 128] {
    let flood = run(siptrunkPath(), ["probe", address, "--count", "100000", "--concurrency", "\(concurrency)", "--timeout", "4", "--json"])
    if let json = try? JSONSerialization.jsonObject(with: Data(flood.output.utf8)) as? [String: Any],
        let data = json["data"] as? [String: Any], let summary = data["flood"] as? [String: Any]
    {
        print("flood, \(concurrency) in flight: \(summary["probes_per_second"] ?? "?") probes/s, \(summary["answered"] ?? "?") of 100000 answered, CPU \(summary["cpu_cores"] ?? "?") cores, round trip ms \(summary["round_trip_ms"] ?? "?")")
    }
}

if FileManager.default.isExecutableFile(atPath: "/usr/bin/sipp") {
    let scenario = """
        <?xml version="1.0" encoding="ISO-8859-1" ?>
        <scenario name="OPTIONS flood">
          <send retrans="500"><![CDATA[
              OPTIONS sip:[remote_ip]:[remote_port] SIP/2.0
              Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
              Max-Forwards: 70
              From: <sip:sipp@[local_ip]:[local_port]>;tag=[call_number]
              To: <sip:[remote_ip]:[remote_port]>
              Call-ID: [call_id]
              CSeq: 1 OPTIONS
              Content-Length: 0
            ]]></send>
          <recv response="200"/>
        </scenario>
        """
    try scenario.write(toFile: scratch + "/options-uac.xml", atomically: true, encoding: .utf8)
    for limit in [16, 128] {
        var before = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &before)
        let sipp = run("/usr/bin/sipp", ["\(address):5060", "-sf", scratch + "/options-uac.xml", "-m", "100000", "-r", "50000", "-l", "\(limit)", "-i", "127.0.0.1", "-nostdin", "-timeout", "120"])
        var after = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &after)
        let cpu = Double(after.ru_utime.tv_sec - before.ru_utime.tv_sec + after.ru_stime.tv_sec - before.ru_stime.tv_sec)
            + Double(after.ru_utime.tv_usec - before.ru_utime.tv_usec + after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6
        print(String(format: "sipp UAC, %d in flight: %.0f probes/s, CPU %.2f cores (exit %d)", limit, 100_000 / sipp.seconds, cpu / sipp.seconds, sipp.status))
    }
}

// MARK: 3. Discovery with a silent port

let silent = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
var bound = sockaddr_in()
bound.sin_family = sa_family_t(AF_INET)
bound.sin_port = in_port_t(UInt16(5080).bigEndian)
inet_pton(AF_INET, address, &bound.sin_addr)
_ = withUnsafePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
for timeout in [1.0, 2.0] {
    let discovery = run(siptrunkPath(), ["discover", address, "--timeout", "\(timeout)", "--json", "--db", scratch + "/bench.sqlite"])
    print(String(format: "discovery of 7 probes with a silent UDP port, timeout %.1f s: %.2f s (exit %d)", timeout, discovery.seconds, discovery.status))
}
close(silent)

// MARK: 4. Call setup against a sipp UAS

if FileManager.default.isExecutableFile(atPath: "/usr/bin/sipp") {
    let uasPort = 35_062
    let uas = start("/usr/bin/sipp", ["-sn", "uas", "-i", "127.0.0.1", "-p", "\(uasPort)", "-mi", "127.0.0.1", "-mp", "36000", "-rtp_echo", "-nostdin"])
    Thread.sleep(forTimeInterval: 0.5)
    var ours: [Double] = []
    for index in 0..<30 {
        // A database per ten calls: the guide's rate limit is 10 test calls per 15 minutes.
        let call = run(siptrunkPath(), [
            "test-call", "--number", "+14155554567", "--to", "127.0.0.1:\(uasPort)", "--duration", "0.5", "--json",
            "--rtp-ports", "37000-37999", "--db", scratch + "/calls-\(index / 10).sqlite",
        ])
        if let json = try? JSONSerialization.jsonObject(with: Data(call.output.utf8)) as? [String: Any],
            let data = json["data"] as? [String: Any], let setup = data["setup_ms"] as? Double
        {
            ours.append(setup)
        }
    }
    // sipp's own UAC (built-in scenario) against the same UAS; its message trace has microsecond timestamps,
    // finer than its response-time statistics (whole milliseconds).
    let sippRun = run("/usr/bin/sipp", [
        "127.0.0.1:\(uasPort)", "-sn", "uac", "-m", "30", "-r", "2", "-d", "100", "-i", "127.0.0.1", "-mp", "38000",
        "-trace_msg", "-message_file", scratch + "/uac-messages.log", "-nostdin", "-timeout", "60",
    ])
    var theirs: [Double] = []
    let trace = (try? String(contentsOfFile: scratch + "/uac-messages.log", encoding: .utf8)) ?? ""
    var stamp: Double?
    var inviteSent: Double?
    var lines = trace.split(separator: "\n", omittingEmptySubsequences: false).makeIterator()
    while let line = lines.next() {
        if line.hasPrefix("-----------------------------------------------") {
            // "... 2026-11-26 21:23:25.105381": seconds of the day are enough within one run.
            let time = line.split(separator: " ").last.map(String.init) ?? ""
            let parts = time.split(separator: ":").compactMap { Double($0) }
            stamp = parts.count == 3 ? parts[0] * 3600 + parts[1] * 60 + parts[2] : nil
            continue
        }
        guard let stamp, !line.isEmpty, !line.contains("message sent"), !line.contains("message received") else { continue }
        if line.hasPrefix("INVITE ") { inviteSent = stamp }
        if line.hasPrefix("SIP/2.0 200"), let sent = inviteSent {
            theirs.append((stamp - sent) * 1000)
            inviteSent = nil
        }
    }
    // The engine warm, in this process: the same UAS, calls back to back.
    let warm = (try? warmCallSetupTimes(host: "127.0.0.1", port: uasPort, count: 100, rtpPorts: 39000...39999)) ?? []
    kill(uas, SIGKILL)
    var ignored: Int32 = 0
    waitpid(uas, &ignored, 0)
    print(String(format: "call setup INVITE→200 against a sipp UAS, median: siptrunk test-call %.3f ms (%d calls, one process each), engine warm in one process %.3f ms (%d calls), sipp UAC %.3f ms (%d calls, exit %d)", median(ours), ours.count, median(warm), warm.count, median(theirs), theirs.count, sippRun.status))
}

}  // sections 1-4

// MARK: 5. The monitor with 10,000 endpoints

if only == nil || only == "monitor" {
do {
    let database = scratch + "/monitor.sqlite"
    try prepareMonitorDatabase(database, count: 10_000, host: address)
    let monitor = start(siptrunkPath(), ["monitor", "--interval", "60", "--db", database])
    // Past the first interval (every endpoint moves from unchecked to healthy, a line each), then one whole
    // interval in the steady state.
    Thread.sleep(forTimeInterval: 70)
    let before = cpuSeconds(of: monitor) ?? 0
    Thread.sleep(forTimeInterval: 60)
    let after = cpuSeconds(of: monitor) ?? 0
    kill(monitor, SIGTERM)
    var status: Int32 = 0
    waitpid(monitor, &status, 0)
    print(String(format: "monitor, 10,000 endpoints every 60 s: %.1f%% of one core over its second interval (%.2f s CPU in 60 s)", (after - before) / 60 * 100, after - before))
} catch {
    print("monitor benchmark failed: \(error)")
}
}

// MARK: 6. Failover and alerts at scale (`ProbeBenchmarks alerts`)

if only == nil || only == "alerts" {
    alertBenchmarks(root: FileManager.default.currentDirectoryPath)
}

/// Each figure reaches the terminal (or a file) as soon as it is measured.
func print(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
