import ArgumentParser
import Foundation
import SIPNetwork
import SystemPackage
import TUICurses
import TUIKit
import TrunkCore
import TrunkRuntime
import TrunkTUI

/// `siptrunk` (no arguments) or `siptrunk setup`: the eight-step set-up wizard in the terminal.
struct SetupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "The set-up wizard: the guide's eight steps in the terminal (siptrunk alone opens it when no trunk exists).",
        discussion: """
            Keys: Enter next, Esc back, Tab moves between a list and a field, F1 or ? help, F10, Ctrl-X or Ctrl-C \
            quits (a set-up left half-way is offered the next time), Ctrl-Z suspends. Works over SSH at 80×24 and \
            without colour (NO_COLOR).
            """)

    @OptionGroup var screen: WizardOptions
    @OptionGroup var store: StoreOptions

    func run() throws {
        let service = try store.service(.create)
        try Self.runWizard(
            service: service, theme: screen.theme, ascii: screen.ascii, trust: try TLSTrust.load(caFile: screen.caFile), dnsServer: screen.dnsServer,
            discoveryTimeout: screen.discoveryTimeout)
    }

    /// The wizard in the terminal until it quits; a signal or a closed terminal ends the process.
    static func runWizard(service: SIPTrunkService, theme: String, ascii: Bool, trust: TLSTrust, dnsServer: String?, discoveryTimeout: Double) throws {
        let terminal = try TerminalSession.open(theme: theme, ascii: ascii)
        let network = WizardNetwork(service: service, trust: trust, dnsServer: dnsServer, discoveryTimeout: discoveryTimeout)
        // The wizard's database and file work runs here, in order, away from the terminal's thread.
        let io = DispatchQueue(label: "siptrunk.wizard.io")
        let screen = WizardScreen(service: service, network: network, work: { io.async(execute: $0) }) { work in terminal.post(work) }
        let exit = terminal.run(screen)
        // The last save (quitting saves the draft) is on disk before the process goes.
        io.sync {}
        // A call ended on the way out gets its CANCEL or BYE answered before the process goes.
        network.waitForCalls(seconds: 3)
        switch exit {
        case .quit where screen.finished: print("Trunk \(screen.draft.trunkId) is set up. siptrunk trunks list shows it.")
        case .quit: print("Saved: run siptrunk again to continue at step \(screen.draft.step.rawValue) (\(screen.draft.step.title)).")
        case .signal(let number) where number == SIGHUP: Foundation.exit(129)
        case .signal(let number):
            printError("siptrunk: stopped by signal \(number); the wizard resumes at step \(screen.draft.step.rawValue)")
            Foundation.exit(128 + number)
        case .inputClosed: Foundation.exit(1)
        }
    }
}

/// The options of the screens that run the wizard (`setup` and the default command).
struct WizardOptions: ParsableArguments {
    @Option(help: "Theme: dark, light, high-contrast or monochrome (files in Themes/), or a path to a .theme file.")
    var theme: String = "dark"
    @Flag(help: "ASCII line drawing (automatic without a UTF-8 locale).") var ascii = false
    @Option(help: "DNS server HOST:PORT for discovery, test calls and the embedded monitor.") var dnsServer: String?
    @Option(help: ArgumentHelp("Trust only the CA certificates in this PEM file for TLS.", valueName: "path")) var caFile: String?
    @Option(help: "Seconds each discovery probe waits.") var discoveryTimeout: Double = 4
}

/// `siptrunk` with no command (issue 14): the dashboard when trunks exist, where `a` sets up another with the wizard
/// (and the dashboard comes back when it is done); the wizard when there are none yet.
struct HomeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "home",
        abstract: "What siptrunk opens with no command: the dashboard when trunks exist (a adds one), else the set-up wizard.",
        shouldDisplay: false)

    @OptionGroup var screen: WizardOptions
    @OptionGroup var store: StoreOptions

    func run() throws {
        let service = try store.service(.create)
        let (theme, ascii, dnsServer, discoveryTimeout) = (screen.theme, screen.ascii, screen.dnsServer, screen.discoveryTimeout)
        let trust = try TLSTrust.load(caFile: screen.caFile)
        let hasTrunks = !((try? service.trunks()) ?? []).isEmpty
        guard hasTrunks else {
            try SetupCommand.runWizard(service: service, theme: theme, ascii: ascii, trust: trust, dnsServer: dnsServer, discoveryTimeout: discoveryTimeout)
            return
        }
        while try DashboardCommand.runDashboard(
            service: service, theme: theme, ascii: ascii, refresh: 5, monitorInterval: 60, monitor: true, trust: trust, dnsServer: dnsServer)
        {
            try SetupCommand.runWizard(service: service, theme: theme, ascii: ascii, trust: trust, dnsServer: dnsServer, discoveryTimeout: discoveryTimeout)
        }
    }
}
