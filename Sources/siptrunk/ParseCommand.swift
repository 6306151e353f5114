import ArgumentParser
import Foundation
import SIPCore
import TrunkCore
import TrunkStore

/// `siptrunk parse [FILE|-] [--json]`: decode one SIP message, like sngrep's raw view, and check it.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Decode one SIP message from a file or standard input and check it.",
        discussion: """
            Prints the start line, the typed headers (Via hops, From, To, Call-ID, CSeq, Contact, ...), every header \
            as received, the body, and any problem a SIP server would reject the message for.
            Exit status: 0 the message is valid; 1 it cannot be parsed or breaks a rule (the error names the header \
            and byte offset); 2 usage error (for example the file does not exist).
            """
    )

    @Argument(help: "File holding the message; '-' or nothing reads standard input.")
    var file: String?

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func run() throws {
        let bytes = try readInput()
        let parser = SIPMessageParser()
        let message: SIPMessage
        do {
            message = try parser.parse(datagram: bytes)
        } catch {
            if json {
                JSONOutput.print(
                    Envelope<ParsedMessage>(
                        data: nil,
                        errors: [.init(error: "malformed_message", message: error.description)]))
                throw CommandFailure.silent
            }
            throw CommandFailure.refused("not a valid SIP message: \(error.location) at byte \(error.offset): \(error.reason)")
        }
        let problems = message.validate()
        if json {
            let errors = problems.map { Envelope<ParsedMessage>.ErrorItem(error: "invalid_message", message: $0.description) }
            JSONOutput.print(Envelope(data: ParsedMessage(message, problems: problems), errors: errors.isEmpty ? nil : errors))
        } else {
            print(MessageReport(message: message, problems: problems).text, terminator: "")
        }
        if !problems.isEmpty { throw CommandFailure.silent }
    }

    func readInput() throws -> [UInt8] {
        let limit = SIPParserLimits().maxMessageBytes
        // Read at most one byte past the limit, so a huge input is refused without being held in memory; a
        // directory or a device is refused with a sentence (it trapped in Foundation's FileHandle, issue 19).
        let bytes: [UInt8]
        do {
            if let file, file != "-" {
                bytes = try PrivateFile.read(file, limit: limit)
            } else {
                bytes = try PrivateFile.readAll(STDIN_FILENO, limit: limit, name: "standard input")
            }
        } catch {
            if error.description.contains("byte limit") { throw CommandFailure.refused("\(error) for one SIP message") }
            throw CommandFailure.usage("\(error)")
        }
        if bytes.isEmpty { throw CommandFailure.refused("the input is empty: there is no SIP message to parse") }
        return bytes
    }
}
