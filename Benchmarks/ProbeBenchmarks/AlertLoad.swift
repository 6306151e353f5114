// Failover and alerts at scale (issue 15): 10,000 numbers on 2,000 endpoints, 500 of them failing, three alert rules
// each, probed every 60 s — the judge's cost per sample in process, the monitor process's CPU per interval, and the
// outbox's deliveries per second to a local HTTP receiver.

import Foundation
import SIPEngine
import TrunkCore
import TrunkRuntime
import TrunkStore

/// 10,000 numbers, five per endpoint: endpoints 0..<1,500 on `address` ports 30000+ (answered), 1,500..<2,000 on
/// ports 32000+ where nothing listens (ICMP port unreachable); alerts on for every number (webhook to `webhook`).
func prepareAlertDatabase(_ database: String, address: String, webhook: String) throws -> SIPTrunkService {
    let store = try TrunkDatabase(path: database)
    try Installation.prepare(store, host: Installation.HostFacts(hostName: "bench", ipv4: ["192.0.2.1"], ipv6: []))
    let service = SIPTrunkService(store: store)
    for endpoint in 0..<2_000 {
        let port = endpoint < 1_500 ? 30_000 + endpoint : 32_000 + endpoint - 1_500
        let numbers = (0..<5).map { (index: Int) -> String in
            let serial: Int = endpoint * 5 + index
            return String(format: "+1415%03d%04d", 300 + serial / 10000, serial % 10000)
        }
        _ = try service.attach(AttachRequest(
            phoneNumbers: numbers, trunkId: "alerts-\(endpoint)", directions: [.init(type: "outbound", sipEndpoint: address, options: .init(port: port, transport: "udp"))]))
    }
    try store.write { writer in
        for trunk in try writer.reader.trunks(orgId: Installation.defaultOrgId) {
            for config in try writer.reader.configurations(trunkId: trunk.id) {
                try writer.save(AlertSettings(
                    configId: config.id, enabled: true, unreachableMinutes: 2, failureRatePercent: 50, failureRateWindowMinutes: 5, responseTimeMs: 500,
                    webhook: webhook))
            }
        }
    }
    return service
}

/// Waits for a helper's "listening" line in its output file.
func waitListening(_ output: String, seconds: Double = 10) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if (try? String(contentsOfFile: output, encoding: .utf8))?.contains("listening") == true { return true }
        Thread.sleep(forTimeInterval: 0.1)
    }
    return false
}

