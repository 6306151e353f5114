import Foundation
import SIPCore
import TUIKit
import TrunkCore

/// The guide's eight set-up steps as one full-screen wizard: back and next, each step validated, everything saved
/// through TrunkCore's use cases, the draft saved after each step so a wizard quit half-way resumes there.
/// Confined to the screen's thread: network callbacks come back through `post` (hence `@unchecked Sendable`).
public final class WizardScreen: TerminalApplication, ClipboardSource, @unchecked Sendable {
    public enum Action: Hashable, Sendable {
        case help, back, next, quit, focus, copy, writeFile, rerun, attach, call
        /// Step 6: move the list's selection, remove the selected number.
        case selectNumber(Int), removeNumber, toggleSRTP
    }

    let service: SIPTrunkService
    let network: SetupNetwork?
    /// Runs work on the screen's thread (the backend's `post`; immediate in tests).
    let post: @Sendable (@escaping @Sendable () -> Void) -> Void
    /// Where "write to file" puts the firewall list.
    let firewallFile: String

    public private(set) var draft: SetupDraft
    var showHelp = false
    var message: (text: String, role: Role)?
    var dialog: Dialog?
    /// Set when the user finished the wizard (step 8, Enter).
    public private(set) var finished = false

    // Step widgets.
    var directionList = ChoiceList([
        .init("Outbound", "We place calls through your SIP provider or PBX (to its SIP server)."),
        .init("Inbound", "Calls to your numbers come to us from your SIP provider or PBX."),
    ])
    var providerList = ChoiceList(Provider.catalog.map { .init($0.name, $0.typical) })
    var destinationField = TextField(placeholder: "pbx.example.com, 203.0.113.10:5061, sip:pbx.example.com;transport=tls")
    var focusOnField = false
    var authList = WizardScreen.authChoices(outbound: false)
    var usernameField = TextField()
    var shownPassword: String?
    var numberField = TextField(placeholder: "+14155550100 (Enter adds; paste a list)")
    /// The number selected in Step 6's list (Up/Down; Delete removes it).
    var numberSelection = 0
    var testNumberField = TextField(placeholder: "+14155550100")
    /// Inbound: where siptrunk waits for the PBX's call (this machine's address and SIP port).
    var listenField = TextField("0.0.0.0:5060", placeholder: "IP:port", maxLength: 64)
    var overrideList = ChoiceList([.init("Accept the recommendation"), .init("UDP"), .init("TCP"), .init("TLS")])
    var portField = TextField("", placeholder: "5060")

    // Live state of steps 3 and 7.
    var discoveryLines: [(text: String, role: Role)] = []
    var discoveryRunning = false
    var discoveryReport: DiscoveryReport?
    var discoveryError: String?
    /// The destination the discovery shown was run for.
    var discoveredFor: String?
    /// Which discovery run the screen listens to: a run abandoned (its destination changed) may still report,
    /// and its results must not land on the new destination.
    var discoveryGeneration = 0
    var callLadder = Ladder(parties: ["siptrunk", "PBX"])
    var callStatus: String?
    var callMedia: (sent: Int, received: Int)?
    var callRunning = false
    var callReport: TestCallReport?
    var callError: String?

    // Read when their step is entered, not on every frame.
    var firewall: FirewallInfo?
    var pbxSetup: OutboundSetup?

    public var minimumSize: (width: Int, height: Int) { (72, 22) }
    public var isAnimating: Bool { discoveryRunning || callRunning }

    public init(
        service: SIPTrunkService, network: SetupNetwork?, firewallFile: String = "siptrunk-firewall.txt",
        newDraft: SetupDraft = SetupDraft(), post: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void
    ) {
        self.service = service
        self.network = network
        self.post = post
        self.firewallFile = firewallFile
        self.newDraft = newDraft
        let saved = (try? service.setupDraft()) ?? nil
        draft = saved ?? newDraft
        restoreWidgets()
        loadStepData()
        if saved != nil, draft.step != .direction {
            // Offered, not forced (issue 14): Enter resumes, n starts a new trunk.
            resumeOffer = Dialog(
                title: "Continue the set-up you left?",
                message: "Trunk \(draft.trunkId) was left at step \(draft.step.rawValue) (\(draft.step.title)). Enter continues it; n starts a new trunk and discards it.",
                buttons: ["Enter Continue", "n New trunk"], role: .warning)
        }
    }

    /// A fresh draft for "n" in the resume offer.
    private let newDraft: SetupDraft
    /// The saved set-up on offer when the wizard opened on one.
    var resumeOffer: Dialog?

    /// Resuming re-runs what the step needs (issue 14: a wizard resumed at Step 3 said "Discovering ..." with nothing
    /// running).
    private func resume() {
        resumeOffer = nil
        message = ("Resumed the set-up you left at step \(draft.step.rawValue) (\(draft.step.title)).", .pending)
        if draft.step == .discovery, !discoveryRunning { startDiscovery() }
    }

    private func startAnew() {
        resumeOffer = nil
        try? service.clearSetupDraft()
        draft = newDraft
        restoreWidgets()
        loadStepData()
        message = nil
    }

