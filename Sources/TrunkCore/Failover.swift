import Foundation
import SIPCore
import SIPEngine
import TrunkStore

/// Primary, secondary, tertiary: an outbound configuration's endpoints by priority (1, 2, 3).
public enum EndpointRole: Int, CaseIterable, Codable, Sendable, Comparable {
    case primary = 1, secondary, tertiary

    public var name: String {
        switch self {
        case .primary: return "primary"
        case .secondary: return "secondary"
        case .tertiary: return "tertiary"
        }
    }

    public init?(name: String) {
        guard let role = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = role
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// The guide's failover triggers, as the monitor judges them (README, "Failover"):
/// - `unreachable`: the endpoint's health state machine says unreachable (`--fail-after` probes failed in a row);
/// - `auth_failure`: a probe was answered 401, 403 or 407 — the endpoint refuses this deployment;
/// - `timeout`: a probe got no final response within Timer F (64 × T1 with every retransmission unanswered).
public enum FailoverTrigger: String, CaseIterable, Codable, Sendable {
    case unreachable
    case authFailure = "auth_failure"
    case timeout
}

/// One endpoint as failover sees it: its health and its last probe.
public struct EndpointStatus: Hashable, Sendable {
    public var role: EndpointRole
    /// `host:port/transport`.
    public var endpoint: String
    public var state: HealthState
    /// Probes answered in a row.
    public var successes: Int
    public var since: Date?
    public var lastOutcome: String?
    public var lastResponseCode: Int?

    public init(role: EndpointRole, endpoint: String, state: HealthState, successes: Int = 0, since: Date? = nil, lastOutcome: String? = nil, lastResponseCode: Int? = nil) {
        self.role = role
        self.endpoint = endpoint
        self.state = state
        self.successes = successes
        self.since = since
        self.lastOutcome = lastOutcome
        self.lastResponseCode = lastResponseCode
    }

    /// The trigger this endpoint's latest state fires, among `triggers`, with a sentence saying why.
    public func firedTrigger(_ triggers: Set<FailoverTrigger>) -> (FailoverTrigger, String)? {
        if triggers.contains(.authFailure), let code = lastResponseCode, [401, 403, 407].contains(code) {
            return (.authFailure, "\(role.name) \(endpoint) answered \(code) to a probe (it refuses this deployment)")
        }
        if triggers.contains(.timeout), lastOutcome == "timeout" {
            return (.timeout, "\(role.name) \(endpoint) sent no final response within Timer F")
        }
        if triggers.contains(.unreachable), state == .unreachable {
            let outcome = lastOutcome.map { " (last probe: \($0))" } ?? ""
            return (.unreachable, "\(role.name) \(endpoint) is unreachable\(outcome)")
        }
        return nil
    }
}

/// A configuration's failover settings as the rules need them.
public struct FailoverPolicy: Hashable, Sendable {
    public var enabled: Bool
    public var triggers: Set<FailoverTrigger>
    /// Failback `auto` returns to a higher-priority endpoint after `recoverAfter` healthy probes; `manual` waits.
    public var automaticFailback: Bool
    public var recoverAfter: Int

    public init(enabled: Bool, triggers: Set<FailoverTrigger>, automaticFailback: Bool, recoverAfter: Int) {
        self.enabled = enabled
        self.triggers = triggers
        self.automaticFailback = automaticFailback
        self.recoverAfter = max(1, recoverAfter)
    }

    init(_ settings: FailoverSettings?, recoverAfter: Int) {
        self.init(
            enabled: settings?.enabled ?? false, triggers: Set((settings?.triggers ?? SIPTrunkService.failoverTriggers).compactMap(FailoverTrigger.init(rawValue:))),
            automaticFailback: (settings?.failback ?? "auto") == "auto", recoverAfter: recoverAfter)
    }
}

/// A switch of the active endpoint the rules decided.
public struct FailoverPlan: Hashable, Sendable, Codable {
    public var from: EndpointRole
    public var to: EndpointRole
    /// `unreachable`, `auth_failure`, `timeout` or `failback`.
    public var trigger: String
    public var reason: String
}

/// The failover rules, pure: given the active endpoint and every endpoint's status, whether to switch and where.
public enum FailoverRules {
    /// When the active endpoint fires a trigger: the highest-priority other endpoint that is healthy and fires
    /// none. With automatic failback: a higher-priority endpoint healthy for `recoverAfter` probes in a row.
    public static func decide(policy: FailoverPolicy, active: EndpointRole, endpoints: [EndpointStatus]) -> FailoverPlan? {
        guard policy.enabled, let current = endpoints.first(where: { $0.role == active }) else { return nil }
        if let (trigger, why) = current.firedTrigger(policy.triggers) {
            guard let next = standby(policy: policy, excluding: active, endpoints: endpoints) else { return nil }
            return FailoverPlan(from: active, to: next.role, trigger: trigger.rawValue, reason: "\(why); \(next.role.name) \(next.endpoint) is healthy")
        }
        if policy.automaticFailback,
            let better = endpoints.filter({ $0.role < active && $0.state == .healthy && $0.successes >= policy.recoverAfter && $0.firedTrigger(policy.triggers) == nil })
                .min(by: { $0.role < $1.role })
        {
            return FailoverPlan(
                from: active, to: better.role, trigger: "failback",
                reason: "\(better.role.name) \(better.endpoint) answered \(better.successes) probes in a row (failback is automatic)")
        }
        return nil
    }

    /// The endpoint calls would move to if `active` failed now.
    public static func standby(policy: FailoverPolicy, excluding active: EndpointRole, endpoints: [EndpointStatus]) -> EndpointStatus? {
        endpoints.filter { $0.role != active && $0.state == .healthy && $0.firedTrigger(policy.triggers) == nil }.min { $0.role < $1.role }
    }
}

/// `siptrunk failover NUMBER`: the active endpoint, every endpoint's state, and the history.
public struct FailoverView: Codable, Hashable, Sendable {
    public struct Event: Codable, Hashable, Sendable {
        public var at: Date
        public var from: String
        public var to: String
        public var fromEndpoint: String
        public var toEndpoint: String
        public var trigger: String
        public var reason: String
        public var actor: String
    }

    public struct Endpoint: Codable, Hashable, Sendable {
        public var role: String
        public var endpoint: String
        public var healthStatus: HealthState
        public var since: Date?
        public var lastOutcome: String?
        public var active: Bool
    }

    public var phoneNumber: String
    public var direction: String
    public var enabled: Bool
    public var triggers: [String]
    public var failback: String
    public var activeEndpoint: String
    public var activeRole: String
    public var activeSince: Date?
    public var endpoints: [Endpoint]
    public var history: [Event]
    /// With `--rehearse`: what would happen if the active endpoint failed now.
    public var rehearsal: String?
}

/// Where a number's outbound calls go now: the active endpoint and why it is not the primary.
public struct ActiveEndpoint: Hashable, Sendable {
    public var role: EndpointRole
    public var host: String
    public var port: Int?
    public var transport: String?
    public var reason: String?
    public var since: Date?

    /// `host` or `host:port` (IPv6 in brackets), as a destination.
    public var destination: String { AddressText.join(host: host, port: port) }
}

extension SIPTrunkService {
    /// `host:port/transport` for messages.
    static func endpointText(_ endpoint: OutboundEndpoint, config: SIPConfiguration) -> String {
        AddressText.join(host: endpoint.host, port: endpoint.port) + "/" + (endpoint.transport ?? config.transport ?? "udp")
    }

    /// The outbound configuration of a number, for failover commands.
    func outboundConfiguration(_ text: String, reader: StoreReader) throws -> SIPConfiguration {
        let number = try Self.number(text, field: "phone_number")
        return try configuration(number: number, direction: .outbound, reader: reader)
    }

    /// The endpoint a number's outbound calls use now (the primary unless the monitor or a user failed over).
    public func activeEndpoint(number text: String) throws(TrunkError) -> ActiveEndpoint? {
        try read { reader in
            _ = try requireEntitlement(reader)
            let number = try Self.number(text, field: "phone_number")
            guard let config = try reader.configurations(number: number.value).first(where: { $0.direction == .outbound }) else { return nil }
            return try Self.activeEndpoint(config, reader: reader)
        }
    }

    static func activeEndpoint(_ config: SIPConfiguration, reader: StoreReader) throws -> ActiveEndpoint? {
        let endpoints = try reader.endpoints(configId: config.id)
        let state = try reader.failoverState(configId: config.id)
        let chosen = endpoints.first { $0.priority == (state?.activePriority ?? 1) } ?? endpoints.first { $0.priority == 1 }
        guard let chosen, let role = EndpointRole(rawValue: chosen.priority) else { return nil }
        return ActiveEndpoint(
            role: role, host: chosen.host, port: chosen.port, transport: chosen.transport ?? config.transport,
            reason: role == .primary ? nil : state?.reason, since: state?.since)
    }

    /// Every endpoint's status for a configuration: the primary from `health_state`, the others from `endpoint_state`.
    static func endpointStatuses(_ config: SIPConfiguration, reader: StoreReader) throws -> [EndpointStatus] {
        let primary = try reader.healthState(configId: config.id)
        let backups = Dictionary(uniqueKeysWithValues: try reader.endpointStates(configId: config.id).map { ($0.priority, $0) })
        return try reader.endpoints(configId: config.id).compactMap { endpoint in
            guard let role = EndpointRole(rawValue: endpoint.priority) else { return nil }
            let text = endpointText(endpoint, config: config)
            if role == .primary {
                // Without the monitor's state (samples from elsewhere, e.g. the demo set), the latest sample's verdict.
                let latest = primary == nil ? try reader.recentHealthSamples(configId: config.id, limit: 1).first : nil
                let fallback = HealthState(stored: nil, lastOutcome: latest?.outcome)
                return EndpointStatus(
                    role: role, endpoint: text, state: primary.flatMap { HealthState(rawValue: $0.state) } ?? fallback, successes: primary?.successes ?? 0,
                    since: primary?.since, lastOutcome: primary?.lastOutcome ?? latest?.outcome, lastResponseCode: latest?.responseCode)
            }
            let record = backups[endpoint.priority]
            return EndpointStatus(
                role: role, endpoint: text, state: record.flatMap { HealthState(rawValue: $0.state) } ?? .unchecked, successes: record?.successes ?? 0,
                since: record?.since, lastOutcome: record?.lastOutcome, lastResponseCode: record?.lastResponseCode)
        }
    }

    /// `siptrunk failover NUMBER [--rehearse]`.
    public func failoverView(number: String, rehearse: Bool = false, recoverAfter: Int = HealthPolicy().recoverAfter) throws(TrunkError) -> FailoverView {
        try read { reader in
            _ = try requireEntitlement(reader)
            let config = try outboundConfiguration(number, reader: reader)
            return try Self.failoverView(config, reader: reader, rehearse: rehearse, recoverAfter: recoverAfter)
        }
    }

    static func failoverView(_ config: SIPConfiguration, reader: StoreReader, rehearse: Bool, recoverAfter: Int) throws -> FailoverView {
        let settings = try reader.failover(configId: config.id)
        let statuses = try endpointStatuses(config, reader: reader)
        let active = try activeEndpoint(config, reader: reader)
        let activeRole = active?.role ?? .primary
        let history = try reader.failoverEvents(configId: config.id).map { event in
            FailoverView.Event(
                at: event.at, from: EndpointRole(rawValue: event.fromPriority)?.name ?? "\(event.fromPriority)",
                to: EndpointRole(rawValue: event.toPriority)?.name ?? "\(event.toPriority)", fromEndpoint: event.fromEndpoint,
                toEndpoint: event.toEndpoint, trigger: event.trigger, reason: event.reason, actor: event.actor)
        }
        var rehearsal: String?
        if rehearse {
            let policy = FailoverPolicy(settings, recoverAfter: recoverAfter)
            let current = statuses.first { $0.role == activeRole }
            if !policy.enabled {
                rehearsal = "Failover is off for \(config.number): calls would keep going to \(current?.endpoint ?? "the primary") and fail. Turn it on with `siptrunk config set \(config.number) --failover on`."
            } else if let next = FailoverRules.standby(policy: policy, excluding: activeRole, endpoints: statuses) {
                let back = policy.automaticFailback
                    ? "they return automatically once it answers \(policy.recoverAfter) probes in a row"
                    : "failback is manual: `siptrunk failover \(config.number) --to \(activeRole.name)` brings them back"
                rehearsal = "If \(activeRole.name) \(current?.endpoint ?? "") failed now (\(policy.triggers.map(\.rawValue).sorted().joined(separator: ", "))), calls would move to \(next.role.name) \(next.endpoint), which is healthy; \(back)."
            } else {
                let others = statuses.filter { $0.role != activeRole }
                let states = others.isEmpty ? "there is no other endpoint" : others.map { "\($0.role.name) \($0.endpoint) is \($0.state.rawValue)" }.joined(separator: ", ")
                rehearsal = "If \(activeRole.name) \(current?.endpoint ?? "") failed now, calls would have nowhere to go: \(states). Calls would keep going to \(activeRole.name) until another endpoint is healthy."
            }
        }
        return FailoverView(
            phoneNumber: config.number, direction: config.direction.rawValue, enabled: settings?.enabled ?? false,
            triggers: settings?.triggers ?? failoverTriggers, failback: settings?.failback ?? "auto",
            activeEndpoint: statuses.first { $0.role == activeRole }?.endpoint ?? "", activeRole: activeRole.name, activeSince: active?.since,
            endpoints: statuses.map {
                FailoverView.Endpoint(role: $0.role.name, endpoint: $0.endpoint, healthStatus: $0.state, since: $0.since, lastOutcome: $0.lastOutcome, active: $0.role == activeRole)
            },
            history: history, rehearsal: rehearsal)
    }

    /// `siptrunk failover NUMBER --to ROLE`: a manual switch (or failback), recorded in the history.
    public func switchEndpoint(number: String, to role: EndpointRole, actor: String) throws(TrunkError) -> FailoverView {
        let now = now()
        return try write { writer in
            _ = try requireEntitlement(writer.reader)
            let config = try outboundConfiguration(number, reader: writer.reader)
            let endpoints = try writer.reader.endpoints(configId: config.id)
            guard let target = endpoints.first(where: { $0.priority == role.rawValue }) else {
                throw TrunkError.validation([FieldError("to", "\(config.number) has no \(role.name) endpoint; add one with `siptrunk config set \(config.number) --failover-endpoint HOST`")])
            }
            let current = try writer.reader.failoverState(configId: config.id)?.activePriority ?? 1
            if current != role.rawValue, let from = endpoints.first(where: { $0.priority == current }) {
                try Self.recordSwitch(
                    config: config, from: from, to: target, trigger: "manual", reason: "switched by hand to the \(role.name) endpoint", actor: actor, at: now,
                    writer: writer)
            }
            return try Self.failoverView(config, reader: writer.reader, rehearse: false, recoverAfter: HealthPolicy().recoverAfter)
        }
    }

    static func recordSwitch(
        config: SIPConfiguration, from: OutboundEndpoint, to: OutboundEndpoint, trigger: String, reason: String, actor: String, at: Date, writer: StoreWriter
    ) throws {
        let fromText = endpointText(from, config: config), toText = endpointText(to, config: config)
        try writer.save(FailoverStateRecord(configId: config.id, activePriority: to.priority, since: at, reason: "\(trigger): \(reason)"))
        try writer.insert(
            FailoverEvent(
                configId: config.id, at: at, fromPriority: from.priority, toPriority: to.priority, fromEndpoint: fromText, toEndpoint: toText,
                trigger: trigger, reason: reason, actor: actor))
    }
}

extension SIPTrunkService {
    /// A call through a number's stored endpoint was refused for its credentials — 403, or 401/407 although the
    /// call answered the challenge with the trunk's credentials: the `auth_failure` trigger on a call. When failover
    /// is on with that trigger and the call used the active endpoint, calls move to the standby endpoint now (and the
    /// move is told on the alert channels). Returns the switch, if one was made.
    public func callRefused(number: String, role: EndpointRole, code: Int, actor: String = "test call") throws(TrunkError) -> FailoverPlan? {
        let now = now()
        return try write { writer in
            _ = try requireEntitlement(writer.reader)
            let config = try outboundConfiguration(number, reader: writer.reader)
            let settings = try writer.reader.failover(configId: config.id)
            let policy = FailoverPolicy(settings, recoverAfter: HealthPolicy().recoverAfter)
            let active = try writer.reader.failoverState(configId: config.id)?.activePriority ?? 1
            guard policy.enabled, policy.triggers.contains(.authFailure), active == role.rawValue else { return nil }
            let statuses = try Self.endpointStatuses(config, reader: writer.reader)
            let endpoints = try writer.reader.endpoints(configId: config.id)
            guard let next = FailoverRules.standby(policy: policy, excluding: role, endpoints: statuses),
                let from = endpoints.first(where: { $0.priority == role.rawValue }), let to = endpoints.first(where: { $0.priority == next.role.rawValue })
            else { return nil }
            let plan = FailoverPlan(
                from: role, to: next.role, trigger: FailoverTrigger.authFailure.rawValue,
                reason: "a call to \(role.name) \(Self.endpointText(from, config: config)) was answered \(code) (the trunk's credentials were refused); \(next.role.name) \(next.endpoint) is healthy")
            try Self.recordSwitch(config: config, from: from, to: to, trigger: plan.trigger, reason: plan.reason, actor: actor, at: now, writer: writer)
            var texts: [EndpointRole: String] = [:]
            for endpoint in endpoints { if let role = EndpointRole(rawValue: endpoint.priority) { texts[role] = Self.endpointText(endpoint, config: config) } }
            let judged = MonitorJudge.Configuration(
                number: config.number, direction: config.direction.rawValue, endpoints: texts, failover: policy, alerts: try writer.reader.alerts(configId: config.id))
            for delivery in AlertNotice.deliveries(failover: plan, config: judged, at: now) { try writer.save(delivery) }
            return plan
        }
    }
}
