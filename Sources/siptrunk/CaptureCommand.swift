import ArgumentParser
import Foundation
import SIPCore
import SIPNetwork
import TrunkCore
import TrunkRuntime

/// Retention options shared by `capture` and `trace import`.
struct RetentionOptions: ParsableArguments {
    @Option(help: "Keep captured messages and calls this many days.") var retentionDays: Double = 30
    @Option(help: "Keep at most this many captured SIP messages (the oldest go first).") var maxMessages: Int = 2_000_000

    func validate() throws {
        guard retentionDays > 0, retentionDays <= 3650 else { throw ValidationError("--retention-days must be from 0 to 3650") }
        guard maxMessages >= 1000 else { throw ValidationError("--max-messages must be at least 1000") }
    }

    var retention: CaptureRetention { CaptureRetention(maximumAge: retentionDays * 86_400, maximumMessages: maxMessages) }
}

/// `siptrunk capture`: calls from the wire into the call logs and traces (issue 16).
struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Collect SIP from HEP agents (Kamailio siptrace, OpenSIPS, Asterisk, FreeSWITCH, heplify) or an interface.",
        discussion: """
            Every message is stored as a trace and grouped into calls: one call log per INVITE dialog (answered, \
            busy, cancelled, unanswered, failed), with its direction and number from the trunks' numbers; calls that \
            match no trunk go to `siptrunk calls list --unmatched`. HEP versions 1-3 over UDP (and HEP3 over TCP with \
            --hep-tcp), packets up to 64 KiB. Live capture (-i) reads SIP over UDP and TCP with libpcap (root or \
            CAP_NET_RAW); SIP over TLS cannot be read from the wire: have the server send HEP. Counters every 5 s: \
            received, stored, skipped (with the last reason) and dropped by the kernel. Ctrl-C or SIGTERM stops.
            """)

    @Option(help: "Listen for HEP on HOST:PORT (UDP), e.g. 127.0.0.1:9060.") var hep: String?
    @Flag(help: "Also accept HEP3 over TCP on the same address.") var hepTcp = false
    @Option(help: "Refuse HEP packets without this capture password (HEP3 chunk 14).") var hepPassword: String?
    @Option(name: [.customShort("i"), .customLong("interface")], help: "Capture live on this interface (any for all).") var interface: String?
    @Option(help: "BPF filter for live capture.") var filter: String = "port 5060 or port 5080 or (udp and portrange 5060-5090)"
    @Option(help: "The socket receive buffer asked for HEP over UDP, in MiB.") var hepBuffer: Int = 16
    @Flag(help: "Print the counters as JSON lines.") var json = false
    @OptionGroup var retention: RetentionOptions
    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard hep != nil || interface != nil else { throw ValidationError("give --hep HOST:PORT, -i INTERFACE, or both") }
        guard (1...1024).contains(hepBuffer) else { throw ValidationError("--hep-buffer must be from 1 to 1024 MiB") }
    }

    func run() throws {
        let service = try store.service(.create)
        var settings = CaptureIngestor.Settings()
        settings.retention = retention.retention
        var hepCapture: HEPCapture?
        if let hep {
            let address = try ServeCommand.listenAddress(hep)
            let capture = try runUseCase(json: json) { try HEPCapture(service: service, host: address.host, port: address.port, password: hepPassword, settings: settings) }
            try capture.start(tcp: hepTcp, receiveBuffer: hepBuffer << 20)
            hepCapture = capture
            if !json {
                let listener = capture.listener
                print("listening for HEP on udp\(hepTcp ? "+tcp" : "") \(IPAddress.reference(address.host)):\(listener.boundPort) (receive buffer \(listener.current.receiveBuffer >> 10) KiB)")
            }
        }
        // Live capture: its own ingestor and reader thread.
        var live: LiveCapture?
        if let interface {
            do {
                live = try LiveCapture(service: service, interface: interface, filter: filter, settings: settings)
            } catch {
                _ = hepCapture?.stop()
                throw error
            }
            live?.start()
            if !json { print("capturing on \(interface) (filter: \(filter))") }
        }
        let stopping = StopSignals()
        while !stopping.wait(seconds: 5) {
            if let hepCapture { report(hepCapture.counters, failure: hepCapture.ingestor.failure) }
            if let live { report(live.counters, failure: live.ingestor.failure) }
        }
        var calls = 0
        var stored = 0
        for counters in [hepCapture?.stop(), live?.stop()].compactMap({ $0 }) {
            report(counters, failure: nil)
            calls += counters.calls
            stored += counters.stored
        }
        if !json { print("stopped: \(calls) calls, \(stored) messages stored") }
    }

    func report(_ counters: CaptureSource, failure: String?) {
        if json {
            JSONOutput.line(counters)
            return
        }
        var line = "\(MonitorCommand.timestamp()) received \(counters.received), stored \(counters.stored), calls \(counters.calls), skipped \(counters.skipped)"
        line += ", dropped by the kernel \(counters.kernelDrops)"
        if counters.pruned > 0 { line += ", pruned \(counters.pruned)" }
        if let reason = counters.lastSkipReason, counters.skipped > 0 { line += " (last skipped: \(reason))" }
        print(line)
        if let failure { printError("siptrunk capture: the database refuses writes (\(failure)); messages wait in memory") }
    }
}

