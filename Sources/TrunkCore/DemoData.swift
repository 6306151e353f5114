import Foundation
import SIPCore
import SIPEngine
import TrunkStore

/// A plausible, clearly labelled sample data set for a fresh database: trunks against different PBX types in
/// both directions, numbers, a week of health samples, a few hundred call logs, discovery runs, and a test
/// call with its full SIP trace. Every host is under `.example` (RFC 2606) and every number is a 555-01xx
/// fictional number, so nothing in it can be mistaken for, or reach, a real system.
public enum DemoData {
    public struct Summary: Codable, Hashable, Sendable {
        public var trunks: Int
        public var numbers: Int
        public var healthSamples: Int
        public var callLogs: Int
        public var discoveryRuns: Int
        public var testCalls: Int
        public var traceMessages: Int
    }

    struct TrunkPlan {
        var id: String
        var provider: String
        var endpoint: String?
        var server: String
        var numbers: [String]
        var inbound: Bool
        var register: Bool
        /// Hours ago (start, end) when the trunk did not answer probes.
        var outage: (Double, Double)?
        var baseLatencyMs: Double
    }

    static let plans: [TrunkPlan] = [
        TrunkPlan(
            id: "demo-asterisk", provider: "asterisk", endpoint: "sip:pbx.acme.example:5061;transport=tls",
            server: "Asterisk PBX 20.5.0", numbers: ["+14155550101", "+14155550102", "+14155550103"], inbound: true,
            register: false, outage: (30, 29.2), baseLatencyMs: 18),
        TrunkPlan(
            id: "demo-3cx", provider: "3cx", endpoint: "tcp://acme.3cx.example:5060", server: "3CXPhoneSystem 18.0.9.20",
            numbers: ["+14155550111", "+14155550112"], inbound: false, register: false, outage: nil, baseLatencyMs: 42),
        TrunkPlan(
            id: "demo-freeswitch", provider: "other", endpoint: "sips:fs.globex.example", server: "FreeSWITCH-mod_sofia/1.10.11",
            numbers: ["+442079460101"], inbound: true, register: false, outage: (2.5, 0), baseLatencyMs: 95),
        TrunkPlan(
            id: "demo-teams-sbc", provider: "microsoft-teams", endpoint: nil, server: "",
            numbers: ["+14155550121", "+14155550122"], inbound: true, register: true, outage: nil, baseLatencyMs: 0),
    ]

