import Foundation
import TUIKit
import Testing
import TrunkCore
import TrunkStore
@testable import TrunkTUI

/// A network that answers at once with fixed progress, so the live steps draw the same every time.
final class ScriptedNetwork: SetupNetwork, @unchecked Sendable {
    var discovered: [String] = []

    func discover(_ destination: String, progress: @escaping @Sendable (DiscoveryProgress) -> Void) {
        discovered.append(destination)
        progress(.dns("SRV   _sip._tcp.pbx.example.com 10 5 5060 pbx.example.com"))
        progress(.dns("A/AAAA pbx.example.com → 203.0.113.10"))
        progress(.attempt("UDP 203.0.113.10:5060  200 OK  12.1 ms  Asterisk PBX 20.5", answered: true))
        progress(.attempt("TCP 203.0.113.10:5060  200 OK  13.4 ms  Asterisk PBX 20.5", answered: true))
        progress(.attempt("TLS 203.0.113.10:5061  refused: nothing listens on 5061", answered: false))
        var report = DiscoveryReport.sample
        report.recommended?.reason = "TCP answered 200 OK on the standard port; TLS did not answer."
        progress(.finished(report))
    }

    func testCall(number: String, destination: String, transport: String?, progress: @escaping @Sendable (TestCallProgress) -> Void) {
        progress(.message(sent: true, summary: "INVITE sip:\(number)@pbx.example.com SIP/2.0", elapsedMs: 0))
        progress(.message(sent: false, summary: "SIP/2.0 100 Trying", elapsedMs: 0.4))
        progress(.message(sent: false, summary: "SIP/2.0 180 Ringing", elapsedMs: 0.9))
        progress(.message(sent: false, summary: "SIP/2.0 200 OK", elapsedMs: 1.2))
        progress(.message(sent: true, summary: "ACK sip:\(number)@203.0.113.10 SIP/2.0", elapsedMs: 1.3))
        progress(.media(sent: 250, received: 248))
        progress(.message(sent: true, summary: "BYE sip:\(number)@203.0.113.10 SIP/2.0", elapsedMs: 5001))
        progress(.message(sent: false, summary: "SIP/2.0 200 OK", elapsedMs: 5002))
        let json = """
            {"call_id":"golden-call","phone_number":"\(number)","status":"completed","result":"connected","sip_code":200,
             "duration_seconds":5.0,"setup_ms":1.2,"timeline":[],
             "media":{"verdict":"both_ways","summary":"audio both ways (250 RTP packets sent, 248 received, our tone echoed back)",
             "codec":"PCMU","packets_sent":250,"packets_received":248,"echoed":true,"loss_percent":0,"jitter_ms":0.4,"srtp":false}}
            """
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        progress(.finished(try! decoder.decode(TestCallReport.self, from: Data(json.utf8))))
    }

    var listened: [String] = []

    /// The PBX calls in: INVITE received, answered, its ACK, our BYE.
    func inboundTestCall(number: String, listen: String, progress: @escaping @Sendable (TestCallProgress) -> Void) {
        listened.append(listen)
        progress(.message(sent: false, summary: "INVITE sip:\(number)@203.0.113.1 SIP/2.0", elapsedMs: 0))
        progress(.message(sent: true, summary: "SIP/2.0 100 Trying", elapsedMs: 0.2))
        progress(.message(sent: true, summary: "SIP/2.0 200 OK", elapsedMs: 0.5))
        progress(.message(sent: false, summary: "ACK sip:\(number)@203.0.113.1 SIP/2.0", elapsedMs: 1.1))
        progress(.media(sent: 250, received: 249))
        progress(.message(sent: true, summary: "BYE sip:pbx@203.0.113.10 SIP/2.0", elapsedMs: 5001))
        progress(.message(sent: false, summary: "SIP/2.0 200 OK", elapsedMs: 5002))
        let json = """
            {"call_id":"inbound-golden","phone_number":"\(number)","status":"completed","result":"connected","sip_code":200,
             "duration_seconds":5.0,"timeline":[],
             "media":{"verdict":"both_ways","summary":"audio both ways (250 RTP packets sent, 249 received, our tone echoed back)",
             "codec":"PCMU","packets_sent":250,"packets_received":249,"echoed":true,"loss_percent":0,"jitter_ms":0.3,"srtp":false}}
            """
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        progress(.finished(try! decoder.decode(TestCallReport.self, from: Data(json.utf8))))
    }
}

