import TUIKit
import TrunkCore

/// The Configuration tab's editors — failover endpoints, codec order, alert thresholds — each a form filled from
/// the stored configuration and turned back into the same `PATCH /v1/sip/config` request the CLI and the API send,
/// so the rules (and their messages) are the use case's, shown on the row they are about.
struct ConfigEditor {
    enum Section: String, CaseIterable, Sendable {
        case failover, codecs, alerts

        var title: String {
            switch self {
            case .failover: "Edit failover"
            case .codecs: "Edit codec order"
            case .alerts: "Edit alerts"
            }
        }
    }

    static let transports = ["auto", "udp", "tcp", "tls"]
    static let backups = [(key: "secondary", title: "Secondary", priority: 2), (key: "tertiary", title: "Tertiary", priority: 3)]
    static let triggerTitles = ["unreachable": "When unreachable", "auth_failure": "On auth failure", "timeout": "On timeout"]

    let section: Section
    let config: AdvancedConfig
    var form: Form

    init(section: Section, config: AdvancedConfig) {
        self.section = section
        self.config = config
        switch section {
        case .failover: form = Form(Self.failoverFields(config))
        case .codecs: form = Form(Self.codecFields(config))
        case .alerts: form = Form(Self.alertFields(config))
        }
    }

    // MARK: Forms

    static func failoverFields(_ config: AdvancedConfig) -> [Form.Field] {
        let failover = config.failoverConfig
        let primary = failover.endpoints.first { $0.priority == 1 }.map(describe) ?? "none"
        var fields: [Form.Field] = [
            .init("primary", "Primary", .info(primary), hint: "edit: siptrunk trunks update"),
            .init("enabled", "Failover", .toggle(failover.enabled), hint: "move outbound calls to a backup when the primary fails"),
        ]
        for backup in backups {
            let endpoint = failover.endpoints.first { $0.priority == backup.priority }
            fields.append(.init("\(backup.key).host", "\(backup.title)", .text(TextField(endpoint?.host ?? "", placeholder: "host name or address", maxLength: 253)), hint: "priority \(backup.priority)"))
            fields.append(.init("\(backup.key).port", "  port", .text(TextField(endpoint?.port.map(String.init) ?? "", placeholder: "5060 or 5061", maxLength: 5)), hint: "empty: by DNS SRV or the transport's default"))
            let transport = transports.firstIndex(of: endpoint?.transport?.lowercased() ?? "auto") ?? 0
            fields.append(.init("\(backup.key).transport", "  transport", .choice(transports, selected: transport)))
        }
        for trigger in SIPTrunkService.failoverTriggers {
            fields.append(.init("trigger.\(trigger)", triggerTitles[trigger] ?? trigger, .toggle(failover.triggers.contains(trigger))))
        }
        fields.append(.init("failback", "Failback", .choice(["auto", "manual"], selected: failover.failback == "manual" ? 1 : 0),
                            hint: "auto: back to the primary once it answers again"))
        return fields
    }

    static func codecFields(_ config: AdvancedConfig) -> [Form.Field] {
        let entries = config.codecConfig.all ?? config.codecConfig.codecs.map { .init(name: $0, enabled: true) }
        var fields: [Form.Field] = [.init("heading", "Most preferred first; Space turns a codec on or off, + and - move it", .heading)]
        for entry in entries {
            fields.append(.init("codec.\(entry.name)", entry.name, .toggle(entry.enabled), group: "codecs"))
        }
        fields.append(.init("transcode", "Transcoding", .toggle(config.codecConfig.transcode), hint: "convert between codecs the two sides do not share"))
        return fields
    }

    static func alertFields(_ config: AdvancedConfig) -> [Form.Field] {
        let alerts = config.alertConfig
        func number(_ value: Int?, _ maxLength: Int) -> Form.Value { .text(TextField(value.map(String.init) ?? "", maxLength: maxLength)) }
        func text(_ value: String?, _ placeholder: String) -> Form.Value { .text(TextField(value ?? "", placeholder: placeholder, maxLength: 256)) }
        return [
            .init("enabled", "Alerts", .toggle(alerts.enabled), hint: "needs at least one channel below"),
            .init("thresholds", "Thresholds", .heading),
            .init("unreachable_minutes", "Unreachable", number(alerts.thresholds.unreachableMinutes, 4), hint: "minutes (1–1440)"),
            .init("failure_rate_percent", "Failure rate", number(alerts.thresholds.failureRatePercent, 3), hint: "% of calls (1–100)"),
            .init("failure_rate_window_minutes", "  over", number(alerts.thresholds.failureRateWindowMinutes, 4), hint: "minutes (1–1440)"),
            .init("response_time_ms", "Response time", number(alerts.thresholds.responseTimeMs, 5), hint: "ms (1–60000)"),
            .init("channels", "Channels", .heading),
            .init("email", "Email", text(alerts.channels.email, "noc@example.com")),
            .init("sms", "SMS", text(alerts.channels.sms, "+14155550100")),
            .init("webhook", "Webhook", text(alerts.channels.webhook, "https://example.com/hooks/sip")),
        ]
    }