    /// Fills `store`, which must hold no trunks yet (demo data is never mixed into real data).
    public static func populate(_ store: TrunkDatabase, orgId: String = Installation.defaultOrgId, now: Date = Date()) throws(TrunkError) -> Summary {
        let service = SIPTrunkService(store: store, orgId: orgId, now: { now })
        var random = DemoRandom(seed: 0x5197_7127)
        var summary = Summary(trunks: 0, numbers: 0, healthSamples: 0, callLogs: 0, discoveryRuns: 0, testCalls: 0, traceMessages: 0)
        let secret: [UInt8]?
        do {
            secret = try store.installationSecret(create: true)
        } catch {
            throw .store(error)
        }
        // One transaction (issue 19): a demo killed half-way leaves the database as it was, not four trunks without
        // their samples that then block a second try.
        do {
            try store.write { writer in
                let existing = try writer.reader.trunks(orgId: orgId)
                guard existing.isEmpty else {
                    throw TrunkError.validation([
                        FieldError("db", "the database already holds \(existing.count) trunk(s); demo data goes into a fresh database only (use --db with a new path)")
                    ])
                }
                for plan in plans {
                    var directions: [AttachRequest.Direction] = []
                    if let endpoint = plan.endpoint { directions.append(.init(type: "outbound", sipEndpoint: endpoint)) }
                    if plan.inbound {
                        directions.append(
                            .init(type: "inbound", authMode: plan.register ? "register" : "ip",
                                  registerAuth: plan.register ? .init(username: "\(plan.id)-pbx") : nil))
                    }
                    let request = AttachRequest(phoneNumbers: plan.numbers, trunkId: plan.id, directions: directions)
                    let valid = try SIPTrunkService.validated(request)
                    let result = try service.attach(request, numbers: valid.numbers, directions: valid.directions, secret: secret, writer: writer)
                    summary.trunks += 1
                    summary.numbers += result.configured.count
                }
                // Samples with fictional endpoints: never probed by a monitor (the dashboard on this database would
                // otherwise look up .example names and send OPTIONS to documentation addresses).
                try writer.markDemo(trunkIds: plans.map(\.id))
                for plan in plans {
                    guard var trunk = try writer.reader.trunk(id: plan.id) else { continue }
                    trunk.name = "Demo · " + (plan.server.isEmpty ? "Teams SBC (inbound, registration)" : plan.server)
                    trunk.provider = plan.provider
                    try writer.save(trunk)
                    for number in plan.numbers {
                        for config in try writer.reader.configurations(number: number) where config.direction == .outbound {
                            summary.healthSamples += try healthWeek(writer, config: config, plan: plan, now: now, random: &random)
                        }
                        let logged = try callLogs(writer, number: number, plan: plan, now: now, random: &random)
                        summary.callLogs += logged.calls
                        summary.traceMessages += logged.traceMessages
                    }
                }
                try failoverAndAlerts(writer, now: now)
                summary.discoveryRuns += try discoveryRuns(writer, orgId: orgId, now: now)
                let traced = try testCallWithTrace(writer, orgId: orgId, now: now)
                summary.testCalls += 1
                summary.traceMessages += traced
            }
        } catch {
            throw SIPTrunkService.trunkError(error)
        }
        return summary
    }

