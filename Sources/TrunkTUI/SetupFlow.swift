import Foundation
import SIPCore
import TUIKit
import TrunkCore

/// The set-up wizard as a value: the guide's eight steps, their validation and transitions. Events go in (keys,
/// pasted text, network progress, the results of I/O it asked for); effects come out (save the draft, run discovery,
/// place a call, attach numbers, write a file, quit). It does no I/O itself, so every flow between steps is tested
/// without a terminal, a database or a network (`SetupFlowTests`); `WizardScreen` runs the effects and draws it with
/// `SetupView`.
public struct SetupFlow: Sendable {
    public enum Action: Hashable, Sendable {
        case help, back, next, quit, focus, copy, writeFile, rerun, attach, call
        /// Step 6: move the list's selection, remove the selected number.
        case selectNumber(Int), removeNumber, toggleSRTP
    }

    public enum Event: Sendable {
        /// The wizard is on screen: read what the current step shows.
        case opened
        case key(Key)
        /// Text pasted in one go (bracketed paste).
        case paste(String)
        /// Progress of the discovery run `generation` (a run abandoned for another destination may still report).
        case discovery(DiscoveryProgress, generation: Int)
        case call(TestCallProgress)
        case firewallLoaded(FirewallInfo?)
        case pbxSetupLoaded(OutboundSetup?)
        /// The answer to `.derivePassword`: the password, or why it could not be made.
        case passwordDerived(username: String, Result<String, Failure>)
        case attached(Result<AttachResult, Failure>)
        case saveFailed(String)
        case fileWritten(path: String, error: String?)
    }

    /// Why an effect failed, in words for the status line.
    public struct Failure: Error, Hashable, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    public enum Effect: Hashable, Sendable {
        case save(SetupDraft)
        case clearDraft
        case loadFirewall
        case loadPBXSetup(number: String)
        case discover(target: String, generation: Int)
        case placeCall(number: String, destination: String, transport: String?)
        case awaitCall(number: String, listen: String)
        /// CANCEL while it rings, BYE once answered.
        case endCall(reason: String)
        case derivePassword(trunkId: String, username: String)
        case attach(AttachRequest)
        /// OSC 52: the terminal (also over SSH and in tmux with set-clipboard on) puts the text on its clipboard.
        case copyToClipboard(String)
        case writeFile(text: String, path: String)
        case quit
    }

    /// Where "write to file" puts the firewall list.
    public let firewallFile: String
    /// Whether a network engine runs discovery and calls (the wizard also opens without one).
    public let hasNetwork: Bool
    /// A fresh draft for "n" in the resume offer.
    let newDraft: SetupDraft

    public private(set) var draft: SetupDraft
    public private(set) var showHelp = false
    public private(set) var message: (text: String, role: Role)?
    public private(set) var dialog: Dialog?
    /// The saved set-up on offer when the wizard opened on one.
    public private(set) var resumeOffer: Dialog?
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
    var authList = SetupFlow.authChoices(outbound: false)
    var usernameField = TextField()
    var shownPassword: String?
    /// A password asked for and not yet answered (Enter again does not ask twice).
    var derivingPassword = false
    var numberField = TextField(placeholder: "+14155550100 (Enter adds; paste a list)")
    /// The number selected in Step 6's list (Up/Down; Delete removes it).
    var numberSelection = 0
    /// An attach sent and not yet answered (F5 again does not send it twice).
    var attaching = false
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
    /// Which discovery run the wizard listens to: a run abandoned (its destination changed) may still report,
    /// and its results must not land on the new destination.
    var discoveryGeneration = 0
    var callLadder = Ladder(parties: ["siptrunk", "PBX"])
    var callStatus: String?
    var callMedia: (sent: Int, received: Int)?
    var callRunning = false
    var callReport: TestCallReport?
    var callError: String?

    // Read when their step is entered, not on every frame; `loading` until the answer arrives.
    var firewall: Loadable<FirewallInfo> = .loading
    var pbxSetup: OutboundSetup?

