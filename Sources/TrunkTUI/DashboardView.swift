import Foundation
import SIPCore
import SIPEngine
import TUIKit
import TrunkCore

/// Formatting the dashboard's views share.
enum DashboardView {
    /// The view's own memory between frames: where each list and form is scrolled to (the state holds what is
    /// selected; the view scrolls to keep it visible).
    struct Scroll: Sendable {
        var overview = 0, calls = 0, logs = 0, alerts = 0, porting = 0, form = 0
    }

    /// The overview's sparkline: decoration gives way to data (issue 14: at 80 columns the endpoint was cut while
    /// the sparkline kept 20 columns).
    static let sparklineWidth = 12

    /// One formatter for every date drawn (making one per call cost more than drawing the screen).
    static let formatter = utcFormatter("yyyy-MM-dd HH:mm:ss")

    /// A fixed-format formatter in UTC, whatever the machine's locale and zone.
    static func utcFormatter(_ format: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = format
        return formatter
    }

    static func format(_ date: Date) -> String { formatter.string(from: date) }

    static func role(for state: HealthState) -> Role {
        switch state {
        case .healthy: .ok
        case .unreachable: .error
        case .degraded: .warning
        case .unchecked: .dim
        }
    }

    /// The message's lines as the full-message view shows them (CRLF is one Character in Swift: split on any newline).
    static func lines(of message: TraceMessage) -> [String] {
        String(decoding: message.raw, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
    }

    /// The rows the full-message view has at a terminal `height` with `calls` calls listed above it (the layout of
    /// `draw`: title, tabs and box around the tab, the calls' list, the message's header line).
    static func messageRows(height: Int, calls: Int) -> Int {
        let area = height - 7
        let listHeight = min(calls + 1, max(3, area / 4))
        return max(1, area - listHeight - 2)
    }

    /// `capture: 1,100 received · 1,100 stored · 0 skipped · 0 dropped by the kernel · updated … · hep:127.0.0.1:9060`
    /// (the figures first: a long file name is what a narrow terminal cuts).
    static func summary(_ source: CaptureSource) -> String {
        func count(_ value: Int) -> String { value.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US_POSIX"))) }
        var parts = ["capture: \(count(source.received)) received", "\(count(source.stored)) stored", "\(count(source.skipped)) skipped",
                     "\(count(source.kernelDrops)) dropped by the kernel"]
        if source.pruned > 0 { parts.append("\(count(source.pruned)) pruned") }
        parts.append("updated \(format(source.updatedAt))")
        parts.append(source.id)
        return parts.joined(separator: " · ")
    }
}

/// The dashboard drawn from its state: one function per view and tab, no state of their own and no I/O.
extension DashboardState {
    // MARK: Drawing

    /// The whole screen from the state; `now` is for the call logs' countdown.
    func draw(now: Date, scroll: inout DashboardView.Scroll, into frame: inout Frame) {
        let width = frame.width, height = frame.height
        frame.fill(Rect(x: 0, y: 0, width: width, height: 1), role: .title)
        frame.put(" siptrunk · SIP dashboard", x: 0, y: 0, role: .title)
        let clock = DashboardView.format(lastLoad) + " UTC "
        frame.put(clock, x: width - DisplayWidth.of(clock), y: 0, role: .title)
        let monitor = monitorOwner.map { "monitor: \($0)" } ?? "no monitor running (siptrunk monitor)"
        let room = width - DisplayWidth.of(clock) - 28
        if room > 12 { frame.put(monitor, x: 27, y: 0, role: monitorOwner == nil ? .warning : .title, limit: room) }
        let body = Rect(x: 0, y: 1, width: width, height: height - 3)
        if portWizard != nil {
            portWizard?.draw(&frame, Rect(x: 1, y: 2, width: width - 2, height: height - 5), formOffset: &scroll.form)
        } else if alertsView != nil {
            alertsView?.draw(&frame, Rect(x: 1, y: 2, width: width - 2, height: height - 4), offset: &scroll.alerts)
        } else if porting != nil {
            porting?.draw(&frame, Rect(x: 1, y: 2, width: width - 2, height: height - 4), offset: &scroll.porting)
        } else if let detail {
            drawDetail(&frame, body, detail, now: now, scroll: &scroll)
        } else {
            drawOverview(&frame, body, scroll: &scroll)
        }
        if let message = portWizard?.message ?? message { frame.statusLines(message.text, endingAt: height - 2, role: message.role) }
        let keys = editor == nil ? bindings : editorBindings
        keys.drawBar(in: &frame, rect: Rect(x: 0, y: height - 1, width: width, height: 1))
        if showHelp { keys.drawHelp(in: &frame, title: "Keys") }
    }

    private func drawOverview(_ frame: inout Frame, _ rect: Rect, scroll: inout DashboardView.Scroll) {
        let summary = SIPTrunkService.summary(of: views, trunks: trunkCount)
        let cards: [(String, String, Role)] = [
            ("Trunks", "\(summary.trunks)", .strong), ("Inbound", "\(summary.inbound)", .strong), ("Outbound", "\(summary.outbound)", .strong),
            ("Healthy", "\(summary.healthy)", .ok), ("Unreachable", "\(summary.unreachable)", summary.unreachable > 0 ? .error : .dim),
            ("Degraded", "\(summary.degraded)", summary.degraded > 0 ? .warning : .dim),
        ]
        let cardWidth = rect.width / cards.count
        // A label that does not fit beside its value takes its short form, never a cut one ("Inbou… 6" at 80 columns).
        let short = ["Inbound": "In", "Outbound": "Out", "Healthy": "OK", "Unreachable": "Down", "Degraded": "Degr."]
        for (index, card) in cards.enumerated() {
            let box = Rect(x: rect.x + index * cardWidth, y: rect.y, width: cardWidth - 1, height: 3)
            frame.box(box)
            let value = card.1
            let room = max(1, box.width - 5 - DisplayWidth.of(value))
            let name = DisplayWidth.of(card.0) <= room ? card.0 : (short[card.0] ?? card.0)
            let label = DisplayWidth.truncate(name, to: room, ellipsis: frame.glyphs.ellipsis)
            frame.put(label, x: box.x + 2, y: box.y + 1, role: .dim)
            frame.put(value, x: box.maxX - 2 - DisplayWidth.of(value), y: box.y + 1, role: card.2)
        }
        var y = rect.y + 3
        if filtering || !filterField.value.isEmpty {
            frame.put("Filter:", x: rect.x + 1, y: y, role: .strong)
            filterField.draw(in: &frame, rect: Rect(x: rect.x + 9, y: y, width: min(40, rect.width - 10), height: 1), focused: filtering)
            frame.put("\(shown.count) of \(views.count)", x: rect.x + 51, y: y, role: .dim, limit: max(0, rect.width - 51))
            y += 1
        }
        let sortNames = ["number", "direction", "endpoint", "health"]
        if openAlerts > 0 {
            frame.put("\(openAlerts) open alert\(openAlerts == 1 ? "" : "s") — A shows them", x: rect.x + 1, y: y, role: .error, limit: max(0, rect.width - 22))
        }
        frame.put("sorted by \(sortNames[sortColumn])", x: rect.maxX - 20, y: y, role: .dim)
        y += 1
        if views.isEmpty, !overviewRead {
            frame.put("Reading the database…", x: rect.x + 2, y: y + 1, role: .pending, limit: rect.width - 4)
            return
        }
        if views.isEmpty {
            frame.paragraph("No trunks yet. Run siptrunk (the set-up wizard) or siptrunk demo for a sample set; start siptrunk monitor to probe them.", in: Rect(x: rect.x + 2, y: y + 1, width: rect.width - 4, height: 3), role: .dim)
            return
        }
        table.draw(in: &frame, rect: Rect(x: rect.x + 1, y: y, width: rect.width - 2, height: rect.maxY - y), focused: true, offset: &scroll.overview)
    }

    private func drawDetail(_ frame: inout Frame, _ rect: Rect, _ view: HealthView, now: Date, scroll: inout DashboardView.Scroll) {
        frame.put(" \(view.phoneNumber) · \(view.direction) · \(view.sipEndpoint ?? "no endpoint") · trunk \(view.trunkId)", x: rect.x, y: rect.y, role: .strong, limit: rect.width)
        Tabs(Tab.allCases.map(\.title), selected: tab.rawValue).draw(in: &frame, rect: Rect(x: rect.x + 1, y: rect.y + 1, width: rect.width - 2, height: 1))
        let inner = Rect(x: rect.x, y: rect.y + 2, width: rect.width, height: rect.height - 2)
        frame.box(inner, title: tab.title)
        let area = inner.inset(dx: 2, dy: 1)
        switch tab {
        case .health: drawHealth(&frame, area, view)
        case .traces: drawTraces(&frame, area, scroll: &scroll)
        case .callLogs: drawCallLogs(&frame, area, now: now, scroll: &scroll)
        case .firewall: drawFirewall(&frame, area)
        case .configuration: drawConfiguration(&frame, area, view, scroll: &scroll)
        }
    }

    private func drawHealth(_ frame: inout Frame, _ rect: Rect, _ view: HealthView) {
        var rows = LabelledRows(rect, labelWidth: 16)
        let since = view.since.map { " since \(DashboardView.format($0)) UTC" } ?? ""
        rows.add("State", view.healthStatus.rawValue + since, role: DashboardView.role(for: view.healthStatus), in: &frame)
        if view.direction == "inbound" { rows.add("", "inbound-only numbers are not probed (the guide shows them unchecked)", role: .dim, in: &frame) }
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0) } ?? "—" }
        rows.add("Uptime", "1 h \(percent(view.uptime1h))   24 h \(percent(view.uptime24h))   7 days \(percent(view.uptime7d))", in: &frame)
        rows.add("Response", view.averageResponseMs.map { String(format: "%.1f ms average over 24 h", $0) } ?? "—", in: &frame)
        rows.add("Recent", Sparkline.text(view.recentResponseMs, width: min(60, rect.width - 16), glyphs: frame.glyphs), role: .ok, in: &frame)
        rows.add("Last probe", view.lastCheckedAt.map { DashboardView.format($0) + " UTC" } ?? "never (is siptrunk monitor running?)", in: &frame)
        rows.skip()
        if let failover, failover.endpoints.count > 1 {
            let moved = failover.activeRole != "primary"
            let since = failover.activeSince.map { " since \(DashboardView.format($0)) UTC" } ?? ""
            rows.add("Calls go to", "\(failover.activeRole) \(failover.activeEndpoint)\(moved ? since : "")", role: moved ? .warning : .ok, in: &frame)
            if moved, let last = failover.history.first { rows.add("", "\(last.trigger): \(last.reason)", role: .dim, in: &frame) }
            for endpoint in failover.endpoints {
                rows.add(endpoint.active ? "  * " + endpoint.role : "    " + endpoint.role, "\(endpoint.endpoint)  \(endpoint.healthStatus.rawValue)", role: DashboardView.role(for: endpoint.healthStatus), in: &frame)
            }
            rows.add("Failover", "\(failover.enabled ? "on" : "off") · failback \(failover.failback)\(moved && failover.failback == "manual" ? " · b sends calls back to the primary" : "")", role: .dim, in: &frame)
            rows.skip()
        }
        if let registration {
            let expiry = registration.expiresIn.map { String(format: ", expires in %.0f s", $0) } ?? ""
            rows.add("Registration", "\(registration.state) as \(registration.username) at \(registration.registrar)" + expiry, role: registration.state == "registered" ? .ok : .warning, in: &frame)
            if let error = registration.lastError { rows.add("", error, role: .error, in: &frame) }
            rows.skip()
        }
        guard !view.lastFailures.isEmpty, !rows.isFull else { return }
        frame.put("Last failures", x: rect.x, y: rows.y, role: .title)
        var y = rows.y + 1
        for failure in view.lastFailures where y < rect.maxY {
            frame.put("\(DashboardView.format(failure.at))  \(failure.outcome)\(failure.responseCode.map { " \($0)" } ?? "")", x: rect.x, y: y, role: .error, limit: rect.width)
            y += 1
            if let message = failure.message, y < rect.maxY { frame.put("  \(message)", x: rect.x, y: y, limit: rect.width); y += 1 }
            if let remedy = failure.remedy, y < rect.maxY { frame.put("  → \(remedy)", x: rect.x, y: y, role: .dim, limit: rect.width); y += 1 }
        }
    }

    private func drawTraces(_ frame: inout Frame, _ rect: Rect, scroll: inout DashboardView.Scroll) {
        guard !calls.isEmpty else {
            frame.paragraph("No calls traced for this number yet: place a test call (siptrunk test-call --number N, or the wizard's Step 7).", in: rect, role: .dim)
            return
        }
        let listHeight = min(calls.count + 1, max(3, rect.height / 4))
        testTable.draw(in: &frame, rect: Rect(x: rect.x, y: rect.y, width: rect.width, height: listHeight), focused: !showMessage, offset: &scroll.calls)
        if searching || !traceSearch.value.isEmpty {
            frame.put("Search:", x: rect.x, y: rect.y + listHeight, role: .strong)
            traceSearch.draw(in: &frame, rect: Rect(x: rect.x + 8, y: rect.y + listHeight, width: min(36, rect.width - 8), height: 1), focused: searching)
            frame.put("\(trace.count) of \(fullTrace.count) messages", x: rect.x + 46, y: rect.y + listHeight, role: .dim, limit: max(0, rect.width - 46))
        }
        let below = Rect(x: rect.x, y: rect.y + listHeight + 1, width: rect.width, height: rect.height - listHeight - 1)
        if showMessage, traceSelection < trace.count {
            drawMessage(&frame, below, trace[traceSelection])
            return
        }
        if fullTrace.isEmpty, testTable.selected < calls.count {
            let call = calls[testTable.selected]
            frame.paragraph("No SIP message was exchanged for this call. " + (call.reason.map { "Why: \($0)" } ?? ""), in: below, role: .warning)
            return
        }
        var ladder = TraceLadder.ladder(for: trace, absoluteTimes: absoluteTimes, since: fullTrace.first)
        ladder.selected = traceSelection
        ladder.offset = max(0, traceSelection - (below.height - 2))
        ladder.draw(in: &frame, rect: below)
    }

    private func drawMessage(_ frame: inout Frame, _ rect: Rect, _ message: TraceMessage) {
        let lines = DashboardView.lines(of: message)
        // The view's height is a page (`DashboardView.messageRows` gives the scroll keys the same figure).
        let messageRows = max(1, rect.height - 1)
        let first = max(0, min(messageScroll, lines.count - messageRows))
        let position = lines.count > messageRows ? " · lines \(first + 1)–\(min(lines.count, first + messageRows)) of \(lines.count)" : ""
        let header = "\(message.direction == "sent" ? "sent to" : "received from") \(message.remoteAddress) over \(message.transport.uppercased()) at \(DashboardView.format(message.wallTime))\(position)"
        frame.put(header, x: rect.x, y: rect.y, role: .dim, limit: rect.width)
        var y = rect.y + 1
        var inBody = false
        for (index, line) in lines.enumerated() {
            if line.isEmpty { inBody = true }
            guard index >= first else { continue }
            guard y < rect.maxY else { break }
            let role: Role
            if index == 0 {
                role = .title
            } else if inBody {
                role = .link
            } else {
                role = .text
            }
            if !inBody, index > 0, let colon = line.firstIndex(of: ":") {
                let name = String(line[...colon])
                let used = frame.put(name, x: rect.x, y: y, role: .strong, limit: rect.width)
                frame.put(line[line.index(after: colon)...], x: rect.x + used, y: y, role: role, limit: rect.width - used)
            } else {
                frame.put(line, x: rect.x, y: y, role: role, limit: rect.width)
            }
            y += 1
        }
    }

    private func drawCallLogs(_ frame: inout Frame, _ rect: Rect, now: Date, scroll: inout DashboardView.Scroll) {
        guard let page else { return }
        let pageNumber = cursors.count
        let pages = max(1, (page.total + SIPTrunkService.callLogPageSize - 1) / SIPTrunkService.callLogPageSize)
        let countdown = max(0, logsRefreshSeconds - Int(now.timeIntervalSince(logsLoadedAt)))
        var heading = "page \(pageNumber) of \(pages) · \(page.total) calls\(logFilter.value.isEmpty ? "" : " matching") · refresh in \(countdown) s"
        if filteringLogs || !logFilter.value.isEmpty {
            let used = frame.put("Filter:", x: rect.x, y: rect.y, role: .strong)
            logFilter.draw(in: &frame, rect: Rect(x: rect.x + used + 1, y: rect.y, width: min(28, max(0, rect.width - used - 1)), height: 1), focused: filteringLogs)
            heading = "  " + heading
            frame.put(heading, x: rect.x + used + 30, y: rect.y, role: .dim, limit: max(0, rect.width - used - 30))
        } else {
            frame.put(heading, x: rect.x, y: rect.y, role: .dim, limit: rect.width)
        }
        var tableHeight = rect.height - 1
        if let captureSummary = captureSource.map(DashboardView.summary), rect.height > 4 {
            frame.put(captureSummary, x: rect.x, y: rect.y + rect.height - 1, role: .dim, limit: rect.width)
            tableHeight -= 1
        }
        if page.logs.isEmpty {
            frame.put(logFilter.value.isEmpty ? "No calls logged for this number." : "No calls match '\(logFilter.value)' (Esc clears the filter).", x: rect.x, y: rect.y + 2, role: .dim)
            return
        }
        logTable.draw(in: &frame, rect: Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: tableHeight), focused: true, offset: &scroll.logs)
    }

    private func drawFirewall(_ frame: inout Frame, _ rect: Rect) {
        guard let firewall else { return }
        var rows = LabelledRows(rect, labelWidth: 14)
        for row in firewall.rows { rows.add(row.label, row.value, in: &frame) }
    }

    private func drawConfiguration(_ frame: inout Frame, _ rect: Rect, _ view: HealthView, scroll: inout DashboardView.Scroll) {
        if let title = editor?.section.title {
            frame.put(title + " of \(view.phoneNumber) \(view.direction)", x: rect.x, y: rect.y, role: .title, limit: rect.width)
            editor?.form.draw(in: &frame, rect: Rect(x: rect.x, y: rect.y + 2, width: rect.width, height: rect.height - 2), labelWidth: 18, offset: &scroll.form)
            return
        }
        var rows = LabelledRows(rect, labelWidth: 18)
        rows.add("Number", view.phoneNumber, in: &frame)
        rows.add("Direction", view.direction, in: &frame)
        rows.add("SIP endpoint", view.sipEndpoint ?? "—", in: &frame)
        guard let config = advanced else { return }
        rows.skip()
        let failover = config.failoverConfig
        if view.direction == "outbound" {
            let triggers = failover.triggers.map { ConfigEditor.triggerTitles[$0]?.lowercased() ?? $0 }.joined(separator: ", ")
            rows.add("Failover  (f)", failover.enabled ? "on · \(triggers) · failback \(failover.failback)" : "off",
                     role: failover.enabled ? .ok : .dim, in: &frame)
            for (title, priority) in [("primary", 1), ("secondary", 2), ("tertiary", 3)] {
                rows.add("  " + title, failover.endpoints.first { $0.priority == priority }.map(ConfigEditor.describe) ?? "—", in: &frame)
            }
        }
        let codecs = config.codecConfig
        rows.add("Codecs    (o)", codecs.codecs.joined(separator: ", ") + (codecs.transcode ? " · transcoding on" : " · transcoding off"), in: &frame)
        let alerts = config.alertConfig
        let limits = alerts.thresholds
        rows.add("Alerts    (a)", alerts.enabled ? "on" : "off", role: alerts.enabled ? .ok : .dim, in: &frame)
        rows.add("  thresholds", "unreachable \(limits.unreachableMinutes ?? 0) min · failures \(limits.failureRatePercent ?? 0)%/\(limits.failureRateWindowMinutes ?? 0) min · \(limits.responseTimeMs ?? 0) ms", in: &frame)
        let channels = [alerts.channels.email.map { "email \($0)" }, alerts.channels.sms.map { "sms \($0)" }, alerts.channels.webhook.map { "webhook \($0)" }].compactMap { $0 }
        rows.add("  channels", channels.isEmpty ? "none" : channels.joined(separator: " · "), in: &frame)
    }
}