    /// The 3CX trunk failed over to its backup 40 minutes ago (failback is manual, so calls stay there although the
    /// primary answers again); the FreeSWITCH trunk, down for 2.5 hours, has an open alert whose webhook was
    /// delivered and whose email waits for an SMTP relay; the 3CX's own alert resolved.
    static func failoverAndAlerts(_ writer: StoreWriter, now: Date) throws {
        if let config = try writer.reader.configurations(number: "+14155550111").first(where: { $0.direction == .outbound }) {
            let primary = try writer.reader.endpoints(configId: config.id).filter { $0.priority == 1 }
            let backup = OutboundEndpoint(configId: config.id, priority: 2, host: "backup.3cx.example", port: 5060, transport: "tcp")
            try writer.replaceEndpoints(configId: config.id, with: primary + [backup])
            try writer.save(FailoverSettings(configId: config.id, enabled: true, triggers: SIPTrunkService.failoverTriggers, failback: "manual"))
            try writer.save(AlertSettings(configId: config.id, enabled: true, unreachableMinutes: 5, failureRatePercent: 20, failureRateWindowMinutes: 15, responseTimeMs: 500, email: "noc@acme.example", webhook: "https://hooks.acme.example/siptrunk"))
            try writer.upsert(EndpointStateRecord(
                configId: config.id, priority: 2, state: "healthy", failures: 0, successes: 120, since: now.addingTimeInterval(-7200), lastOutcome: "ok",
                lastResponseCode: 200, lastResponseMs: 38, lastMessage: nil, updatedAt: now.addingTimeInterval(-20)))
            let at = now.addingTimeInterval(-2400)
            let from = primary.first.map { SIPTrunkService.endpointText($0, config: config) } ?? "acme.3cx.example:5060/tcp"
            let reason = "primary \(from) is unreachable (last probe: timeout); secondary backup.3cx.example:5060/tcp is healthy"
            try writer.save(FailoverStateRecord(configId: config.id, activePriority: 2, since: at, reason: "unreachable: " + reason))
            try writer.insert(FailoverEvent(
                configId: config.id, at: at, fromPriority: 1, toPriority: 2, fromEndpoint: from, toEndpoint: "backup.3cx.example:5060/tcp", trigger: "unreachable",
                reason: reason, actor: "monitor"))
            let alert = AlertRecord(
                id: "alr_demo3cxunreachable", configId: config.id, priority: 1, rule: "unreachable", status: "resolved",
                summary: "+14155550111 primary \(from) unreachable for 5 min (last probe: timeout)", openedAt: at.addingTimeInterval(240),
                lastNotifiedAt: at.addingTimeInterval(240), resolvedAt: at.addingTimeInterval(1500))
            try writer.save(alert)
            for (offset, kind, channel, detail) in [
                (240.0, "opened", nil, alert.summary), (240, "queued", "webhook", "alert.opened to https://hooks.acme.example/siptrunk"),
                (240, "queued", "email", "alert.opened to noc@acme.example"), (241, "delivered", "webhook", "HTTP 200"), (242, "delivered", "email", "SMTP 250"),
                (1500, "resolved", nil, nil), (1501, "delivered", "webhook", "HTTP 200"), (1502, "delivered", "email", "SMTP 250"),
            ] as [(Double, String, String?, String?)] {
                try writer.insert(AlertEvent(alertId: alert.id, at: at.addingTimeInterval(offset), kind: kind, channel: channel, detail: detail))
            }
        }
        if let config = try writer.reader.configurations(number: "+442079460101").first(where: { $0.direction == .outbound }) {
            try writer.save(AlertSettings(configId: config.id, enabled: true, unreachableMinutes: 10, failureRatePercent: 20, failureRateWindowMinutes: 15, responseTimeMs: 500, email: "ops@globex.example", webhook: "https://ops.globex.example/hooks/sip"))
            let opened = now.addingTimeInterval(-2.5 * 3600 + 600)
            let endpoint = try writer.reader.endpoints(configId: config.id).first.map { SIPTrunkService.endpointText($0, config: config) } ?? "fs.globex.example"
            let alert = AlertRecord(
                id: "alr_demoglobexdown01", configId: config.id, priority: 1, rule: "unreachable", status: "open",
                summary: "+442079460101 primary \(endpoint) unreachable for 10 min (last probe: timeout: no answer to OPTIONS)",
                openedAt: opened, lastNotifiedAt: now.addingTimeInterval(-1800))
            try writer.save(alert)
            for (offset, kind, channel, detail) in [
                (0.0, "opened", nil, alert.summary), (0, "queued", "webhook", "alert.opened to https://ops.globex.example/hooks/sip"),
                (0, "queued", "email", "alert.opened to ops@globex.example"), (1, "delivered", "webhook", "HTTP 202"),
                (3, "attempt_failed", "email", "attempt 1: no SMTP relay is configured: siptrunk alerts channels --smtp-url smtp://HOST:587 --smtp-from ADDRESS"),
            ] as [(Double, String, String?, String?)] {
                try writer.insert(AlertEvent(alertId: alert.id, at: opened.addingTimeInterval(offset), kind: kind, channel: channel, detail: detail))
            }
        }
    }

    /// One OPTIONS probe a minute for seven days, with jitter and the plan's outage.
    static func healthWeek(_ writer: StoreWriter, config: SIPConfiguration, plan: TrunkPlan, now: Date, random: inout DemoRandom) throws -> Int {
        let minutes = 7 * 24 * 60
        for minute in stride(from: minutes, to: 0, by: -1) {
            let at = now.addingTimeInterval(-Double(minute) * 60)
            let hoursAgo = Double(minute) / 60
            let down = plan.outage.map { hoursAgo <= $0.0 && hoursAgo >= $0.1 } ?? false
            if down {
                try writer.insert(HealthSample(configId: config.id, checkedAt: at, outcome: "timeout", responseCode: nil, responseTimeMs: nil))
            } else {
                // Busier during the working day (UTC 14-23), plus occasional spikes.
                let hour = Int(at.timeIntervalSince1970 / 3600) % 24
                let load = (14...23).contains(hour) ? 1.35 : 1.0
                let spike = random.next(upTo: 500) == 0 ? 6.0 : 1.0
                let latency = plan.baseLatencyMs * load * spike * (0.85 + Double(random.next(upTo: 30)) / 100)
                try writer.insert(HealthSample(configId: config.id, checkedAt: at, outcome: "ok", responseCode: 200, responseTimeMs: (latency * 10).rounded() / 10))
            }
        }
        return minutes
    }

