import Foundation
import Testing

/// Number porting on the command line (issue 18): check, documents, a request refused field by field and accepted,
/// the Letter of Authorization (its text read back with pdftotext), signing in the terminal, the lifecycle's rules.
struct PortCLITests {
    static func database() throws -> String {
        let directory = NSTemporaryDirectory() + "siptrunk-port-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory + "/siptrunk.sqlite"
    }

    static func json(_ run: CLITests.Run) -> [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any])?["data"] as? [String: Any] ?? [:]
    }

    @Test func aPortFromCheckToSignedAndItsLetter() throws {
        let database = try Self.database()
        let directory = (database as NSString).deletingLastPathComponent
        let check = try CLITests.run(["port", "check", "+442079460000", "+1415555", "--db", database])
        #expect(check.status == 1 && check.stdout.contains("portable") && check.stdout.contains("not portable"), "\(check.stdout)")

        // Documents by their bytes: an empty file and an executable named .pdf are refused; a PDF is kept 0600.
        try Data().write(to: URL(fileURLWithPath: directory + "/empty.pdf"))
        #expect(try CLITests.run(["port", "document", directory + "/empty.pdf", "--db", database]).stderr.contains("file: is empty"))
        try FileManager.default.copyItem(atPath: "/bin/true", toPath: directory + "/true.pdf")
        #expect(try CLITests.run(["port", "document", directory + "/true.pdf", "--db", database]).stderr.contains("an ELF executable"))
        try Data("%PDF-1.4\n%a phone bill\n".utf8).write(to: URL(fileURLWithPath: directory + "/bill.pdf"))
        let uploaded = try CLITests.run(["port", "document", directory + "/bill.pdf", "--db", database, "--json"])
        let sid = try #require(Self.json(uploaded)["document_sid"] as? String)
        let sha = try #require(Self.json(uploaded)["sha256"] as? String)
        let kept = try FileManager.default.attributesOfItem(atPath: directory + "/siptrunk-documents/" + sha)
        #expect((kept[.posixPermissions] as? Int) == 0o600)

        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        func request(date: Date, email: String = "ada@example.com", numbers: String = "\"+442079460000\"") -> String {
            """
            {"phone_numbers":[\(numbers)],"target_port_date":"\(formatter.string(from: date))","documents":["\(sid)"],
             "losing_carrier_information":{"customer_type":"personal","first_name":"Ada","last_name":"Lovelace","account_number":"42",
             "authorized_representative_email":"\(email)","address":{"street":"1 Main St","city":"London","state":"LDN","zip":"N1","country":"GB"}}}
            """
        }
        let bad = try CLITests.run(
            ["port", "initiate", "--request", "-", "--db", database],
            stdin: Array(request(date: Date().addingTimeInterval(6 * 86_400), email: "nope", numbers: "\"+442079460000\",\"+442079460000\"").utf8))
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("target_port_date") && bad.stderr.contains("authorized_representative_email") && bad.stderr.contains("given twice"), "\(bad.stderr)")
        let good = try CLITests.run(["port", "initiate", "--request", "-", "--db", database, "--json"], stdin: Array(request(date: Date().addingTimeInterval(9 * 86_400)).utf8))
        let id = try #require(Self.json(good)["port_request_id"] as? String, "\(good.stderr)")

        let letter = directory + "/loa.pdf"
        #expect(try CLITests.run(["port", "loa", id, "--output", letter, "--db", database]).status == 0)
        let text = try CLITests.runProgram("/usr/bin/pdftotext", [letter, "-"])
        #expect(text.stdout.contains("Letter of Authorization") && text.stdout.contains("+442079460000") && text.stdout.contains("Ada Lovelace")
            && text.stdout.contains("Account number: 42") && text.stdout.contains("1 Main St"), "\(text.stdout)")

        #expect(try CLITests.run(["port", "status", id, "--set", "completed", "--db", database]).stderr.contains("cannot become completed"))
        #expect(try CLITests.run(["port", "sign", id, "--name", "Ada Lovelace", "--db", database]).stderr.contains("must agree"))
        let signed = try CLITests.run(["port", "sign", id, "--name", "Ada Lovelace", "--i-agree", "--db", database])
        #expect(signed.status == 0 && signed.stdout.contains("submitted"), "\(signed.stderr)")
        #expect(try CLITests.run(["port", "sign", id, "--name", "Ada Lovelace", "--i-agree", "--db", database]).stderr.contains("signed already"))
        #expect(try CLITests.run(["port", "status", id, "--set", "in_progress", "--foc-date", "2031-01-02", "--db", database]).stdout.contains("FOC 2031-01-02"))
        #expect(try CLITests.run(["port", "status", id, "--set", "failed", "--db", database]).stderr.contains("say why"))
        let done = try CLITests.run(["port", "status", id, "--set", "completed", "--db", database])
        #expect(done.stdout.contains("completed") && done.stdout.contains("(ported)"))
        #expect(try CLITests.run(["port", "cancel", id, "--db", database]).stderr.contains("it has ended"))
        let shown = try CLITests.run(["port", "show", id, "--db", database])
        #expect(shown.stdout.contains("waiting_for_signature → submitted") && shown.stdout.contains("in_progress → completed  by operator"))
    }
}

/// Theme files (issue 13: loaded by TUICurses, not the executable): an unknown name or a broken file is a usage
/// error naming it, before the terminal is touched.
struct ThemeFileTests {
    @Test func anUnknownOrBrokenThemeIsRefusedByName() throws {
        let database = NSTemporaryDirectory() + "siptrunk-theme-\(UUID().uuidString).sqlite"
        #expect(try CLITests.run(["demo", "--db", database]).status == 0)
        let unknown = try CLITests.run(["dashboard", "--theme", "no-such-theme", "--db", database])
        #expect(unknown.status == 2 && unknown.stderr.contains("no theme 'no-such-theme'") && unknown.stderr.contains("high-contrast"), "\(unknown.stderr)")
        let broken = NSTemporaryDirectory() + "siptrunk-broken-\(UUID().uuidString).theme"
        try "text = bold purple-ish\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let refused = try CLITests.run(["dashboard", "--theme", broken, "--db", database])
        #expect(refused.status == 2 && refused.stderr.contains("theme \(broken)"), "\(refused.stderr)")
    }
}
