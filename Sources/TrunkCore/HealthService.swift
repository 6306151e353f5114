import Foundation
import SIPCore
import SIPEngine
import TrunkStore

/// An outbound endpoint the monitor probes.
public struct MonitorTarget: Hashable, Sendable {
    public var configId: String
    public var number: String
    public var trunkId: String
    /// `host` or `host:port` (IPv6 in brackets), as `CallTarget` resolves it.
    public var endpoint: String
    public var transport: String?
    /// Primary, secondary or tertiary: every configured endpoint is probed (issue 15).
    public var role: EndpointRole = .primary

    public var member: MonitorMember { MonitorMember(configId: configId, role: role) }
}

/// The overview's per-row figures, read for the rows on screen only.
public struct HealthFigures: Hashable, Sendable {
    public var uptime24h: Double?
    public var averageResponseMs: Double?
    /// Oldest first; nil where a probe failed.
    public var recentResponseMs: [Double?]
}

/// One configuration's health for the dashboard and `siptrunk monitor --json`.
public struct HealthView: Codable, Hashable, Sendable {
    public struct Failure: Codable, Hashable, Sendable {
        public var at: Date
        public var outcome: String
        public var responseCode: Int?
        public var message: String?
        public var remedy: String?
    }

    public var configId: String
    public var phoneNumber: String
    public var trunkId: String
    public var direction: String
    public var sipEndpoint: String?
    /// `healthy`, `degraded`, `unreachable` or `unchecked` (inbound-only, or never probed).
    public var healthStatus: HealthState
    public var since: Date?
    public var lastCheckedAt: Date?
    /// Percent of probes answered over the last hour, day and week (nil: no probes in the window).
    public var uptime1h: Double?
    public var uptime24h: Double?
    public var uptime7d: Double?
    public var averageResponseMs: Double?
    /// The newest response times, oldest first (nil where a probe failed), for the sparkline.
    public var recentResponseMs: [Double?]
    public var lastFailures: [Failure]
}

extension HealthState {
    /// The monitor's stored state; without one (samples from elsewhere, e.g. the demo set), the latest sample's
    /// verdict; without a sample, unchecked.
    public init(stored: String?, lastOutcome: String?) {
        if let stored, let state = HealthState(rawValue: stored) {
            self = state
        } else {
            self = lastOutcome.map { HealthSampleResult.isAnswered($0) ? .healthy : .unreachable } ?? .unchecked
        }
    }
}

extension SIPTrunkService {
    /// How long raw samples are kept before they are summed per hour.
    public static let rawHealthWindow: TimeInterval = 48 * 3600

    /// Every endpoint of every outbound configuration: the primary, and the secondary and tertiary of failover
    /// (inbound-only trunks are not probed: `unchecked`).
    public func monitorTargets() throws(TrunkError) -> [MonitorTarget] {
        try read { reader in
            _ = try requireEntitlement(reader)
            // Two queries whatever the number of configurations (the monitor re-reads them every 5 minutes).
            let configurations = Dictionary(uniqueKeysWithValues: try reader.outboundConfigurations(orgId: orgId).map { ($0.id, $0) })
            return try reader.outboundEndpoints(orgId: orgId).compactMap { endpoint in
                guard let role = EndpointRole(rawValue: endpoint.priority), let config = configurations[endpoint.configId] else { return nil }
                return MonitorTarget(
                    configId: config.id, number: config.number, trunkId: config.trunkId, endpoint: AddressText.join(host: endpoint.host, port: endpoint.port), transport: endpoint.transport ?? config.transport, role: role)
            }
        }
    }