    static func callLogs(_ writer: StoreWriter, number: String, plan: TrunkPlan, now: Date, random: inout DemoRandom) throws -> (calls: Int, traceMessages: Int) {
        var logs: [CallLog] = []
        let count = 60 + Int(random.next(upTo: 40))
        let outcomes: [(status: String, code: Int, weight: UInt64)] = [
            ("completed", 200, 80), ("busy", 486, 7), ("no-answer", 487, 6), ("failed", 503, 3), ("failed", 404, 2), ("failed", 408, 2),
        ]
        let totalWeight = outcomes.reduce(0) { $0 + $1.weight }
        for index in 0..<count {
            let startedAt = now.addingTimeInterval(-Double(random.next(upTo: 7 * 24 * 3600)))
            var pick = random.next(upTo: totalWeight)
            let outcome = outcomes.first { item in
                if pick < item.weight { return true }
                pick -= item.weight
                return false
            } ?? outcomes[0]
            let inbound = plan.inbound && (plan.endpoint == nil || random.next(upTo: 2) == 0)
            let duration = outcome.code == 200 ? Double(5 + random.next(upTo: 600)) : 0
            let callId = "demo-\(plan.id)-\(number.dropFirst())-\(index)@sbc.demo.example"
            logs.append(try writer.insert(
                CallLog(
                    callId: callId, number: number, direction: inbound ? "inbound" : "outbound",
                    fromUri: inbound ? "sip:+1650555\(String(format: "%04d", 100 + random.next(upTo: 99)))@carrier.example" : "sip:\(number)@sbc.demo.example",
                    toUri: inbound ? "sip:\(number)@sbc.demo.example" : "sip:+1212555\(String(format: "%04d", 100 + random.next(upTo: 99)))@carrier.example",
                    status: outcome.status, sipCode: outcome.code, durationSeconds: duration, startedAt: startedAt,
                    endedAt: startedAt.addingTimeInterval(duration + 3),
                    sourceIp: inbound ? "198.51.100.\(10 + random.next(upTo: 40))" : "203.0.113.10")))
        }
        // The Asterisk trunk's newest calls keep their SIP traces.
        var traced = 0
        if plan.id == "demo-asterisk" {
            for log in logs.sorted(by: { $0.startedAt > $1.startedAt }).prefix(3) {
                let dialog = dialog(for: log)
                let messages = dialog.messages(code: log.sipCode ?? 200, answerAfter: log.sipCode == 200 ? 1.8 : 0.9, talk: log.durationSeconds ?? 0)
                try dialog.store(messages, start: log.startedAt, writer: writer)
                traced += messages.count
            }
        }
        return (count, traced)
    }

