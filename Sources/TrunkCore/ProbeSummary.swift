import Foundation

/// `probe --json`: every attempt, and with `--count` above 1 the summary.
public struct ProbeReport: Encodable, Sendable {
    public var attempts: [DiscoveryReport.Attempt]
    public var summary: ProbeSummary?

    public init(attempts: [DiscoveryReport.Attempt], summary: ProbeSummary?) {
        self.attempts = attempts
        self.summary = summary
    }
}

/// What ping says at the end (issue 14): probes sent and answered, the loss, and the round trips' min, average,
/// max and mean deviation.
public struct ProbeSummary: Encodable, Sendable {
    public var sent: Int
    public var answered: Int
    public var lossPercent: Double
    public var minMs: Double?
    public var avgMs: Double?
    public var maxMs: Double?
    public var mdevMs: Double?

    public init(_ attempts: [DiscoveryReport.Attempt]) {
        sent = attempts.count
        let trips = attempts.compactMap(\.responseTimeMs)
        answered = trips.count
        lossPercent = sent == 0 ? 0 : (Double(sent - answered) / Double(sent) * 1000).rounded() / 10
        guard !trips.isEmpty else { return }
        let average = trips.reduce(0, +) / Double(trips.count)
        // ping's mdev: the standard deviation, sqrt(mean of squares - square of mean).
        let squares = trips.map { $0 * $0 }.reduce(0, +) / Double(trips.count)
        func round(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
        minMs = trips.min().map(round)
        maxMs = trips.max().map(round)
        avgMs = round(average)
        mdevMs = round(max(0, squares - average * average).squareRoot())
    }

    public func text(target: String) -> String {
        var lines = ["--- \(target) probe statistics ---", "\(sent) probes sent, \(answered) answered, \(lossPercent.formatted())% loss"]
        if let minMs, let avgMs, let maxMs, let mdevMs {
            lines.append(String(format: "round trip min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms", minMs, avgMs, maxMs, mdevMs))
        }
        return lines.joined(separator: "\n")
    }
}
