import Foundation
import SIPCore
import TrunkStore

/// The guide's advanced configuration (`PATCH /v1/sip/config`, and our `GET /v1/sip/config`).
public struct AdvancedConfig: Codable, Hashable, Sendable {
    public struct FailoverEndpoint: Codable, Hashable, Sendable {
        public var host: String
        public var port: Int?
        public var transport: String?
        public var priority: Int
        public init(host: String, port: Int? = nil, transport: String? = nil, priority: Int) {
            self.host = host
            self.port = port
            self.transport = transport
            self.priority = priority
        }
    }

    public struct Failover: Codable, Hashable, Sendable {
        public var enabled: Bool
        /// Priority 1 is the primary (the configuration's endpoint); 2 and 3 the secondary and tertiary.
        public var endpoints: [FailoverEndpoint]
        public var triggers: [String]
        public var failback: String
        public init(enabled: Bool, endpoints: [FailoverEndpoint], triggers: [String], failback: String) {
            self.enabled = enabled
            self.endpoints = endpoints
            self.triggers = triggers
            self.failback = failback
        }
    }

    public struct Codecs: Codable, Hashable, Sendable {
        /// Enabled codecs, in preference order.
        public var codecs: [String]
        /// Every supported codec in order, with whether it is enabled.
        public var all: [CodecSettings.Entry]?
        public var transcode: Bool
        public init(codecs: [String], transcode: Bool) {
            self.codecs = codecs
            self.transcode = transcode
        }
    }

    public struct Thresholds: Codable, Hashable, Sendable {
        public var unreachableMinutes: Int?
        public var failureRatePercent: Int?
        public var failureRateWindowMinutes: Int?
        public var responseTimeMs: Int?
        public init(unreachableMinutes: Int? = nil, failureRatePercent: Int? = nil, failureRateWindowMinutes: Int? = nil, responseTimeMs: Int? = nil) {
            self.unreachableMinutes = unreachableMinutes
            self.failureRatePercent = failureRatePercent
            self.failureRateWindowMinutes = failureRateWindowMinutes
            self.responseTimeMs = responseTimeMs
        }
    }

    public struct Channels: Codable, Hashable, Sendable {
        public var email: String?
        public var sms: String?
        public var webhook: String?
        public init(email: String? = nil, sms: String? = nil, webhook: String? = nil) {
            self.email = email
            self.sms = sms
            self.webhook = webhook
        }
    }

    public struct Alerts: Codable, Hashable, Sendable {
        public var enabled: Bool
        public var thresholds: Thresholds
        public var channels: Channels
        public init(enabled: Bool, thresholds: Thresholds, channels: Channels) {
            self.enabled = enabled
            self.thresholds = thresholds
            self.channels = channels
        }
    }

    public var phoneNumber: String
    public var direction: String
    public var failoverConfig: Failover
    public var codecConfig: Codecs
    public var alertConfig: Alerts
}

/// `PATCH /v1/sip/config` request: any of the three parts may be given; the others stay as they are.
public struct AdvancedConfigPatch: Codable, Hashable, Sendable {
    public var phoneNumber: String
    public var direction: String
    public var failoverConfig: AdvancedConfig.Failover?
    public var codecConfig: AdvancedConfig.Codecs?
    public var alertConfig: AdvancedConfig.Alerts?

    public init(
        phoneNumber: String, direction: String, failoverConfig: AdvancedConfig.Failover? = nil,
        codecConfig: AdvancedConfig.Codecs? = nil, alertConfig: AdvancedConfig.Alerts? = nil
    ) {
        self.phoneNumber = phoneNumber
        self.direction = direction
        self.failoverConfig = failoverConfig
        self.codecConfig = codecConfig
        self.alertConfig = alertConfig
    }
}

extension SIPTrunkService {
    /// The codecs the guide lists, in its default order.
    public static let supportedCodecs = ["PCMU", "PCMA", "Opus", "G.729", "G.722"]
    public static let failoverTriggers = ["unreachable", "auth_failure", "timeout"]

    /// `GET /v1/sip/config`: the advanced configuration of one direction of a number, with defaults filled in.
    public func advancedConfig(number text: String, direction: String) throws(TrunkError) -> AdvancedConfig {
        let number = try Self.number(text, field: "phone_number")
        let type = try Self.direction(direction)
        return try read { reader in
            _ = try requireEntitlement(reader)
            let config = try configuration(number: number, direction: type, reader: reader)
            return try Self.assemble(config, reader: reader)
        }
    }

