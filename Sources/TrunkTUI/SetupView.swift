import Foundation
import SIPCore
import TUIKit
import TrunkCore

/// The wizard drawn from its state: one function per step, no state of its own and no I/O.
enum SetupView {
    static func draw(_ flow: SetupFlow, into frame: inout Frame, tick: Int) {
        let width = frame.width, height = frame.height
        frame.fill(Rect(x: 0, y: 0, width: width, height: 1), role: .title)
        frame.put(" siptrunk · set up a SIP trunk", x: 0, y: 0, role: .title)
        let stepText = "Step \(flow.draft.step.rawValue) of 8 · \(flow.draft.step.title) "
        frame.put(stepText, x: width - DisplayWidth.of(stepText), y: 0, role: .title)
        drawProgress(flow, in: &frame, y: 1)
        let body = Rect(x: 0, y: 2, width: width, height: height - 4)
        frame.box(body, title: "\(flow.draft.step.rawValue). \(flow.draft.step.title)")
        let inner = body.inset(dx: 2, dy: 1)
        switch flow.draft.step {
        case .direction: drawDirection(flow, &frame, inner)
        case .destination: drawDestination(flow, &frame, inner)
        case .discovery: drawDiscovery(flow, &frame, inner, tick: tick)
        case .firewall: drawFirewall(flow, &frame, inner)
        case .authentication: drawAuthentication(flow, &frame, inner)
        case .numbers: drawNumbers(flow, &frame, inner)
        case .testCall: drawTestCall(flow, &frame, inner, tick: tick)
        case .complete: drawComplete(flow, &frame, inner)
        }
        if let message = flow.message {
            frame.statusLines(message.text, endingAt: height - 2, role: message.role)
        }
        flow.bindings.drawBar(in: &frame, rect: Rect(x: 0, y: height - 1, width: width, height: 1))
        if flow.showHelp {
            frame.cursor = nil
            flow.bindings.drawHelp(in: &frame, title: "Keys — \(flow.draft.step.title)")
        }
        if let offer = flow.resumeOffer {
            frame.cursor = nil
            offer.draw(in: &frame)
        } else if let dialog = flow.dialog {
            frame.cursor = nil
            dialog.draw(in: &frame)
        }
    }

    private static func drawProgress(_ flow: SetupFlow, in frame: inout Frame, y: Int) {
        var x = 1
        // Every step's title when they fit, else the numbers and the current title.
        let full = SetupStep.allCases.reduce(0) { $0 + DisplayWidth.of($1.title) + 4 } + 1
        let compact = full > frame.width
        for step in SetupStep.allCases {
            let skipped = !flow.draft.isOutbound && (step == .destination || step == .discovery)
            let role: Role = step == flow.draft.step ? .selection : step.rawValue < flow.draft.step.rawValue ? (skipped ? .dim : .ok) : .dim
            let label = compact ? " \(step.rawValue) " : " \(step.rawValue) \(step.title) "
            x += frame.put(label, x: x, y: y, role: role)
            if step != .complete { x += frame.put(frame.glyphs.horizontal, x: x, y: y, role: .border) }
        }
        if compact { frame.put(" " + flow.draft.step.title, x: x + 1, y: y, role: .strong) }
    }

    private static func drawDirection(_ flow: SetupFlow, _ frame: inout Frame, _ rect: Rect) {
        frame.paragraph("Which way will calls go through this trunk? Choose with ↑/↓ and press Enter.", in: Rect(x: rect.x, y: rect.y, width: rect.width, height: 2))
        flow.directionList.draw(in: &frame, rect: Rect(x: rect.x, y: rect.y + 3, width: rect.width, height: 4), focused: true)
        frame.paragraph("For both directions, run the wizard once for each; the numbers can share one trunk.", in: Rect(x: rect.x, y: rect.y + 8, width: rect.width, height: 2), role: .dim)
    }

