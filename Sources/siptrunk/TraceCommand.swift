import ArgumentParser
import Foundation
import TrunkCore
import TrunkStore

/// `siptrunk trace export CALL_ID`: a stored call's SIP trace as text, Markdown with Mermaid, or pcap.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Export a stored SIP trace as text, Markdown with a Mermaid diagram, or pcap; import a pcap file.",
        subcommands: [Export.self, Import.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write one call's trace: text, markdown or pcap (Wireshark, tshark).")

        @Argument(help: "The call's Call-ID (siptrunk test-call prints it; the dashboard lists them).") var callId: String
        @Option(help: "text, markdown or pcap.") var format: String = "text"
        @Option(help: ArgumentHelp("Write to this file (created 0600), or - for standard output. pcap needs one.", valueName: "path")) var output: String?
        @Flag(help: "Replace an existing --output file.") var force = false
        @Flag(help: "Keep digest responses in Authorization headers (redacted by default: they can be cracked offline).") var includeCredentials = false
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard ["text", "markdown", "pcap"].contains(format) else { throw ValidationError("--format must be text, markdown or pcap") }
            if format == "pcap", output == nil { throw ValidationError("pcap is binary: give --output FILE, or --output - to write it to a pipe") }
        }

        func run() throws {
            let service = try store.service(.readOnly)
            // A test call's record names its trace's Call-ID; a captured call's is its Call-ID.
            let stored = try runUseCase(json: false) { try service.testCall(callId: callId)?.trace ?? service.trace(callId: callId) }
            guard !stored.isEmpty else {
                throw CommandFailure.refused("no stored call with Call-ID '\(callId)': siptrunk calls list and the dashboard list them")
            }
            let trace = includeCredentials ? stored : TraceExport.redactingCredentials(stored)
            let bytes: [UInt8]
            switch format {
            case "pcap": bytes = TraceExport.pcap(trace)
            case "markdown": bytes = Array(TraceExport.markdown(trace, title: "SIP trace of \(callId)").utf8)
            default: bytes = Array(TraceExport.text(trace).utf8)
            }
            guard let output, output != "-" else {
                if format == "pcap" {
                    guard isatty(STDOUT_FILENO) == 0 else { throw CommandFailure.usage("pcap is binary: redirect standard output to a file or a pipe (siptrunk trace export ... --output - | tshark -r -)") }
                    TerminalOutput.binary(bytes)
                } else {
                    TerminalOutput.standardOutput(String(decoding: bytes, as: UTF8.self))
                }
                return
            }
            do {
                try PrivateFile.write(bytes, to: output, replacing: force)
            } catch {
                throw CommandFailure.refused("\(error)")
            }
            print("wrote \(trace.count) messages to \(output)\(includeCredentials ? "" : " (digest responses redacted; --include-credentials keeps them)")")
        }
    }
}