    /// Something read in the background: not yet there, there, or not readable.
    enum Loadable<Value: Sendable>: Sendable {
        case loading, loaded(Value), unavailable
        var value: Value? {
            if case .loaded(let value) = self { return value }
            return nil
        }
    }

    /// Opens on `saved` (offering to resume it when it is past Step 1) or else on `newDraft`.
    public init(saved: SetupDraft?, newDraft: SetupDraft, hasNetwork: Bool, firewallFile: String = "siptrunk-firewall.txt") {
        self.newDraft = newDraft
        self.hasNetwork = hasNetwork
        self.firewallFile = firewallFile
        draft = saved ?? newDraft
        restoreWidgets()
        if saved != nil, draft.step != .direction {
            // Offered, not forced (issue 14): Enter resumes, n starts a new trunk.
            resumeOffer = Dialog(
                title: "Continue the set-up you left?",
                message: "Trunk \(draft.trunkId) was left at step \(draft.step.rawValue) (\(draft.step.title)). Enter continues it; n starts a new trunk and discards it.",
                buttons: ["Enter Continue", "n New trunk"], role: .warning)
        }
    }

    public var isAnimating: Bool { discoveryRunning || callRunning }

    // MARK: Key bindings, one table for the bar, the help and the keys.

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
        // q quits too, but only while no field takes letters.
        if !typing { list.append(KeyBinding([.character("q")], "Quit", "Quit (when no field is being typed in)", .quit, inBar: false)) }
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

    // MARK: Events

    public mutating func handle(_ event: Event) -> [Effect] {
        switch event {
        case .opened: return loadStepData()
        case .key(let key): return handle(key)
        case .paste(let text):
            switch draft.step {
            case .numbers where draft.attached.isEmpty:
                addNumbers(NumberingPlan.numbers(in: text))
            default:
                for character in text where character != "\n" { _ = editField(.character(character)) }
            }
            return []
        case .discovery(let progress, let generation):
            discoveryProgress(progress, generation: generation)
            return []
        case .call(let progress): return callProgress(progress)
        case .firewallLoaded(let info):
            firewall = info.map { .loaded($0) } ?? .unavailable
            return []
        case .pbxSetupLoaded(let setup):
            pbxSetup = setup
            return []
        case .passwordDerived(let username, let result):
            derivingPassword = false
            switch result {
            case .success(let password):
                draft.authMode = .register
                draft.registerUsername = username
                shownPassword = password
                dialog = Dialog(
                    title: "Registration password — shown once",
                    message: "Configure your PBX to register as \(username) with the password \(password) . It is derived for this trunk and not stored: write it into the PBX now. Enter to continue.",
                    role: .warning)
                return [.save(draft)]
            case .failure(let failure):
                message = ("Could not derive the password: \(failure.message)", .error)
                return []
            }
        case .attached(let result):
            attaching = false
            switch result {
            case .success(let result):
                draft.attached = result.configured.map(\.phoneNumber)
                draft.failed = result.failed
                message = result.failed.isEmpty
                    ? ("Attached \(result.configured.count) number\(result.configured.count == 1 ? "" : "s") to trunk \(result.trunkId). Enter goes on to the test call.", .ok)
                    : ("\(result.configured.count) attached, \(result.failed.count) failed: see why below.", .warning)
                return [.save(draft)]
            case .failure(let failure):
                message = (failure.message, .error)
                return []
            }
        case .saveFailed(let reason):
            message = ("Could not save the wizard's progress: \(reason)", .error)
            return []
        case .fileWritten(let path, let error):
            message = error.map { ("Could not write \(path): \($0)", .error) } ?? ("Written to \(path).", .ok)
            return []
        }
    }

    private mutating func handle(_ key: Key) -> [Effect] {
        if resumeOffer != nil {
            switch key {
            case .enter: return resume()
            case .character("n"), .character("N"): return startAnew()
            case .function(10), .control("x"), .control("c"): return [.quit]
            default: return []
            }
        }
        if dialog != nil {
            if key == .enter || key == .escape { dialog = nil }
            return []
        }
        if showHelp {
            showHelp = false
            return []
        }
        if typing, editField(key) { return [] }
        if let action = bindings.action(for: key) { return perform(action) }
        switch draft.step {
        case .direction: _ = directionList.handle(key)
        case .destination: _ = providerList.handle(key)
        case .authentication: _ = authList.handle(key)
        case .discovery: _ = overrideList.handle(key)
        default: break
        }
        return []
    }

