import Foundation
import SIPRuntime
import TrunkCore

/// `probe --concurrency N` (sipsak's flood): probes sent and answered, the rate, this process's CPU, and the round
/// trips' percentiles; the JSON of `--json` and the lines printed otherwise.
public struct FloodReport: Encodable, Sendable {
    public var target: String
    public var sent: Int
    public var answered: Int
    public var failures: [String: Int]
    public var seconds: Double
    public var probesPerSecond: Double
    public var cpuSeconds: Double
    public var cpuCores: Double
    public var roundTripMs: [String: Double]

    /// `cpu`: the CPU seconds the flood took (`processCPUSeconds()` after minus before).
    public init(target: String, summary: NetworkProber.FloodSummary, cpuSeconds cpu: Double) {
        let elapsed = max(1e-9, summary.elapsed.inSeconds)
        let sorted = summary.roundTrips.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return DiscoveryReport.milliseconds(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))])
        }
        self.target = target
        sent = summary.sent
        answered = summary.answered
        failures = summary.failures
        seconds = (elapsed * 1000).rounded() / 1000
        probesPerSecond = (Double(summary.sent) / elapsed).rounded()
        cpuSeconds = (cpu * 1000).rounded() / 1000
        cpuCores = (cpu / elapsed * 100).rounded() / 100
        roundTripMs = ["p50": percentile(0.5), "p90": percentile(0.9), "p99": percentile(0.99), "max": sorted.last.map(DiscoveryReport.milliseconds) ?? 0]
    }

    /// What `siptrunk probe` prints for a flood.
    public var text: String {
        let trip = { (name: String) in roundTripMs[name] ?? 0 }
        var lines = [
            "\(target): \(sent) probes in \(seconds) s = \(Int(probesPerSecond))/s, \(answered) answered",
            "round trip ms: p50 \(trip("p50"))  p90 \(trip("p90"))  p99 \(trip("p99"))  max \(trip("max"))",
            "CPU: \(cpuSeconds) s (\(cpuCores) cores)",
        ]
        for (kind, number) in failures.sorted(by: { $0.key < $1.key }) { lines.append("failed: \(kind) × \(number)") }
        return lines.joined(separator: "\n")
    }

    /// User plus system CPU time of this process.
    public static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
