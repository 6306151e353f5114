import ArgumentParser
import Foundation
import TrunkCore
import TrunkRuntime
import TrunkStore

/// `siptrunk alerts list|show|ack|test|channels`: the alerts the monitor opened, their history and deliveries, and
/// how notifications leave (SMTP relay, SMS provider, webhook secret).
struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "List, acknowledge and test alerts; set how notifications are delivered.",
        subcommands: [List.self, Show.self, Ack.self, Test.self, Channels.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open and acknowledged alerts (with --all, resolved ones too).")
        @Flag(help: "Include resolved alerts.") var all = false
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let service = try store.service(.readOnly)
            let alerts = try runUseCase(json: json) { try service.alerts(all: all) }
            if json { return JSONOutput.success(alerts) }
            if alerts.isEmpty { print(all ? "no alerts" : "no open alerts (siptrunk alerts list --all shows resolved ones)") }
            for alert in alerts {
                print("\(alert.alertId)  \(alert.status.padding(toLength: 12, withPad: " ", startingAt: 0)) \(FailoverCommand.time(alert.openedAt))  \(alert.summary)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One alert with its history and every delivery.")
        @Argument(help: "The alert id (alr_…).") var id: String
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let service = try store.service(.readOnly)
            let alert = try runUseCase(json: json) { try service.alert(id: id) }
            if json { return JSONOutput.success(alert) }
            AlertsCommand.printAlert(alert)
        }
    }

    struct Ack: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Acknowledge an open alert: no more reminders; it still resolves with a recovery notice.")
        @Argument(help: "The alert id (alr_…).") var id: String
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let service = try store.service(.existing)
            let alert = try runUseCase(json: json) { try service.acknowledgeAlert(id: id, by: "siptrunk alerts ack (uid \(getuid()))") }
            if json { return JSONOutput.success(alert) }
            print("acknowledged \(alert.alertId): \(alert.summary)")
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a test notification on a channel now and print what the receiver said.")
        @Option(help: "webhook, email or sms.") var channel: String
        @Option(help: "The recipient (URL, address or number); default: the first configured on a number.") var to: String?
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let service = try store.service(.existing)
            let (delivery, outcome, retried) = try runUseCase(json: json) { try OutboxDeliverer.sendTest(channel: channel, recipient: to, service: service) }
            switch outcome {
            case .delivered(let response):
                if json { return JSONOutput.success(TestResult(eventId: delivery.eventId, channel: channel, recipient: delivery.recipient, delivered: true, response: response)) }
                print("delivered \(delivery.eventId) by \(channel) to \(delivery.recipient): \(response)")
            case .failed(let reason):
                let retry = retried ? " — it stays in the outbox; a running monitor retries it" : ""
                if json {
                    JSONOutput.success(TestResult(eventId: delivery.eventId, channel: channel, recipient: delivery.recipient, delivered: false, response: reason))
                } else {
                    printError("siptrunk: \(channel) test to \(delivery.recipient) failed: \(reason)\(retry)")
                }
                throw CommandFailure.silent
            }
        }

        struct TestResult: Codable {
            var eventId: String
            var channel: String
            var recipient: String
            var delivered: Bool
            var response: String
        }
    }

    struct Channels: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set the SMTP relay, the SMS provider, the webhook secret and the reminder interval.",
            discussion: """
                Secrets are read from files (- for standard input), sealed in the database, and never shown.
                  siptrunk alerts channels --smtp-url smtp://relay.example.com:587 --smtp-from noc@example.com \\
                      --smtp-username noc --smtp-password-file /run/secrets/smtp
                  siptrunk alerts channels --sms-url https://api.twilio.com --sms-account AC123 --sms-token-file token --sms-from +14155550100
                  siptrunk alerts channels --webhook-secret-file secret --renotify-minutes 30
                """)
        @Option(help: "smtp://HOST:PORT (STARTTLS) or smtps://HOST:PORT.") var smtpUrl: String?
        @Option(help: "The envelope and From address.") var smtpFrom: String?
        @Option(help: "The SMTP AUTH user.") var smtpUsername: String?
        @Option(help: ArgumentHelp("A file holding the SMTP AUTH password.", valueName: "path")) var smtpPasswordFile: String?
        @Option(help: "starttls (required), tls or none (loopback relays only).") var smtpSecurity: String?
        @Option(help: ArgumentHelp("Trust only these CA certificates for the relay.", valueName: "path")) var smtpCaFile: String?
        @Option(help: "The SMS provider's base URL (Twilio-compatible Messages API).") var smsUrl: String?
        @Option(help: "The provider's account SID.") var smsAccount: String?
        @Option(help: ArgumentHelp("A file holding the provider's auth token.", valueName: "path")) var smsTokenFile: String?
        @Option(help: "The sending number (E.164).") var smsFrom: String?
        @Option(help: ArgumentHelp("A file holding the webhook signing secret.", valueName: "path")) var webhookSecretFile: String?
        @Option(help: ArgumentHelp("Trust only these CA certificates for webhooks.", valueName: "path")) var webhookCaFile: String?
        @Option(help: "Minutes between reminders of an open alert.") var renotifyMinutes: Int?
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            var change = NotificationSettingsChange()
            change.smtpUrl = smtpUrl
            change.smtpFrom = smtpFrom
            change.smtpUsername = smtpUsername
            change.smtpPassword = try smtpPasswordFile.map { try Self.secret($0, "--smtp-password-file") }
            change.smtpSecurity = smtpSecurity
            change.smtpCaFile = smtpCaFile
            change.smsUrl = smsUrl
            change.smsAccount = smsAccount
            change.smsToken = try smsTokenFile.map { try Self.secret($0, "--sms-token-file") }
            change.smsFrom = smsFrom
            change.webhookSecret = try webhookSecretFile.map { try Self.secret($0, "--webhook-secret-file") }
            change.webhookCaFile = webhookCaFile
            change.renotifyMinutes = renotifyMinutes
            let changing = [smtpUrl, smtpFrom, smtpUsername, smtpPasswordFile, smtpSecurity, smtpCaFile, smsUrl, smsAccount, smsTokenFile, smsFrom, webhookSecretFile, webhookCaFile]
                .contains { $0 != nil } || renotifyMinutes != nil
            let service = try store.service(changing ? .existing : .readOnly)
            let view = try runUseCase(json: json) { changing ? try service.updateNotificationSettings(change) : try service.notificationSettings() }
            if json { return JSONOutput.success(view) }
            let rows: [(String, String?)] = [
                ("SMTP relay", view.smtpUrl.map { "\($0) (\(view.smtpSecurity))" }), ("SMTP from", view.smtpFrom), ("SMTP user", view.smtpUsername),
                ("SMTP password", view.smtpPassword), ("SMTP CA file", view.smtpCaFile), ("SMS provider", view.smsUrl), ("SMS account", view.smsAccount),
                ("SMS token", view.smsToken), ("SMS from", view.smsFrom), ("webhook secret", view.webhookSecret ?? "(not set: webhooks are sent unsigned)"),
                ("webhook CA file", view.webhookCaFile), ("reminders", "every \(view.renotifyMinutes) min while an alert is open"),
            ]
            for (name, value) in rows { print("\(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(value ?? "-")") }
        }

        /// The first line of a file (or standard input), without its line end.
        static func secret(_ path: String, _ option: String) throws -> String {
            let text: String
            do {
                text = path == "-"
                    ? String(decoding: try PrivateFile.readAll(STDIN_FILENO, limit: 4096, name: "the secret on standard input"), as: UTF8.self)
                    : try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ValidationError("\(option) \(path): cannot read it (\(error))")
            }
            guard let line = text.split(whereSeparator: \.isNewline).first, !line.isEmpty else { throw ValidationError("\(option) \(path) is empty") }
            return String(line)
        }
    }

    static func printAlert(_ alert: AlertView) {
        print("\(alert.alertId): \(alert.summary)")
        print("  \(alert.status), \(alert.rule) on the \(alert.endpointRole) endpoint of \(alert.phoneNumber) \(alert.direction), opened \(FailoverCommand.time(alert.openedAt))")
        if let at = alert.acknowledgedAt { print("  acknowledged \(FailoverCommand.time(at)) by \(alert.acknowledgedBy ?? "?")") }
        if let at = alert.resolvedAt { print("  resolved \(FailoverCommand.time(at))") }
        for event in alert.history ?? [] {
            print("  \(FailoverCommand.time(event.at))  \(event.kind)\(event.channel.map { " [\($0)]" } ?? "")\(event.detail.map { ": \($0)" } ?? "")")
        }
        for delivery in alert.deliveries ?? [] {
            print("  delivery \(delivery.kind) \(delivery.eventId) [\(delivery.channel)]: \(delivery.status) after \(delivery.attempts) attempt(s)\(delivery.response.map { ", \($0)" } ?? "")\(delivery.lastError.map { ", last error: \($0)" } ?? "")")
        }
    }
}