    static func describe(_ endpoint: AdvancedConfig.FailoverEndpoint) -> String {
        AddressText.join(host: endpoint.host, port: endpoint.port) + (endpoint.transport.map { " \($0)" } ?? "")
    }

    // MARK: The request

    /// The request the form describes, or the rows to fix for what the form checks itself (numbers and ports).
    enum Request {
        case ready(AdvancedConfigPatch)
        case invalid([(key: String, message: String)])
    }

    func patch() -> Request {
        var patch = AdvancedConfigPatch(phoneNumber: config.phoneNumber, direction: config.direction)
        var problems: [(key: String, message: String)] = []
        func integer(_ key: String) -> Int? {
            let text = form.text(key).trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { return nil }
            guard let value = Int(text) else {
                problems.append((key, "\"\(text)\" is not a whole number"))
                return nil
            }
            return value
        }
        func optional(_ key: String) -> String? {
            let text = form.text(key).trimmingCharacters(in: .whitespaces)
            return text.isEmpty ? nil : text
        }
        switch section {
        case .failover:
            var failover = config.failoverConfig
            failover.enabled = form.isOn("enabled")
            failover.endpoints = []
            for backup in Self.backups {
                guard let host = optional("\(backup.key).host") else {
                    if integer("\(backup.key).port") != nil { problems.append(("\(backup.key).host", "give the host for this port")) }
                    continue
                }
                let transport = form.choice("\(backup.key).transport").flatMap { $0 == "auto" ? nil : $0 }
                failover.endpoints.append(.init(host: host, port: integer("\(backup.key).port"), transport: transport, priority: backup.priority))
            }
            if failover.endpoints.first?.priority == 3 {
                problems.append(("secondary.host", "fill in the secondary before the tertiary"))
            }
            failover.triggers = SIPTrunkService.failoverTriggers.filter { form.isOn("trigger.\($0)") }
            failover.failback = form.choice("failback") ?? "auto"
            patch.failoverConfig = failover
        case .codecs:
            var codecs = config.codecConfig
            codecs.all = nil
            codecs.codecs = form.order(of: "codecs").filter(form.isOn).map { String($0.dropFirst("codec.".count)) }
            codecs.transcode = form.isOn("transcode")
            patch.codecConfig = codecs
        case .alerts:
            var alerts = config.alertConfig
            alerts.enabled = form.isOn("enabled")
            alerts.thresholds = .init(
                unreachableMinutes: integer("unreachable_minutes"), failureRatePercent: integer("failure_rate_percent"),
                failureRateWindowMinutes: integer("failure_rate_window_minutes"), responseTimeMs: integer("response_time_ms"))
            alerts.channels = .init(email: optional("email"), sms: optional("sms"), webhook: optional("webhook"))
            patch.alertConfig = alerts
        }
        return problems.isEmpty ? .ready(patch) : .invalid(problems)
    }

    /// The form row a use-case error is about (`failover_config.endpoints[1].port` → `tertiary.port`).
    func key(for error: FieldError, in patch: AdvancedConfigPatch) -> String {
        let path = error.field
        switch section {
        case .failover:
            if path.hasPrefix("failover_config.endpoints["), let close = path.firstIndex(of: "]"),
                let index = Int(path[path.index(path.startIndex, offsetBy: "failover_config.endpoints[".count)..<close]),
                let endpoints = patch.failoverConfig?.endpoints, index < endpoints.count
            {
                let prefix = endpoints[index].priority == 3 ? "tertiary" : "secondary"
                let leaf = path[path.index(after: close)...].dropFirst()
                return leaf == "port" || leaf == "transport" ? "\(prefix).\(leaf)" : "\(prefix).host"
            }
            if path == "failover_config.endpoints" { return "secondary.host" }
            if path == "failover_config.failback" { return "failback" }
            return "enabled"
        case .codecs:
            if path.hasPrefix("codec_config.codecs["), let close = path.firstIndex(of: "]"),
                let index = Int(path[path.index(path.startIndex, offsetBy: "codec_config.codecs[".count)..<close]),
                let name = patch.codecConfig?.codecs[safe: index]
            {
                return "codec.\(name)"
            }
            return form.order(of: "codecs").first ?? "transcode"
        case .alerts:
            if path.hasPrefix("alert_config.thresholds.") { return String(path.dropFirst("alert_config.thresholds.".count)) }
            if path.hasPrefix("alert_config.channels.") { return String(path.dropFirst("alert_config.channels.".count)) }
            return path == "alert_config.channels" ? "email" : "enabled"
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