    /// The stored trackers of every endpoint, so a restarted monitor continues each streak.
    public func healthTrackers() throws(TrunkError) -> [MonitorMember: HealthTracker] {
        try read { reader in
            var trackers: [MonitorMember: HealthTracker] = [:]
            for record in try reader.healthStates() {
                trackers[MonitorMember(configId: record.configId, role: .primary)] = HealthTracker(
                    state: HealthState(rawValue: record.state) ?? .unchecked, failures: record.failures, successes: record.successes)
            }
            for record in try reader.endpointStates() {
                guard let role = EndpointRole(rawValue: record.priority) else { continue }
                trackers[MonitorMember(configId: record.configId, role: role)] = HealthTracker(
                    state: HealthState(rawValue: record.state) ?? .unchecked, failures: record.failures, successes: record.successes)
            }
            return trackers
        }
    }

    /// Stores one probe's sample and the endpoint's state after it.
    public func recordHealth(_ result: HealthSampleResult, tracker: HealthTracker) throws(TrunkError) {
        try recordHealth([(result, tracker)])
    }

    /// Stores many samples in one transaction (the monitor flushes once a second: one commit, not one per probe).
    public func recordHealth(_ batch: [(HealthSampleResult, HealthTracker)]) throws(TrunkError) {
        guard !batch.isEmpty else { return }
        let rows = batch.map { result, tracker in
            let at = Date(timeIntervalSince1970: result.wallTime)
            return (
                sample: HealthSample(
                    configId: result.endpointID, checkedAt: at, outcome: result.outcome, responseCode: result.responseCode,
                    responseTimeMs: result.responseTimeMs, message: result.message, remedy: result.remedy),
                state: HealthStateRecord(
                    configId: result.endpointID, state: tracker.state.rawValue, failures: tracker.failures, successes: tracker.successes,
                    since: at, lastOutcome: result.outcome, lastMessage: result.message, lastRemedy: result.remedy, updatedAt: at))
        }
        try write { writer in try writer.recordHealth(rows) }
    }

    /// Records that `owner` (e.g. `siptrunk monitor (pid 1234)`), this process, is monitoring now.
    public func beatMonitorHeartbeat(owner: String, process: ProcessIdentity = .current()) throws(TrunkError) {
        let now = now()
        try write { writer in
            try writer.beatMonitorHeartbeat(owner: owner, at: now, pid: process.pid, processStarted: process.started, host: process.host)
        }
    }

    /// A monitor that stops says so, so the next process takes over at once.
    public func endMonitorHeartbeat(owner: String) throws(TrunkError) {
        try write { writer in try writer.clearMonitorHeartbeat(owner: owner) }
    }

    /// Who monitors; nil when nobody does (issue 15: a dashboard opened right after a monitor died trusted its
    /// heartbeat for minutes). A heartbeat from this host counts only while its process (id and start time) lives;
    /// from another host, while it is fresher than two heartbeat periods (the monitor beats every 30 s).
    public func activeMonitor(freshness: TimeInterval = 60, host: String = ProcessIdentity.hostName()) throws(TrunkError) -> String? {
        let now = now()
        return try read { reader in
            guard let beat = try reader.monitorHeartbeat(), now.timeIntervalSince(beat.at) <= freshness else { return nil }
            if beat.host == host, let pid = beat.pid, !ProcessIdentity.isAlive(pid: pid, started: beat.processStarted ?? "") { return nil }
            return beat.owner
        }
    }

    /// Sums samples older than the raw window per hour (uptime stays exact; the file stops growing).
    @discardableResult
    public func rollUpHealth() throws(TrunkError) -> Int {
        let cutoff = now().addingTimeInterval(-Self.rawHealthWindow)
        return try write { writer in try writer.rollUpHealth(before: cutoff) }
    }