    static func discoveryRuns(_ writer: StoreWriter, orgId: String, now: Date) throws -> Int {
        let started = now.addingTimeInterval(-3 * 24 * 3600)
        let run = DiscoveryRun(
            id: "disc_demo_asterisk", orgId: orgId, host: "pbx.acme.example", status: "completed",
            resolvedAddresses: ["192.0.2.40", "2001:db8::40"],
            srvRecords: ["_sips._tcp.pbx.acme.example 10 60 5061 pbx.acme.example.", "_sip._udp.pbx.acme.example 20 40 5060 pbx.acme.example."],
            recommended: #"{"port":5061,"transport":"tls","user_agent":"Asterisk PBX 20.5.0","detected_system":"Asterisk","codecs":["PCMU","PCMA","opus","G722"],"methods":["INVITE","ACK","CANCEL","OPTIONS","BYE","REFER","NOTIFY"],"reason":"TLS answered on 5061 with 200 OK; the guide requires TLS for signalling"}"#,
            startedAt: started, completedAt: started.addingTimeInterval(1.2))
        try writer.save(run)
        let attempts: [DiscoveryAttempt] = [
            .init(discoveryId: run.id, address: "192.0.2.40", port: 5061, transport: "tls", responseTimeMs: 21.4, responseCode: 200, userAgent: "Asterisk PBX 20.5.0"),
            .init(discoveryId: run.id, address: "192.0.2.40", port: 5060, transport: "udp", responseTimeMs: 11.9, responseCode: 200, userAgent: "Asterisk PBX 20.5.0"),
            .init(discoveryId: run.id, address: "192.0.2.40", port: 5060, transport: "tcp", responseTimeMs: 14.2, responseCode: 200, userAgent: "Asterisk PBX 20.5.0"),
            .init(discoveryId: run.id, address: "192.0.2.40", port: 5080, transport: "udp", responseTimeMs: nil, responseCode: nil, userAgent: nil,
                  errorKind: "timeout", errorMessage: "no answer to OPTIONS on UDP 5080 within 1.0 s", errorRemedy: "nothing listens there; this port is not needed"),
            .init(discoveryId: run.id, address: "192.0.2.40", port: 5080, transport: "tcp", responseTimeMs: nil, responseCode: nil, userAgent: nil,
                  errorKind: "connection_refused", errorMessage: "TCP 5080 refused", errorRemedy: "nothing listens there; this port is not needed"),
        ]
        for attempt in attempts { try writer.insert(attempt) }
        return 1
    }

    /// A connected test call to the Asterisk trunk: INVITE, 100, 180, 200, ACK, BYE, 200, with its timeline and
    /// its line in the call logs.
    static func testCallWithTrace(_ writer: StoreWriter, orgId: String, now: Date) throws -> Int {
        let callId = "a84b4c76e66710-demo@sbc.demo.example"
        let start = now.addingTimeInterval(-2 * 3600)
        let dialog = DemoDialog(
            callId: callId, local: "203.0.113.10:5061", remote: "192.0.2.40:5061", transport: "TLS",
            from: "\"Demo test call\" <sip:+14155550100@sbc.demo.example>", to: "sip:+14155550101@pbx.acme.example",
            requestURI: "sip:+14155550101@pbx.acme.example:5061;transport=tls", userAgent: "siptrunk/0.1 (demo data)",
            server: "Asterisk PBX 20.5.0", sent: true)
        let ladder = dialog.messages(code: 200, answerAfter: 2.412, talk: 10.0)
        try dialog.store(ladder, start: start, writer: writer)
        try writer.save(
            TestCall(
                callId: callId, orgId: orgId, number: "+14155550101", direction: "outbound", status: "completed", result: "connected",
                durationSeconds: 10.0,
                mediaReport: #"{"audio":"both_ways","sent_packets":500,"received_packets":498,"loss_percent":0.4,"jitter_ms":2.1,"dtmf_echoed":true,"srtp":"AES_CM_128_HMAC_SHA1_80"}"#,
                createdAt: start))
        try writer.insert(
            CallLog(
                callId: callId, number: "+14155550101", direction: "outbound", fromUri: "sip:+14155550100@sbc.demo.example",
                toUri: dialog.to, status: "completed", sipCode: 200, durationSeconds: 10.0, startedAt: start,
                endedAt: start.addingTimeInterval(12.437), sourceIp: "203.0.113.10"))
        let timeline: [(Double, String, String)] = [
            (0.000, "queued", "test call to +14155550101 through demo-asterisk"),
            (0.000, "initiated", "INVITE sent over TLS to 192.0.2.40:5061"),
            (0.163, "ringing", "180 Ringing"),
            (2.412, "in-progress", "200 OK; PCMU with SRTP AES_CM_128_HMAC_SHA1_80"),
            (12.437, "completed", "BYE answered 200 OK after 10.0 s; audio both ways"),
        ]
        for (offset, event, detail) in timeline {
            try writer.insert(TestCallEvent(callId: callId, event: event, at: start.addingTimeInterval(offset), detail: detail))
        }
        return ladder.count
    }

