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

    static func screen() throws -> DashboardScreen {
        let path = NSTemporaryDirectory() + "siptrunk-dashboard-\(UUID().uuidString).sqlite"
        let store = try TrunkDatabase(path: path)
        try Installation.prepare(store, host: Installation.HostFacts(hostName: "siptrunk.test", ipv4: ["192.0.2.1"], ipv6: []), now: now)
        _ = try DemoData.populate(store, now: now)
        let service = SIPTrunkService(store: store, now: { now })
        return DashboardScreen(service: service, now: { now })
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
        _ = screen.handle(.down)
        try snap(screen, "message")
        _ = screen.handle(.escape)
        _ = screen.handle(.character("3"))
        try snap(screen, "call-logs")
        _ = screen.handle(.character("4"))
        try snap(screen, "firewall")
        _ = screen.handle(.character("5"))
        try snap(screen, "configuration")
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
        let first = screen.logTable.rows.first
        _ = screen.handle(.character("n"))
        #expect(screen.cursors.count == 2 && screen.logTable.rows.first != first)
        _ = screen.handle(.character("p"))
        #expect(screen.logTable.rows.first == first)
    }

    @Test func searchNarrowsTheLadderAndCopySendsTheMessage() throws {
        let screen = try Self.screen()
        _ = screen.handle(.down)
        _ = screen.handle(.enter)
        _ = screen.handle(.character("2"))
        #expect(screen.trace.count == 7)
        _ = screen.handle(.character("/"))
        for character in "2xx" { _ = screen.handle(.character(character)) }
        _ = screen.handle(.enter)
        #expect(screen.trace.count == 2 && screen.fullTrace.count == 7)
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
