import Foundation
import Testing

/// `siptrunk trace export`: a stored trace as pcap that tshark reads message by message, and as Markdown.
struct TraceExportTests {
    @Test func aCallsPcapOpensInTsharkWithEveryMessage() throws {
        let directory = NSTemporaryDirectory() + "siptrunk-export-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let database = directory + "/db.sqlite"
        _ = try TestProcess.siptrunk(["demo", "--db", database])
        let callId = "a84b4c76e66710-demo@sbc.demo.example"
        let export = try TestProcess.siptrunk(["trace", "export", callId, "--format", "pcap", "--output", directory + "/call.pcap", "--db", database])
        #expect(export.status == 0, "\(export.output)")
        let tshark = try TestProcess.run("/usr/bin/tshark", ["-r", directory + "/call.pcap", "-d", "udp.port==5061,sip", "-T", "fields", "-e", "sip.Method", "-e", "sip.Status-Code"])
        // (tshark warns on stderr when run as root; only its field lines count.)
        let lines = tshark.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.contains(" ") }
        #expect(lines == ["INVITE", "100", "180", "200", "ACK", "BYE", "200"], "\(tshark.output)")

        let markdown = try TestProcess.siptrunk(["trace", "export", callId, "--format", "markdown", "--db", database])
        #expect(markdown.output.contains("```mermaid") && markdown.output.contains("sequenceDiagram"))
        #expect(markdown.output.contains("->>") && markdown.output.contains("SIP/2.0 180 Ringing"))
        let missing = try TestProcess.siptrunk(["trace", "export", "nope", "--db", database])
        #expect(missing.status == 1)
    }
}
