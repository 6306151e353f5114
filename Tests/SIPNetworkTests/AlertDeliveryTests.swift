import Crypto
import Foundation
import SIPEngine
import Testing
import TrunkCore
import TrunkRuntime
import TrunkStore

/// A receiver started by a test: the HTTP receiver (webhooks, SMS) or aiosmtpd, on a loopback port it chose.
final class AlertReceiver {
    let pid: pid_t
    let port: Int
    let log: String
    private var stopped = false

    /// Debian's python3 (with python3-aiosmtpd), not whichever python3 comes first on PATH.
    static let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"

    init(_ script: String, _ arguments: [String] = []) throws {
        let path = try #require(Bundle.module.url(forResource: script, withExtension: nil, subdirectory: "Fixtures/alerts")).path
        log = NSTemporaryDirectory() + "siptrunk-receiver-\(UUID().uuidString)"
        let output = log + ".out"
        pid = try TestProcess.start(Self.python, [path, "--log", log] + arguments, log: output)
        var found: Int?
        let deadline = Date().addingTimeInterval(15)
        while found == nil, Date() < deadline {
            if let text = try? String(contentsOfFile: output, encoding: .utf8), let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening ") }) {
                found = Int(line.dropFirst("listening ".count))
            } else {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        guard let found else {
            TestProcess.stop(pid)
            throw TestFailure("\(script) did not start: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        }
        port = found
    }

    /// The requests or messages received so far, one JSON object each.
    var received: [[String: Any]] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    func waitFor(_ count: Int, seconds: Double = 20) -> [[String: Any]] {
        let deadline = Date().addingTimeInterval(seconds)
        var seen = received
        while seen.count < count, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            seen = received
        }
        return seen
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        TestProcess.stop(pid)
    }

    deinit { stop() }

    /// A self-signed certificate for 127.0.0.1 (its own CA), as (certificate, key) paths.
    static func certificate() throws -> (String, String) {
        let base = NSTemporaryDirectory() + "siptrunk-alert-cert-\(UUID().uuidString)"
        let made = try TestProcess.run(
            "/usr/bin/openssl",
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", base + ".key", "-out", base + ".pem", "-days", "2",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-addext", "basicConstraints=critical,CA:TRUE"])
        #expect(made.status == 0, "\(made.output)")
        return (base + ".pem", base + ".key")
    }
}

/// Notifications to real receivers on loopback: a webhook signed with HMAC-SHA256, a Twilio-compatible SMS request,
/// an email through aiosmtpd with STARTTLS and AUTH; and every fault the issue lists, retried and then marked failed
/// with the reason in the alert's history.
@Suite(.serialized)
struct AlertDeliveryTests {
    /// A database with one number whose primary endpoint is down: ten probes open an unreachable alert whose
    /// notifications wait in the outbox.
    static func alertingService(webhook: String?, email: String? = nil, sms: String? = nil) throws -> (SIPTrunkService, String) {
        let database = TestCallTests.database()
        let service = SIPTrunkService(store: try TrunkDatabase(path: database))
        try Installation.prepare(service.store, host: Installation.HostFacts(hostName: "siptrunk.test", ipv4: ["192.0.2.1"], ipv6: []), now: Date())
        _ = try service.attach(AttachRequest(phoneNumber: "+14155550188", directions: [.init(type: "outbound", sipEndpoint: "192.0.2.10", options: .init(port: 5060, transport: "udp"))]))
        _ = try service.updateAdvancedConfig(
            AdvancedConfigPatch(
                phoneNumber: "+14155550188", direction: "outbound",
                alertConfig: .init(enabled: true, thresholds: .init(unreachableMinutes: 1), channels: .init(email: email, sms: sms, webhook: webhook))))
        var judge = try service.monitorJudge(recoverAfter: 2)
        let configId = try #require(try service.monitorTargets().first?.configId)
        var tracker = HealthTracker()
        let start = Date().addingTimeInterval(-120)
        for index in 0..<10 {
            let changed = tracker.record(answered: false, policy: HealthPolicy()) != nil
            let result = HealthSampleResult(
                endpointID: configId, wallTime: start.addingTimeInterval(Double(index) * 12).timeIntervalSince1970, outcome: "timeout", message: "no answer",
                state: tracker.state, changed: changed)
            let sample = MonitorSample(member: MonitorMember(configId: configId, role: .primary), result: result, tracker: tracker)
            var next = judge
            try service.recordMonitorSamples([sample]) { active in next.judge([sample], active: active, now: Date()) }
            judge = next
        }
        let alert = try #require(try service.alerts().first { $0.rule == "unreachable" })
        return (service, alert.alertId)
    }

