import Foundation
import TUIKit
import Testing
import TrunkCore
@testable import TrunkTUI

/// The wizard's flows as a value, without a terminal, a database or a network: keys and results in, effects out.
struct SetupFlowTests {
    /// The effects' names, in order (`save`, `discover`, ...).
    static func names(_ effects: [SetupFlow.Effect]) -> [String] {
        effects.map { String(String(describing: $0).prefix { $0 != "(" }) }
    }

    static func fresh(hasNetwork: Bool = true) -> SetupFlow {
        SetupFlow(saved: nil, newDraft: SetupDraft(trunkId: "trunk_flow"), hasNetwork: hasNetwork)
    }

    /// A flow opened on a draft saved at `step` (resumed, so the offer is out of the way).
    static func resumed(at step: SetupStep, _ change: (inout SetupDraft) -> Void = { _ in }) -> (SetupFlow, [SetupFlow.Effect]) {
        var draft = SetupDraft(trunkId: "trunk_flow")
        draft.step = step
        change(&draft)
        var flow = SetupFlow(saved: draft, newDraft: SetupDraft(trunkId: "trunk_new"), hasNetwork: true)
        _ = flow.handle(.opened)
        let effects = flow.handle(.key(.enter))
        return (flow, effects)
    }

    static func type(_ text: String, into flow: inout SetupFlow) {
        for character in text { #expect(flow.handle(.key(.character(character))).isEmpty) }
    }

    @Test func eachStepSavesTheDraftAndDiscoveryStartsOnEnteringStep3() {
        var flow = Self.fresh()
        var effects = flow.handle(.key(.enter))
        #expect(Self.names(effects) == ["save"] && flow.draft.step == .destination)
        #expect(effects == [.save(flow.draft)])
        Self.type("pbx.example.com", into: &flow)
        effects = flow.handle(.key(.enter))
        #expect(effects == [.save(flow.draft), .discover(target: "pbx.example.com", generation: flow.discoveryGeneration)])
        #expect(flow.isAnimating)
        // Enter while it runs does not leave the step.
        #expect(flow.handle(.key(.enter)).isEmpty && flow.draft.step == .discovery)
        #expect(flow.message?.text.contains("still running") == true)
        // A report from another run is not this destination's.
        _ = flow.handle(.discovery(.finished(DiscoveryReport.sample), generation: flow.discoveryGeneration - 1))
        #expect(flow.isAnimating && flow.discoveryReport == nil)
        _ = flow.handle(.discovery(.dns("A/AAAA pbx.example.com → 203.0.113.10"), generation: flow.discoveryGeneration))
        _ = flow.handle(.discovery(.finished(DiscoveryReport.sample), generation: flow.discoveryGeneration))
        #expect(flow.discoveryLines.map(\.text) == ["A/AAAA pbx.example.com → 203.0.113.10"] && !flow.isAnimating)
        effects = flow.handle(.key(.enter))
        #expect(Self.names(effects) == ["save", "loadFirewall"] && flow.draft.step == .firewall)
        #expect(flow.draft.transport == "tcp" && flow.draft.port == 5060 && flow.draft.discoveryId == "disc_test")
    }

    @Test func anInvalidDestinationStaysWithItsReasonAndNoEffect() {
        var flow = Self.fresh()
        _ = flow.handle(.key(.enter))
        Self.type("sip:", into: &flow)
        #expect(flow.handle(.key(.enter)).isEmpty)
        #expect(flow.draft.step == .destination && flow.message?.role == .error && flow.message?.text.hasPrefix("Destination: ") == true)
    }

    @Test func resumingAtDiscoveryRunsItAgainAndANewTrunkClearsTheSavedOne() {
        let (flow, effects) = Self.resumed(at: .discovery) { $0.destination = "pbx.example.com" }
        #expect(effects == [.discover(target: "pbx.example.com", generation: 1)])
        #expect(flow.message?.text.hasPrefix("Resumed the set-up") == true)

        var draft = SetupDraft(trunkId: "trunk_old")
        draft.step = .firewall
        var other = SetupFlow(saved: draft, newDraft: SetupDraft(trunkId: "trunk_new"), hasNetwork: true)
        #expect(Self.names(other.handle(.opened)) == ["loadFirewall"])
        #expect(other.resumeOffer != nil)
        // Keys other than Enter, n and quit do nothing while the offer is up.
        #expect(other.handle(.key(.escape)).isEmpty && other.resumeOffer != nil)
        #expect(other.handle(.key(.character("n"))) == [.clearDraft])
        #expect(other.draft.trunkId == "trunk_new" && other.draft.step == .direction && other.resumeOffer == nil)
    }

    @Test func quittingMidCallEndsTheCallThenSavesThenQuits() {
        var (flow, _) = Self.resumed(at: .testCall) {
            $0.destination = "pbx.example.com"
            $0.attached = ["+14155550100"]
        }
        // The field starts with the first attached number.
        let call = flow.handle(.key(.function(5)))
        #expect(call == [.placeCall(number: "+14155550100", destination: "pbx.example.com", transport: nil)])
        _ = flow.handle(.call(.message(sent: true, summary: "INVITE sip:+14155550100@pbx.example.com SIP/2.0", elapsedMs: 0)))
        // Letters go to no field while the call runs, so q quits.
        let effects = flow.handle(.key(.character("q")))
        #expect(Self.names(effects) == ["endCall", "save", "quit"])
        #expect(effects.first == .endCall(reason: "ended by quitting the wizard"))
    }

    @Test func goingBackFromARunningCallEndsItAndSaysSo() {
        var (flow, _) = Self.resumed(at: .testCall) { $0.destination = "pbx.example.com" }
        Self.type("+14155550100", into: &flow)
        _ = flow.handle(.key(.function(5)))
        let effects = flow.handle(.key(.escape))
        #expect(Self.names(effects) == ["endCall", "save"] && flow.draft.step == .numbers)
        #expect(flow.message?.text.contains("ended on leaving Step 7") == true)
        // A late report of the ended call is still shown, and saved with the draft.
        var report = try? JSONDecoder.snake.decode(TestCallReport.self, from: Data(#"{"call_id":"c1","phone_number":"+14155550100","status":"canceled","result":"canceled","timeline":[]}"#.utf8))
        report?.status = "canceled"
        if let report { #expect(Self.names(flow.handle(.call(.finished(report)))) == ["save"]) }
        #expect(flow.draft.testCallId == "c1" && !flow.isAnimating)
    }

    @Test func theRegistrationPasswordIsAskedOnceAndShownOnce() {
        var (flow, _) = Self.resumed(at: .authentication) { $0.direction = .inbound }
        _ = flow.handle(.key(.down))
        var effects = flow.handle(.key(.enter))
        #expect(effects == [.derivePassword(trunkId: "trunk_flow", username: "siptrunk-trunk_flow")])
        #expect(flow.handle(.key(.enter)).isEmpty)  // still being derived
        effects = flow.handle(.passwordDerived(username: "siptrunk-trunk_flow", .success("s3cret-pw")))
        #expect(Self.names(effects) == ["save"] && flow.draft.authMode == .register)
        #expect(flow.dialog?.message.contains("s3cret-pw") == true && flow.draft.step == .authentication)
        _ = flow.handle(.key(.enter))  // closes the dialog
        effects = flow.handle(.key(.enter))
        #expect(Self.names(effects) == ["save"] && flow.draft.step == .numbers)

        var (failing, _) = Self.resumed(at: .authentication) { $0.direction = .inbound }
        _ = failing.handle(.key(.down))
        _ = failing.handle(.key(.enter))
        #expect(failing.handle(.passwordDerived(username: "siptrunk-trunk_flow", .failure(.init("the key store is read-only")))).isEmpty)
        #expect(failing.message?.text == "Could not derive the password: the key store is read-only" && failing.draft.authMode == .ip)
    }

    @Test func numbersArePastedCheckedAttachedOnceAndThenTheStepMovesOn() {
        var (flow, _) = Self.resumed(at: .numbers)
        #expect(flow.handle(.paste("+14155550100\n+1 (415) 555-0101, 12")).isEmpty)
        #expect(flow.draft.numberEntries.count == 3)
        #expect(flow.handle(.key(.function(5))).isEmpty && flow.message?.role == .error)  // "12" is not a number
        #expect(flow.handle(.key(.up)).isEmpty)
        _ = flow.handle(.key(.down))
        _ = flow.handle(.key(.down))
        _ = flow.handle(.key(.delete))
        #expect(flow.draft.numberEntries.count == 2 && flow.message == nil)
        let effects = flow.handle(.key(.function(5)))
        #expect(Self.names(effects) == ["attach"])
        #expect(flow.handle(.key(.function(5))).isEmpty)  // not sent twice while it is answered
        // Enter does not move on before the numbers are attached.
        #expect(flow.handle(.key(.enter)).isEmpty && flow.draft.step == .numbers)
        #expect(flow.handle(.attached(.failure(.init("trunk_flow: the database is locked")))).isEmpty)
        #expect(flow.message?.text == "trunk_flow: the database is locked")
        guard case .attach(let request) = flow.handle(.key(.function(5))).first else {
            Issue.record("F5 after a failure sends the attach again")
            return
        }
        #expect(request.phoneNumbers == ["+14155550100", "+14155550101"])
        let configured = (request.phoneNumbers ?? []).map { #"{"phone_number":"\#($0)","directions":["outbound"]}"# }.joined(separator: ",")
        guard let result = try? JSONDecoder.snake.decode(AttachResult.self, from: Data(#"{"trunk_id":"trunk_flow","configured":[\#(configured)],"failed":[]}"#.utf8)) else {
            Issue.record("the attach result fixture decodes")
            return
        }
        #expect(Self.names(flow.handle(.attached(.success(result)))) == ["save"])
        #expect(flow.draft.attached == ["+14155550100", "+14155550101"])
        #expect(Self.names(flow.handle(.key(.enter))) == ["save"] && flow.draft.step == .testCall)
    }

    @Test func theFirewallStepWaitsForItsDataAndCopiesOrWritesIt() {
        var (flow, effects) = Self.resumed(at: .firewall)
        #expect(effects.isEmpty)
        // Nothing to copy before the profile is read.
        #expect(flow.handle(.key(.character("c"))).isEmpty)
        var frame = Frame(width: 80, height: 24)
        SetupView.draw(flow, into: &frame, tick: 0)
        #expect(frame.text.contains("Reading the deployment profile"))
        let json = #"{"region":"test","signalling_hosts":["sip.example.net"],"ipv4":["192.0.2.1"],"ipv6":[],"sip_ports":[{"transport":"udp","port":5060}],"rtp":{"protocol":"udp","port_min":10000,"port_max":20000,"rtcp":"rtp+1"}}"#
        guard let info = try? JSONDecoder.snake.decode(FirewallInfo.self, from: Data(json.utf8)) else {
            Issue.record("the firewall fixture decodes")
            return
        }
        _ = flow.handle(.firewallLoaded(info))
        #expect(flow.handle(.key(.character("c"))) == [.copyToClipboard(info.ruleText)])
        #expect(flow.handle(.key(.character("w"))) == [.writeFile(text: info.ruleText, path: "siptrunk-firewall.txt")])
        _ = flow.handle(.fileWritten(path: "siptrunk-firewall.txt", error: "Permission denied"))
        #expect(flow.message?.text == "Could not write siptrunk-firewall.txt: Permission denied" && flow.message?.role == .error)
        _ = flow.handle(.firewallLoaded(nil))
        frame = Frame(width: 80, height: 24)
        SetupView.draw(flow, into: &frame, tick: 0)
        #expect(frame.text.contains("The deployment profile could not be read."))
    }

    @Test func qIsTextInAFieldAndQuitElsewhereAndBothComeFromTheBindingTable() {
        var (flow, _) = Self.resumed(at: .numbers)
        #expect(flow.handle(.key(.character("q"))).isEmpty)
        #expect(flow.bindings.action(for: .character("q")) == nil)
        var (firewall, _) = Self.resumed(at: .firewall)
        #expect(firewall.bindings.action(for: .character("q")) == .quit)
        #expect(Self.names(firewall.handle(.key(.character("q")))) == ["save", "quit"])
    }

    @Test func finishingClearsTheDraftAndQuits() {
        var (flow, effects) = Self.resumed(at: .complete) { $0.attached = ["+14155550100"] }
        #expect(effects.isEmpty && !flow.finished)
        #expect(flow.handle(.opened) == [.loadPBXSetup(number: "+14155550100")])
        #expect(flow.handle(.key(.enter)) == [.clearDraft, .quit] && flow.finished)
    }

    @Test func withoutANetworkTheLiveStepsSaySoInsteadOfAskingForIt() {
        var flow = Self.fresh(hasNetwork: false)
        _ = flow.handle(.key(.enter))
        Self.type("pbx.example.com", into: &flow)
        #expect(Self.names(flow.handle(.key(.enter))) == ["save"])
        #expect(flow.discoveryError?.contains("network engine") == true && !flow.isAnimating)
    }
}

extension JSONDecoder {
    static var snake: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
