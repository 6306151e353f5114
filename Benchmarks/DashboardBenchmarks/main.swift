// The trace viewer's load, next to sngrep loading the same messages from a pcap.
//
//   swift build -c release --product DashboardBenchmarks && .build/release/DashboardBenchmarks
//
// 100,000 SIP messages (14,286 calls of INVITE, 100, 180, 200, ACK, BYE, 200) are stored as traces. Then, each
// in a fresh child process so peak memory is its own: siptrunk's viewer load (read every message from SQLite,
// group by Call-ID, lay out every call's ladder), and `sngrep -N -q -I` reading a pcap of the same messages.
// Time is wall-clock in the child; peak RSS from wait4's rusage.
//
// `DashboardBenchmarks overview`: the dashboard's periodic re-read with 10,000 outbound configurations, each with
// a day of probes (one every 10 minutes, 144 samples) and a monitor state: the overview (one query) plus the
// figures of a screenful of rows, next to reading every row's figures (what the dashboard did before).

import Foundation
import SIPEngine
import TUIKit
import TrunkCore
import TrunkStore
import TrunkTUI

let arguments = CommandLine.arguments

/// `DashboardBenchmarks reread DATABASE NUMBER`: the dashboard's periodic re-read on a database of captured calls
/// (issue 16: at most 150 ms with 1,000,000 stored messages) — the overview, the open number's health, its Call logs
/// page with the capture counters, and its traced calls — median of 20.
if arguments.count == 4, arguments[1] == "reread" {
    let service = SIPTrunkService(store: try TrunkDatabase(path: arguments[2], access: .readOnly))
    let number = arguments[3]
    let messages = try service.store.read { try $0.traceMessageCount() }
    var times: [Double] = []
    for _ in 0..<20 {
        let start = DispatchTime.now()
        let views = try service.healthOverview()
        _ = try service.trunkCount()
        _ = try service.activeMonitor()
        if let view = views.first(where: { $0.phoneNumber == number }) { _ = try service.health(configId: view.configId) }
        let page = try service.callLogPage(number: number, after: nil)
        _ = try service.captureSources()
        _ = try service.tracedCalls(number: number)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
        precondition(page.total > 0, "no calls for \(number)")
    }
    times.sort()
    print(String(format: "re-read with %d stored messages: median %.1f ms, max %.1f ms", messages, times[times.count / 2], times.last ?? 0))
    exit(0)
}

/// `DashboardBenchmarks overview-count DATABASE N`: the dashboard's re-read (overview, a screen's figures, the frame)
/// N times on the 10,000-trunk database at DATABASE (made there first when missing), for callgrind: run it with 0
/// and N and subtract, and two builds compare by instructions, which do not move with the machine's load.
if arguments.count == 4, arguments[1] == "overview-count", let runs = Int(arguments[3]) {
    let now = Date(timeIntervalSince1970: 1_796_083_200)
    if !FileManager.default.fileExists(atPath: arguments[2]) { _ = try makeOverviewDatabase(at: arguments[2], now: now) }
    let service = SIPTrunkService(store: try TrunkDatabase(path: arguments[2]), now: { now })
    let screen = DashboardScreen(service: service, refreshSeconds: 5, now: { now })
    var frame = Frame(width: 120, height: 40)
    screen.render(into: &frame, tick: 0)
    for _ in 0..<runs {
        screen.reload()
        var frame = Frame(width: 120, height: 40)
        screen.render(into: &frame, tick: 0)
    }
    print("\(screen.views.count) rows, \(runs) re-reads")
    exit(0)
}

if arguments.count == 2, arguments[1] == "overview" {
    try overviewBenchmark()
    exit(0)
}

/// The child: load and lay out, print the seconds.
if arguments.count == 3, arguments[1] == "load" {
    let start = DispatchTime.now()
    let service = SIPTrunkService(store: try TrunkDatabase(path: arguments[2]))
    let calls = try service.traceCatalog(limit: 100_000)
    // The viewer shows the call list and the selected call's ladder (sngrep's call list, then its flow).
    var arrows = 0
    for call in [calls.first, calls.last].compactMap({ $0 }) { arrows += TraceLadder.ladder(for: try service.trace(callId: call.callId)).messages.count }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    print("\(seconds) \(calls.count) \(arrows)")
    exit(0)
}