    private static func drawDestination(_ flow: SetupFlow, _ frame: inout Frame, _ rect: Rect) {
        let listWidth = min(28, rect.width / 3)
        let (left, right) = rect.left(listWidth)
        frame.put("Provider or PBX", x: left.x, y: left.y, role: .strong)
        flow.providerList.draw(in: &frame, rect: Rect(x: left.x, y: left.y + 1, width: left.width, height: left.height - 1), focused: !flow.focusOnField, details: false)
        let area = Rect(x: right.x + 2, y: right.y, width: right.width - 2, height: right.height)
        let provider = Provider.catalog[flow.providerList.highlighted]
        frame.put("Where to find the address (\(provider.name))", x: area.x, y: area.y, role: .strong, limit: area.width)
        let used = frame.paragraph(provider.guidance, in: Rect(x: area.x, y: area.y + 1, width: area.width, height: 4), role: .text)
        let fieldY = area.y + 2 + max(used, 3)
        frame.put("SIP server", x: area.x, y: fieldY, role: flow.focusOnField ? .focus : .strong)
        flow.destinationField.draw(in: &frame, rect: Rect(x: area.x, y: fieldY + 1, width: area.width, height: 1), focused: flow.focusOnField)
        switch SetupDraft.describe(destination: flow.destinationField.value) {
        case .valid(let parsed):
            let port = parsed.port.map(String.init) ?? "auto"
            let transport = parsed.transport?.rawValue.uppercased() ?? "auto"
            frame.put("\(frame.glyphs.bullet) host \(parsed.host)  port \(port)  transport \(transport)", x: area.x, y: fieldY + 2, role: .ok, limit: area.width)
            if parsed.port == nil || parsed.transport == nil {
                frame.put("  auto: discovery decides (next step)", x: area.x, y: fieldY + 3, role: .dim, limit: area.width)
            }
        case .invalid(let problem):
            frame.paragraph(problem, in: Rect(x: area.x, y: fieldY + 2, width: area.width, height: 2), role: flow.destinationField.value.isEmpty ? .dim : .error)
        }
    }