    /// The newest calls of the Asterisk trunk's numbers with their SIP traces, so the trace viewer lists calls
    /// as well as test calls: answered ones with INVITE … BYE, refused ones with INVITE, 100, the final and ACK.
    static func dialog(for log: CallLog) -> DemoDialog {
            let inbound = log.direction == "inbound"
            let remote = inbound ? "\(log.sourceIp ?? "198.51.100.10"):5060" : "192.0.2.40:5061"
            return DemoDialog(
                callId: log.callId, local: inbound ? "203.0.113.10:5060" : "203.0.113.10:5061", remote: remote,
                transport: inbound ? "UDP" : "TLS", from: "<\(log.fromUri ?? "sip:anonymous@anonymous.invalid")>",
                to: log.toUri ?? "sip:\(log.number)@sbc.demo.example", requestURI: log.toUri ?? "sip:\(log.number)@sbc.demo.example",
                userAgent: inbound ? "Carrier SBC (demo)" : "siptrunk/0.1 (demo data)", server: inbound ? "siptrunk/0.1 (demo data)" : "Asterisk PBX 20.5.0",
                sent: !inbound)
    }
}

/// One demo dialog's messages, built and serialized with SIPCore so the traces hold real, parseable SIP.
struct DemoDialog {
    var callId: String
    var local: String
    var remote: String
    var transport: String
    var from: String
    var to: String
    var requestURI: String
    var userAgent: String
    var server: String
    /// True when siptrunk sent the INVITE (outbound), false when it received it (inbound).
    var sent: Bool

    var caller: String { sent ? local : remote }
    var callee: String { sent ? remote : local }
    var callerHost: String { String(caller.prefix { $0 != ":" }) }

    static let offer = SessionDescription(
        origin: .init(sessionID: "3724394400", sessionVersion: "3724394400", addressType: "IP4", address: "203.0.113.10"),
        connection: .init(address: "203.0.113.10"),
        media: [MediaDescription(port: 12000, proto: "RTP/SAVP", formats: ["0", "8", "101"], attributes: [
            .init("rtpmap", "0 PCMU/8000"), .init("rtpmap", "8 PCMA/8000"), .init("rtpmap", "101 telephone-event/8000"),
            .init("fmtp", "101 0-16"), .init("crypto", "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"),
            .init("sendrecv"),
        ])])

    static var answer: SessionDescription {
        var answer = offer
        answer.origin = .init(username: "root", sessionID: "1893", sessionVersion: "1893", addressType: "IP4", address: "192.0.2.40")
        answer.connection = .init(address: "192.0.2.40")
        answer.media[0].port = 18544
        answer.media[0].formats = ["0", "101"]
        return answer
    }

    func via(_ branch: String) -> String { "SIP/2.0/\(transport) \(caller);branch=\(branch);rport" }

    func request(_ method: String, cseq: Int, branch: String, toTag: Bool, body: SessionDescription? = nil) -> [UInt8] {
        var message = SIPMessage(startLine: .request(RequestLine(method: SIPMethod(method), requestURI: requestURI)))
        message.append(.via, via(branch))
        message.append(.maxForwards, "70")
        message.append(.from, from + ";tag=demo-from-1")
        message.append(.to, "<\(to)>" + (toTag ? ";tag=as5a9e1f37" : ""))
        message.append(.callID, callId)
        message.append(.cseq, "\(cseq) \(method)")
        message.append(.contact, "<sip:\(caller);transport=\(transport.lowercased())>")
        message.append(.userAgent, userAgent)
        if let body { message.setBody(body.bytes, contentType: "application/sdp") } else { message.append(.contentLength, "0") }
        return message.serialized()
    }