    /// Resuming re-runs what the step needs (issue 14: a wizard resumed at Step 3 said "Discovering ..." with nothing
    /// running).
    private mutating func resume() -> [Effect] {
        resumeOffer = nil
        message = ("Resumed the set-up you left at step \(draft.step.rawValue) (\(draft.step.title)).", .pending)
        if draft.step == .discovery, !discoveryRunning { return startDiscovery() }
        return []
    }

    private mutating func startAnew() -> [Effect] {
        resumeOffer = nil
        draft = newDraft
        restoreWidgets()
        message = nil
        return [.clearDraft] + loadStepData()
    }

    private mutating func restoreWidgets() {
        directionList.highlighted = draft.isOutbound ? 0 : 1
        providerList.highlighted = Provider.catalog.firstIndex { $0.id == draft.providerId } ?? Provider.catalog.count - 1
        destinationField = TextField(draft.destination, placeholder: destinationField.placeholder)
        authList = Self.authChoices(outbound: draft.isOutbound)
        authList.highlighted = draft.authMode == .register && !draft.isOutbound ? 1 : 0
        usernameField = TextField(draft.registerUsername ?? "siptrunk-\(draft.trunkId)")
        testNumberField = TextField(draft.attached.first ?? "", placeholder: testNumberField.placeholder)
        if let port = draft.port { portField = TextField(String(port), placeholder: "5060") }
        focusOnField = draft.step == .destination
    }

    /// Sends editing keys to the focused field; false for keys the field does not use.
    private mutating func editField(_ key: Key) -> Bool {
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

    private mutating func addTypedNumber() {
        let text = numberField.value.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return }
        addNumbers([text])
        numberField = TextField(placeholder: numberField.placeholder)
    }