    /// `PATCH /v1/sip/config`.
    public func updateAdvancedConfig(_ patch: AdvancedConfigPatch) throws(TrunkError) -> AdvancedConfig {
        let number = try Self.number(patch.phoneNumber, field: "phone_number")
        let type = try Self.direction(patch.direction)
        var errors: [FieldError] = []
        if let failover = patch.failoverConfig { Self.validate(failover, direction: type, errors: &errors) }
        let codecOrder = patch.codecConfig.map { Self.validate($0, errors: &errors) }
        if let alerts = patch.alertConfig { Self.validate(alerts, errors: &errors) }
        guard errors.isEmpty else { throw TrunkError.validation(errors) }

        return try write { writer in
            _ = try requireEntitlement(writer.reader)
            let config = try configuration(number: number, direction: type, reader: writer.reader)
            if let failover = patch.failoverConfig {
                try writer.save(FailoverSettings(configId: config.id, enabled: failover.enabled, triggers: failover.triggers, failback: failover.failback))
                let primary = try writer.reader.endpoints(configId: config.id).filter { $0.priority == 1 }
                let backups = failover.endpoints.filter { $0.priority > 1 }.map {
                    OutboundEndpoint(configId: config.id, priority: $0.priority, host: $0.host, port: $0.port, transport: $0.transport?.lowercased())
                }
                try writer.replaceEndpoints(configId: config.id, with: primary + backups)
            }
            if let codecs = patch.codecConfig, let order = codecOrder {
                let enabled = order.map { CodecSettings.Entry(name: $0, enabled: true) }
                let disabled = Self.supportedCodecs.filter { !order.contains($0) }.map { CodecSettings.Entry(name: $0, enabled: false) }
                try writer.save(CodecSettings(configId: config.id, codecs: enabled + disabled, transcode: codecs.transcode))
            }
            if let alerts = patch.alertConfig {
                try writer.save(
                    AlertSettings(
                        configId: config.id, enabled: alerts.enabled, unreachableMinutes: alerts.thresholds.unreachableMinutes,
                        failureRatePercent: alerts.thresholds.failureRatePercent,
                        failureRateWindowMinutes: alerts.thresholds.failureRateWindowMinutes,
                        responseTimeMs: alerts.thresholds.responseTimeMs, email: alerts.channels.email, sms: alerts.channels.sms,
                        webhook: alerts.channels.webhook))
            }
            return try Self.assemble(config, reader: writer.reader)
        }
    }

    func configuration(number: E164Number, direction: SIPConfiguration.Direction, reader: StoreReader) throws -> SIPConfiguration {
        guard let owner = try reader.phoneNumber(number.value), owner.orgId == orgId,
            let config = try reader.configurations(number: number.value).first(where: { $0.direction == direction })
        else {
            throw TrunkError.notFound("\(number) has no \(direction.rawValue) configuration; attach it first")
        }
        return config
    }

    static func direction(_ text: String) throws(TrunkError) -> SIPConfiguration.Direction {
        guard let direction = SIPConfiguration.Direction(rawValue: text) else {
            throw TrunkError.validation([FieldError("direction", "\"\(text)\" is not a direction; use inbound or outbound")])
        }
        return direction
    }

    static func assemble(_ config: SIPConfiguration, reader: StoreReader) throws -> AdvancedConfig {
        let failover = try reader.failover(configId: config.id)
        let endpoints = try reader.endpoints(configId: config.id).map {
            AdvancedConfig.FailoverEndpoint(host: $0.host, port: $0.port, transport: $0.transport, priority: $0.priority)
        }
        let codecs = try reader.codecs(configId: config.id)
        let entries = codecs?.codecs ?? supportedCodecs.map { CodecSettings.Entry(name: $0, enabled: ["PCMU", "PCMA", "Opus"].contains($0)) }
        var codecView = AdvancedConfig.Codecs(codecs: entries.filter(\.enabled).map(\.name), transcode: codecs?.transcode ?? false)
        codecView.all = entries
        let alerts = try reader.alerts(configId: config.id)
        return AdvancedConfig(
            phoneNumber: config.number, direction: config.direction.rawValue,
            failoverConfig: .init(
                enabled: failover?.enabled ?? false, endpoints: endpoints, triggers: failover?.triggers ?? failoverTriggers,
                failback: failover?.failback ?? "auto"),
            codecConfig: codecView,
            alertConfig: .init(
                enabled: alerts?.enabled ?? false,
                thresholds: .init(
                    unreachableMinutes: alerts?.unreachableMinutes ?? 5, failureRatePercent: alerts?.failureRatePercent ?? 20,
                    failureRateWindowMinutes: alerts?.failureRateWindowMinutes ?? 15, responseTimeMs: alerts?.responseTimeMs ?? 500),
                channels: .init(email: alerts?.email, sms: alerts?.sms, webhook: alerts?.webhook)))
    }

