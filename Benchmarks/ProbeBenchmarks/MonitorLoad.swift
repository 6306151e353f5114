// The health monitor at scale: 10,000 outbound endpoints probed every 60 s by `siptrunk monitor`, all pointed at
// the benchmark's kamailio; the monitor process's CPU over one full interval, read from /proc.

import Foundation
import TrunkCore
import TrunkStore

/// CPU seconds (user + system) of a process so far.
func cpuSeconds(of pid: pid_t) -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After the command name: state is field 3, utime 14 and stime 15 (1-based over the whole line).
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Fills `database` with `count` numbers whose outbound endpoint is `host:5060` over UDP.
func prepareMonitorDatabase(_ database: String, count: Int, host: String) throws {
    let store = try TrunkDatabase(path: database)
    try Installation.prepare(store, host: Installation.HostFacts(hostName: "bench", ipv4: ["192.0.2.1"], ipv6: []))
    let service = SIPTrunkService(store: store)
    for batch in stride(from: 0, to: count, by: 100) {
        let numbers = (batch..<min(count, batch + 100)).map { String(format: "+1415%03d%04d", 200 + $0 / 10000, $0 % 10000) }
        _ = try service.attach(AttachRequest(
            phoneNumbers: numbers, trunkId: "bench-\(batch / 100)",
            directions: [.init(type: "outbound", sipEndpoint: host, options: .init(port: 5060, transport: "udp"))]))
    }
}