    static func deliver(_ service: SIPTrunkService, policy: DeliveryPolicy, until done: () throws -> Bool, seconds: Double = 30) throws {
        let deliverer = OutboxDeliverer(service: service, policy: policy)
        deliverer.start()
        defer { deliverer.stop() }
        let deadline = Date().addingTimeInterval(seconds)
        while try !done(), Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
    }

    @Test func webhookSmsAndEmailArriveSignedWithTheEventId() throws {
        let http = try AlertReceiver("receiver.py")
        let (cert, key) = try AlertReceiver.certificate()
        let smtp = try AlertReceiver("smtp.py", ["--user", "noc", "--password", "relay-secret", "--cert", cert, "--key", key])
        let (service, alertId) = try Self.alertingService(webhook: "http://127.0.0.1:\(http.port)/hooks/siptrunk", email: "oncall@example.com", sms: "+14155550199")
        let secretFile = NSTemporaryDirectory() + "siptrunk-secret-\(UUID().uuidString)"
        var change = NotificationSettingsChange()
        change.smtpUrl = "smtp://127.0.0.1:\(smtp.port)"
        change.smtpFrom = "siptrunk@example.com"
        change.smtpUsername = "noc"
        change.smtpPassword = "relay-secret"
        change.smtpCaFile = cert
        change.smsUrl = "http://127.0.0.1:\(http.port)"
        change.smsAccount = "AC0123"
        change.smsToken = "sms-token"
        change.smsFrom = "+14155550100"
        change.webhookSecret = "whsec-test"
        _ = try service.updateNotificationSettings(change)
        try? FileManager.default.removeItem(atPath: secretFile)

        try Self.deliver(service, policy: DeliveryPolicy(maxAttempts: 2, baseDelay: 0.2, timeout: 5)) {
            try service.alert(id: alertId).deliveries?.allSatisfy { $0.status != "pending" } == true
        }
        let alert = try service.alert(id: alertId)
        #expect(alert.deliveries?.map(\.status) == ["delivered", "delivered", "delivered"], "\(alert.deliveries ?? [])")
        let eventId = try #require(alert.deliveries?.first?.eventId)

        // The failure-rate alert opened beside it: its notifications arrive too; this test follows the unreachable one's.
        let requests = http.waitFor(4)
        let hook = try #require(requests.first { ($0["headers"] as? [String: String])?["x-siptrunk-event-id"] == eventId })
        #expect(hook["path"] as? String == "/hooks/siptrunk")
        let headers = try #require(hook["headers"] as? [String: String])
        let body = try #require(hook["body"] as? String)
        #expect(headers["x-siptrunk-event-id"] == eventId && headers["content-type"] == "application/json")
        let timestamp = try #require(headers["x-siptrunk-timestamp"].flatMap(Int.init))
        let expected = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Array("whsec-test".utf8)))
        #expect(headers["x-siptrunk-signature"] == "t=\(timestamp),v1=" + expected.map { String(format: "%02x", $0) }.joined())
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(json["event_id"] as? String == eventId && json["type"] as? String == "alert.opened" && json["rule"] as? String == "unreachable")
        #expect(json["phone_number"] as? String == "+14155550188" && json["alert_id"] as? String == alertId)

        let sms = try #require(requests.first { ($0["headers"] as? [String: String])?["x-siptrunk-event-id"] == eventId && ($0["path"] as? String) != "/hooks/siptrunk" })
        #expect(sms["path"] as? String == "/2010-04-01/Accounts/AC0123/Messages.json")
        let smsHeaders = try #require(sms["headers"] as? [String: String])
        #expect(smsHeaders["authorization"] == "Basic " + Data("AC0123:sms-token".utf8).base64EncodedString())
        let form = try #require(sms["body"] as? String)
        #expect(form.contains("To=%2B14155550199") && form.contains("From=%2B14155550100") && form.contains("Body=%5Bsiptrunk%5D+ALERT"), "\(form)")

