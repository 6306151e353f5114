import Foundation
import TUIKit
import Testing
import TrunkCore
import TrunkStore
@testable import TrunkTUI

/// Golden screens of every dashboard pane at 80×24 and 120×40 on the demo data set, at a fixed time.
@Suite(.serialized)
struct DashboardGoldenTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// The demo set is written once (a week of samples takes seconds) and copied for each test.
    static let template: Result<String, Error> = Result {
        let path = NSTemporaryDirectory() + "siptrunk-dashboard-template-\(UUID().uuidString).sqlite"
        let store = try TrunkDatabase(path: path)
        try Installation.prepare(store, host: Installation.HostFacts(hostName: "siptrunk.test", ipv4: ["192.0.2.1"], ipv6: []), now: now)
        _ = try DemoData.populate(store, now: now)
        let copy = path + ".copy"
        try store.backup(to: copy)
        return copy
    }

    static func screen(prepare: (SIPTrunkService) throws -> Void = { _ in }) throws -> DashboardScreen {
        let path = NSTemporaryDirectory() + "siptrunk-dashboard-\(UUID().uuidString).sqlite"
        try FileManager.default.copyItem(atPath: try template.get(), toPath: path)
        let store = try TrunkDatabase(path: path)
        let service = SIPTrunkService(store: store, now: { now })
        try prepare(service)
        return DashboardScreen(service: service, now: { now })
    }

    /// Issue 14: a test call that never sent a message (its socket could not be opened) shows why, not an empty ladder.
    @Test func aTestCallThatNeverStartedSaysWhy() throws {
        let screen = try Self.screen { service in
            try service.beginTestCall(callId: "tc-port-taken", number: "+14155550101")
            try service.abandonTestCall(callId: "tc-port-taken", reason: "cannot listen on 127.0.0.1:5060: Address already in use")
        }
        _ = screen.handle(.down)
        _ = screen.handle(.enter)
        _ = screen.handle(.character("2"))
        var frame = Frame(width: 120, height: 40)
        screen.render(into: &frame, tick: 0)
        #expect(frame.text.contains("tc-port-taken"), "\(frame.text)")
        // The newest call is selected: the one that failed.
        #expect(frame.text.contains("No SIP message was exchanged for this call. Why: cannot listen on 127.0.0.1:5060: Address already in use"), "\(frame.text)")
    }

    /// Issue 18: `P` opens the Porting view — each request with its status, the selected one's numbers and history —
    /// and Esc goes back. (Request ids are random, so the screen is checked by its text, not a golden file.)
    @Test func thePortingViewListsRequestsWithTheirHistory() throws {
        var requestId = ""
        let screen = try Self.screen { service in
            let document = try service.uploadPortDocument(Array("%PDF-1.4\n%bill\n".utf8), fileName: "bill.pdf")
            let request = PortInitiateRequest(
                phoneNumbers: ["+442079460000"],
                losingCarrierInformation: .init(
                    customerType: "personal", businessName: nil, firstName: "Ada", lastName: "Lovelace", accountNumber: "42",
                    authorizedRepresentativeEmail: "ada@example.com", notificationEmails: nil,
                    address: .init(street: "1 Main St", street2: nil, city: "London", state: "LDN", zip: "N1", country: "GB")),
                targetPortDate: "2027-01-26", documents: [document.documentSid], pin: nil)
            requestId = try service.initiatePort(request, timeZone: TimeZone(identifier: "UTC") ?? .current).portRequestId
            _ = try service.signPort(id: requestId, typedName: "Ada Lovelace", consent: true, from: "192.0.2.7", letterSHA256: String(repeating: "ab", count: 32))
            _ = try service.movePort(id: requestId, to: .inProgress, who: "operator", note: "carrier accepted")
        }
        _ = screen.handle(.character("P"))
        var frame = Frame(width: 120, height: 40)
        screen.render(into: &frame, tick: 0)
        let text = frame.text
        #expect(text.contains("Port requests") && text.contains(requestId) && text.contains("in_progress") && text.contains("2027-01-26"), "\(text)")
        #expect(text.contains("+442079460000 (in_progress)"), "\(text)")
        #expect(text.contains("waiting_for_signature → submitted by Ada Lovelace (representative)"), "\(text)")
        #expect(text.contains("submitted → in_progress by operator: carrier accepted"), "\(text)")
        #expect(text.contains("Esc Back"), "\(text)")
        _ = screen.handle(.escape)
        var back = Frame(width: 120, height: 40)
        screen.render(into: &back, tick: 0)
        #expect(back.text.contains("sorted by") && back.text.contains("P Porting"), "\(back.text)")
    }

    /// Issue 18: the port-request wizard's steps (golden), from the Porting view's "Port a number".
    @Test func thePortWizardStepByStep() throws {
        let bill = NSTemporaryDirectory() + "siptrunk-golden-bill.pdf"
        try Data("%PDF-1.4\n%bill\n".utf8).write(to: URL(fileURLWithPath: bill))
        let screen = try Self.screen()
        _ = screen.handle(.character("P"))
        _ = screen.handle(.character("n"))
        try snap(screen, "port-wizard-numbers")
        screen.paste("+442079460000\n+442079460001")
        _ = screen.handle(.enter)
        for value in ["Acme Widgets", "Ada", "Lovelace", "ada@acme.example", "ACME-42", "", "1 Main St", "London", "LDN", "N1 9GU", "GB"] {
            _ = screen.handle(.down)
            Self.type(value, into: screen)
        }
        try snap(screen, "port-wizard-details")
        _ = screen.handle(.enter)
        Self.type(bill, into: screen)
        _ = screen.handle(.enter)
        Self.type("Ada Lovelace", into: screen)
        try snap(screen, "port-wizard-sign")
    }

    func snap(_ screen: DashboardScreen, _ name: String) throws {
        for (width, height) in [(80, 24), (120, 40)] {
            var frame = Frame(width: width, height: height)
            screen.render(into: &frame, tick: 0)
            try WizardGoldenTests().check(frame, name: "dashboard-\(name)-\(width)x\(height)")
        }
    }

    @Test func everyPaneOnTheDemoData() throws {
        let screen = try Self.screen()
        try snap(screen, "overview")
        _ = screen.handle(.down)
        _ = screen.handle(.enter)
        try snap(screen, "health")
        _ = screen.handle(.character("2"))
        try snap(screen, "trace")
        _ = screen.handle(.enter)
        _ = screen.handle(.character("J"))  // the next message: the 100 Trying
        try snap(screen, "message")
        _ = screen.handle(.escape)
        _ = screen.handle(.character("3"))
        try snap(screen, "call-logs")
        _ = screen.handle(.character("4"))
        try snap(screen, "firewall")
        _ = screen.handle(.character("5"))
        try snap(screen, "configuration")
        for (key, name) in [("f", "failover"), ("o", "codecs"), ("a", "alerts")] {
            _ = screen.handle(.character(Character(key)))
            try snap(screen, "edit-\(name)")
            _ = screen.handle(.escape)
        }
    }

    /// Issue 15: the Alerts view (open first, the selected alert's history and deliveries), acknowledging with `a`;
    /// the Health tab of a number that failed over (the active endpoint, each endpoint's state), and `b` to send
    /// its calls back to the primary.
    @Test func alertsAndFailoverOnTheDemoData() throws {
        let screen = try Self.screen()
        _ = screen.handle(.character("A"))
        try snap(screen, "alerts")
        _ = screen.handle(.character("a"))
        var frame = Frame(width: 120, height: 40)
        screen.render(into: &frame, tick: 0)
        #expect(frame.text.contains("Acknowledged alr_demoglobexdown01"), "\(frame.text)")
        #expect(frame.text.contains("acknowledged") && frame.text.contains("siptrunk dashboard"))
        _ = screen.handle(.escape)
        // The 3CX number (+14155550111): failed over to its backup, failback manual.
        while screen.detail == nil {
            let shownNumber = screen.state.shown[screen.state.table.selected].phoneNumber
            if shownNumber == "+14155550111" && screen.state.shown[screen.state.table.selected].direction == "outbound" {
                _ = screen.handle(.enter)
            } else {
                _ = screen.handle(.down)
            }
        }
        try snap(screen, "health-failover")
        _ = screen.handle(.character("b"))
        frame = Frame(width: 120, height: 40)
        screen.render(into: &frame, tick: 0)
        #expect(frame.text.contains("calls go to the primary endpoint again"), "\(frame.text)")
        #expect(frame.text.contains("Calls go to     primary acme.3cx.example:5060/tcp"), "\(frame.text)")
        #expect(!frame.text.contains("b Use primary"), "the key goes once the calls are back")
    }

    /// Issue 14: the full message scrolls by line and page, to its ends, and J/K or the arrows move between messages.
    @Test func theFullMessageScrollsAndMovesBetweenMessages() throws {
        let screen = try Self.screen()
        _ = screen.handle(.down)
        _ = screen.handle(.enter)
        _ = screen.handle(.character("2"))
        _ = screen.handle(.enter)  // the INVITE with its SDP, at 80×24
        func shown() -> String {
            var frame = Frame(width: 80, height: 24)
            screen.render(into: &frame, tick: 0)
            return frame.text
        }
        let top = shown()
        #expect(top.contains("INVITE sip:") && top.contains("lines 1–"), "\(top)")
        #expect(!top.contains("a=sendrecv"))
        _ = screen.handle(.end)
        let bottom = shown()
        #expect(bottom.contains("a=sendrecv") && !bottom.contains("INVITE sip:+14155550101@pbx.acme.example:5061;transport=tls SIP/2.0"), "\(bottom)")
        _ = screen.handle(.character("g"))
        #expect(shown() == top)
        _ = screen.handle(.pageDown)
        let paged = shown()
        #expect(paged != top, "\(paged)")
        _ = screen.handle(.up)
        #expect(shown() != paged)
        _ = screen.handle(.character("J"))
        #expect(shown().contains("SIP/2.0 100 Trying"))
        _ = screen.handle(.left)
        #expect(shown() == top)
        _ = screen.handle(.escape)
        #expect(!shown().contains("lines 1–"))
    }

    /// Issue 14: a trace search keeps times relative to the call's first message and Esc drops it; call logs filter
    /// by code, class, status or direction; Enter on a call opens its ladder.
    @Test func searchesAndFiltersKeepTheirBearingsAndEscDropsThem() throws {
        let screen = try Self.screen()
        func shown() -> String {
            var frame = Frame(width: 120, height: 40)
            screen.render(into: &frame, tick: 0)
            return frame.text
        }
        _ = screen.handle(.down)
        _ = screen.handle(.enter)
        _ = screen.handle(.character("2"))
        let ladder = shown()
        _ = screen.handle(.character("/"))
        Self.type("BYE", into: screen)
        _ = screen.handle(.enter)  // keep the search
        let searched = shown()
        #expect(searched.contains("BYE") && !searched.contains("+0.0 ms  ") && searched.contains("of"), "\(searched)")
        _ = screen.handle(.escape)  // drops the search, stays on the number
        #expect(shown() == ladder)
        _ = screen.handle(.escape)  // now back to the overview
        #expect(shown().contains("sorted by"))

        // Call logs: 4xx keeps only 400-499 answers; Esc clears; Enter opens a traced call's ladder.
        _ = screen.handle(.enter)
        _ = screen.handle(.character("3"))
        _ = screen.handle(.character("/"))
        Self.type("4xx", into: screen)
        _ = screen.handle(.enter)
        let filtered = shown()
        #expect(filtered.contains("matching"), "\(filtered)")
        let rows = filtered.split(separator: "\n").filter { $0.contains("│ 2027-") }
        #expect(!rows.isEmpty && rows.allSatisfy { $0.contains(" 4") }, "\(filtered)")
        _ = screen.handle(.escape)
        #expect(!shown().contains("matching"))
        _ = screen.handle(.enter)
        let opened = shown()
        #expect(opened.contains("INVITE") || opened.contains("No SIP trace is stored"), "\(opened)")
    }

    static func type(_ text: String, into screen: DashboardScreen) {
        for character in text { _ = screen.handle(.character(character)) }
    }

    /// Opens the Configuration tab of the demo's outbound Asterisk number (the overview's second row).
    static func configurationTab() throws -> (DashboardScreen, SIPTrunkService) {
        let screen = try Self.screen()
        _ = screen.handle(.down)
        _ = screen.handle(.enter)
        _ = screen.handle(.character("5"))
        return (screen, screen.service)
    }

    @Test func failoverEditorSavesTheBackupsToTheDatabase() throws {
        let (screen, service) = try Self.configurationTab()
        _ = screen.handle(.character("f"))
        #expect(screen.state.editor?.form.focusedKey == "enabled")
        _ = screen.handle(.character(" "))
        _ = screen.handle(.down)
        Self.type("backup.acme.example", into: screen)
        _ = screen.handle(.down)
        Self.type("5061", into: screen)
        _ = screen.handle(.down)
        for _ in 0..<3 { _ = screen.handle(.right) }  // auto → udp → tcp → tls
        _ = screen.handle(.tab)
        Self.type("192.0.2.77", into: screen)
        _ = screen.handle(.enter)
        #expect(screen.state.editor == nil)
        #expect(screen.state.message?.text.hasPrefix("Saved failover") == true)

        let stored = try service.advancedConfig(number: "+14155550101", direction: "outbound").failoverConfig
        #expect(stored.enabled)
        #expect(stored.endpoints.map(\.priority) == [1, 2, 3])
        #expect(stored.endpoints[1] == .init(host: "backup.acme.example", port: 5061, transport: "tls", priority: 2))
        #expect(stored.endpoints[2] == .init(host: "192.0.2.77", port: nil, transport: nil, priority: 3))
        var frame = Frame(width: 100, height: 30)
        screen.render(into: &frame, tick: 0)
        #expect(frame.text.contains("secondary       backup.acme.example:5061 tls"))
    }

    @Test func codecEditorReordersWithPlusAndMinus() throws {
        let (screen, service) = try Self.configurationTab()
        _ = screen.handle(.character("o"))
        // PCMU, PCMA, Opus on; G.729, G.722 off. Take G.722 to the top and turn PCMU off.
        _ = screen.handle(.end)
        _ = screen.handle(.up)
        #expect(screen.state.editor?.form.focusedKey == "codec.G.722")
        _ = screen.handle(.character(" "))
        for _ in 0..<4 { _ = screen.handle(.character("+")) }
        #expect(screen.state.editor?.form.order(of: "codecs").first == "codec.G.722")
        _ = screen.handle(.down)
        _ = screen.handle(.character(" "))  // PCMU off
        _ = screen.handle(.function(2))
        let codecs = try service.advancedConfig(number: "+14155550101", direction: "outbound").codecConfig
        #expect(codecs.codecs == ["G.722", "PCMA", "Opus"])
    }

    @Test func alertEditorShowsEachRuleOnItsRowAndKeepsTheDatabase() throws {
        let (screen, service) = try Self.configurationTab()
        let before = try service.advancedConfig(number: "+14155550101", direction: "outbound")
        _ = screen.handle(.character("a"))
        _ = screen.handle(.character(" "))  // alerts on, no channel yet
        _ = screen.handle(.down)
        _ = screen.handle(.control("u"))
        Self.type("soon", into: screen)
        _ = screen.handle(.enter)
        // The form's own check: not a number.
        #expect(screen.state.editor?.form.fields.first { $0.key == "unreachable_minutes" }?.error?.contains("not a whole number") == true)
        _ = screen.handle(.control("u"))
        Self.type("5000", into: screen)
        _ = screen.handle(.enter)
        // The use case's rules, each on its row: the range, and the missing channel.
        let form = try #require(screen.state.editor?.form)
        #expect(form.fields.first { $0.key == "unreachable_minutes" }?.error == "5000 is outside 1–1440")
        #expect(form.fields.first { $0.key == "email" }?.error?.contains("at least one channel") == true)
        #expect(form.focusedKey == "unreachable_minutes")
        // The status line has the first problem whole (a row may cut it) and counts the rest, and the periodic
        // re-read leaves it there.
        #expect(screen.state.message?.text == "Not saved — Unreachable: 5000 is outside 1–1440 (and 1 more marked). Esc leaves without saving.")
        screen.reload()
        #expect(screen.state.message?.text.hasPrefix("Not saved") == true && screen.state.editor != nil)
        #expect(try service.advancedConfig(number: "+14155550101", direction: "outbound") == before)
        var frame = Frame(width: 120, height: 40)
        screen.render(into: &frame, tick: 0)
        #expect(frame.text.contains("5000 is outside 1–1440"))

        _ = screen.handle(.control("u"))
        Self.type("3", into: screen)
        for _ in 0..<4 { _ = screen.handle(.down) }
        #expect(screen.state.editor?.form.focusedKey == "email")
        screen.paste("noc@acme.example\n")
        _ = screen.handle(.enter)
        #expect(screen.state.editor == nil)
        let alerts = try service.advancedConfig(number: "+14155550101", direction: "outbound").alertConfig
        #expect(alerts.enabled && alerts.thresholds.unreachableMinutes == 3 && alerts.channels.email == "noc@acme.example")
    }

    @Test func failoverIsNotOfferedForInboundAndEscapeSavesNothing() throws {
        let screen = try Self.screen()
        let inbound = try #require(screen.state.shown.firstIndex { $0.direction == "inbound" })
        for _ in 0..<inbound { _ = screen.handle(.down) }
        _ = screen.handle(.enter)
        _ = screen.handle(.character("5"))
        _ = screen.handle(.character("f"))
        #expect(screen.state.editor == nil && screen.state.message?.text.contains("outbound direction") == true)
        _ = screen.handle(.character("o"))
        _ = screen.handle(.character(" "))
        _ = screen.handle(.escape)
        #expect(screen.state.editor == nil && screen.state.message?.text == "Not saved.")
        // Escape left the editor, not the number.
        #expect(screen.detail != nil)
    }

    @Test func pastingIntoTheOverviewRunsNoCommands() throws {
        let screen = try Self.screen()
        screen.paste("q\n")
        #expect(screen.detail == nil && !screen.state.showHelp)
        var frame = Frame(width: 80, height: 24)
        screen.render(into: &frame, tick: 0)
        #expect(frame.text.contains("SIP dashboard"))
    }

    @Test func ladderTimesSwitchBetweenRelativeAndWallClock() throws {
        let screen = try Self.screen()
        _ = screen.handle(.down)
        _ = screen.handle(.enter)
        _ = screen.handle(.character("2"))
        var frame = Frame(width: 120, height: 40)
        screen.render(into: &frame, tick: 0)
        #expect(frame.text.contains("+0.0 ms"))
        _ = screen.handle(.character("t"))
        frame = Frame(width: 120, height: 40)
        screen.render(into: &frame, tick: 0)
        #expect(!frame.text.contains("+0.0 ms"))
        // The demo call starts two hours before the fixed clock (08:00 UTC).
        #expect(frame.text.contains("06:00:00.000"))
    }

    @Test func filteringAndSortingKeepTheSelection() throws {
        let screen = try Self.screen()
        _ = screen.handle(.character("/"))
        for character in "3cx" { _ = screen.handle(.character(character)) }
        _ = screen.handle(.enter)
        var frame = Frame(width: 100, height: 30)
        screen.render(into: &frame, tick: 0)
        #expect(frame.text.contains("acme.3cx.example") && !frame.text.contains("pbx.acme.example"))
        _ = screen.handle(.character("s"))
        _ = screen.handle(.enter)
        #expect(screen.detail?.sipEndpoint?.contains("3cx") == true)
    }

    @Test func callLogPagesMoveByKeysetAndBack() throws {
        let screen = try Self.screen()
        _ = screen.handle(.down)
        _ = screen.handle(.enter)
        _ = screen.handle(.character("3"))
        let first = screen.state.logTable.rows.first
        _ = screen.handle(.character("n"))
        #expect(screen.state.cursors.count == 2 && screen.state.logTable.rows.first != first)
        _ = screen.handle(.character("p"))
        #expect(screen.state.logTable.rows.first == first)
    }

    @Test func searchNarrowsTheLadderAndCopySendsTheMessage() throws {
        let screen = try Self.screen()
        _ = screen.handle(.down)
        _ = screen.handle(.enter)
        _ = screen.handle(.character("2"))
        #expect(screen.state.trace.count == 7)
        _ = screen.handle(.character("/"))
        for character in "2xx" { _ = screen.handle(.character(character)) }
        _ = screen.handle(.enter)
        #expect(screen.state.trace.count == 2 && screen.state.fullTrace.count == 7)
        _ = screen.handle(.character("c"))
        #expect(screen.clipboardRequests.last?.hasPrefix("SIP/2.0 200 OK") == true)
        var frame = Frame(width: 100, height: 30)
        screen.render(into: &frame, tick: 0)
        #expect(frame.text.contains("2 of 7 messages"))
        _ = screen.handle(.character("4"))
        _ = screen.handle(.character("c"))
        #expect(screen.clipboardRequests.last?.contains("RTP UDP") == true)
    }
}
