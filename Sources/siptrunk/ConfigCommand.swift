import ArgumentParser
import Foundation
import TrunkCore

/// `siptrunk config show|set`: failover, codecs and alerts (PATCH /v1/sip/config).
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Show or change failover, codecs and alerts of a number's direction.",
        subcommands: [Show.self, Set.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the advanced configuration (GET /v1/sip/config).")
        @Argument(help: "The number, in E.164 form.") var number: String
        @Option(help: "inbound or outbound.") var direction: String = "outbound"
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let service = try store.service(.readOnly)
            let config = try runUseCase(json: json) { try service.advancedConfig(number: number, direction: direction) }
            if json {
                JSONOutput.success(config)
            } else {
                ConfigCommand.printConfig(config)
            }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change failover, codecs or alerts (PATCH /v1/sip/config).",
            discussion: """
                Examples:
                  siptrunk config set +14155550123 --failover-endpoint backup.example.com:5061:tls --failover on
                  siptrunk config set +14155550123 --codecs PCMA,PCMU,Opus --transcode
                  siptrunk config set +14155550123 --alerts on --alert-email noc@example.com --unreachable-minutes 3
                  siptrunk config set --request patch.json     (the API's JSON body)
                """)

        @Argument(help: "The number, in E.164 form.") var number: String?
        @Option(help: "inbound or outbound.") var direction: String = "outbound"
        @Option(help: "A JSON file (or -) holding the API's PATCH body instead of flags.") var request: String?

        @Option(help: "on or off.") var failover: String?
        @Option(help: "HOST[:PORT[:TRANSPORT]] for the secondary, then the tertiary endpoint (repeatable).")
        var failoverEndpoint: [String] = []
        @Option(help: "Comma-separated triggers: unreachable, auth_failure, timeout.") var failoverTriggers: String?
        @Option(help: "auto or manual.") var failback: String?

        @Option(help: "Enabled codecs in order, comma-separated (PCMU, PCMA, Opus, G.729, G.722).") var codecs: String?
        @Flag(inversion: .prefixedNo, help: "Allow transcoding.") var transcode: Bool?

        @Option(help: "on or off.") var alerts: String?
        @Option(help: "Minutes unreachable before alerting.") var unreachableMinutes: Int?
        @Option(help: "Failure rate in percent that alerts.") var failureRatePercent: Int?
        @Option(help: "Window for the failure rate, in minutes.") var failureRateWindowMinutes: Int?
        @Option(help: "Response time in ms that alerts.") var responseTimeMs: Int?
        @Option(help: "Email address for alerts.") var alertEmail: String?
        @Option(help: "E.164 number for SMS alerts.") var alertSms: String?
        @Option(help: "Webhook URL for alerts.") var alertWebhook: String?

        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let service = try store.service(.existing)
            let patch: AdvancedConfigPatch
            if let request {
                patch = try decodeRequest(AdvancedConfigPatch.self, from: request)
            } else {
                guard let number else { throw ValidationError("give the number, e.g. siptrunk config set +14155550123 ...") }
                let current = try runUseCase(json: json) { try service.advancedConfig(number: number, direction: direction) }
                patch = try makePatch(number: number, current: current)
            }
            let updated = try runUseCase(json: json) { try service.updateAdvancedConfig(patch) }
            if json { JSONOutput.success(updated) } else { ConfigCommand.printConfig(updated) }
        }

        func onOff(_ value: String, _ name: String) throws -> Bool {
            switch value.lowercased() {
            case "on", "true", "yes": return true
            case "off", "false", "no": return false
            default: throw ValidationError("--\(name) takes on or off, not '\(value)'")
            }
        }

        func makePatch(number: String, current: AdvancedConfig) throws -> AdvancedConfigPatch {
            var patch = AdvancedConfigPatch(phoneNumber: number, direction: direction)
            if failover != nil || !failoverEndpoint.isEmpty || failoverTriggers != nil || failback != nil {
                var settings = current.failoverConfig
                settings.endpoints = settings.endpoints.filter { $0.priority == 1 }
                if let failover { settings.enabled = try onOff(failover, "failover") }
                if !failoverEndpoint.isEmpty {
                    settings.endpoints = try failoverEndpoint.enumerated().map { index, text in
                        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                        guard (1...3).contains(parts.count), let host = parts.first, !host.isEmpty else {
                            throw ValidationError("--failover-endpoint '\(text)' must be HOST[:PORT[:TRANSPORT]]")
                        }
                        let port = parts.count > 1 ? Int(parts[1]) : nil
                        if parts.count > 1 && port == nil { throw ValidationError("--failover-endpoint '\(text)': '\(parts[1])' is not a port") }
                        return .init(host: host, port: port, transport: parts.count > 2 ? parts[2] : nil, priority: index + 2)
                    }
                } else {
                    settings.endpoints = current.failoverConfig.endpoints.filter { $0.priority > 1 }
                }
                if let failoverTriggers { settings.triggers = failoverTriggers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                if let failback { settings.failback = failback }
                patch.failoverConfig = settings
            }
            if codecs != nil || transcode != nil {
                var settings = current.codecConfig
                settings.all = nil
                if let codecs { settings.codecs = codecs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                if let transcode { settings.transcode = transcode }
                patch.codecConfig = settings
            }
            if alerts != nil || unreachableMinutes != nil || failureRatePercent != nil || failureRateWindowMinutes != nil
                || responseTimeMs != nil || alertEmail != nil || alertSms != nil || alertWebhook != nil
            {
                var settings = current.alertConfig
                if let alerts { settings.enabled = try onOff(alerts, "alerts") }
                if let unreachableMinutes { settings.thresholds.unreachableMinutes = unreachableMinutes }
                if let failureRatePercent { settings.thresholds.failureRatePercent = failureRatePercent }
                if let failureRateWindowMinutes { settings.thresholds.failureRateWindowMinutes = failureRateWindowMinutes }
                if let responseTimeMs { settings.thresholds.responseTimeMs = responseTimeMs }
                if let alertEmail { settings.channels.email = alertEmail }
                if let alertSms { settings.channels.sms = alertSms }
                if let alertWebhook { settings.channels.webhook = alertWebhook }
                patch.alertConfig = settings
            }
            return patch
        }
    }

    static func printConfig(_ config: AdvancedConfig) {
        let failover = config.failoverConfig
        print("\(config.phoneNumber) \(config.direction)")
        print("  failover   \(failover.enabled ? "on" : "off"), triggers \(failover.triggers.joined(separator: ", ")), failback \(failover.failback)")
        for endpoint in failover.endpoints.sorted(by: { $0.priority < $1.priority }) {
            let role = ["", "primary", "secondary", "tertiary"][min(endpoint.priority, 3)]
            print("    \(role.padding(toLength: 10, withPad: " ", startingAt: 0)) \(endpoint.host)" + (endpoint.port.map { ":\($0)" } ?? "") + (endpoint.transport.map { " (\($0))" } ?? ""))
        }
        print("  codecs     \(config.codecConfig.codecs.joined(separator: ", "))\(config.codecConfig.transcode ? " (transcoding allowed)" : "")")
        let alerts = config.alertConfig
        let thresholds = alerts.thresholds
        print("  alerts     \(alerts.enabled ? "on" : "off"): unreachable \(thresholds.unreachableMinutes ?? 0) min, failure rate \(thresholds.failureRatePercent ?? 0)% over \(thresholds.failureRateWindowMinutes ?? 0) min, response time \(thresholds.responseTimeMs ?? 0) ms")
        let channels = [alerts.channels.email.map { "email \($0)" }, alerts.channels.sms.map { "sms \($0)" }, alerts.channels.webhook.map { "webhook \($0)" }].compactMap { $0 }
        print("  channels   \(channels.isEmpty ? "none" : channels.joined(separator: ", "))")
    }
}