    private func restoreWidgets() {
        directionList.highlighted = draft.isOutbound ? 0 : 1
        providerList.highlighted = Provider.catalog.firstIndex { $0.id == draft.providerId } ?? Provider.catalog.count - 1
        destinationField = TextField(draft.destination, placeholder: destinationField.placeholder)
        authList = Self.authChoices(outbound: draft.isOutbound)
        authList.highlighted = draft.authMode == "register" && !draft.isOutbound ? 1 : 0
        usernameField = TextField(draft.registerUsername ?? "siptrunk-\(draft.trunkId)")
        testNumberField = TextField(draft.attached.first ?? "", placeholder: testNumberField.placeholder)
        if let port = draft.port { portField = TextField(String(port), placeholder: "5060") }
        focusOnField = draft.step == .destination
    }

    // MARK: Key bindings, one table for the bar and the help.

    var bindings: KeyBindings<Action> {
        var list: [KeyBinding<Action>] = [
            KeyBinding([.function(1), .character("?")], "Help", "Show or hide this help", .help),
            KeyBinding([.escape], "Back", "The previous step (nothing is lost)", .back),
            KeyBinding([.enter], draft.step == .complete ? "Finish" : "Next", "Check this step and go on", .next),
        ]
        switch draft.step {
        case .destination, .authentication, .testCall:
            list.append(KeyBinding([.tab, .backTab], "Field", "Move between the list and the field", .focus))
        case .discovery:
            list.append(KeyBinding([.function(5), .character("r")], "Rerun", "Run discovery again", .rerun))
        case .firewall:
            list.append(KeyBinding([.character("c")], "Copy", "Copy the list to the terminal's clipboard (OSC 52)", .copy))
            list.append(KeyBinding([.character("w")], "Save", "Write the list to \(firewallFile)", .writeFile))
        case .numbers:
            list.append(KeyBinding([.function(5)], "Attach", "Attach the numbers in the list to the trunk (Enter only adds to the list)", .attach))
            list.append(KeyBinding([.down], "Select", "Select the next number in the list", .selectNumber(1), inBar: false))
            list.append(KeyBinding([.up], "Select", "Select the previous number in the list", .selectNumber(-1), inBar: false))
            list.append(KeyBinding([.function(3)], draft.requiresSecureMedia ? "SRTP: required" : "SRTP: off", "Whether the trunk requires SRTP for media (the guide's default); the test call offers what is chosen", .toggleSRTP))
            list.append(KeyBinding([.delete], "Remove", "Remove the selected number from the list (Backspace on the empty field takes the last one back)", .removeNumber, inBar: false))
        default: break
        }
        if draft.step == .testCall { list.append(KeyBinding([.function(5)], "Call", "Place the test call", .call)) }
        list.append(KeyBinding([.function(10), .control("x")], "Quit", "Quit; the wizard resumes here next time", .quit))
        return KeyBindings(list)
    }

    /// Whether typed characters go to a text field (so letters are text, not commands).
    var typing: Bool {
        switch draft.step {
        case .destination: focusOnField
        case .authentication: authList.highlighted == 1 && focusOnField
        case .numbers: draft.attached.isEmpty
        case .testCall: !callRunning
        case .discovery: overrideList.highlighted > 0 && focusOnField
        default: false
        }
    }

    // MARK: Keys

    public func handle(_ key: Key) -> ScreenCommand {
        if resumeOffer != nil {
            switch key {
            case .enter: resume()
            case .character("n"), .character("N"): startAnew()
            case .function(10), .control("x"), .control("c"): return .quit
            default: break
            }
            return .continue
        }
        if dialog != nil {
            if key == .enter || key == .escape { dialog = nil }
            return .continue
        }
        if showHelp {
            showHelp = false
            return .continue
        }
        if typing, editField(key) { return .continue }
        if let action = bindings.action(for: key) ?? (typing ? nil : (key == .character("q") ? .quit : nil)) {
            return perform(action)
        }
        switch draft.step {
        case .direction: _ = directionList.handle(key)
        case .destination: _ = providerList.handle(key)
        case .authentication: _ = authList.handle(key)
        case .discovery: _ = overrideList.handle(key)
        default: break
        }
        return .continue
    }

    /// Sends editing keys to the focused field; false for keys the field does not use.
    private func editField(_ key: Key) -> Bool {
        switch key {
        case .enter, .escape, .tab, .backTab, .function, .up, .down, .control("x"): return false
        default: break
        }
        switch draft.step {
        case .destination:
            let used = destinationField.handle(key)
            draft.destination = destinationField.value
            // The field says what is wrong as it is typed: an old refusal would only contradict it.
            if used { message = nil }
            return used
        case .authentication: return usernameField.handle(key)
        case .numbers:
            // Spaces belong to numbers written with them (+1 415 555 0142); commas and semicolons end one.
            if key == .character(",") || key == .character(";") { addTypedNumber(); return true }
            if key == .backspace, numberField.value.isEmpty, !draft.numberEntries.isEmpty {
                var entries = draft.numberEntries
                numberField = TextField(entries.removeLast(), placeholder: numberField.placeholder)
                setNumbers(entries)
                return true
            }
            if key == .delete, numberField.value.isEmpty { return false }  // the binding removes the selected number
            return numberField.handle(key)
        case .testCall: return draft.isOutbound || focusOnField ? testNumberField.handle(key) : listenField.handle(key)
        case .discovery: return portField.handle(key)
        default: return false
        }
    }

    public func paste(_ text: String) {
        switch draft.step {
        case .numbers where draft.attached.isEmpty:
            addNumbers(NumberingPlan.numbers(in: text))
        default:
            for character in text where character != "\n" { _ = editField(.character(character)) }
        }
    }