    func response(_ code: Int, cseq: String, branch: String, toTag: Bool, body: SessionDescription? = nil) -> [UInt8] {
        var message = SIPMessage(startLine: .response(StatusLine(code: code, reason: StatusLine.defaultReason(for: code))))
        message.append(.via, via(branch).replacingOccurrences(of: ";rport", with: ";rport=\(caller.split(separator: ":").last ?? "5060");received=\(callerHost)"))
        message.append(.from, from + ";tag=demo-from-1")
        message.append(.to, "<\(to)>" + (toTag ? ";tag=as5a9e1f37" : ""))
        message.append(.callID, callId)
        message.append(.cseq, cseq)
        message.append(.server, server)
        if code == 200 || code == 180 { message.append(.contact, "<sip:\(callee);transport=\(transport.lowercased())>") }
        if let body { message.setBody(body.bytes, contentType: "application/sdp") } else { message.append(.contentLength, "0") }
        return message.serialized()
    }

    /// (seconds from the INVITE, sent by the caller, message): answered (2xx) with a BYE after `talk` seconds,
    /// or refused with `code` and the ACK for it.
    func messages(code: Int, answerAfter: Double, talk: Double) -> [(Double, Bool, [UInt8])] {
        var list: [(Double, Bool, [UInt8])] = [
            (0.000, true, request("INVITE", cseq: 1, branch: "z9hG4bK-demo-1", toTag: false, body: Self.offer)),
            (0.021, false, response(100, cseq: "1 INVITE", branch: "z9hG4bK-demo-1", toTag: false)),
        ]
        if code == 200 {
            list += [
                (0.163, false, response(180, cseq: "1 INVITE", branch: "z9hG4bK-demo-1", toTag: true)),
                (answerAfter, false, response(200, cseq: "1 INVITE", branch: "z9hG4bK-demo-1", toTag: true, body: Self.answer)),
                (answerAfter + 0.001, true, request("ACK", cseq: 1, branch: "z9hG4bK-demo-2", toTag: true)),
                (answerAfter + talk + 0.002, true, request("BYE", cseq: 2, branch: "z9hG4bK-demo-3", toTag: true)),
                (answerAfter + talk + 0.025, false, response(200, cseq: "2 BYE", branch: "z9hG4bK-demo-3", toTag: true)),
            ]
        } else {
            list += [
                (answerAfter, false, response(code, cseq: "1 INVITE", branch: "z9hG4bK-demo-1", toTag: true)),
                (answerAfter + 0.001, true, request("ACK", cseq: 1, branch: "z9hG4bK-demo-1", toTag: true)),
            ]
        }
        return list
    }

    /// Stores the messages as siptrunk saw them: what the caller sent is "sent" when siptrunk is the caller.
    func store(_ messages: [(Double, Bool, [UInt8])], start: Date, writer: StoreWriter) throws {
        for (offset, byCaller, raw) in messages {
            try writer.insert(
                TraceMessage(
                    sipCallId: callId, monotonicNs: Int64(offset * 1e9), wallTime: start.addingTimeInterval(offset),
                    direction: byCaller == sent ? "sent" : "received", transport: transport.lowercased(), localAddress: local,
                    remoteAddress: remote, raw: Data(raw)))
        }
    }
}

/// The demo is the same on every run, so screenshots are reproducible: SIPEngine's SplitMix64.
typealias DemoRandom = SeededGenerator

extension SeededGenerator {
    mutating func next(upTo bound: UInt64) -> UInt64 { next() % bound }
}