func message(_ lines: [String], body: String = "") -> Data {
    Data((lines.joined(separator: "\r\n") + "\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
}

let directory = NSTemporaryDirectory() + "siptrunk-dashboard-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }
let database = directory + "/traces.sqlite"
let store = try TrunkDatabase(path: database)
let sdp = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
var all: [TraceMessage] = []
let base = Date(timeIntervalSince1970: 1_800_000_000)
for call in 0..<14_286 {
    let callId = "bench-\(call)@10.0.0.1"
    let common = ["From: <sip:+14155550100@10.0.0.1>;tag=f\(call)", "To: <sip:+14155550101@10.0.0.2>", "Call-ID: \(callId)"]
    let via = "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK\(call)"
    let steps: [(Bool, Data)] = [
        (true, message(["INVITE sip:+14155550101@10.0.0.2 SIP/2.0", via] + common + ["CSeq: 1 INVITE", "Contact: <sip:10.0.0.1:5060>", "Content-Type: application/sdp"], body: sdp)),
        (false, message(["SIP/2.0 100 Trying", via] + common + ["CSeq: 1 INVITE"])),
        (false, message(["SIP/2.0 180 Ringing", via] + common + ["CSeq: 1 INVITE"])),
        (false, message(["SIP/2.0 200 OK", via] + common + ["CSeq: 1 INVITE", "Contact: <sip:10.0.0.2:5060>", "Content-Type: application/sdp"], body: sdp)),
        (true, message(["ACK sip:10.0.0.2:5060 SIP/2.0", via + "a"] + common + ["CSeq: 1 ACK"])),
        (true, message(["BYE sip:10.0.0.2:5060 SIP/2.0", via + "b"] + common + ["CSeq: 2 BYE"])),
        (false, message(["SIP/2.0 200 OK", via + "b"] + common + ["CSeq: 2 BYE"])),
    ]
    for (index, step) in steps.enumerated() {
        let at = base.addingTimeInterval(Double(call) * 2 + Double(index) * 0.01)
        all.append(TraceMessage(
            sipCallId: callId, monotonicNs: Int64(call) * 2_000_000_000 + Int64(index) * 10_000_000, wallTime: at,
            direction: step.0 ? "sent" : "received", transport: "udp", localAddress: "10.0.0.1:5060", remoteAddress: "10.0.0.2:5060", raw: step.1))
    }
}
try store.write { writer in for message in all { try writer.insert(message) } }
let pcapPath = directory + "/traces.pcap"
try Data(TraceExport.pcap(all)).write(to: URL(fileURLWithPath: pcapPath))

/// Runs a child to the end under /usr/bin/time (a small process that forks the child, so the child's peak RSS
/// is its own and not inherited from this large parent); its output, wall seconds and peak RSS in MiB.
func measure(_ program: String, _ programArguments: [String]) -> (output: String, seconds: Double, peakMiB: Double) {
    let report = directory + "/time.txt"
    let path = "/usr/bin/time"
    let arguments = ["-f", "%e %M", "-o", report, program] + programArguments
    var fds: [Int32] = [0, 0]
    _ = pipe(&fds)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    var pid = pid_t()
    let start = DispatchTime.now()
    guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { fatalError("cannot start \(path)") }
    close(fds[1])
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = read(fds[0], &buffer, buffer.count)
        if count <= 0 { break }
        output += buffer[0..<count]
    }
    var status: Int32 = 0
    _ = waitpid(pid, &status, 0)
    _ = start
    let fields = ((try? String(contentsOfFile: report, encoding: .utf8)) ?? "").split(whereSeparator: \.isWhitespace)
    let seconds = fields.count >= 2 ? Double(fields[fields.count - 2]) ?? 0 : 0
    let kilobytes = fields.last.flatMap { Double($0) } ?? 0
    return (String(decoding: output, as: UTF8.self), seconds, kilobytes / 1024)
}

let ours = (0..<3).map { _ in measure(CommandLine.arguments[0], ["load", database]) }.sorted { $0.seconds < $1.seconds }[1]
let parts = ours.output.split(separator: " ")
print(String(format: "siptrunk viewer load of %d messages: %@ calls listed and a ladder laid out in %.2f s (process %.2f s), peak RSS %.0f MiB",
    all.count, String(parts.count > 1 ? parts[1] : "?"), Double(parts.first ?? "0") ?? 0, ours.seconds, ours.peakMiB))
if FileManager.default.isExecutableFile(atPath: "/usr/bin/sngrep") {
    let theirs = (0..<3).map { _ in measure("/usr/bin/sngrep", ["-N", "-q", "-I", pcapPath]) }.sorted { $0.seconds < $1.seconds }[1]
    print(String(format: "sngrep -N -q -I of the same messages as pcap: %.2f s, peak RSS %.0f MiB", theirs.seconds, theirs.peakMiB))
}

func print(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

func overviewBenchmark() throws {
    let directory = NSTemporaryDirectory() + "siptrunk-overview-bench-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let now = Date()
    let (service, targets) = try makeOverviewDatabase(at: directory + "/db.sqlite", now: now)
    print("\(targets.count) configurations, \(targets.count * 144) samples")

    func median(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now()
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
        }
        return times.sorted()[runs / 2]
    }
    let screen = DashboardScreen(service: service, refreshSeconds: 5, now: { now })
    var frame = Frame(width: 120, height: 40)
    screen.render(into: &frame, tick: 0)
    let reload = try median(9) {
        screen.reload()
        var frame = Frame(width: 120, height: 40)
        screen.render(into: &frame, tick: 0)
    }
    let overviewOnly = try median(9) { _ = try service.healthOverview() }
    let reloadOnly = median(9) { screen.reload() }
    print(String(format: "reload without drawing: %.1f ms", reloadOnly))
    let ids = targets.map(\.configId)
    let everyRow = try median(3) { _ = try service.healthFigures(configIds: ids) }
    print(String(format: "dashboard re-read (overview + a screen's figures + frame), 10,000 trunks: %.1f ms median (overview query alone %.1f ms)", reload, overviewOnly))
    print(String(format: "every row's figures (the old re-read's share): %.0f ms", everyRow))
}

/// 10,000 outbound configurations, each with a day of probes (one every 10 minutes) and a monitor state.
func makeOverviewDatabase(at path: String, now: Date) throws -> (SIPTrunkService, [MonitorTarget]) {
    let store = try TrunkDatabase(path: path)
    try Installation.prepare(store, host: Installation.HostFacts(hostName: "bench", ipv4: ["192.0.2.1"], ipv6: []))
    let service = SIPTrunkService(store: store, now: { now })
    let count = 10_000
    for batch in stride(from: 0, to: count, by: 100) {
        let numbers = (batch..<min(count, batch + 100)).map { String(format: "+1415%03d%04d", 200 + $0 / 10000, $0 % 10000) }
        _ = try service.attach(AttachRequest(
            phoneNumbers: numbers, trunkId: "bench-\(batch / 100)",
            directions: [.init(type: "outbound", sipEndpoint: "192.0.2.\(batch / 100 % 250 + 1)", options: .init(port: 5060, transport: "udp"))]))
    }
    let targets = try service.monitorTargets()
    for (index, target) in targets.enumerated() {
        var tracker = HealthTracker()
        var batch: [(HealthSampleResult, HealthTracker)] = []
        for step in 0..<144 {
            let at = now.addingTimeInterval(-Double(144 - step) * 600)
            let ok = (index + step) % 97 != 0
            let changed = tracker.record(answered: ok, policy: HealthPolicy()) != nil
            batch.append((HealthSampleResult(
                endpointID: target.configId, wallTime: at.timeIntervalSince1970, outcome: ok ? "ok" : "timeout",
                responseCode: ok ? 200 : nil, responseTimeMs: ok ? Double(10 + (index + step) % 40) : nil,
                state: tracker.state, changed: changed), tracker))
        }
        try service.recordHealth(batch)
    }
    return (service, targets)
}