/// A stored trace as a ladder: one column for siptrunk, one per remote address (hosts of one party together),
/// re-transmissions (the same message sent again) marked.
extension Role {
    /// The arrow colour of a message in a ladder, from what its start line says.
    static func arrow(_ kind: StartLineLabel.Kind) -> Role {
        switch kind {
        case .request: return .arrowRequest
        case .provisional: return .arrowProvisional
        case .success: return .arrowSuccess
        case .failure: return .arrowError
        }
    }
}

public enum TraceLadder {
    /// Times are since the call's first message (`+12.5 ms`), or with `absoluteTimes` the wall clock in UTC.
    /// `since` is the call's first message when `trace` is a filtered part of it (issue 14: a search restarted the
    /// times, so a BYE showed +0.0 ms).
    public static func ladder(for trace: [TraceMessage], absoluteTimes: Bool = false, since first: TraceMessage? = nil) -> Ladder {
        var parties = ["siptrunk"]
        var column: [String: Int] = [:]
        var seen: Set<Data> = []
        var messages: [Ladder.Message] = []
        let start = (first ?? trace.first)?.monotonicNs ?? 0
        for message in trace {
            let host = AddressText.host(of: message.remoteAddress)
            if column[host] == nil {
                column[host] = parties.count
                parties.append(host)
            }
            let startLine = StartLineLabel(message.raw)
            let label = startLine.text
            let role = Role.arrow(startLine.kind)
            let remote = column[host] ?? 0
            let sent = message.direction == "sent"
            let retransmission = sent && !seen.insert(message.raw).inserted
            let time: String
            if absoluteTimes {
                time = timeFormatter.string(from: message.wallTime)
            } else {
                let elapsed = Double(message.monotonicNs - start) / 1e6
                time = elapsed < 1000 ? String(format: "+%.1f ms", elapsed) : String(format: "+%.3f s", elapsed / 1000)
            }
            messages.append(Ladder.Message(
                from: sent ? 0 : remote, to: sent ? remote : 0, label: label, time: time, role: role,
                retransmission: retransmission))
        }
        return Ladder(parties: parties, messages: messages)
    }

    static let timeFormatter = DashboardView.utcFormatter("HH:mm:ss.SSS")

}