    private mutating func addNumbers(_ numbers: [String]) {
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
    private mutating func setNumbers(_ entries: [String]) {
        draft.numbersText = entries.joined(separator: "\n")
        if message?.role == .error, !draft.numberChecks.contains(where: { $0.result.value == nil }), entries.count <= SIPTrunkService.maximumNumbersPerCall {
            message = nil
        }
    }

    private mutating func perform(_ action: Action) -> [Effect] {
        switch action {
        case .help: showHelp = true
        case .quit:
            return (callRunning ? [.endCall(reason: "ended by quitting the wizard")] : []) + [.save(draft), .quit]
        case .back: return goBack()
        case .next: return goNext()
        case .focus: focusOnField.toggle()
        case .copy:
            guard let text = firewall.value?.ruleText else { break }
            message = ("Copied to the terminal's clipboard (OSC 52; if your terminal ignores it, press w to write a file).", .ok)
            return [.copyToClipboard(text)]
        case .writeFile:
            guard let text = firewall.value?.ruleText else { break }
            return [.writeFile(text: text, path: firewallFile)]
        case .rerun: return startDiscovery()
        case .attach: return attachNumbers()
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
        case .call: return startCall()
        }
        return []
    }

    // MARK: Navigation

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

    private mutating func move(to step: SetupStep) -> [Effect] {
        if step == .authentication {
            let highlighted = draft.isOutbound ? 0 : authList.highlighted
            authList = Self.authChoices(outbound: draft.isOutbound)
            authList.highlighted = min(highlighted, authList.items.count - 1)
            if draft.isOutbound {
                draft.authMode = .ip
                draft.registerUsername = nil
            }
        }
        draft.step = step
        message = nil
        focusOnField = step == .destination || step == .numbers || step == .testCall
        var effects: [Effect] = [.save(draft)]
        if step == .discovery, discoveryReport == nil, !discoveryRunning { effects += startDiscovery() }
        effects += loadStepData()
        if step == .testCall, testNumberField.value.isEmpty, let first = draft.attached.first { testNumberField = TextField(first) }
        return effects
    }

    /// What the firewall and summary steps show, read once when the step is entered (or the wizard opened there).
    private mutating func loadStepData() -> [Effect] {
        switch draft.step {
        case .firewall:
            firewall = .loading
            return [.loadFirewall]
        case .complete:
            pbxSetup = nil
            return draft.attached.first.map { [.loadPBXSetup(number: $0)] } ?? []
        default: return []
        }
    }

    private mutating func goBack() -> [Effect] {
        guard draft.step != .direction, var previous = SetupStep(rawValue: draft.step.rawValue - 1) else { return [] }
        if !draft.isOutbound, previous == .discovery || previous == .destination { previous = .direction }
        // Leaving Step 7 ends its call first, and says so (issue 14: Esc went back while the call ran on).
        let ending = callRunning
        let effects = (ending ? [Effect.endCall(reason: "ended by leaving Step 7")] : []) + move(to: previous)
        if ending { message = ("The test call was ended on leaving Step 7 (CANCEL while it rang, BYE once answered).", .warning) }
        return effects
    }

    private mutating func goNext() -> [Effect] {
        switch draft.step {
        case .direction:
            draft.direction = directionList.highlighted == 0 ? .outbound : .inbound
            return move(to: draft.isOutbound ? .destination : .firewall)
        case .destination:
            draft.providerId = Provider.catalog[providerList.highlighted].id
            draft.destination = destinationField.value
            switch SetupDraft.describe(destination: draft.destination) {
            case .invalid(let problem):
                message = ("Destination: \(problem)", .error)
                focusOnField = true
                return []
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
                return move(to: .discovery)
            }
        case .discovery:
            guard !discoveryRunning else {
                message = ("Discovery is still running: wait for it, or go back.", .warning)
                return []
            }
            if overrideList.highlighted == 0 {
                guard let pick = discoveryReport?.recommended else {
                    message = ("Nothing answered, so there is no recommendation: choose UDP, TCP or TLS and a port to go on anyway, or go back and fix the destination.", .error)
                    return []
                }
                draft.transport = pick.transport
                draft.port = pick.port
                draft.detectedSystem = pick.detectedSystem
            } else {
                let transport = ["udp", "tcp", "tls"][overrideList.highlighted - 1]
                let text = portField.value.isEmpty ? (transport == "tls" ? "5061" : "5060") : portField.value
                guard let port = Int(text), (1...65535).contains(port) else {
                    message = ("Port: '\(portField.value)' is not a port number from 1 to 65535.", .error)
                    return []
                }
                draft.transport = transport
                draft.port = port
            }
            draft.discoveryId = discoveryReport?.discoveryId
            return move(to: .firewall)
        case .firewall:
            return move(to: .authentication)
        case .authentication:
            if authList.highlighted == 1, !draft.isOutbound {
                let username = usernameField.value.trimmingCharacters(in: .whitespaces)
                guard !username.isEmpty, username.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                    message = ("Username: use letters, digits, '-', '_' or '.' (it goes into the PBX's registration settings).", .error)
                    return []
                }
                if draft.authMode != .register || draft.registerUsername != username || shownPassword == nil {
                    // The password is shown before the step is left: the PBX needs it.
                    guard !derivingPassword else { return [] }
                    derivingPassword = true
                    return [.derivePassword(trunkId: draft.trunkId, username: username)]
                }
            } else {
                draft.authMode = .ip
                draft.registerUsername = nil
            }
            shownPassword = nil
            return move(to: .numbers)
        case .numbers:
            // Enter adds what is typed to the list; only F5 attaches (issue 14: Enter attached at once).
            if !numberField.value.isEmpty {
                addTypedNumber()
                return []
            }
            if draft.attached.isEmpty {
                message = draft.numberEntries.isEmpty
                    ? ("Type a number in E.164 form, e.g. +14155550100, then Enter adds it to the list.", .warning)
                    : ("\(draft.numberEntries.count) number\(draft.numberEntries.count == 1 ? "" : "s") in the list: F5 attaches them to trunk \(draft.trunkId).", .warning)
                return []
            }
            return move(to: .testCall)
        case .testCall:
            guard !callRunning else {
                message = ("The test call is still running.", .warning)
                return []
            }
            return move(to: .complete)
        case .complete:
            finished = true
            return [.clearDraft, .quit]
        }
    }