    /// Every configuration's state, endpoint and last probe, in one query; the figures that need the samples
    /// (uptime, response times) are left out: `healthFigures(configIds:)` computes them for the rows on screen.
    public func healthOverview() throws(TrunkError) -> [HealthView] {
        try read { reader in
            _ = try requireEntitlement(reader)
            return try reader.healthOverviewRows(orgId: orgId).map { row in
                // The monitor's state; without one (samples from elsewhere, e.g. the demo set), the latest sample's verdict.
                return HealthView(
                    configId: row.configId, phoneNumber: row.number, trunkId: row.trunkId, direction: row.direction,
                    sipEndpoint: row.host.map { AddressText.join(host: $0, port: row.port) },
                    healthStatus: row.direction == "inbound" ? .unchecked : HealthState(stored: row.state, lastOutcome: row.lastOutcome), since: row.since,
                    lastCheckedAt: row.lastCheckedAt, uptime1h: nil, uptime24h: nil, uptime7d: nil, averageResponseMs: nil,
                    recentResponseMs: [], lastFailures: [])
            }
        }
    }

    /// The overview's figures for some configurations: 24-hour uptime and average response time, and the newest
    /// `recent` response times for the sparkline.
    public func healthFigures(configIds: some Sequence<String>, recent: Int = 20) throws(TrunkError) -> [String: HealthFigures] {
        let since = now().addingTimeInterval(-86_400)
        return try read { reader in
            var figures: [String: HealthFigures] = [:]
            for id in configIds where figures[id] == nil {
                let totals = try reader.healthTotals(configId: id, since: since)
                let samples = try reader.recentHealthSamples(configId: id, limit: recent)
                figures[id] = HealthFigures(
                    uptime24h: Self.percent(totals), averageResponseMs: totals.averageResponseMs.map { ($0 * 10).rounded() / 10 },
                    recentResponseMs: samples.reversed().map { HealthSampleResult.isAnswered($0.outcome) ? $0.responseTimeMs : nil })
            }
            return figures
        }
    }

    static func percent(_ totals: HealthTotals) -> Double? {
        totals.probes == 0 ? nil : (Double(totals.answered) / Double(totals.probes) * 1000).rounded() / 10
    }

    public func health(configId: String, recent: Int = 60) throws(TrunkError) -> HealthView {
        let now = now()
        return try read { reader in
            _ = try requireEntitlement(reader)
            guard let config = try reader.configuration(id: configId) else { throw TrunkError.notFound("no configuration '\(configId)'") }
            return try Self.healthView(config, reader: reader, now: now, recent: recent)
        }
    }

    static func healthView(_ config: SIPConfiguration, reader: StoreReader, now: Date, recent: Int) throws -> HealthView {
        let endpoint = try reader.endpoints(configId: config.id).first
        let state = try reader.healthState(configId: config.id)
        func uptime(_ seconds: TimeInterval) throws -> (Double?, Double?) {
            let totals = try reader.healthTotals(configId: config.id, since: now.addingTimeInterval(-seconds))
            return (percent(totals), totals.averageResponseMs.map { ($0 * 10).rounded() / 10 })
        }
        let (hour, _) = try uptime(3600)
        let (day, average) = try uptime(86_400)
        let (week, _) = try uptime(7 * 86_400)
        let samples = try reader.recentHealthSamples(configId: config.id, limit: recent)
        let failures = try reader.recentHealthFailures(configId: config.id, limit: 5).map {
            HealthView.Failure(at: $0.checkedAt, outcome: $0.outcome, responseCode: $0.responseCode, message: $0.message, remedy: $0.remedy)
        }
        // The monitor's state; without one (samples from elsewhere, e.g. the demo set), the latest sample's verdict.
        let status: HealthState = config.direction == .inbound ? .unchecked : HealthState(stored: state?.state, lastOutcome: samples.first?.outcome)
        return HealthView(
            configId: config.id, phoneNumber: config.number, trunkId: config.trunkId, direction: config.direction.rawValue,
            sipEndpoint: endpoint.map { AddressText.join(host: $0.host, port: $0.port) }, healthStatus: status, since: state?.since,
            lastCheckedAt: samples.first?.checkedAt, uptime1h: hour, uptime24h: day, uptime7d: week, averageResponseMs: average,
            recentResponseMs: samples.reversed().map { HealthSampleResult.isAnswered($0.outcome) ? $0.responseTimeMs : nil }, lastFailures: failures)
    }
}