    static func validate(_ failover: AdvancedConfig.Failover, direction: SIPConfiguration.Direction, errors: inout [FieldError]) {
        if direction == .inbound && (failover.enabled || !failover.endpoints.isEmpty) {
            errors.append(FieldError("failover_config", "failover moves outbound calls between your SIP servers; set it on the outbound direction"))
        }
        var priorities: Set<Int> = []
        for (index, endpoint) in failover.endpoints.enumerated() {
            let field = "failover_config.endpoints[\(index)]"
            if endpoint.priority == 1 {
                errors.append(FieldError("\(field).priority", "1 is the primary endpoint; change it with `siptrunk trunks update` (failover endpoints are 2 and 3)"))
            } else if !(2...3).contains(endpoint.priority) {
                errors.append(FieldError("\(field).priority", "\(endpoint.priority) is not 2 (secondary) or 3 (tertiary)"))
            } else if !priorities.insert(endpoint.priority).inserted {
                errors.append(FieldError("\(field).priority", "\(endpoint.priority) is given twice"))
            }
            do {
                let destination = try Destination(parsing: endpoint.host)
                if destination.port != nil || destination.transport != nil {
                    errors.append(FieldError("\(field).host", "\"\(endpoint.host)\" must be a bare host; give port and transport in their own fields"))
                }
            } catch {
                errors.append(FieldError("\(field).host", "\"\(endpoint.host)\" is not a host: \(error.message)"))
            }
            if let port = endpoint.port, !(1...65535).contains(port) {
                errors.append(FieldError("\(field).port", "\(port) is out of range (1–65535)"))
            }
            if let transport = endpoint.transport, SIPTransport(rawValue: transport.lowercased()) == nil {
                errors.append(FieldError("\(field).transport", "\"\(transport)\" is not a transport; use udp, tcp or tls"))
            }
        }
        if failover.enabled && failover.endpoints.isEmpty {
            errors.append(FieldError("failover_config.endpoints", "failover needs at least a secondary endpoint (priority 2)"))
        }
        for (index, trigger) in failover.triggers.enumerated() where !failoverTriggers.contains(trigger) {
            errors.append(FieldError("failover_config.triggers[\(index)]", "\"\(trigger)\" is not a trigger; use unreachable, auth_failure or timeout"))
        }
        if !["auto", "manual"].contains(failover.failback) {
            errors.append(FieldError("failover_config.failback", "\"\(failover.failback)\" is not a failback mode; use auto or manual"))
        }
    }

    /// The enabled codecs in order, with canonical names; `G729`, `opus` and such spellings are accepted.
    static func validate(_ codecs: AdvancedConfig.Codecs, errors: inout [FieldError]) -> [String] {
        var order: [String] = []
        if codecs.codecs.isEmpty { errors.append(FieldError("codec_config.codecs", "enable at least one codec")) }
        for (index, name) in codecs.codecs.enumerated() {
            let key = name.lowercased().filter { $0 != "." && $0 != " " }
            guard let canonical = supportedCodecs.first(where: { $0.lowercased().filter { $0 != "." } == key }) else {
                errors.append(FieldError("codec_config.codecs[\(index)]", "\"\(name)\" is not supported; use \(supportedCodecs.joined(separator: ", "))"))
                continue
            }
            if order.contains(canonical) {
                errors.append(FieldError("codec_config.codecs[\(index)]", "\"\(name)\" is listed twice"))
            } else {
                order.append(canonical)
            }
        }
        return order
    }

    static func validate(_ alerts: AdvancedConfig.Alerts, errors: inout [FieldError]) {
        let limits: [(String, Int?, ClosedRange<Int>)] = [
            ("unreachable_minutes", alerts.thresholds.unreachableMinutes, 1...1440),
            ("failure_rate_percent", alerts.thresholds.failureRatePercent, 1...100),
            ("failure_rate_window_minutes", alerts.thresholds.failureRateWindowMinutes, 1...1440),
            ("response_time_ms", alerts.thresholds.responseTimeMs, 1...60000),
        ]
        for (name, value, range) in limits {
            if let value, !range.contains(value) {
                errors.append(FieldError("alert_config.thresholds.\(name)", "\(value) is outside \(range.lowerBound)–\(range.upperBound)"))
            }
        }
        let channels = alerts.channels
        if let email = channels.email {
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            if parts.count != 2 || parts[0].isEmpty || !parts[1].contains(".") || email.contains(where: \.isWhitespace) {
                errors.append(FieldError("alert_config.channels.email", "\"\(email)\" is not an email address"))
            }
        }
        if let sms = channels.sms, let problem = E164Number.validationMessage(for: sms) {
            errors.append(FieldError("alert_config.channels.sms", problem))
        }
        if let webhook = channels.webhook {
            let url = URL(string: webhook)
            if url?.scheme.map({ ["https", "http"].contains($0.lowercased()) }) != true || url?.host?.isEmpty ?? true {
                errors.append(FieldError("alert_config.channels.webhook", "\"\(webhook)\" is not an http(s) URL"))
            }
        }
        if alerts.enabled && channels.email == nil && channels.sms == nil && channels.webhook == nil {
            errors.append(FieldError("alert_config.channels", "enabled alerts need at least one channel: email, sms or webhook"))
        }
    }
}