    private func addTypedNumber() {
        let text = numberField.value.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return }
        addNumbers([text])
        numberField = TextField(placeholder: numberField.placeholder)
    }

    private func addNumbers(_ numbers: [String]) {
        var entries = draft.numberEntries
        let room = SIPTrunkService.maximumNumbersPerCall - entries.count
        entries += numbers.prefix(max(0, room))
        setNumbers(entries)
        if numbers.count > room {
            let refused = numbers.count - max(0, room)
            message = ("The list holds at most \(SIPTrunkService.maximumNumbersPerCall) numbers: \(refused) not added (\(numbers.suffix(refused).prefix(3).joined(separator: ", "))\(refused > 3 ? ", …" : "")). Attach these first, then run the wizard again for the rest.", .error)
        }
    }

    /// The list of numbers; a status about invalid ones goes once none is left (issue 14).
    private func setNumbers(_ entries: [String]) {
        draft.numbersText = entries.joined(separator: "\n")
        if message?.role == .error, !draft.numberChecks.contains(where: { $0.result.value == nil }), entries.count <= SIPTrunkService.maximumNumbersPerCall {
            message = nil
        }
    }

    private func perform(_ action: Action) -> ScreenCommand {
        switch action {
        case .help: showHelp = true
        case .quit:
            if callRunning { network?.endCall("ended by quitting the wizard") }
            save()
            return .quit
        case .back: goBack()
        case .next: goNext()
        case .focus: focusOnField.toggle()
        case .copy: copyFirewall()
        case .writeFile: writeFirewall()
        case .rerun: startDiscovery()
        case .attach: attachNumbers()
        case .toggleSRTP:
            guard draft.attached.isEmpty else { break }
            draft.secureMedia = !draft.requiresSecureMedia
            message = (draft.requiresSecureMedia ? "Media: SRTP required; the test call will offer SRTP." : "Media: plain RTP allowed (not what the guide asks for).", .pending)
        case .selectNumber(let step): numberSelection = max(0, min(draft.numberEntries.count - 1, numberSelection + step))
        case .removeNumber:
            guard draft.attached.isEmpty, numberSelection < draft.numberEntries.count else { break }
            var entries = draft.numberEntries
            entries.remove(at: numberSelection)
            setNumbers(entries)
            numberSelection = min(numberSelection, max(0, entries.count - 1))
        case .call: startCall()
        }
        return finished ? .quit : .continue
    }

    // MARK: Navigation

    private func save() {
        do {
            try service.saveSetupDraft(draft)
        } catch {
            message = ("Could not save the wizard's progress: \(error.messages.joined(separator: "; "))", .error)
        }
    }

    /// What Step 5 offers: registration authenticates the calls a PBX sends to us, so only an inbound trunk has it
    /// (the rule attach applies; issue 14: an outbound trunk was offered it, shown a password, then refused at Step 6).
    static func authChoices(outbound: Bool) -> ChoiceList {
        outbound
            ? ChoiceList([
                .init("IP-based", "Your SIP server allows our addresses (Step 4); registration is inbound."),
            ])
            : ChoiceList([
                .init("IP-based (recommended)", "We accept calls from your PBX's addresses; nothing to set on the PBX."),
                .init("Registration", "Your PBX registers with us: a username and a password derived for it."),
            ])
    }

    private func move(to step: SetupStep) {
        if step == .authentication {
            let highlighted = draft.isOutbound ? 0 : authList.highlighted
            authList = Self.authChoices(outbound: draft.isOutbound)
            authList.highlighted = min(highlighted, authList.items.count - 1)
            if draft.isOutbound {
                draft.authMode = "ip"
                draft.registerUsername = nil
            }
        }
        draft.step = step
        message = nil
        focusOnField = step == .destination || step == .numbers || step == .testCall
        save()
        if step == .discovery, discoveryReport == nil, !discoveryRunning { startDiscovery() }
        loadStepData()
        if step == .testCall, testNumberField.value.isEmpty, let first = draft.attached.first { testNumberField = TextField(first) }
    }

    /// What the firewall and summary steps show, read once when the step is entered (or the wizard resumed there).
    private func loadStepData() {
        if draft.step == .firewall { firewall = try? service.firewall(region: nil) }
        if draft.step == .complete { pbxSetup = draft.attached.first.flatMap { try? service.outboundSetup(number: $0) } }
    }

    private func goBack() {
        guard draft.step != .direction else { return }
        // Leaving Step 7 ends its call first, and says so (issue 14: Esc went back while the call ran on).
        let ending = callRunning
        if ending { network?.endCall("ended by leaving Step 7") }
        defer {
            if ending { message = ("The test call was ended on leaving Step 7 (CANCEL while it rang, BYE once answered).", .warning) }
        }
        guard var previous = SetupStep(rawValue: draft.step.rawValue - 1) else { return }
        if !draft.isOutbound, previous == .discovery || previous == .destination { previous = .direction }
        move(to: previous)
    }

    private func goNext() {
        switch draft.step {
        case .direction:
            draft.direction = directionList.highlighted == 0 ? "outbound" : "inbound"
            move(to: draft.isOutbound ? .destination : .firewall)
        case .destination:
            draft.providerId = Provider.catalog[providerList.highlighted].id
            draft.destination = destinationField.value
            switch SetupDraft.describe(destination: draft.destination) {
            case .invalid(let problem):
                message = ("Destination: \(problem)", .error)
                focusOnField = true
            case .valid(let parsed):
                // Results for another destination are stale: discovery runs again on entering Step 3.
                if discoveredFor != draft.destination.trimmingCharacters(in: .whitespaces) {
                    discoveryReport = nil
                    discoveryError = nil
                    discoveryLines = []
                    // A run still going is for the old destination: stop listening to it.
                    discoveryRunning = false
                    discoveryGeneration += 1
                    // An override chosen for the old destination does not carry over (issue 14).
                    overrideList.highlighted = 0
                    portField = TextField(placeholder: portField.placeholder)
                }
                draft.port = parsed.port
                draft.transport = parsed.transport?.rawValue
                move(to: .discovery)
            }
        case .discovery:
            guard !discoveryRunning else {
                message = ("Discovery is still running: wait for it, or go back.", .warning)
                return
            }
            if overrideList.highlighted == 0 {
                guard let pick = discoveryReport?.recommended else {
                    message = ("Nothing answered, so there is no recommendation: choose UDP, TCP or TLS and a port to go on anyway, or go back and fix the destination.", .error)
                    return
                }
                draft.transport = pick.transport
                draft.port = pick.port
                draft.detectedSystem = pick.detectedSystem
            } else {
                let transport = ["udp", "tcp", "tls"][overrideList.highlighted - 1]
                let text = portField.value.isEmpty ? (transport == "tls" ? "5061" : "5060") : portField.value
                guard let port = Int(text), (1...65535).contains(port) else {
                    message = ("Port: '\(portField.value)' is not a port number from 1 to 65535.", .error)
                    return
                }
                draft.transport = transport
                draft.port = port
            }
            draft.discoveryId = discoveryReport?.discoveryId
            move(to: .firewall)
        case .firewall:
            move(to: .authentication)
        case .authentication:
            if authList.highlighted == 1, !draft.isOutbound {
                let username = usernameField.value.trimmingCharacters(in: .whitespaces)
                guard !username.isEmpty, username.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                    message = ("Username: use letters, digits, '-', '_' or '.' (it goes into the PBX's registration settings).", .error)
                    return
                }
                if draft.authMode != "register" || draft.registerUsername != username || shownPassword == nil {
                    draft.authMode = "register"
                    draft.registerUsername = username
                    do {
                        shownPassword = try service.registerPassword(trunkId: draft.trunkId, username: username)
                        dialog = Dialog(
                            title: "Registration password — shown once",
                            message: "Configure your PBX to register as \(username) with the password \(shownPassword!) . It is derived for this trunk and not stored: write it into the PBX now. Enter to continue.",
                            role: .warning)
                    } catch {
                        message = ("Could not derive the password: \(error.messages.joined(separator: "; "))", .error)
                        return
                    }
                    save()
                    return
                }
            } else {
                draft.authMode = "ip"
                draft.registerUsername = nil
            }
            shownPassword = nil
            move(to: .numbers)
        case .numbers:
            // Enter adds what is typed to the list; only F5 attaches (issue 14: Enter attached at once).
            if !numberField.value.isEmpty {
                addTypedNumber()
                return
            }
            if draft.attached.isEmpty {
                message = draft.numberEntries.isEmpty
                    ? ("Type a number in E.164 form, e.g. +14155550100, then Enter adds it to the list.", .warning)
                    : ("\(draft.numberEntries.count) number\(draft.numberEntries.count == 1 ? "" : "s") in the list: F5 attaches them to trunk \(draft.trunkId).", .warning)
                return
            }
            move(to: .testCall)
        case .testCall:
            guard !callRunning else {
                message = ("The test call is still running.", .warning)
                return
            }
            move(to: .complete)
        case .complete:
            try? service.clearSetupDraft()
            finished = true
        }
    }

    // MARK: Step actions

    private func startDiscovery() {
        guard let network else {
            discoveryError = "Discovery needs the network engine, which this session was started without."
            return
        }
        guard let host = draft.destinationHost else { return }
        var target = draft.destination.trimmingCharacters(in: .whitespaces)
        if target.isEmpty { target = host }
        discoveryLines = []
        discoveryReport = nil
        discoveryError = nil
        discoveryRunning = true
        discoveredFor = target
        discoveryGeneration += 1
        let generation = discoveryGeneration
        let post = self.post
        network.discover(target) { [weak self] progress in
            post { [weak self] in self?.discoveryProgress(progress, generation: generation) }
        }
    }

    func discoveryProgress(_ progress: DiscoveryProgress, generation: Int) {
        guard generation == discoveryGeneration else { return }
        switch progress {
        case .dns(let line): discoveryLines.append((line, .dim))
        case .attempt(let line, let answered): discoveryLines.append((line, answered ? .ok : .error))
        case .finished(let report):
            discoveryRunning = false
            discoveryReport = report
            if report.recommended == nil { discoveryError = report.error.map { "\($0.message) — \($0.remedy)" } ?? "Nothing answered." }
        case .failed(let reason):
            discoveryRunning = false
            discoveryError = reason
        }
    }

    /// OSC 52: the terminal (also over SSH and in tmux with set-clipboard on) puts the text on its clipboard.
    public private(set) var clipboardRequests: [String] = []

    private func copyFirewall() {
        guard let text = firewall?.ruleText else { return }
        clipboardRequests.append(text)
        message = ("Copied to the terminal's clipboard (OSC 52; if your terminal ignores it, press w to write a file).", .ok)
    }

    private func writeFirewall() {
        guard let text = firewall?.ruleText else { return }
        do {
            try text.write(toFile: firewallFile, atomically: true, encoding: .utf8)
            message = ("Written to \(firewallFile).", .ok)
        } catch {
            message = ("Could not write \(firewallFile): \(error.localizedDescription)", .error)
        }
    }

    private func attachNumbers() {
        if !numberField.value.isEmpty { addTypedNumber() }
        let checks = draft.numberChecks
        guard !checks.isEmpty else {
            message = ("Type at least one number in E.164 form, e.g. +14155550100.", .error)
            return
        }
        let invalid = checks.filter { $0.result.value == nil }
        guard invalid.isEmpty else {
            // The first problem in full (a cell in the list has room for little), then what to do.
            let first: String
            if case .invalid(let problem) = invalid[0].result { first = problem.hasPrefix(invalid[0].text) || problem.hasPrefix("+") ? problem : "\(invalid[0].text): \(problem)" } else { first = invalid[0].text }
            let more = invalid.count > 1 ? " (and \(invalid.count - 1) more)" : ""
            message = ("\(first)\(more) — fix or remove \(invalid.count == 1 ? "it" : "them") (Backspace on the empty field takes the last one back).", .error)
            return
        }
        do {
            let result = try service.attach(draft.attachRequest())
            draft.attached = result.configured.map(\.phoneNumber)
            draft.failed = result.failed
            message = result.failed.isEmpty
                ? ("Attached \(result.configured.count) number\(result.configured.count == 1 ? "" : "s") to trunk \(result.trunkId). Enter goes on to the test call.", .ok)
                : ("\(result.configured.count) attached, \(result.failed.count) failed: see why below.", .warning)
            save()
        } catch {
            message = (error.messages.joined(separator: "; "), .error)
        }
    }

    private func startCall() {
        guard let network else {
            callError = "Test calls need the network engine, which this session was started without."
            return
        }
        guard draft.isOutbound else {
            startInboundCall(network)
            return
        }
        guard let host = draft.destinationHost else {
            callError = "No SIP server to call: go back to Step 2 and give your PBX's address."
            return
        }
        let number = testNumberField.value.trimmingCharacters(in: .whitespaces)
        guard case .valid = SetupDraft.describe(destination: host), !number.isEmpty else {
            message = ("Type the number to call, in E.164 form.", .error)
            return
        }
        let destination = AddressText.join(host: host, port: draft.port)
        callLadder = Ladder(parties: ["siptrunk", host])
        callStatus = "calling \(number)…"
        callMedia = nil
        callReport = nil
        callError = nil
        callRunning = true
        let post = self.post
        network.testCall(number: number, destination: destination, transport: draft.transport) { [weak self] progress in
            post { [weak self] in self?.callProgress(progress) }
        }
    }

    /// Inbound: siptrunk listens, the PBX calls one of the numbers, siptrunk answers and checks the audio.
    private func startInboundCall(_ network: SetupNetwork) {
        let number = testNumberField.value.trimmingCharacters(in: .whitespaces)
        let listen = listenField.value.trimmingCharacters(in: .whitespaces)
        guard !number.isEmpty, !listen.isEmpty else {
            message = ("Type the number your PBX will call, and the IP:port to listen on.", .error)
            return
        }
        callLadder = Ladder(parties: ["siptrunk", "your PBX"])
        callStatus = "waiting up to 60 s for your PBX to call \(number) at \(listen)…"
        callMedia = nil
        callReport = nil
        callError = nil
        callRunning = true
        let post = self.post
        network.inboundTestCall(number: number, listen: listen) { [weak self] progress in
            post { [weak self] in self?.callProgress(progress) }
        }
    }

    func callProgress(_ progress: TestCallProgress) {
        switch progress {
        case .message(let sent, let summary, let elapsed):
            let startLine = StartLineLabel(firstLine: summary)
            callLadder.messages.append(Ladder.Message(from: sent ? 0 : 1, to: sent ? 1 : 0, label: startLine.text, time: elapsed < 1000 ? String(format: "%.1f ms", elapsed) : String(format: "%.3f s", elapsed / 1000), role: Role.arrow(startLine.kind)))
        case .status(let text): callStatus = text
        case .media(let sent, let received): callMedia = (sent, received)
        case .finished(let report):
            callRunning = false
            callStatus = "finished: \(report.status)" + (report.durationSeconds.map { String(format: " after %.1f s", $0) } ?? "")
            callReport = report
            draft.testCallId = report.callId
            draft.testCallResult = report.result
            save()
        case .failed(let reason):
            callRunning = false
            callStatus = "the call could not be placed"
            callError = reason
        }
    }

    // MARK: Drawing

    public func render(into frame: inout Frame, tick: Int) {
        let width = frame.width, height = frame.height
        frame.fill(Rect(x: 0, y: 0, width: width, height: 1), role: .title)
        frame.put(" siptrunk · set up a SIP trunk", x: 0, y: 0, role: .title)
        let stepText = "Step \(draft.step.rawValue) of 8 · \(draft.step.title) "
        frame.put(stepText, x: width - DisplayWidth.of(stepText), y: 0, role: .title)
        drawProgress(in: &frame, y: 1)
        let body = Rect(x: 0, y: 2, width: width, height: height - 4)
        frame.box(body, title: "\(draft.step.rawValue). \(draft.step.title)")
        let inner = body.inset(dx: 2, dy: 1)
        switch draft.step {
        case .direction: drawDirection(&frame, inner)
        case .destination: drawDestination(&frame, inner)
        case .discovery: drawDiscovery(&frame, inner, tick: tick)
        case .firewall: drawFirewall(&frame, inner)
        case .authentication: drawAuthentication(&frame, inner)
        case .numbers: drawNumbers(&frame, inner)
        case .testCall: drawTestCall(&frame, inner, tick: tick)
        case .complete: drawComplete(&frame, inner)
        }
        if let message {
            frame.statusLines(message.text, endingAt: height - 2, role: message.role)
        }
        bindings.drawBar(in: &frame, rect: Rect(x: 0, y: height - 1, width: width, height: 1))
        if showHelp {
            frame.cursor = nil
            bindings.drawHelp(in: &frame, title: "Keys — \(draft.step.title)")
        }
        if let offer = resumeOffer {
            frame.cursor = nil
            offer.draw(in: &frame)
        } else if let dialog {
            frame.cursor = nil
            dialog.draw(in: &frame)
        }
    }

    private func drawProgress(in frame: inout Frame, y: Int) {
        var x = 1
        // Every step's title when they fit, else the numbers and the current title.
        let full = SetupStep.allCases.reduce(0) { $0 + DisplayWidth.of($1.title) + 4 } + 1
        let compact = full > frame.width
        for step in SetupStep.allCases {
            let skipped = !draft.isOutbound && (step == .destination || step == .discovery)
            let role: Role = step == draft.step ? .selection : step.rawValue < draft.step.rawValue ? (skipped ? .dim : .ok) : .dim
            let label = compact ? " \(step.rawValue) " : " \(step.rawValue) \(step.title) "
            x += frame.put(label, x: x, y: y, role: role)
            if step != .complete { x += frame.put(frame.glyphs.horizontal, x: x, y: y, role: .border) }
        }
        if compact { frame.put(" " + draft.step.title, x: x + 1, y: y, role: .strong) }
    }

    private func drawDirection(_ frame: inout Frame, _ rect: Rect) {
        frame.paragraph("Which way will calls go through this trunk? Choose with ↑/↓ and press Enter.", in: Rect(x: rect.x, y: rect.y, width: rect.width, height: 2))
        directionList.draw(in: &frame, rect: Rect(x: rect.x, y: rect.y + 3, width: rect.width, height: 4), focused: true)
        frame.paragraph("For both directions, run the wizard once for each; the numbers can share one trunk.", in: Rect(x: rect.x, y: rect.y + 8, width: rect.width, height: 2), role: .dim)
    }

    private func drawDestination(_ frame: inout Frame, _ rect: Rect) {
        let listWidth = min(28, rect.width / 3)
        let (left, right) = rect.left(listWidth)
        frame.put("Provider or PBX", x: left.x, y: left.y, role: .strong)
        providerList.draw(in: &frame, rect: Rect(x: left.x, y: left.y + 1, width: left.width, height: left.height - 1), focused: !focusOnField, details: false)
        let area = Rect(x: right.x + 2, y: right.y, width: right.width - 2, height: right.height)
        let provider = Provider.catalog[providerList.highlighted]
        frame.put("Where to find the address (\(provider.name))", x: area.x, y: area.y, role: .strong, limit: area.width)
        let used = frame.paragraph(provider.guidance, in: Rect(x: area.x, y: area.y + 1, width: area.width, height: 4), role: .text)
        let fieldY = area.y + 2 + max(used, 3)
        frame.put("SIP server", x: area.x, y: fieldY, role: focusOnField ? .focus : .strong)
        destinationField.draw(in: &frame, rect: Rect(x: area.x, y: fieldY + 1, width: area.width, height: 1), focused: focusOnField)
        switch SetupDraft.describe(destination: destinationField.value) {
        case .valid(let parsed):
            let port = parsed.port.map(String.init) ?? "auto"
            let transport = parsed.transport?.rawValue.uppercased() ?? "auto"
            frame.put("\(frame.glyphs.bullet) host \(parsed.host)  port \(port)  transport \(transport)", x: area.x, y: fieldY + 2, role: .ok, limit: area.width)
            if parsed.port == nil || parsed.transport == nil {
                frame.put("  auto: discovery decides (next step)", x: area.x, y: fieldY + 3, role: .dim, limit: area.width)
            }
        case .invalid(let problem):
            frame.paragraph(problem, in: Rect(x: area.x, y: fieldY + 2, width: area.width, height: 2), role: destinationField.value.isEmpty ? .dim : .error)
        }
    }

    private func drawDiscovery(_ frame: inout Frame, _ rect: Rect, tick: Int) {
        frame.put("Discovering \(draft.destination)", x: rect.x, y: rect.y, role: .strong, limit: rect.width - 12)
        if discoveryRunning { frame.put("\(Spinner.glyph(tick, glyphs: frame.glyphs)) probing", x: rect.maxX - 10, y: rect.y, role: .pending) }
        // The recommendation's reason takes the rows it needs (it was cut after two), up to 5.
        let why = discoveryReport?.recommended.map { pick in "Why: \(pick.reason)\(pick.warning.map { " Warning: \($0)" } ?? "")" }
        let whyRows = why.map { min(5, max(2, Frame.wrap($0, width: rect.width).count)) } ?? 2
        let resultHeight = discoveryReport == nil && discoveryError == nil ? 0 : 5 + whyRows
        let logRect = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1 - resultHeight)
        for (index, line) in discoveryLines.suffix(logRect.height).enumerated() {
            frame.put(line.text, x: logRect.x, y: logRect.y + index, role: line.role, limit: logRect.width)
        }
        guard resultHeight > 0 else { return }
        let y = rect.maxY - resultHeight
        frame.horizontalLine(x: rect.x, y: y, width: rect.width)
        if let pick = discoveryReport?.recommended {
            frame.put("Recommended: \(pick.transport.uppercased()) port \(pick.port) on \(pick.address) · \(pick.detectedSystem)", x: rect.x, y: y + 1, role: .ok, limit: rect.width)
            frame.paragraph(why ?? "", in: Rect(x: rect.x, y: y + 2, width: rect.width, height: whyRows), role: pick.warning == nil ? .text : .warning)
        } else if let discoveryError {
            frame.paragraph(discoveryError, in: Rect(x: rect.x, y: y + 1, width: rect.width, height: 3), role: .error)
        }
        let listY = y + 2 + whyRows
        let listRect = Rect(x: rect.x, y: listY, width: 30, height: 3)
        overrideList.draw(in: &frame, rect: listRect, focused: !focusOnField, details: false)
        if overrideList.highlighted > 0 {
            frame.put("port", x: rect.x + 32, y: listY, role: focusOnField ? .focus : .strong)
            portField.draw(in: &frame, rect: Rect(x: rect.x + 37, y: listY, width: 8, height: 1), focused: focusOnField)
            frame.put("(Tab to edit)", x: rect.x + 47, y: listY, role: .dim, limit: rect.maxX - rect.x - 47)
        }
    }

    private func drawFirewall(_ frame: inout Frame, _ rect: Rect) {
        guard let info = firewall else {
            frame.put("The deployment profile could not be read.", x: rect.x, y: rect.y, role: .error)
            return
        }
        frame.paragraph("Allow these addresses and ports on the firewall in front of your PBX, in both directions.", in: Rect(x: rect.x, y: rect.y, width: rect.width, height: 2))
        var rows = LabelledRows(Rect(x: rect.x, y: rect.y + 3, width: rect.width, height: rect.height - 3), labelWidth: 14)
        for row in info.rows { rows.add(row.label, row.value, in: &frame) }
        rows.skip()
        frame.paragraph("c copies the list to your clipboard; w writes it to \(firewallFile).", in: Rect(x: rect.x, y: rows.y, width: rect.width, height: 2), role: .dim)
    }

    private func drawAuthentication(_ frame: inout Frame, _ rect: Rect) {
        frame.paragraph("How does this deployment know a call really comes from your PBX?", in: Rect(x: rect.x, y: rect.y, width: rect.width, height: 1))
        authList.draw(in: &frame, rect: Rect(x: rect.x, y: rect.y + 2, width: rect.width, height: 4), focused: !focusOnField)
        guard authList.highlighted == 1 else { return }
        frame.put("Username", x: rect.x, y: rect.y + 7, role: focusOnField ? .focus : .strong)
        usernameField.draw(in: &frame, rect: Rect(x: rect.x + 10, y: rect.y + 7, width: min(40, rect.width - 10), height: 1), focused: focusOnField)
        frame.paragraph("Enter derives this trunk's password and shows it once. Tab edits the username.", in: Rect(x: rect.x, y: rect.y + 9, width: rect.width, height: 2), role: .dim)
    }

    private func drawNumbers(_ frame: inout Frame, _ rect: Rect) {
        if draft.attached.isEmpty && draft.failed.isEmpty {
            frame.paragraph("Type or paste up to \(SIPTrunkService.maximumNumbersPerCall) numbers in E.164 form (+1 (415) 555-0142 is fine). Enter adds one to the list; F5 attaches the list to \(draft.trunkId).", in: Rect(x: rect.x, y: rect.y, width: rect.width, height: 2))
            numberField.draw(in: &frame, rect: Rect(x: rect.x, y: rect.y + 3, width: min(40, rect.width), height: 1), focused: true)
            if !numberField.value.isEmpty, case .invalid(let problem) = SetupDraft.check(number: numberField.value.trimmingCharacters(in: .whitespaces)) {
                frame.put(problem, x: rect.x + min(42, rect.width), y: rect.y + 3, role: .error, limit: max(0, rect.width - 42))
            }
        }
        let checks = draft.numberChecks
        if draft.attached.isEmpty && draft.failed.isEmpty, !checks.isEmpty {
            frame.put("\(checks.count)/\(SIPTrunkService.maximumNumbersPerCall) in the list · ↑↓ select · Del removes · F5 attaches", x: rect.x, y: rect.y + 4, role: .dim, limit: rect.width)
        }
        let top = draft.attached.isEmpty && draft.failed.isEmpty ? rect.y + 5 : rect.y
        let rows = rect.maxY - top
        // As many columns as the list needs (at most what fits at 38 each), so a short list has room for reasons.
        let needed = (checks.count + max(1, rows) - 1) / max(1, rows)
        let columns = max(1, min(rect.width / 38, needed))
        let columnWidth = max(38, rect.width / columns)
        let failures = Dictionary(draft.failed.map { ($0.phoneNumber, $0.reason) }) { a, _ in a }
        for (index, check) in checks.enumerated() {
            let column = index / max(1, rows), row = index % max(1, rows)
            guard column < columns else { break }
            let x = rect.x + column * columnWidth
            let text: String
            let role: Role
            switch check.result {
            case .valid(let number) where draft.attached.contains(number):
                (text, role) = ("✓ \(number) attached", .ok)
            case .valid(let number) where failures[number] != nil:
                (text, role) = ("✗ \(number): \(failures[number] ?? "")", .error)
            case .valid(let number):
                // The country it was read as, so a number typed without its country code shows where it went.
                let country = (try? NumberingPlan.e164(number)).map { NumberingPlan.facts($0) }.map { Locale(identifier: "en_US").localizedString(forRegionCode: $0.region) ?? $0.region } ?? ""
                (text, role) = ("\(frame.glyphs.bullet) \(number)  \(country)", .text)
            case .invalid(let problem):
                // A numbering-plan refusal starts with the number already.
                (text, role) = (problem.hasPrefix("+") ? "✗ \(problem)" : "✗ \(check.text): \(problem)", .error)
            }
            let selected = draft.attached.isEmpty && index == numberSelection && checks.count > 1
            frame.put(text, x: x, y: top + row, role: selected ? .selection : role, limit: min(columnWidth - 1, rect.maxX - x))
        }
    }

    private func drawTestCall(_ frame: inout Frame, _ rect: Rect, tick: Int) {
        frame.put(draft.isOutbound ? "Number to call" : "PBX calls", x: rect.x, y: rect.y, role: .strong)
        let numberFocused = !callRunning && (draft.isOutbound || focusOnField)
        testNumberField.draw(in: &frame, rect: Rect(x: rect.x + 16, y: rect.y, width: min(24, rect.width - 16), height: 1), focused: numberFocused)
        if draft.isOutbound {
            let via = "via \(draft.destinationHost ?? "—")\(draft.port.map { ":\($0)" } ?? "") \(draft.transport?.uppercased() ?? "")"
            frame.put(via, x: rect.x + 42, y: rect.y, role: .dim, limit: max(0, rect.width - 42))
        } else if rect.width > 60 {
            frame.put("at", x: rect.x + 42, y: rect.y, role: .strong)
            listenField.draw(in: &frame, rect: Rect(x: rect.x + 45, y: rect.y, width: min(22, rect.width - 45), height: 1), focused: !callRunning && !numberFocused)
        }
        let idle = draft.isOutbound
            ? "F5 places a real call and shows the SIP ladder and the media counters live."
            : "F5 waits for your PBX to call this number here (Tab: the address), answers, and checks audio both ways."
        var statusLine = callStatus ?? idle
        if callRunning { statusLine = "\(Spinner.glyph(tick, glyphs: frame.glyphs)) " + statusLine }
        frame.put(statusLine, x: rect.x, y: rect.y + 1, role: callRunning ? .pending : .dim, limit: rect.width)
        if let media = callMedia {
            frame.put("RTP sent \(media.sent) · received \(media.received)", x: rect.x, y: rect.y + 2, role: .text, limit: rect.width)
        }
        let verdictHeight = callReport == nil && callError == nil ? 0 : 3
        var ladder = callLadder
        let ladderRect = Rect(x: rect.x, y: rect.y + 3, width: rect.width, height: rect.height - 3 - verdictHeight)
        ladder.offset = max(0, ladder.messages.count - (ladderRect.height - 1))
        ladder.draw(in: &frame, rect: ladderRect)
        let y = rect.maxY - verdictHeight
        if let report = callReport {
            let good = report.isGood
            let verdict = good ? "Connected, audio both ways." : "The call \(report.status) (\(report.result))\(report.sipCode.map { ", SIP \($0)" } ?? "")."
            frame.put(verdict, x: rect.x, y: y, role: good ? .ok : .error, limit: rect.width)
            if let media = report.media {
                frame.paragraph(media.summary + (media.likelyCause.map { " — \($0)" } ?? ""), in: Rect(x: rect.x, y: y + 1, width: rect.width, height: 2), role: good ? .text : .warning)
            }
        } else if let callError {
            frame.paragraph(callError, in: Rect(x: rect.x, y: y, width: rect.width, height: 3), role: .error)
        }
    }

    private func drawComplete(_ frame: inout Frame, _ rect: Rect) {
        var rows = LabelledRows(rect, labelWidth: 18)
        rows.add("Trunk", draft.trunkId, in: &frame)
        rows.add("Direction", draft.direction, in: &frame)
        if draft.isOutbound { rows.add("SIP server", "\(draft.destinationHost ?? "—")\(draft.port.map { ":\($0)" } ?? "") \(draft.transport?.uppercased() ?? "")", in: &frame) }
        if let system = draft.detectedSystem { rows.add("Detected", system, in: &frame) }
        rows.add("Authentication", draft.authMode == "register" ? "registration as \(draft.registerUsername ?? "")" : "IP-based", in: &frame)
        rows.add("Numbers", draft.attached.isEmpty ? "none attached" : draft.attached.joined(separator: ", "), role: draft.attached.isEmpty ? .warning : .text, in: &frame)
        rows.add("Test call", draft.testCallResult ?? "not placed", role: draft.testCallResult == "connected" ? .ok : .warning, in: &frame)
        rows.skip()
        if let setup = pbxSetup {
            if !rows.isFull { frame.put("On the PBX", x: rect.x, y: rows.y, role: .title) }
            rows.skip()
            rows.add("SIP server", setup.sipServers.first ?? "—", in: &frame)
            rows.add("Transport, port", "\(setup.transport.uppercased()) \(setup.port)", in: &frame)
            rows.add("Allow addresses", setup.allowAddresses.joined(separator: ", "), in: &frame)
            rows.add("Codecs", setup.codecs.joined(separator: ", "), in: &frame)
            rows.add("DTMF", setup.dtmf, in: &frame)
            rows.add("RTP ports", setup.rtpPortRange, in: &frame)
        }
        rows.skip()
        if !rows.isFull { frame.put("Enter finishes. siptrunk trunks show \(draft.attached.first ?? "NUMBER") shows this again.", x: rect.x, y: rows.y, role: .dim, limit: rect.width) }
    }
}