        let mail = try #require(smtp.waitFor(2).first { ($0["data"] as? String)?.contains(eventId) == true })
        let data = try #require(mail["data"] as? String)
        #expect(mail["tls"] as? Bool == true, "STARTTLS before AUTH and DATA")
        #expect(mail["mail_from"] as? String == "siptrunk@example.com" && (mail["rcpt_tos"] as? [String]) == ["oncall@example.com"])
        #expect(data.contains("X-Siptrunk-Event-Id: \(eventId)") && data.contains("Subject: [siptrunk] ALERT +14155550188: unreachable on primary"), "\(data)")
        #expect(data.contains("Acknowledge with: siptrunk alerts ack \(alertId)"))
        #expect(alert.history?.filter { $0.kind == "delivered" }.count == 3)
    }

    @Test func everyFaultIsRetriedThenFailedWithItsReason() throws {
        let failing = try AlertReceiver("receiver.py", ["--status", "500"])
        let hanging = try AlertReceiver("receiver.py", ["--hang"])
        let (cert, key) = try AlertReceiver.certificate()
        let untrusted = try AlertReceiver("receiver.py", ["--cert", cert, "--key", key])
        let refusing = try AlertReceiver("smtp.py", ["--user", "noc", "--password", "right"])
        // A port nothing listens on: the receiver is down.
        let down = try AlertReceiver("receiver.py")
        let downPort = down.port
        down.stop()
        let policy = DeliveryPolicy(maxAttempts: 2, baseDelay: 0.2, timeout: 2)
        let cases: [(url: String, expect: String)] = [
            ("http://127.0.0.1:\(failing.port)/hook", "HTTP 500"), ("http://127.0.0.1:\(hanging.port)/hook", "no answer within 2 s"),
            ("https://127.0.0.1:\(untrusted.port)/hook", "TLS failed"), ("http://127.0.0.1:\(downPort)/hook", "connection refused"),
        ]
        for (url, expect) in cases {
            let (service, alertId) = try Self.alertingService(webhook: url)
            try Self.deliver(service, policy: policy) { try service.alert(id: alertId).deliveries?.first?.status == "failed" }
            let alert = try service.alert(id: alertId)
            let delivery = try #require(alert.deliveries?.first)
            #expect(delivery.status == "failed" && delivery.attempts == 2, "\(url): \(delivery)")
            #expect(delivery.lastError?.contains(expect) == true, "\(url): \(delivery.lastError ?? "")")
            #expect(alert.history?.contains { $0.kind == "attempt_failed" } == true && alert.history?.contains { $0.kind == "delivery_failed" && $0.detail?.contains(expect) == true } == true, "\(alert.history ?? [])")
        }
        // The SMTP relay refuses AUTH.
        let (service, alertId) = try Self.alertingService(webhook: nil, email: "oncall@example.com")
        var change = NotificationSettingsChange()
        change.smtpUrl = "smtp://127.0.0.1:\(refusing.port)"
        change.smtpFrom = "siptrunk@example.com"
        change.smtpSecurity = "none"
        change.smtpUsername = "noc"
        change.smtpPassword = "wrong"
        _ = try service.updateNotificationSettings(change)
        try Self.deliver(service, policy: policy) { try service.alert(id: alertId).deliveries?.first?.status == "failed" }
        let delivery = try #require(try service.alert(id: alertId).deliveries?.first)
        #expect(delivery.status == "failed" && delivery.lastError?.contains("535") == true, "\(delivery)")
        #expect(refusing.received.isEmpty, "nothing was accepted")
    }

    /// A receiver answering 200 with a 20 MB body: delivered, the body cut at 1 MiB and only its start kept.
    @Test func anEndlessAnswerIsCut() throws {
        let huge = try AlertReceiver("receiver.py", ["--huge"])
        let (service, alertId) = try Self.alertingService(webhook: "http://127.0.0.1:\(huge.port)/hook")
        try Self.deliver(service, policy: DeliveryPolicy(maxAttempts: 1, baseDelay: 0.2, timeout: 10)) {
            try service.alert(id: alertId).deliveries?.allSatisfy { $0.status != "pending" } == true
        }
        let delivery = try #require(try service.alert(id: alertId).deliveries?.first)
        #expect(delivery.status == "delivered" && delivery.response?.contains("HTTP 200") == true && delivery.response?.contains("answer cut at 1 MiB") == true, "\(delivery)")
        #expect((delivery.response?.count ?? 0) < 300)
    }

    @Test func alertsTestPrintsWhatTheReceiverSaid() throws {
        let http = try AlertReceiver("receiver.py")
        let (service, _) = try Self.alertingService(webhook: "http://127.0.0.1:\(http.port)/hook")
        let path = service.store.path
        let sent = try TestProcess.siptrunk(["alerts", "test", "--channel", "webhook", "--db", path])
        #expect(sent.status == 0 && sent.output.contains("delivered evt_") && sent.output.contains("HTTP 200"), "\(sent.output)")
        #expect(http.waitFor(1).first.flatMap { $0["body"] as? String }?.contains("\"type\":\"test\"") == true)
        let refused = try TestProcess.siptrunk(["alerts", "test", "--channel", "sms", "--to", "+14155550199", "--db", path])
        #expect(refused.status == 1 && refused.output.contains("the SMS provider is not configured"), "\(refused.output)")
        let secret = NSTemporaryDirectory() + "siptrunk-secret-\(UUID().uuidString)"
        try "hunter2-webhook\n".write(toFile: secret, atomically: true, encoding: .utf8)
        let set = try TestProcess.siptrunk(["alerts", "channels", "--webhook-secret-file", secret, "--json", "--db", path])
        #expect(set.status == 0 && !set.output.contains("hunter2") && set.output.contains("\"webhook_secret\" : \"[redacted]\""), "\(set.output)")
    }
}

