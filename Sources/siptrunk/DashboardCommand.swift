import ArgumentParser
import Foundation
import SIPEngine
import SIPNetwork
import TUICurses
import TUIKit
import TrunkCore
import TrunkRuntime
import TrunkTUI

/// `siptrunk dashboard`: the SIP dashboard (overview, health, traces, call logs, firewall, configuration).
struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "The SIP dashboard: trunk health, SIP traces as ladder diagrams, call logs — live, also over SSH.",
        discussion: """
            Reads the database every few seconds, so a siptrunk monitor running elsewhere shows up live. Keys follow \
            sngrep where it has them: arrows or j/k, Enter opens, / filters, Esc or h goes back; Tab and 1–5 switch \
            tabs; F1 or ? lists every key; q or F10 quits.
            """)

    @Option(help: "Theme: dark, light, high-contrast or monochrome, or a path to a .theme file.") var theme: String = "dark"
    @Flag(help: "ASCII line drawing (automatic without a UTF-8 locale).") var ascii = false
    @Option(help: "Seconds between reads of the database.") var refresh: Int = 5
    @Option(help: "When no siptrunk monitor runs, the dashboard monitors itself, probing every this many seconds (at least 10).") var monitorInterval: Double = 60
    @Flag(help: "Never start a monitor inside the dashboard.") var noMonitor = false
    @Option(help: "DNS server HOST:PORT for the embedded monitor.") var dnsServer: String?
    @Option(help: ArgumentHelp("Trust only the CA certificates in this PEM file for TLS probes.", valueName: "path")) var caFile: String?
    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard (1...300).contains(refresh) else { throw ValidationError("--refresh must be from 1 to 300 seconds") }
        guard monitorInterval >= 10, monitorInterval <= 86_400 else { throw ValidationError("--monitor-interval must be from 10 to 86400 seconds") }
    }

    func run() throws {
        let service = try store.service(.existing)
        let trust = try TLSTrust.load(caFile: caFile)
        while try Self.runDashboard(
            service: service, theme: theme, ascii: ascii, refresh: refresh, monitorInterval: monitorInterval, monitor: !noMonitor, trust: trust,
            dnsServer: dnsServer)
        {
            try SetupCommand.runWizard(service: service, theme: theme, ascii: ascii, trust: trust, dnsServer: dnsServer, discoveryTimeout: 4)
        }
    }

    /// The dashboard until it quits; true when it was left to add a trunk with the wizard.
    static func runDashboard(
        service: SIPTrunkService, theme: String, ascii: Bool, refresh: Int, monitorInterval: Double, monitor: Bool, trust: TLSTrust, dnsServer: String?
    ) throws -> Bool {
        // Health comes from a running monitor; with none, this process monitors until it quits — and takes over
        // within seconds when a monitor it relied on stops or dies (issue 15).
        let embedded = EmbeddedMonitor {
            MonitorRunner(
                service: service, trust: trust, dnsServer: dnsServer, interval: monitorInterval, policy: HealthPolicy(),
                owner: "siptrunk dashboard (pid \(getpid()))", onSample: { _, _, _ in })
        }
        var watch: DispatchSourceTimer?
        if monitor {
            embedded.startIfNobodyMonitors(service)
            let timer = DispatchSource.makeTimerSource(queue: embedded.queue)
            timer.schedule(deadline: .now() + 5, repeating: 5)
            timer.setEventHandler { embedded.startIfNobodyMonitors(service) }
            timer.resume()
            watch = timer
        }
        defer {
            watch?.cancel()
            embedded.stop()
        }
        let terminal = try TerminalSession.open(theme: theme, ascii: ascii)
        // The dashboard's reads and writes run here, in order, away from the terminal's thread.
        let io = DispatchQueue(label: "siptrunk.dashboard.io")
        let screen = DashboardScreen(service: service, refreshSeconds: refresh, work: { io.async(execute: $0) }) { work in terminal.post(work) }
        // No letter, no digest: signing then refuses and says the letter could not be drawn.
        screen.letterDigest = { (try? LetterOfAuthorization.digest($0)) ?? "" }
        let exit = terminal.run(screen)
        // A write asked for just before quitting (a failback, a saved setting) is done before the process goes.
        io.sync {}
        try TerminalSession.finish(exit)
        return screen.wantsNewTrunk
    }
}

/// Opening the terminal and ending the process the same way for every screen.
enum TerminalSession {
    static func open(theme name: String, ascii: Bool) throws -> Terminal {
        let loaded: Theme
        do {
            loaded = try ThemeFiles.load(name)
        } catch {
            throw CommandFailure.usage(error.description)
        }
        let noColour = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        do {
            return try Terminal(options: Terminal.Options(theme: loaded, ascii: ascii, noColour: noColour))
        } catch {
            throw CommandFailure.refused(error.description)
        }
    }

    /// Exit statuses: 0 quit, 128+N for a signal (129 for a dropped SSH session), 1 when the terminal went away.
    static func finish(_ exit: TerminalExit) throws {
        switch exit {
        case .quit: return
        case .signal(let number): Foundation.exit(128 + number)
        case .inputClosed: Foundation.exit(1)
        }
    }
}
