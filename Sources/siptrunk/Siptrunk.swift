import ArgumentParser
import Foundation
import TrunkRuntime

/// `siptrunk`: connect a SIP trunk and keep it healthy.
struct Siptrunk: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "siptrunk",
        abstract: "Connect a SIP trunk and keep it healthy, from a terminal or over SSH.",
        discussion: """
            Without a command: the dashboard when trunks exist (a sets up another with the wizard), else the set-up \
            wizard (siptrunk setup). Each step of trunk setup also has a \
            command with --json output using the /v1/sip API's field names.
            Exit status: 0 success, 1 the input or the peer was refused (the message says why), 2 usage error.
            """,
        subcommands: [
            HomeCommand.self, SetupCommand.self, DashboardCommand.self, ParseCommand.self, ParseDestinationCommand.self, ProbeCommand.self, DiscoverCommand.self, TestCallCommand.self, RegisterCommand.self, MonitorCommand.self, CaptureCommand.self, CallsCommand.self, TraceCommand.self, TrunksCommand.self, NumbersCommand.self, FirewallCommand.self,
            ProfileCommand.self, ConfigCommand.self, FailoverCommand.self, AlertsCommand.self, OutboundSetupCommand.self, OrgCommand.self, PortCommand.self, ServeCommand.self, APIKeyCommand.self, DemoCommand.self,
        ],
        defaultSubcommand: HomeCommand.self
    )
}

@main
enum Main {
    static func main() {
        do {
            var command = try Siptrunk.parseAsRoot()
            try command.run()
        } catch let error as RuntimeError {
            printError("siptrunk: \(error.message)")
            exit(error.kind == .usage ? 2 : 1)
        } catch let failure as CommandFailure {
            if !failure.message.isEmpty {
                printError("siptrunk: \(failure.message)")
            }
            exit(failure.exitCode)
        } catch {
            let code = Siptrunk.exitCode(for: error)
            if code == .success {
                Siptrunk.exit(withError: error)
            }
            // Usage errors (unknown option, missing argument, bad value) exit 2 like other Unix tools.
            let message = Siptrunk.fullMessage(for: error)
            if !message.isEmpty { printError(message) }
            exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// An error the command already explained; `message` goes to stderr.
struct CommandFailure: Error {
    var message: String
    var exitCode: Int32

    /// The input was read but refused (exit 1).
    static func refused(_ message: String) -> CommandFailure { CommandFailure(message: message, exitCode: 1) }
    /// The command was used wrongly: a missing file, conflicting options (exit 2).
    static func usage(_ message: String) -> CommandFailure { CommandFailure(message: message, exitCode: 2) }
    /// Already reported (for example as JSON on stdout); exit 1 without another message.
    static let silent = CommandFailure(message: "", exitCode: 1)
}
