import Foundation
import SIPCore

/// Everything this executable writes to standard output and standard error goes through here.
///
/// Text is passed through `TerminalSafeText` (controls and bidi overrides shown escaped), because much of it came
/// from outside: SIP peers, certificates, files and the database. JSON keeps its exact data (`jsonEscaped`). Writes
/// are plain `write(2)` calls that retry on EINTR and give up quietly on a closed pipe, instead of Foundation's
/// `FileHandle.write(_:)`, which traps on any error.
enum TerminalOutput {
    static func standardOutput(_ text: String) {
        write(Array(TerminalSafeText.escaped(text).utf8), to: STDOUT_FILENO)
    }

    static func standardError(_ text: String) {
        write(Array(TerminalSafeText.escaped(text).utf8), to: STDERR_FILENO)
    }

    /// Encoded JSON, escaped only where JSON allows it.
    static func json(_ text: String) {
        write(Array(TerminalSafeText.jsonEscaped(text).utf8), to: STDOUT_FILENO)
    }

    /// Bytes that are not text for a terminal (a pcap file written to a pipe).
    static func binary(_ bytes: [UInt8]) {
        write(bytes, to: STDOUT_FILENO)
    }

    private static func write(_ bytes: [UInt8], to descriptor: Int32) {
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            while offset < buffer.count {
                let written = Glibc.write(descriptor, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // EPIPE (reader gone), EBADF: nothing more can be said
                }
                offset += written
            }
        }
    }
}

/// `print` for this executable writes each line straight to standard output, so live progress (probe
/// attempts, discovery, call events) reaches a pipe or `tee` as it happens, not when a buffer fills; the text is
/// made terminal-safe.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    TerminalOutput.standardOutput(items.map { "\($0)" }.joined(separator: separator) + terminator)
}

/// A line on standard error, made terminal-safe.
func printError(_ text: String) {
    TerminalOutput.standardError(text.hasSuffix("\n") ? text : text + "\n")
}