/// Issue 18's status emails through issue 15's email channel: each change of a port request is mailed to the
/// authorized representative and the notification addresses, through aiosmtpd.
@Suite(.serialized)
struct PortNoticeTests {
    @Test func eachStatusChangeIsMailed() throws {
        let (cert, key) = try AlertReceiver.certificate()
        let smtp = try AlertReceiver("smtp.py", ["--user", "noc", "--password", "relay-secret", "--cert", cert, "--key", key])
        let service = SIPTrunkService(store: try TrunkDatabase(path: TestCallTests.database()))
        try Installation.prepare(service.store, host: Installation.HostFacts(hostName: "siptrunk.test", ipv4: ["192.0.2.1"], ipv6: []), now: Date())
        var change = NotificationSettingsChange()
        change.smtpUrl = "smtp://127.0.0.1:\(smtp.port)"
        change.smtpFrom = "porting@example.com"
        change.smtpUsername = "noc"
        change.smtpPassword = "relay-secret"
        change.smtpCaFile = cert
        _ = try service.updateNotificationSettings(change)
        let document = try service.uploadPortDocument(Array("%PDF-1.4\n%bill\n".utf8), fileName: "bill.pdf")
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.dateFormat = "yyyy-MM-dd"
        let request = PortInitiateRequest(
            phoneNumbers: ["+442079460000"],
            losingCarrierInformation: .init(
                customerType: "personal", businessName: nil, firstName: "Ada", lastName: "Lovelace", accountNumber: "42",
                authorizedRepresentativeEmail: "ada@example.com", notificationEmails: ["noc@example.com", "ADA@example.com"],
                address: .init(street: "1 Main St", street2: nil, city: "London", state: "LDN", zip: "N1", country: "GB")),
            targetPortDate: day.string(from: Date().addingTimeInterval(20 * 86_400)), documents: [document.documentSid], pin: nil)
        let id = try service.initiatePort(request).portRequestId
        _ = try service.signPort(id: id, typedName: "Ada Lovelace", consent: true, from: "192.0.2.7", letterSHA256: String(repeating: "ab", count: 32))
        _ = try service.movePort(id: id, to: .inProgress, who: "operator", note: "carrier accepted", focDate: Date().addingTimeInterval(15 * 86_400))
        try AlertDeliveryTests.deliver(service, policy: DeliveryPolicy(maxAttempts: 2, baseDelay: 0.2, timeout: 5)) {
            try service.outboxCounts()["pending", default: 0] == 0
        }
        #expect(try service.outboxCounts() == ["delivered": 6], "two recipients (the representative once, however spelled) × three changes")
        let mails = smtp.waitFor(6)
        let subjects = mails.compactMap { ($0["data"] as? String)?.split(separator: "\r\n").first { $0.hasPrefix("Subject: ") } }
        #expect(subjects.filter { $0.hasSuffix("waiting for signature") }.count == 2 && subjects.filter { $0.hasSuffix("submitted") }.count == 2)
        #expect(subjects.filter { $0.hasSuffix("in progress") }.count == 2, "\(subjects)")
        #expect(Set(mails.flatMap { ($0["rcpt_tos"] as? [String]) ?? [] }) == ["ada@example.com", "noc@example.com"])
        let progress = try #require(mails.compactMap { $0["data"] as? String }.first { $0.contains("in progress") })
        #expect(progress.contains("Numbers:      +442079460000") && progress.contains("carrier accepted") && progress.contains("(FOC)"), "\(progress)")

        // Completed: the numbers attached to a trunk at once, configured like its numbers (not before completion).
        _ = try service.attach(AttachRequest(phoneNumber: "+14155550160", trunkId: "uk-trunk", directions: [.init(type: "outbound", sipEndpoint: "192.0.2.10", options: .init(port: 5080, transport: "tcp"))]))
        #expect(throws: TrunkError.self) { try service.attachPortedNumbers(id: id, trunkId: "uk-trunk") }
        _ = try service.movePort(id: id, to: .completed, who: "operator")
        let attached = try service.attachPortedNumbers(id: id, trunkId: "uk-trunk")
        #expect(attached.configured.map(\.phoneNumber) == ["+442079460000"] && attached.failed.isEmpty, "\(attached)")
        let outbound = try #require(try service.configuration(number: "+442079460000").outbound)
        #expect(outbound.sipEndpoint == "sip:192.0.2.10" && outbound.options.port == 5080 && outbound.options.transport == "tcp", "\(outbound)")
        #expect(throws: TrunkError.self) { try service.attachPortedNumbers(id: id, trunkId: "no-such-trunk") }
    }
}