extension DiscoveryReport {
    static var sample: DiscoveryReport {
        let json = """
            {"discovery_id":"disc_test","status":"completed","host":"pbx.example.com","resolved_addresses":["203.0.113.10"],
             "srv_records":[],"naptr_records":[],"attempts":[],
             "recommended":{"address":"203.0.113.10","port":5060,"transport":"tcp","detected_system":"Asterisk","confidence":0.9,
             "evidence":"Server: Asterisk PBX 20.5","reason":"","codecs":["PCMU","PCMA"],"methods":["INVITE","ACK","BYE"]},
             "started_at":"2026-11-26T10:00:00Z","completed_at":"2026-11-26T10:00:01Z"}
            """
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return try! decoder.decode(DiscoveryReport.self, from: Data(json.utf8))
    }
}

/// Golden screens of every wizard step at 80×24, 120×40 and a too-small size: the frame's text and its roles.
/// Re-record with SIPTRUNK_RECORD_GOLDEN=1 swift test --filter WizardGoldenTests.
@Suite(.serialized)
struct WizardGoldenTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let recording = ProcessInfo.processInfo.environment["SIPTRUNK_RECORD_GOLDEN"] == "1"

    static func service() throws -> SIPTrunkService {
        let path = NSTemporaryDirectory() + "siptrunk-golden-\(UUID().uuidString).sqlite"
        let store = try TrunkDatabase(path: path)
        try Installation.prepare(store, host: Installation.HostFacts(hostName: "siptrunk.test", ipv4: ["192.0.2.1"], ipv6: []), now: Date(timeIntervalSince1970: 1_800_000_000))
        return SIPTrunkService(store: store)
    }

    func check(_ frame: Frame, name: String) throws {
        let text = frame.text + "\n--- roles ---\n" + frame.roleRuns + "\n"
        let file = Self.golden.appendingPathComponent(name + ".txt")
        if Self.recording {
            try FileManager.default.createDirectory(at: Self.golden, withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(text == expected, "\(name) differs from its golden file; the screen now:\n\(frame.text)")
    }

    static let sizes = [(80, 24), (120, 40)]

    func render(_ screen: WizardScreen, width: Int, height: Int) -> Frame {
        var frame = Frame(width: width, height: height)
        if width < screen.minimumSize.width || height < screen.minimumSize.height {
            TooSmall.draw(into: &frame, minimum: screen.minimumSize)
        } else {
            screen.render(into: &frame, tick: 0)
        }
        return frame
    }

    @Test func everyStepAtEachSize() throws {
        let service = try Self.service()
        let screen = WizardScreen(service: service, network: ScriptedNetwork(), firewallFile: "siptrunk-firewall.txt", newDraft: SetupDraft(trunkId: "trunk_golden")) { $0() }
        func snap() throws {
            let step = screen.draft.step
            for (width, height) in Self.sizes {
                try check(render(screen, width: width, height: height), name: "step\(step.rawValue)-\(step.title.lowercased().replacingOccurrences(of: " ", with: "-"))-\(width)x\(height)")
            }
        }
        func press(_ keys: Key...) { for key in keys { _ = screen.handle(key) } }
        func type(_ text: String) { for character in text { _ = screen.handle(.character(character)) } }

        try snap()                       // 1 Direction
        press(.enter)
        type("pbx.example.com")
        try snap()                       // 2 Destination, parsed as typed
        press(.enter)
        try snap()                       // 3 Discovery with the recommendation
        press(.enter)
        try snap()                       // 4 Firewall
        press(.enter, .down)
        try snap()                       // 5 Authentication, registration highlighted
        press(.up, .enter)
        type("+14155550100")
        press(.character(","))
        type("+1415")
        try snap()                       // 6 Numbers, one valid, one being typed (invalid)
        press(.backspace, .backspace, .backspace, .backspace, .backspace)
        press(.function(5))              // attach (Enter only adds to the list)
        press(.enter)
        press(.function(5))
        try snap()                       // 7 Test call, ladder filled
        press(.enter)
        try snap()                       // 8 Complete
        // Too small: the same screen asks for a bigger window.
        try check(render(screen, width: 50, height: 12), name: "too-small-50x12")
    }

    @Test func aBadDestinationSaysWhatIsWrongAndStays() throws {
        let screen = WizardScreen(service: try Self.service(), network: ScriptedNetwork(), newDraft: SetupDraft(trunkId: "trunk_golden")) { $0() }
        _ = screen.handle(.enter)
        for character in "pbx example" { _ = screen.handle(.character(character)) }
        _ = screen.handle(.enter)
        #expect(screen.draft.step == .destination)
        let frame = render(screen, width: 80, height: 24)
        #expect(frame.text.contains("Destination:"))
        #expect(frame.roleRuns.contains("status.failed"))
    }

    @Test func aChangedDestinationIsDiscoveredAgainAndTheSameOneIsNot() throws {
        let network = ScriptedNetwork()
        let screen = WizardScreen(service: try Self.service(), network: network, newDraft: SetupDraft(trunkId: "trunk_golden")) { $0() }
        _ = screen.handle(.enter)
        for character in "pbx.example.com" { _ = screen.handle(.character(character)) }
        _ = screen.handle(.enter)
        _ = screen.handle(.escape)
        _ = screen.handle(.enter)  // the same destination: the results stand
        #expect(network.discovered == ["pbx.example.com"])
        _ = screen.handle(.escape)
        for _ in 0..<11 { _ = screen.handle(.backspace) }
        for character in "sbc.example.net" { _ = screen.handle(.character(character)) }
        _ = screen.handle(.enter)
        #expect(network.discovered == ["pbx.example.com", "pbx.sbc.example.net"])
    }

    /// Issue 14: an override chosen for one destination does not carry over to another.
    @Test func anOverrideIsResetWhenTheDestinationChanges() throws {
        let network = ScriptedNetwork()
        let screen = WizardScreen(service: try Self.service(), network: network, newDraft: SetupDraft(trunkId: "trunk_golden")) { $0() }
        _ = screen.handle(.enter)
        for character in "pbx.example.com" { _ = screen.handle(.character(character)) }
        _ = screen.handle(.enter)
        _ = screen.handle(.down)  // override: UDP
        #expect(screen.flow.overrideList.highlighted == 1)
        _ = screen.handle(.escape)
        for character in ":5080" { _ = screen.handle(.character(character)) }
        _ = screen.handle(.enter)
        #expect(screen.draft.step == .discovery && screen.flow.overrideList.highlighted == 0)
        #expect(screen.draft.port == 5080, "the typed port is kept in the draft")
    }

    /// Issue 14: in Step 6 Enter adds to the list and only F5 attaches; a pasted list never attaches; the 101st
    /// number is refused with a message; a selected number can be removed, and with the invalid ones gone so is the
    /// complaint.
    @Test func theNumbersStepIsAListThatOnlyF5Attaches() throws {
        let network = ScriptedNetwork()
        let screen = WizardScreen(service: try Self.service(), network: network, newDraft: SetupDraft(trunkId: "trunk_list")) { $0() }
        for key in [Key.down, .enter, .enter, .enter] { _ = screen.handle(key) }  // inbound, firewall, IP auth
        #expect(screen.draft.step == .numbers)
        for character in "+1 (415) 555-0142" { _ = screen.handle(.character(character)) }
        _ = screen.handle(.enter)
        #expect(screen.draft.numberEntries == ["+1 (415) 555-0142"] && screen.draft.attached.isEmpty)
        _ = screen.handle(.enter)  // an empty field: says F5, attaches nothing
        #expect(screen.draft.attached.isEmpty && screen.draft.step == .numbers)
        screen.paste((0..<101).map { String(format: "+1415555%04d", $0) }.joined(separator: "\n"))
        #expect(screen.draft.numberEntries.count == 100 && screen.draft.attached.isEmpty)
        var frame = render(screen, width: 120, height: 40)
        #expect(frame.text.contains("100/100 in the list") && frame.text.contains("at most 100 numbers: 2 not added"), "\(frame.text)")
        // Remove the first (selected) entry: 99 left.
        _ = screen.handle(.delete)
        #expect(screen.draft.numberEntries.count == 99 && !screen.draft.numberEntries.contains("+1 (415) 555-0142"))
        // An invalid one, refused on F5, then removed: the complaint goes with it.
        for _ in 0..<10 { _ = screen.handle(.delete) }
        for character in "+4155550303" { _ = screen.handle(.character(character)) }
        _ = screen.handle(.enter)
        _ = screen.handle(.function(5))
        frame = render(screen, width: 120, height: 40)
        #expect(screen.draft.attached.isEmpty && frame.text.contains("not a valid number in Switzerland"), "\(frame.text)")
        _ = screen.handle(.backspace)  // takes the last entry back into the field
        for _ in 0..<11 { _ = screen.handle(.backspace) }
        frame = render(screen, width: 120, height: 40)
        #expect(!frame.text.contains("Switzerland"), "\(frame.text)")
        _ = screen.handle(.function(5))
        #expect(screen.draft.attached.count == 89, "\(screen.draft.attached.count)")
    }

    /// Issue 14: the trunk's media security is chosen in Step 6 (SRTP required by default, as the guide asks) and
    /// attached as chosen, so the test call offers what the trunk really is.
    @Test func secureMediaIsChosenAndAttachedAsChosen() throws {
        let service = try Self.service()
        let screen = WizardScreen(service: service, network: ScriptedNetwork(), newDraft: SetupDraft(trunkId: "trunk_srtp")) { $0() }
        for key in [Key.down, .enter, .enter, .enter] { _ = screen.handle(key) }
        #expect(screen.draft.requiresSecureMedia)
        #expect(render(screen, width: 120, height: 40).text.contains("F3 SRTP: required"))
        for character in "+14155550100" { _ = screen.handle(.character(character)) }
        _ = screen.handle(.enter)
        _ = screen.handle(.function(3))
        #expect(!screen.draft.requiresSecureMedia)
        _ = screen.handle(.function(5))
        #expect(try service.configuration(number: "+14155550100").inbound?.options.secureMedia == false)
    }

    /// Issue 14: a saved set-up is offered, not forced; continuing it at Step 3 runs the discovery again (it said
    /// "Discovering ..." with nothing running), and n starts a new trunk and drops the old draft.
    @Test func aSavedSetUpIsOfferedAndResumingRerunsTheStep() throws {
        let service = try Self.service()
        var saved = SetupDraft(trunkId: "trunk_saved")
        saved.step = .discovery
        saved.destination = "pbx.example.com"
        try service.saveSetupDraft(saved)

        let network = ScriptedNetwork()
        let resumed = WizardScreen(service: service, network: network, newDraft: SetupDraft(trunkId: "trunk_new")) { $0() }
        var frame = render(resumed, width: 80, height: 24)
        #expect(frame.text.contains("Continue the set-up you left?") && frame.text.contains("trunk_saved"), "\(frame.text)")
        #expect(network.discovered.isEmpty)
        _ = resumed.handle(.enter)
        #expect(network.discovered == ["pbx.example.com"])
        frame = render(resumed, width: 80, height: 24)
        #expect(frame.text.contains("Recommended") || frame.text.contains("recommend"), "\(frame.text)")

        let fresh = WizardScreen(service: service, network: network, newDraft: SetupDraft(trunkId: "trunk_new")) { $0() }
        _ = fresh.handle(.character("n"))
        #expect(fresh.draft.step == .direction && fresh.draft.trunkId == "trunk_new")
        #expect(try service.setupDraft() == nil)
    }

    /// Issue 14: Esc during a live test call ends the call (CANCEL or BYE) and says so; F10 does too.
    @Test func leavingStep7EndsTheRunningCall() throws {
        final class HeldCall: SetupNetwork, @unchecked Sendable {
            var ended: [String] = []
            func discover(_ destination: String, progress: @escaping @Sendable (DiscoveryProgress) -> Void) {}
            func testCall(number: String, destination: String, transport: String?, progress: @escaping @Sendable (TestCallProgress) -> Void) {}
            func inboundTestCall(number: String, listen: String, progress: @escaping @Sendable (TestCallProgress) -> Void) {}
            func endCall(_ reason: String) { ended.append(reason) }
        }
        let network = HeldCall()
        let screen = WizardScreen(service: try Self.service(), network: network, newDraft: SetupDraft(trunkId: "trunk_call")) { $0() }
        for key in [Key.down, .enter, .enter, .enter] { _ = screen.handle(key) }  // inbound, firewall, IP auth
        for character in "+14155550100" { _ = screen.handle(.character(character)) }
        for key in [Key.enter, .function(5), .enter] { _ = screen.handle(key) }  // add, attach, on to Step 7
        #expect(screen.draft.step == .testCall)
        _ = screen.handle(.function(5))  // the call starts and runs (the network holds it)
        #expect(screen.isAnimating)
        _ = screen.handle(.escape)
        #expect(network.ended == ["ended by leaving Step 7"])
        #expect(screen.draft.step == .numbers)
        let frame = render(screen, width: 80, height: 24)
        #expect(frame.text.contains("The test call was ended on leaving Step 7"), "\(frame.text)")
    }

    /// Issue 14: Step 5 offers only what the direction allows, so an outbound trunk is never shown a registration
    /// password that Step 6 then refuses; an inbound one can register.
    @Test func theAuthenticationStepOffersWhatTheDirectionAllows() throws {
        let network = ScriptedNetwork()
        let inbound = WizardScreen(service: try Self.service(), network: network, newDraft: SetupDraft(trunkId: "trunk_in")) { $0() }
        for key in [Key.down, .enter, .enter] { _ = inbound.handle(key) }  // inbound, firewall
        #expect(inbound.draft.step == .authentication)
        var frame = render(inbound, width: 80, height: 24)
        #expect(frame.text.contains("Registration"))

        var draft = SetupDraft(trunkId: "trunk_out")
        draft.step = .firewall
        draft.destination = "pbx.example.com"
        draft.authMode = .register  // as an older draft might hold
        let outbound = WizardScreen(service: try Self.service(), network: network, newDraft: draft) { $0() }
        _ = outbound.handle(.enter)
        #expect(outbound.draft.step == .authentication)
        frame = render(outbound, width: 80, height: 24)
        #expect(!frame.text.contains("Registration") && frame.text.contains("IP-based"), "\(frame.text)")
        _ = outbound.handle(.down)
        _ = outbound.handle(.enter)
        #expect(outbound.draft.step == .numbers && outbound.draft.authMode == .ip)
    }

    /// An inbound trunk's test call: the PBX calls in at the address siptrunk listens on (Tab moves to it).
    @Test func anInboundTrunkIsTestedByThePBXCallingIn() throws {
        let network = ScriptedNetwork()
        let screen = WizardScreen(service: try Self.service(), network: network, newDraft: SetupDraft(trunkId: "trunk_golden")) { $0() }
        func press(_ keys: Key...) { for key in keys { _ = screen.handle(key) } }
        press(.down, .enter)             // 1 inbound: on to the firewall
        #expect(screen.draft.step == .firewall)
        press(.enter, .enter)            // 4 firewall, 5 IP authentication
        for character in "+14155550100" { _ = screen.handle(.character(character)) }
        press(.enter, .function(5), .enter)  // 6 into the list, attach, then on
        #expect(screen.draft.step == .testCall)
        var frame = render(screen, width: 80, height: 24)
        try check(frame, name: "step7-inbound-80x24")
        press(.tab)
        for _ in 0..<12 { _ = screen.handle(.backspace) }
        for character in "127.0.0.1:5999" { _ = screen.handle(.character(character)) }
        press(.function(5))
        #expect(network.listened == ["127.0.0.1:5999"])
        #expect(screen.flow.callReport?.result == "connected" && screen.draft.testCallResult == "connected")
        frame = render(screen, width: 120, height: 40)
        try check(frame, name: "step7-inbound-done-120x40")
        #expect(frame.text.contains("Connected, audio both ways.") && frame.text.contains("your PBX"))
    }

    /// A discovery still running when the destination changes reports late: its results must not be taken as
    /// the new destination's.
    @Test func aDiscoveryAbandonedForANewDestinationIsIgnoredWhenItReports() throws {
        final class HeldNetwork: SetupNetwork, @unchecked Sendable {
            var runs: [(destination: String, progress: @Sendable (DiscoveryProgress) -> Void)] = []
            func discover(_ destination: String, progress: @escaping @Sendable (DiscoveryProgress) -> Void) { runs.append((destination, progress)) }
            func testCall(number: String, destination: String, transport: String?, progress: @escaping @Sendable (TestCallProgress) -> Void) {}
            func inboundTestCall(number: String, listen: String, progress: @escaping @Sendable (TestCallProgress) -> Void) {}
        }
        let network = HeldNetwork()
        let screen = WizardScreen(service: try Self.service(), network: network, newDraft: SetupDraft(trunkId: "trunk_golden")) { $0() }
        _ = screen.handle(.enter)
        for character in "old.example.com" { _ = screen.handle(.character(character)) }
        _ = screen.handle(.enter)
        #expect(network.runs.map(\.destination) == ["old.example.com"] && screen.flow.discoveryRunning)
        _ = screen.handle(.escape)
        for _ in 0..<15 { _ = screen.handle(.backspace) }
        for character in "new.example.com" { _ = screen.handle(.character(character)) }
        _ = screen.handle(.enter)
        #expect(network.runs.map(\.destination) == ["old.example.com", "new.example.com"])

        var old = DiscoveryReport.sample
        old.host = "old.example.com"
        network.runs[0].progress(.dns("A/AAAA old.example.com → 198.51.100.1"))
        network.runs[0].progress(.finished(old))
        #expect(screen.flow.discoveryReport == nil && screen.flow.discoveryRunning && screen.flow.discoveryLines.isEmpty)
        var fresh = DiscoveryReport.sample
        fresh.host = "new.example.com"
        network.runs[1].progress(.finished(fresh))
        #expect(screen.flow.discoveryReport?.host == "new.example.com" && !screen.flow.discoveryRunning)
    }

    @Test func theHelpOverlayListsTheSameBindingsAsTheBar() throws {
        let screen = WizardScreen(service: try Self.service(), network: nil, newDraft: SetupDraft(trunkId: "trunk_golden")) { $0() }
        _ = screen.handle(.function(1))
        let frame = render(screen, width: 80, height: 24)
        for binding in screen.flow.bindings.bindings {
            #expect(frame.text.contains(binding.help), "help lacks '\(binding.help)'")
        }
    }
}