    // MARK: Step actions

    private mutating func startDiscovery() -> [Effect] {
        guard hasNetwork else {
            discoveryError = "Discovery needs the network engine, which this session was started without."
            return []
        }
        guard let host = draft.destinationHost else { return [] }
        var target = draft.destination.trimmingCharacters(in: .whitespaces)
        if target.isEmpty { target = host }
        discoveryLines = []
        discoveryReport = nil
        discoveryError = nil
        discoveryRunning = true
        discoveredFor = target
        discoveryGeneration += 1
        return [.discover(target: target, generation: discoveryGeneration)]
    }

    private mutating func discoveryProgress(_ progress: DiscoveryProgress, generation: Int) {
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

    private mutating func attachNumbers() -> [Effect] {
        guard !attaching else { return [] }
        if !numberField.value.isEmpty { addTypedNumber() }
        let checks = draft.numberChecks
        guard !checks.isEmpty else {
            message = ("Type at least one number in E.164 form, e.g. +14155550100.", .error)
            return []
        }
        let invalid = checks.filter { $0.result.value == nil }
        guard invalid.isEmpty else {
            // The first problem in full (a cell in the list has room for little), then what to do.
            let first: String
            if case .invalid(let problem) = invalid[0].result { first = problem.hasPrefix(invalid[0].text) || problem.hasPrefix("+") ? problem : "\(invalid[0].text): \(problem)" } else { first = invalid[0].text }
            let more = invalid.count > 1 ? " (and \(invalid.count - 1) more)" : ""
            message = ("\(first)\(more) — fix or remove \(invalid.count == 1 ? "it" : "them") (Backspace on the empty field takes the last one back).", .error)
            return []
        }
        attaching = true
        return [.attach(draft.attachRequest())]
    }

    private mutating func startCall() -> [Effect] {
        guard hasNetwork else {
            callError = "Test calls need the network engine, which this session was started without."
            return []
        }
        guard draft.isOutbound else { return startInboundCall() }
        guard let host = draft.destinationHost else {
            callError = "No SIP server to call: go back to Step 2 and give your PBX's address."
            return []
        }
        let number = testNumberField.value.trimmingCharacters(in: .whitespaces)
        guard case .valid = SetupDraft.describe(destination: host), !number.isEmpty else {
            message = ("Type the number to call, in E.164 form.", .error)
            return []
        }
        callLadder = Ladder(parties: ["siptrunk", host])
        callStatus = "calling \(number)…"
        clearCallResult()
        return [.placeCall(number: number, destination: AddressText.join(host: host, port: draft.port), transport: draft.transport)]
    }

    /// Inbound: siptrunk listens, the PBX calls one of the numbers, siptrunk answers and checks the audio.
    private mutating func startInboundCall() -> [Effect] {
        let number = testNumberField.value.trimmingCharacters(in: .whitespaces)
        let listen = listenField.value.trimmingCharacters(in: .whitespaces)
        guard !number.isEmpty, !listen.isEmpty else {
            message = ("Type the number your PBX will call, and the IP:port to listen on.", .error)
            return []
        }
        callLadder = Ladder(parties: ["siptrunk", "your PBX"])
        callStatus = "waiting up to 60 s for your PBX to call \(number) at \(listen)…"
        clearCallResult()
        return [.awaitCall(number: number, listen: listen)]
    }

    private mutating func clearCallResult() {
        callMedia = nil
        callReport = nil
        callError = nil
        callRunning = true
    }

    private mutating func callProgress(_ progress: TestCallProgress) -> [Effect] {
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
            return [.save(draft)]
        case .failed(let reason):
            callRunning = false
            callStatus = "the call could not be placed"
            callError = reason
        }
        return []
    }
}
