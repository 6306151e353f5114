import ArgumentParser
import Foundation
import SIPCore
import TrunkCore

/// `siptrunk parse-destination TEXT [--json]`: the wizard's Step 2 check, and `POST /v1/sip/parse-destination`.
struct ParseDestinationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse-destination",
        abstract: "Check a SIP server address and show its host, port and transport.",
        discussion: """
            Accepts sip:user@host:5061;transport=tls, sips:host, tls://host, tcp://host:5080, udp://host, host, \
            host:port and [2001:db8::1]:5061. A missing port or transport is left for discovery to decide.
            Exit status: 0 accepted, 1 refused (the message says why), 2 usage error.
            """
    )

    @Argument(help: "The destination, e.g. sip:pbx.example.com:5061;transport=tls")
    var destination: String

    @Flag(help: "Print one JSON document (the API's field names) instead of text.")
    var json = false

    func run() throws {
        do {
            let parsed = try Destination(parsing: destination)
            if json {
                JSONOutput.success(DestinationView(parsed))
            } else {
                print("scheme     \(parsed.scheme)")
                print("user       \(parsed.user ?? "-")")
                print("host       \(parsed.host)")
                print("port       \(parsed.port.map(String.init) ?? "- (discovery decides)")")
                print("transport  \(parsed.transport?.rawValue ?? "- (discovery decides)")")
                print("uri        \(parsed.uri)")
            }
        } catch {
            if json {
                JSONOutput.failure("invalid_destination", error.message)
                throw CommandFailure.silent
            }
            throw CommandFailure.refused("cannot use '\(destination)' as a destination: \(error.message)")
        }
    }
}
