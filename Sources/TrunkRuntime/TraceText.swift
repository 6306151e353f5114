import Foundation
import SIPCore
import SIPEngine

/// A plain-text SIP ladder of a trace: one line per message, arrows between us and the far end.
public enum TraceText {
    public static func ladder(_ trace: [TraceEntry]) -> String {
        guard let first = trace.first else { return "(no SIP messages)" }
        var lines: [String] = []
        let us = first.local.description
        let them = first.remote.description
        lines.append("time ms".padding(toLength: 11, withPad: " ", startingAt: 0) + us.padding(toLength: 30, withPad: " ", startingAt: 0) + them)
        for entry in trace {
            let elapsed = entry.monotonic - first.monotonic
            let ms = elapsed.inMilliseconds
            let label = Self.label(entry.raw)
            let arrow = entry.direction == .sent ? "──── \(label) ───▶" : "◀─── \(label) ────"
            lines.append(String(format: "%9.1f  %@%@", ms, arrow, entry.dropReason.map { "  (\($0))" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }

    /// One message as a live line: time, direction arrow, what it is.
    public static func line(_ entry: TraceEntry, elapsed: Double) -> String {
        let label = Self.label(entry.raw)
        let arrow = entry.direction == .sent ? "──── \(label) ───▶ \(entry.remote)" : "◀─── \(label) ──── \(entry.remote)"
        return String(format: "%9.1f ms  ", elapsed) + arrow + (entry.dropReason.map { "  (\($0))" } ?? "")
    }

    /// The message's start-line label, escaped: it came from the network.
    static func label(_ raw: [UInt8]) -> String {
        TerminalSafeText.escaped(StartLineLabel(raw).text)
    }
}