/// SIGINT, SIGTERM and SIGHUP as a flag and a wait (the capture loop checks it between reads).
/// `@unchecked Sendable`: `stop` is guarded by `lock`; `sources` is written only in `init`.
final class StopSignals: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stop = false
    private var sources: [DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { [weak self] in
                self?.lock.withLock { self?.stop = true }
                self?.semaphore.signal()
            }
            source.resume()
            sources.append(source)
        }
    }

    var requested: Bool { lock.withLock { stop } }

    /// Waits up to `seconds`; true when a stop signal came.
    func wait(seconds: Double) -> Bool {
        semaphore.wait(timeout: .now() + seconds) == .success || requested
    }
}

extension TraceCommand {
    /// `siptrunk trace import FILE`: a pcap or pcapng file's SIP calls into the call logs and traces.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import SIP calls from a pcap or pcapng file (tcpdump, tshark, Wireshark, sngrep).",
            discussion: """
                SIP over UDP and TCP, IPv4 (fragments reassembled) and IPv6; Ethernet, Linux cooked, raw IP and loopback \
                captures. SIP over TLS is encrypted on the wire and cannot be imported: capture it with HEP from the server. \
                A truncated file is imported up to where it ends, and the truncation reported.
                """)

        @Argument(help: "The capture file.") var file: String
        @Flag(help: "Print one JSON document.") var json = false
        @OptionGroup var retention: RetentionOptions
        @OptionGroup var store: StoreOptions

        func run() throws {
            let service = try store.service(.create)
            var settings = CaptureIngestor.Settings()
            settings.retention = retention.retention
            let result = try runUseCase(json: json) { try PcapImport.run(file: file, service: service, settings: settings) }
            let counters = result.counters
            if json {
                JSONOutput.success(ImportReport(
                    file: file, frames: result.frames, sipMessages: counters.stored, calls: counters.calls,
                    skipped: result.skipped, truncated: result.truncation))
                return
            }
            print("\(file): \(result.frames) frames, \(counters.stored) SIP messages, \(counters.calls) calls stored")
            for (reason, count) in result.skipped.sorted(by: { $0.value > $1.value }) { print("  skipped \(count): \(reason)") }
            if let truncation = result.truncation { print("  the file ends early (\(truncation)): imported up to there") }
        }
    }

    struct ImportReport: Encodable {
        var file: String
        var frames: Int
        var sipMessages: Int
        var calls: Int
        var skipped: [String: Int]
        var truncated: String?
    }
}

/// `siptrunk calls list`: a number's call logs, as `GET /v1/sip/calls` pages them.
struct CallsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calls", abstract: "List call logs: test calls and captured calls (GET /v1/sip/calls).", subcommands: [List.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A number's calls, newest first; --unmatched for captured calls of no trunk.")
        @Option(help: "The number, in E.164 form.") var number: String?
        @Flag(help: "Captured calls that match no trunk's numbers.") var unmatched = false
        @Option(help: "Calls per page (1-200).") var limit = 50
        @Option(help: "The last call_id of the previous page.") var before: String?
        @Flag(help: "Print one JSON document (the API's page).") var json = false
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard (number == nil) != !unmatched else { throw ValidationError("give --number E164 or --unmatched") }
        }

        func run() throws {
            let service = try store.service(.readOnly)
            let page = try runUseCase(json: json) {
                if let number { return try service.calls(number: number, limit: limit, before: before) }
                return try service.unmatchedCalls(limit: limit)
            }
            if json {
                JSONOutput.success(page)
                return
            }
            if page.calls.isEmpty {
                print(unmatched ? "no unmatched calls" : "no calls for \(number ?? "")")
                return
            }
            let formatter = ISO8601DateFormatter()
            for call in page.calls {
                let code = call.sipCode.map(String.init) ?? "-"
                let duration = call.durationSeconds.map { String(format: "%.1f s", $0) } ?? "-"
                print("\(formatter.string(from: call.startedAt))  \(call.direction.padding(toLength: 8, withPad: " ", startingAt: 0))  \(call.status.padding(toLength: 11, withPad: " ", startingAt: 0))  \(code)  \(duration.padding(toLength: 8, withPad: " ", startingAt: 0))  \(call.from ?? "-") → \(call.to ?? "-")  \(call.callId)")
            }
            print("\(page.calls.count) of \(page.total)" + (page.nextBefore.map { "; next page: --before \($0)" } ?? ""))
        }
    }
}
