import ArgumentParser
import Foundation
import TrunkCore

/// `siptrunk trace export CALL_ID`: a stored call's SIP trace as text, Markdown with Mermaid, or pcap.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Export a stored SIP trace (a test call's) as text, Markdown with a Mermaid diagram, or pcap.",
        subcommands: [Export.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write one call's trace: text, markdown or pcap (Wireshark, tshark).")

        @Argument(help: "The call's Call-ID (siptrunk test-call prints it; the dashboard lists them).") var callId: String
        @Option(help: "text, markdown or pcap.") var format: String = "text"
        @Option(help: ArgumentHelp("Write to this file instead of standard output (pcap needs one).", valueName: "path")) var output: String?
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard ["text", "markdown", "pcap"].contains(format) else { throw ValidationError("--format must be text, markdown or pcap") }
            if format == "pcap", output == nil { throw ValidationError("pcap is binary: give --output FILE") }
        }

        func run() throws {
            let service = try store.service()
            guard let stored = try runUseCase(json: false, { try service.testCall(callId: callId) }) else {
                throw CommandFailure.refused("no stored call with Call-ID '\(callId)': siptrunk dashboard lists them")
            }
            let bytes: [UInt8]
            switch format {
            case "pcap": bytes = TraceExport.pcap(stored.trace)
            case "markdown": bytes = Array(TraceExport.markdown(stored.trace, title: "SIP trace of \(callId)").utf8)
            default: bytes = Array(TraceExport.text(stored.trace).utf8)
            }
            if let output {
                do {
                    try Data(bytes).write(to: URL(fileURLWithPath: output))
                } catch {
                    throw CommandFailure.refused("cannot write \(output): \(error.localizedDescription)")
                }
                print("wrote \(stored.trace.count) messages to \(output)")
            } else {
                FileHandle.standardOutput.write(Data(bytes))
            }
        }
    }
}