func alertBenchmarks(root: String) {
    let responderOut = scratch + "/responder.out", receiverOut = scratch + "/receiver.out"
    let responder = start("/bin/sh", ["-c", "exec python3 \(root)/Benchmarks/alerts/options-responder.py 127.0.0.1 30000 1500 > \(responderOut)"])
    let receiver = start("/bin/sh", ["-c", "exec python3 \(root)/Tests/SIPNetworkTests/Fixtures/alerts/receiver.py --port 39999 --log \(scratch)/hooks.log > \(receiverOut)"])
    defer {
        kill(responder, SIGKILL)
        kill(receiver, SIGKILL)
    }
    guard waitListening(responderOut), waitListening(receiverOut) else {
        print("alerts benchmark: the responder or the receiver did not start")
        return
    }
    do {
        // 1. The judge alone, in process: ten intervals of 10,000 samples, 2,500 of them failures.
        let judgeDatabase = scratch + "/judge.sqlite"
        let judgeService = try prepareAlertDatabase(judgeDatabase, address: "127.0.0.1", webhook: "http://127.0.0.1:39999/hook")
        var judge = try judgeService.monitorJudge(recoverAfter: 2)
        let targets = try judgeService.monitorTargets()
        var trackers: [MonitorMember: HealthTracker] = [:]
        var judged = 0.0, stored = 0.0, actions = 0
        let epoch = Date()
        for interval in 0..<10 {
            var samples: [MonitorSample] = []
            samples.reserveCapacity(targets.count)
            for target in targets {
                let failing = (Int(target.endpoint.split(separator: ":").last ?? "") ?? 0) >= 32_000
                var tracker = trackers[target.member] ?? HealthTracker()
                let changed = tracker.record(answered: !failing, policy: HealthPolicy()) != nil
                trackers[target.member] = tracker
                let result = HealthSampleResult(
                    endpointID: target.configId, wallTime: epoch.addingTimeInterval(Double(interval) * 60).timeIntervalSince1970, outcome: failing ? "icmp_unreachable" : "ok",
                    responseCode: failing ? nil : 200, responseTimeMs: failing ? nil : 0.3, message: failing ? "port unreachable" : nil, state: tracker.state, changed: changed)
                samples.append(MonitorSample(member: target.member, result: result, tracker: tracker))
            }
            var copy = judge
            let began = DispatchTime.now().uptimeNanoseconds
            actions += copy.judge(samples, active: [:], now: epoch.addingTimeInterval(Double(interval) * 60)).count
            judged += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
            // The same batch stored with the judge's decisions, as the monitor does it (one transaction).
            var next = judge
            let storeBegan = DispatchTime.now().uptimeNanoseconds
            try judgeService.recordMonitorSamples(samples) { active in next.judge(samples, active: active, now: epoch.addingTimeInterval(Double(interval) * 60)) }
            stored += Double(DispatchTime.now().uptimeNanoseconds - storeBegan) / 1e9
            judge = next
        }
        let samples = Double(targets.count * 10)
        print(String(format: "alert rules (3 per number), judged in process: %.2f µs per sample (%d actions over 10 intervals of %d samples); stored with the decisions: %.1f µs per sample, %.0f ms per interval",
                     judged / samples * 1e6, actions, targets.count, stored / samples * 1e6, stored / 10 * 1000))

        // 2. The monitor process: CPU per interval over four intervals (unchecked → states; the failure-rate alerts
        // open in the third; steady state in the fourth), with webhook deliveries to the local receiver.
        let database = scratch + "/alerts.sqlite"
        _ = try prepareAlertDatabase(database, address: "127.0.0.1", webhook: "http://127.0.0.1:39999/hook")
        let monitor = start(siptrunkPath(), ["monitor", "--interval", "60", "--db", database])
        var figures: [String] = []
        var last = cpuSeconds(of: monitor) ?? 0
        for interval in 1...4 {
            Thread.sleep(forTimeInterval: 60)
            let now = cpuSeconds(of: monitor) ?? 0
            figures.append(String(format: "%d: %.2f s (%.1f%%)", interval, now - last, (now - last) / 60 * 100))
            last = now
        }
        kill(monitor, SIGTERM)
        var status: Int32 = 0
        waitpid(monitor, &status, 0)
        let check = SIPTrunkService(store: try TrunkDatabase(path: database))
        let alerts = try check.alerts(limit: 100_000).count
        let outbox = try check.outboxCounts()
        print("monitor, 10,000 numbers on 2,000 endpoints (500 failing), 3 alert rules each, every 60 s: CPU per interval \(figures.joined(separator: ", ")); \(alerts) alerts open, outbox \(outbox)")

        // 3. The outbox: 2,000 webhook notifications to the local receiver, 8 in flight.
        let outboxService = SIPTrunkService(store: try TrunkDatabase(path: scratch + "/outbox.sqlite"))
        try Installation.prepare(outboxService.store, host: Installation.HostFacts(hostName: "bench", ipv4: ["192.0.2.1"], ipv6: []))
        try outboxService.store.write { writer in
            for index in 0..<2_000 {
                try writer.save(OutboxDelivery(
                    eventId: "evt_bench_\(index)", channel: "webhook", alertId: nil, kind: "test", recipient: "http://127.0.0.1:39999/hook",
                    subject: "[siptrunk] benchmark", text: "benchmark", payload: "{\"event_id\":\"evt_bench_\(index)\",\"type\":\"test\"}", createdAt: Date()))
            }
        }
        let deliverer = OutboxDeliverer(service: outboxService, policy: DeliveryPolicy(concurrency: 8))
        let began = Date()
        deliverer.start()
        while (try outboxService.outboxCounts())["pending", default: 0] > 0, Date().timeIntervalSince(began) < 300 { Thread.sleep(forTimeInterval: 0.05) }
        let took = Date().timeIntervalSince(began)
        deliverer.stop()
        let delivered = (try outboxService.outboxCounts())["delivered", default: 0]
        print(String(format: "outbox: %d webhook deliveries in %.2f s = %.0f/s (8 in flight, Python's ThreadingHTTPServer receiving)", delivered, took, Double(delivered) / took))
    } catch {
        print("alerts benchmark failed: \(error)")
    }
}