    private static func drawDiscovery(_ flow: SetupFlow, _ frame: inout Frame, _ rect: Rect, tick: Int) {
        frame.put("Discovering \(flow.draft.destination)", x: rect.x, y: rect.y, role: .strong, limit: rect.width - 12)
        if flow.discoveryRunning { frame.put("\(Spinner.glyph(tick, glyphs: frame.glyphs)) probing", x: rect.maxX - 10, y: rect.y, role: .pending) }
        // The recommendation's reason takes the rows it needs (it was cut after two), up to 5.
        let why = flow.discoveryReport?.recommended.map { pick in "Why: \(pick.reason)\(pick.warning.map { " Warning: \($0)" } ?? "")" }
        let whyRows = why.map { min(5, max(2, Frame.wrap($0, width: rect.width).count)) } ?? 2
        let resultHeight = flow.discoveryReport == nil && flow.discoveryError == nil ? 0 : 5 + whyRows
        let logRect = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1 - resultHeight)
        for (index, line) in flow.discoveryLines.suffix(logRect.height).enumerated() {
            frame.put(line.text, x: logRect.x, y: logRect.y + index, role: line.role, limit: logRect.width)
        }
        guard resultHeight > 0 else { return }
        let y = rect.maxY - resultHeight
        frame.horizontalLine(x: rect.x, y: y, width: rect.width)
        if let pick = flow.discoveryReport?.recommended {
            frame.put("Recommended: \(pick.transport.uppercased()) port \(pick.port) on \(pick.address) · \(pick.detectedSystem)", x: rect.x, y: y + 1, role: .ok, limit: rect.width)
            frame.paragraph(why ?? "", in: Rect(x: rect.x, y: y + 2, width: rect.width, height: whyRows), role: pick.warning == nil ? .text : .warning)
        } else if let discoveryError = flow.discoveryError {
            frame.paragraph(discoveryError, in: Rect(x: rect.x, y: y + 1, width: rect.width, height: 3), role: .error)
        }
        let listY = y + 2 + whyRows
        let listRect = Rect(x: rect.x, y: listY, width: 30, height: 3)
        flow.overrideList.draw(in: &frame, rect: listRect, focused: !flow.focusOnField, details: false)
        if flow.overrideList.highlighted > 0 {
            frame.put("port", x: rect.x + 32, y: listY, role: flow.focusOnField ? .focus : .strong)
            flow.portField.draw(in: &frame, rect: Rect(x: rect.x + 37, y: listY, width: 8, height: 1), focused: flow.focusOnField)
            frame.put("(Tab to edit)", x: rect.x + 47, y: listY, role: .dim, limit: rect.maxX - rect.x - 47)
        }
    }

    private static func drawFirewall(_ flow: SetupFlow, _ frame: inout Frame, _ rect: Rect) {
        let info: FirewallInfo
        switch flow.firewall {
        case .loaded(let loaded): info = loaded
        case .loading:
            frame.put("Reading the deployment profile…", x: rect.x, y: rect.y, role: .pending)
            return
        case .unavailable:
            frame.put("The deployment profile could not be read.", x: rect.x, y: rect.y, role: .error)
            return
        }
        frame.paragraph("Allow these addresses and ports on the firewall in front of your PBX, in both directions.", in: Rect(x: rect.x, y: rect.y, width: rect.width, height: 2))
        var rows = LabelledRows(Rect(x: rect.x, y: rect.y + 3, width: rect.width, height: rect.height - 3), labelWidth: 14)
        for row in info.rows { rows.add(row.label, row.value, in: &frame) }
        rows.skip()
        frame.paragraph("c copies the list to your clipboard; w writes it to \(flow.firewallFile).", in: Rect(x: rect.x, y: rows.y, width: rect.width, height: 2), role: .dim)
    }

    private static func drawAuthentication(_ flow: SetupFlow, _ frame: inout Frame, _ rect: Rect) {
        frame.paragraph("How does this deployment know a call really comes from your PBX?", in: Rect(x: rect.x, y: rect.y, width: rect.width, height: 1))
        flow.authList.draw(in: &frame, rect: Rect(x: rect.x, y: rect.y + 2, width: rect.width, height: 4), focused: !flow.focusOnField)
        guard flow.authList.highlighted == 1 else { return }
        frame.put("Username", x: rect.x, y: rect.y + 7, role: flow.focusOnField ? .focus : .strong)
        flow.usernameField.draw(in: &frame, rect: Rect(x: rect.x + 10, y: rect.y + 7, width: min(40, rect.width - 10), height: 1), focused: flow.focusOnField)
        frame.paragraph("Enter derives this trunk's password and shows it once. Tab edits the username.", in: Rect(x: rect.x, y: rect.y + 9, width: rect.width, height: 2), role: .dim)
    }

    private static func drawNumbers(_ flow: SetupFlow, _ frame: inout Frame, _ rect: Rect) {
        if flow.draft.attached.isEmpty && flow.draft.failed.isEmpty {
            frame.paragraph("Type or paste up to \(SIPTrunkService.maximumNumbersPerCall) numbers in E.164 form (+1 (415) 555-0142 is fine). Enter adds one to the list; F5 attaches the list to \(flow.draft.trunkId).", in: Rect(x: rect.x, y: rect.y, width: rect.width, height: 2))
            flow.numberField.draw(in: &frame, rect: Rect(x: rect.x, y: rect.y + 3, width: min(40, rect.width), height: 1), focused: true)
            if !flow.numberField.value.isEmpty, case .invalid(let problem) = SetupDraft.check(number: flow.numberField.value.trimmingCharacters(in: .whitespaces)) {
                frame.put(problem, x: rect.x + min(42, rect.width), y: rect.y + 3, role: .error, limit: max(0, rect.width - 42))
            }
        }
        let checks = flow.draft.numberChecks
        if flow.draft.attached.isEmpty && flow.draft.failed.isEmpty, !checks.isEmpty {
            frame.put("\(checks.count)/\(SIPTrunkService.maximumNumbersPerCall) in the list · ↑↓ select · Del removes · F5 attaches", x: rect.x, y: rect.y + 4, role: .dim, limit: rect.width)
        }
        let top = flow.draft.attached.isEmpty && flow.draft.failed.isEmpty ? rect.y + 5 : rect.y
        let rows = rect.maxY - top
        // As many columns as the list needs (at most what fits at 38 each), so a short list has room for reasons.
        let needed = (checks.count + max(1, rows) - 1) / max(1, rows)
        let columns = max(1, min(rect.width / 38, needed))
        let columnWidth = max(38, rect.width / columns)
        let failures = Dictionary(flow.draft.failed.map { ($0.phoneNumber, $0.reason) }) { a, _ in a }
        for (index, check) in checks.enumerated() {
            let column = index / max(1, rows), row = index % max(1, rows)
            guard column < columns else { break }
            let x = rect.x + column * columnWidth
            let text: String
            let role: Role
            switch check.result {
            case .valid(let number) where flow.draft.attached.contains(number):
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
            let selected = flow.draft.attached.isEmpty && index == flow.numberSelection && checks.count > 1
            frame.put(text, x: x, y: top + row, role: selected ? .selection : role, limit: min(columnWidth - 1, rect.maxX - x))
        }
    }

    private static func drawTestCall(_ flow: SetupFlow, _ frame: inout Frame, _ rect: Rect, tick: Int) {
        frame.put(flow.draft.isOutbound ? "Number to call" : "PBX calls", x: rect.x, y: rect.y, role: .strong)
        let numberFocused = !flow.callRunning && (flow.draft.isOutbound || flow.focusOnField)
        flow.testNumberField.draw(in: &frame, rect: Rect(x: rect.x + 16, y: rect.y, width: min(24, rect.width - 16), height: 1), focused: numberFocused)
        if flow.draft.isOutbound {
            let via = "via \(flow.draft.destinationHost ?? "—")\(flow.draft.port.map { ":\($0)" } ?? "") \(flow.draft.transport?.uppercased() ?? "")"
            frame.put(via, x: rect.x + 42, y: rect.y, role: .dim, limit: max(0, rect.width - 42))
        } else if rect.width > 60 {
            frame.put("at", x: rect.x + 42, y: rect.y, role: .strong)
            flow.listenField.draw(in: &frame, rect: Rect(x: rect.x + 45, y: rect.y, width: min(22, rect.width - 45), height: 1), focused: !flow.callRunning && !numberFocused)
        }
        let idle = flow.draft.isOutbound
            ? "F5 places a real call and shows the SIP ladder and the media counters live."
            : "F5 waits for your PBX to call this number here (Tab: the address), answers, and checks audio both ways."
        var statusLine = flow.callStatus ?? idle
        if flow.callRunning { statusLine = "\(Spinner.glyph(tick, glyphs: frame.glyphs)) " + statusLine }
        frame.put(statusLine, x: rect.x, y: rect.y + 1, role: flow.callRunning ? .pending : .dim, limit: rect.width)
        if let media = flow.callMedia {
            frame.put("RTP sent \(media.sent) · received \(media.received)", x: rect.x, y: rect.y + 2, role: .text, limit: rect.width)
        }
        let verdictHeight = flow.callReport == nil && flow.callError == nil ? 0 : 3
        var ladder = flow.callLadder
        let ladderRect = Rect(x: rect.x, y: rect.y + 3, width: rect.width, height: rect.height - 3 - verdictHeight)
        ladder.offset = max(0, ladder.messages.count - (ladderRect.height - 1))
        ladder.draw(in: &frame, rect: ladderRect)
        let y = rect.maxY - verdictHeight
        if let report = flow.callReport {
            let good = report.isGood
            let verdict = good ? "Connected, audio both ways." : "The call \(report.status) (\(report.result))\(report.sipCode.map { ", SIP \($0)" } ?? "")."
            frame.put(verdict, x: rect.x, y: y, role: good ? .ok : .error, limit: rect.width)
            if let media = report.media {
                frame.paragraph(media.summary + (media.likelyCause.map { " — \($0)" } ?? ""), in: Rect(x: rect.x, y: y + 1, width: rect.width, height: 2), role: good ? .text : .warning)
            }
        } else if let callError = flow.callError {
            frame.paragraph(callError, in: Rect(x: rect.x, y: y, width: rect.width, height: 3), role: .error)
        }
    }

    private static func drawComplete(_ flow: SetupFlow, _ frame: inout Frame, _ rect: Rect) {
        var rows = LabelledRows(rect, labelWidth: 18)
        rows.add("Trunk", flow.draft.trunkId, in: &frame)
        rows.add("Direction", flow.draft.direction.rawValue, in: &frame)
        if flow.draft.isOutbound { rows.add("SIP server", "\(flow.draft.destinationHost ?? "—")\(flow.draft.port.map { ":\($0)" } ?? "") \(flow.draft.transport?.uppercased() ?? "")", in: &frame) }
        if let system = flow.draft.detectedSystem { rows.add("Detected", system, in: &frame) }
        rows.add("Authentication", flow.draft.authMode == .register ? "registration as \(flow.draft.registerUsername ?? "")" : "IP-based", in: &frame)
        rows.add("Numbers", flow.draft.attached.isEmpty ? "none attached" : flow.draft.attached.joined(separator: ", "), role: flow.draft.attached.isEmpty ? .warning : .text, in: &frame)
        rows.add("Test call", flow.draft.testCallResult ?? "not placed", role: flow.draft.testCallResult == "connected" ? .ok : .warning, in: &frame)
        rows.skip()
        if let setup = flow.pbxSetup {
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
        if !rows.isFull { frame.put("Enter finishes. siptrunk trunks show \(flow.draft.attached.first ?? "NUMBER") shows this again.", x: rect.x, y: rows.y, role: .dim, limit: rect.width) }
    }
}
