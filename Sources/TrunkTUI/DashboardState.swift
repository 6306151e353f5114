import Foundation
import SIPCore
import SIPEngine
import TUIKit
import TrunkCore

/// The dashboard as a value: the overview, a number's five tabs, the Alerts and Porting views, the port-request
/// wizard and the configuration editors. Events go in (keys, paste, the timer, the terminal's size, the answers to
/// what it asked for); effects come out (read or write through the use cases, copy to the clipboard, quit). It does
/// no I/O, so its flows are tested without a terminal (`DashboardStateTests`); `DashboardScreen` runs the effects
/// off the terminal's thread and draws it with `DashboardView`.
public struct DashboardState: Sendable {
    enum Action: Hashable, Sendable {
        case help, quit, open, back, nextTab, previousTab, tab(Int), sort, filter, nextPage, previousPage, refresh, save, copy, search
        case edit(ConfigEditor.Section), toggle, move, timeFormat
        /// In the full-message view: scroll by lines (a page is `Int.max / 2` lines' worth of sign), to an end, or
        /// move to the next or previous message.
        case scroll(Int), scrollPage(Int), scrollToEnd(Bool), message(Int)
        /// Call logs: filter by status, code or number; open the selected call's trace.
        case filterLogs, openCall
        /// The overview's "Add trunk": leave for the set-up wizard.
        case addTrunk
        /// The Porting view: port requests, their status and history.
        case porting
        /// The Porting view's "Port a number": the port-request wizard.
        case portNumber
        /// The Alerts view, and acknowledging the selected alert in it.
        case alerts, acknowledge
        /// The Health tab: send the number's calls back to the primary endpoint (manual failback).
        case failback
        /// The SIP trace tab: select the next or previous call (its ladder is read).
        case selectCall(Int)
    }

    enum Tab: Int, CaseIterable, Sendable {
        case health, traces, callLogs, firewall, configuration
        var title: String {
            switch self {
            case .health: "Health"
            case .traces: "SIP trace"
            case .callLogs: "Call logs"
            case .firewall: "Firewall & ports"
            case .configuration: "Configuration"
            }
        }
    }

    /// Why a read or a write failed, in words for the status line.
    public struct Failure: Error, Hashable, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    /// What the overview reads every few seconds.
    struct Overview: Sendable {
        public var views: [HealthView]
        public var trunkCount: Int
        public var monitorOwner: String?
        public var openAlerts: Int
    }

    /// Reads and writes through TrunkCore's use cases (`DashboardScreen.run` does them).
    enum Job: Sendable {
        case overview
        case figures([String])
        case health(configId: String)
        case healthExtras(trunkId: String, number: String, outbound: Bool)
        case firewall
        case advanced(number: String, direction: String)
        case tracedCalls(number: String)
        case trace(callId: String)
        case logs(number: String, after: CallLogCursor?, matching: String)
        case alerts
        case alert(id: String)
        case acknowledge(id: String)
        case openAlertCount
        case portRequests
        case failback(number: String)
        case editorConfig(ConfigEditor.Section, number: String, direction: String)
        case saveConfig(AdvancedConfigPatch)
        /// The call's trace as `base`.txt, .md (Mermaid) and .pcap in the current directory.
        case exportTrace(base: String, title: String, [TraceMessage])
        case port(PortWizard.Job)

        /// Whether it changes the database or a file (it must run even when the dashboard quits meanwhile).
        var writes: Bool {
            switch self {
            case .acknowledge, .failback, .saveConfig, .exportTrace: true
            case .port(let job):
                switch job {
                case .check: false
                case .upload, .sign: true
                }
            case .overview, .figures, .health, .healthExtras, .firewall, .advanced, .tracedCalls, .trace, .logs, .alerts, .alert, .openAlertCount,
                .portRequests, .editorConfig:
                false
            }
        }
    }

    /// A job's answer.
    enum Reply: Sendable {
        case overview(Result<Overview, Failure>)
        case figures([String: HealthFigures])
        case health(configId: String, HealthView?)
        case healthExtras(number: String, RegistrationView?, FailoverView?)
        case firewall(FirewallInfo?)
        case advanced(number: String, direction: String, AdvancedConfig?)
        case tracedCalls(number: String, [TracedCall])
        case trace(callId: String, [TraceMessage])
        case logs(number: String, CallLogPage?, capture: CaptureSource?)
        case alerts(Result<[AlertView], Failure>)
        case alert(id: String, AlertView?)
        case acknowledged(id: String, Failure?)
        case openAlertCount(Int?)
        case portRequests(Result<[PortRequestView], Failure>)
        case failback(number: String, Result<FailoverView, Failure>)
        case editorConfig(ConfigEditor.Section, Result<AdvancedConfig, Failure>)
        case configSaved(AdvancedConfigPatch, Result<AdvancedConfig, TrunkError>)
        case traceExported(base: String, Failure?)
        case port(PortWizard.Answer)
    }

    enum Event: Sendable {
        /// On screen for the first time: read everything.
        case opened
        case key(Key)
        case paste(String)
        /// The timer (every second): re-read what is due.
        case tick
        /// Read the overview again now (as the timer does).
        case reload
        /// The terminal's size or glyphs changed (sparklines are drawn with the glyphs).
        case resized(width: Int, height: Int, glyphs: Glyphs)
        case reply(Reply)
    }

    enum Effect: Sendable {
        case job(Job)
        /// OSC 52: the terminal (also over SSH and in tmux with set-clipboard on) puts the text on its clipboard.
        case copyToClipboard(String)
        case quit
    }

    /// Seconds between re-reads of the database.
    public let refreshSeconds: Int

    // Overview.
    public private(set) var views: [HealthView] = []
    var trunkCount = 0
    var table = Table(columns: [
        .init("Number", width: 14), .init("Dir", width: 4), .init("SIP endpoint"), .init("Health", width: 11),
        .init("24h", width: 6), .init("ms", width: 6), .init("Recent", width: DashboardView.sparklineWidth),
    ])
    var sortColumn = 0
    var filterField = TextField(placeholder: "filter by number, endpoint or state")
    var filtering = false
    var shown: [HealthView] = []
    /// Uptime and response times of the rows on screen (and around them), read per row only for those.
    var figures: [String: HealthFigures] = [:]
    /// The terminal's size as last drawn (nil before the first frame).
    var size: (width: Int, height: Int)?
    /// The glyphs of the last frame (sparklines in table cells are drawn with them).
    var glyphs = Glyphs.unicode

    // Detail.
    public private(set) var detail: HealthView?
    var tab: Tab = .health
    /// The number's calls with a stored trace, and its test calls.
    var calls: [TracedCall] = []
    var testTable = Table(columns: [.init("Started", width: 19), .init("Call", width: 8), .init("Result", width: 10), .init("SIP", width: 4), .init("Call-ID")])
    /// The selected call's messages, and those the search keeps.
    var fullTrace: [TraceMessage] = []
    var trace: [TraceMessage] = []
    var traceSelection = 0
    var traceSearch = TextField(placeholder: "INVITE, 4xx, a Call-ID or an address")
    var searching = false
    /// A call log's Enter: the call whose trace to select once the traced calls are read.
    var pendingCallId: String?
    var showMessage = false
    /// Set when the dashboard was left to set up a new trunk (the `a` key).
    public private(set) var wantsNewTrunk = false
    /// The first line of the full message shown.
    var messageScroll = 0
    var page: CallLogPage?
    /// The call logs' filter, and whether it is being typed.
    var logFilter = TextField(placeholder: "408, 4xx, failed, in, +1415…")
    var filteringLogs = false
    var cursors: [CallLogCursor?] = [nil]
    var logTable = Table(columns: [
        .init("Started", width: 19), .init("Dir", width: 4), .init("Status", width: 10), .init("SIP", width: 4), .init("Dur", width: 6), .init("Source"),
    ])
    var logsLoadedAt = Date.distantPast
    /// The Porting view, while it is open.
    var porting: PortingView?
    /// The Alerts view, while it is open.
    var alertsView: AlertsView?
    /// Alerts not yet resolved, for the overview.
    var openAlerts = 0
    /// The open number's failover (outbound): the active endpoint and each endpoint's state.
    var failover: FailoverView?
    /// The port-request wizard, while it is open (over the Porting view).
    var portWizard: PortWizard?
    /// The newest capture source (issue 16: loss is never silent), shown under the call logs.
    var captureSource: CaptureSource?
    var showHelp = false
    var lastLoad = Date.distantPast
    /// Whether the overview has been read once (before that, an empty list means nothing yet, not "no trunks").
    var overviewRead = false
    /// An overview read asked for and not yet answered: the timer does not queue another behind it.
    var overviewPending = false
    /// Keys typed before the first overview arrived (Enter at once after start): played once it is there, so they
    /// act on the rows the user is about to see rather than on an empty list.
    var typedAhead: [Key] = []
    var message: (text: String, role: Role)?
    /// Who runs the health monitor (another process, or this one), if anyone.
    var monitorOwner: String?
    // The open number's tabs, read with the data (not on every frame).
    var registration: RegistrationView?
    var firewall: FirewallInfo?
    var advanced: AdvancedConfig?
    /// The open editor of the Configuration tab (failover, codecs or alerts), if any.
    var editor: ConfigEditor?
    /// A configuration save sent and not yet answered.
    var savingEditor = false
    /// Ladder times: since the call's first message, or the wall clock (UTC).
    var absoluteTimes = false

    public init(refreshSeconds: Int = 5) {
        self.refreshSeconds = refreshSeconds
    }

    static let readFailure = "Cannot read the database: "

    /// How often the call logs are read again: the dashboard's refresh, so captured calls appear as they end.
    var logsRefreshSeconds: Int { max(2, refreshSeconds) }

    // MARK: Events

    mutating func handle(_ event: Event, at now: Date) -> [Effect] {
        switch event {
        case .opened, .reload: return reload(at: now)
        case .tick:
            var effects: [Effect] = []
            if now.timeIntervalSince(lastLoad) >= Double(refreshSeconds) {
                effects += reload(at: now)
                if porting != nil { effects.append(.job(.portRequests)) }
            }
            // Call logs refresh with the dashboard, keeping the page and the selection.
            if detail != nil, tab == .callLogs, now.timeIntervalSince(logsLoadedAt) >= Double(logsRefreshSeconds) { effects += loadLogs(at: now) }
            return effects
        case .resized(let width, let height, let newGlyphs):
            let taller = height > (size?.height ?? 0)
            size = (width, height)
            // Sparklines are drawn with the frame's glyphs; a taller terminal may show rows whose figures are unread.
            guard newGlyphs.blockFull != glyphs.blockFull || taller else { return [] }
            glyphs = newGlyphs
            return loadVisibleFigures()
        case .key(let key):
            // Quitting never waits; anything else typed before the first read waits for it.
            if !overviewRead, bindings.action(for: key) != .quit {
                typedAhead.append(key)
                return []
            }
            return handle(key, at: now)
        case .paste(let text): return paste(text, at: now)
        case .reply(let reply): return apply(reply, at: now)
        }
    }

    /// Reads the overview again (every few seconds by the timer, and on F5).
    private mutating func reload(at now: Date) -> [Effect] {
        lastLoad = now
        let alerts: [Effect] = alertsView != nil ? [.job(.alerts)] : []
        guard !overviewPending else { return alerts }
        overviewPending = true
        return [.job(.overview)] + alerts
    }

    private mutating func apply(_ reply: Reply, at now: Date) -> [Effect] {
        switch reply {
        case .overview(let result):
            overviewRead = true
            overviewPending = false
            switch result {
            case .success(let overview):
                views = overview.views
                figures = [:]
                trunkCount = overview.trunkCount
                monitorOwner = overview.monitorOwner
                openAlerts = overview.openAlerts
                // A read that works again clears its own error, not what the user was told (a save refused, a copy).
                if message?.text.hasPrefix(Self.readFailure) == true { message = nil }
            case .failure(let failure):
                message = (Self.readFailure + failure.message, .error)
            }
            var effects = applyFilter()
            if let current = detail, let fresh = views.first(where: { $0.configId == current.configId }) {
                effects.append(.job(.health(configId: fresh.configId)))
                if tab == .health { effects.append(healthExtras(fresh)) }
            }
            let typed = typedAhead
            typedAhead = []
            for key in typed { effects += handle(key, at: now) }
            return effects
        case .figures(let read):
            figures.merge(read) { _, new in new }
            // Only the rows whose figures arrived change (the table may hold 10,000 rows).
            guard table.rows.count == shown.count else {
                fillTable()
                break
            }
            for (index, view) in shown.enumerated() where read[view.configId] != nil { table.rows[index] = row(view) }
        case .health(let configId, let view):
            guard detail?.configId == configId else { break }
            detail = view ?? views.first { $0.configId == configId } ?? detail
        case .healthExtras(let number, let registration, let failover):
            guard detail?.phoneNumber == number else { break }
            self.registration = registration
            self.failover = failover
        case .firewall(let info): firewall = info
        case .advanced(let number, let direction, let config):
            guard detail?.phoneNumber == number, detail?.direction == direction else { break }
            advanced = config
        case .tracedCalls(let number, let read):
            guard detail?.phoneNumber == number else { break }
            calls = read
            testTable.rows = calls.map { call in
                let direction = call.direction == "inbound" ? "in" : "out"
                return [DashboardView.format(call.startedAt), call.isTestCall ? "test " + direction : direction, call.status,
                        call.sipCode.map(String.init) ?? "—", call.callId]
            }
            testTable.rowRoles = calls.map { ["completed", "connected"].contains($0.status) ? .ok : .error }
            testTable.selected = min(testTable.selected, max(0, calls.count - 1))
            if let callId = pendingCallId {
                pendingCallId = nil
                if let index = calls.firstIndex(where: { $0.callId == callId }) {
                    testTable.selected = index
                    traceSelection = 0
                } else {
                    message = ("No SIP trace is stored for call \(callId) (traces come from test calls and capture).", .warning)
                }
            }
            return loadTrace()
        case .trace(let callId, let messages):
            guard testTable.selected < calls.count, calls[testTable.selected].callId == callId else { break }
            fullTrace = messages
            applySearch()
        case .logs(let number, let read, let capture):
            guard detail?.phoneNumber == number else { break }
            let selected = logTable.selected
            page = read
            logTable.rows = (page?.logs ?? []).map { log in
                [DashboardView.format(log.startedAt), log.direction == "inbound" ? "in" : "out", log.status, log.sipCode.map(String.init) ?? "—",
                 log.durationSeconds.map { String(format: "%.0fs", $0) } ?? "—", log.sourceIp ?? "—"]
            }
            logTable.rowRoles = (page?.logs ?? []).map { $0.status == "completed" ? .text : .warning }
            logTable.selected = min(selected, max(0, logTable.rows.count - 1))
            captureSource = capture
        case .alerts(let result):
            guard alertsView != nil else { break }
            if let id = alertsView?.loaded(result) { return [.job(.alert(id: id))] }
            alertsView?.selected = nil
        case .alert(let id, let alert):
            alertsView?.selectedLoaded(alert, id: id)
        case .acknowledged(let id, let failure):
            if let failure {
                message = (failure.message, .warning)
                return [.job(.openAlertCount)]
            }
            message = ("Acknowledged \(id): no more reminders; it resolves on its own when the endpoint recovers.", .ok)
            return [.job(.alerts), .job(.openAlertCount)]
        case .openAlertCount(let count):
            openAlerts = count ?? openAlerts
        case .portRequests(let result):
            porting?.loaded(result)
        case .failback(let number, let result):
            switch result {
            case .success(let view):
                if detail?.phoneNumber == number { failover = view }
                message = ("\(number) calls go to the primary endpoint again.", .ok)
            case .failure(let failure):
                message = (failure.message, .error)
            }
        case .editorConfig(let section, let result):
            switch result {
            case .success(let config):
                advanced = config
                editor = ConfigEditor(section: section, config: config)
                message = nil
            case .failure(let failure):
                message = ("Cannot read the configuration: \(failure.message)", .error)
            }
        case .configSaved(let patch, let result):
            savingEditor = false
            switch result {
            case .success(let config):
                advanced = config
                let section = editor?.section.rawValue ?? "the configuration"
                editor = nil
                message = ("Saved \(section) for \(patch.phoneNumber) \(patch.direction).", .ok)
            case .failure(let error):
                guard var current = editor else {
                    message = ("Not saved: \(error.messages.joined(separator: "; "))", .error)
                    break
                }
                if case .validation(let errors) = error {
                    let unplaced = current.form.setErrors(errors.map { (current.key(for: $0, in: patch), $0.message) })
                    message = (Self.notSaved(current.form, unplaced: unplaced), .error)
                } else {
                    message = ("Not saved: \(error.messages.joined(separator: "; "))", .error)
                }
                editor = current
            }
        case .traceExported(let base, let failure):
            message = failure.map { ("Could not save the trace: \($0.message)", .error) } ?? ("Saved \(base).txt, .md and .pcap", .ok)
        case .port(let answer):
            portWizard?.apply(answer)
        }
        return []
    }

    // MARK: The overview

    private mutating func applyFilter() -> [Effect] {
        let text = filterField.value.lowercased()
        var list = views.filter { view in
            text.isEmpty || view.phoneNumber.contains(text) || (view.sipEndpoint ?? "").lowercased().contains(text) || view.healthStatus.rawValue.contains(text)
        }
        switch sortColumn {
        case 1: list.sort { ($0.direction, $0.phoneNumber) < ($1.direction, $1.phoneNumber) }
        case 2: list.sort { ($0.sipEndpoint ?? "", $0.phoneNumber) < ($1.sipEndpoint ?? "", $1.phoneNumber) }
        case 3: list.sort { (Self.severity($0.healthStatus), $0.phoneNumber) < (Self.severity($1.healthStatus), $1.phoneNumber) }
        default: list.sort { ($0.phoneNumber, $0.direction) < ($1.phoneNumber, $1.direction) }
        }
        // Keep the selected row on the same configuration across refreshes.
        let selectedID = table.selected < shown.count ? shown[table.selected].configId : nil
        shown = list
        if let selectedID, let index = list.firstIndex(where: { $0.configId == selectedID }) { table.selected = index }
        table.selected = min(table.selected, max(0, list.count - 1))
        return loadVisibleFigures()
    }

    /// Asks for the figures of the rows that are or may next be on screen (what the table shows around the
    /// selection), and fills the table: the cost follows the screen, not the number of trunks.
    private mutating func loadVisibleFigures() -> [Effect] {
        // A screenful at most: the rows a terminal this tall shows, and never fewer than 40.
        let page = max(40, (size?.height ?? 0) - 8)
        let lower = max(0, table.selected - page)
        let upper = min(shown.count, table.selected + page + 1)
        fillTable()
        guard lower < upper else { return [] }
        let missing = shown[lower..<upper].map(\.configId).filter { figures[$0] == nil }
        return missing.isEmpty ? [] : [.job(.figures(missing))]
    }

    private mutating func fillTable() {
        table.rows = shown.map(row)
        table.rowRoles = shown.map { DashboardView.role(for: $0.healthStatus) }
    }

    /// One overview row: the figures when they have been read, "—" until then.
    private func row(_ view: HealthView) -> [String] {
        let figure = figures[view.configId]
        return [view.phoneNumber, view.direction == "inbound" ? "in" : "out", view.sipEndpoint ?? "—", view.healthStatus.rawValue,
                figure?.uptime24h.map { String(format: "%.1f%%", $0) } ?? "—", figure?.averageResponseMs.map { String(format: "%.0f", $0) } ?? "—",
                Sparkline.text(figure?.recentResponseMs ?? [], width: DashboardView.sparklineWidth, glyphs: glyphs)]
    }

    static func severity(_ state: HealthState) -> Int {
        switch state {
        case .unreachable: 0
        case .degraded: 1
        case .healthy: 2
        case .unchecked: 3
        }
    }

    // MARK: A number's tabs

    private mutating func loadDetail(at now: Date) -> [Effect] {
        guard let detail else { return [] }
        switch tab {
        case .health: return [healthExtras(detail)]
        case .firewall: return [.job(.firewall)]
        case .configuration: return [.job(.advanced(number: detail.phoneNumber, direction: detail.direction))]
        case .traces: return [.job(.tracedCalls(number: detail.phoneNumber))]
        case .callLogs: return loadLogs(at: now)
        }
    }

    /// The Health tab's registration and (outbound) failover state.
    private func healthExtras(_ view: HealthView) -> Effect {
        .job(.healthExtras(trunkId: view.trunkId, number: view.phoneNumber, outbound: view.direction == "outbound"))
    }

    private mutating func loadTrace() -> [Effect] {
        guard testTable.selected < calls.count else {
            fullTrace = []
            trace = []
            return []
        }
        return [.job(.trace(callId: calls[testTable.selected].callId))]
    }

    private mutating func applySearch() {
        let filter = TraceFilter(traceSearch.value)
        trace = fullTrace.filter(filter.matches)
        traceSelection = min(traceSelection, max(0, trace.count - 1))
    }

    private mutating func loadLogs(at now: Date) -> [Effect] {
        guard let detail else { return [] }
        logsLoadedAt = now
        return [.job(.logs(number: detail.phoneNumber, after: cursors.last ?? nil, matching: logFilter.value))]
    }

    private mutating func switchTab(to new: Tab, at now: Date) -> [Effect] {
        tab = new
        if message?.text.hasPrefix(Self.readFailure) != true { message = nil }
        showMessage = false
        return loadDetail(at: now)
    }

    /// The full message's lines for the view and the scroll keys: a page is what the view has room for.
    var messageRows: Int {
        guard let size else { return 10 }
        return DashboardView.messageRows(height: size.height, calls: calls.count)
    }

    /// Scrolls the full message, never past its last page.
    private mutating func scrollMessage(to line: Int) {
        guard traceSelection < trace.count else { return }
        let count = DashboardView.lines(of: trace[traceSelection]).count
        messageScroll = max(0, min(line, count - messageRows))
    }

    // MARK: Keys (sngrep's where it has them: arrows and hjkl, Enter, /, F2 save, F7 filter)

    var bindings: KeyBindings<Action> {
        var list: [KeyBinding<Action>] = [KeyBinding([.function(1), .character("?")], "Help", "Show or hide this help", .help)]
        if portWizard != nil {
            return KeyBindings([
                KeyBinding([.enter], "Next", "Check this step and go on", .open),
                KeyBinding([.escape], "Back", "The previous step (from the first: close)", .back),
                KeyBinding([.function(10)], "Quit", "Quit", .quit),
            ])
        }
        if alertsView != nil {
            list.append(KeyBinding([.escape, .character("h")], "Back", "Back to the overview", .back))
            list.append(KeyBinding([.character("a")], "Acknowledge", "Acknowledge the selected alert: no more reminders", .acknowledge))
        } else if porting != nil {
            list.append(KeyBinding([.escape, .character("h")], "Back", "Back to the overview", .back))
            list.append(KeyBinding([.character("n")], "Port a number", "Start a port request: numbers, carrier details, document, signature", .portNumber))
        } else if detail == nil {
            list += [
                KeyBinding([.enter], "Open", "Open the selected number: health, traces, call logs, firewall, configuration", .open),
                KeyBinding([.character("/"), .function(7)], "Filter", "Filter by number, endpoint or state", .filter),
                KeyBinding([.character("s")], "Sort", "Sort by the next column", .sort),
                KeyBinding([.character("a")], "Add trunk", "Set up a new trunk with the wizard (the guide's Add trunk)", .addTrunk),
                KeyBinding([.character("P")], "Porting", "Port requests: their status and history", .porting),
                KeyBinding([.character("A")], "Alerts", "Alerts: open, acknowledged and resolved, with their deliveries", .alerts),
            ]
        } else {
            list += [
                KeyBinding([.escape, .character("h")], "Back", "Back to the overview (or from a message to its ladder)", .back),
                KeyBinding([.tab], "Next tab", "Next tab (1–5 jump to one)", .nextTab),
                KeyBinding([.backTab], "Prev", "Previous tab", .previousTab, inBar: false),
            ]
            for tab in Tab.allCases {
                list.append(KeyBinding([.character(Character(String(tab.rawValue + 1)))], tab.title, "Show \(tab.title)", .tab(tab.rawValue), inBar: false))
            }
            if tab == .traces, showMessage {
                // The full message scrolls (issue 14: at 80×24 an INVITE's SDP was out of reach); moving between
                // messages takes keys that do not scroll.
                list.insert(contentsOf: [
                    KeyBinding([.down, .character("j")], "Down", "Scroll the message down a line", .scroll(1), inBar: false),
                    KeyBinding([.up, .character("k")], "Up", "Scroll the message up a line", .scroll(-1), inBar: false),
                    KeyBinding([.pageDown, .character(" ")], "Scroll", "Scroll the message down a page", .scrollPage(1)),
                    KeyBinding([.pageUp, .character("b")], "PgUp", "Scroll the message up a page", .scrollPage(-1), inBar: false),
                    KeyBinding([.home, .character("g")], "Top", "The message's first line", .scrollToEnd(false), inBar: false),
                    KeyBinding([.end, .character("G")], "End", "The message's last line", .scrollToEnd(true), inBar: false),
                    KeyBinding([.right, .character("J"), .character("n")], "Next msg", "The next message of the call", .message(1)),
                    KeyBinding([.left, .character("K"), .character("p")], "Prev msg", "The previous message of the call", .message(-1), inBar: false),
                ], at: 1)
            }
            if tab == .traces {
                if !showMessage {
                    list.append(KeyBinding([.down, .character("j")], "Next call", "Select the next call and show its ladder", .selectCall(1), inBar: false))
                    list.append(KeyBinding([.up, .character("k")], "Prev call", "Select the previous call and show its ladder", .selectCall(-1), inBar: false))
                    list.append(KeyBinding([.right, .character("J")], "Next msg", "Select the next message in the ladder", .message(1), inBar: false))
                    list.append(KeyBinding([.left, .character("K")], "Prev msg", "Select the previous message in the ladder", .message(-1), inBar: false))
                }
                list.append(KeyBinding([.enter, .character("l")], "Message", "Open the selected message in full", .open))
                list.append(KeyBinding([.character("/"), .function(7)], "Search", "Keep messages matching INVITE, 4xx, a Call-ID or an address", .search))
                list.append(KeyBinding([.character("c")], "Copy", "Copy the selected message to the terminal's clipboard (OSC 52)", .copy))
                list.append(KeyBinding([.function(2)], "Save", "Save the selected call as .txt, .md (Mermaid) and .pcap in the current directory", .save))
                list.append(KeyBinding([.character("t")], "Times", "Show times since the first message or as the wall clock (UTC)", .timeFormat, inBar: false))
            }
            if tab == .configuration {
                list.append(KeyBinding([.character("f")], "Failover", "Edit the failover endpoints, triggers and failback", .edit(.failover)))
                list.append(KeyBinding([.character("o")], "Codecs", "Edit the codec order and transcoding", .edit(.codecs)))
                list.append(KeyBinding([.character("a")], "Alerts", "Edit the alert thresholds and channels", .edit(.alerts)))
            }
            if tab == .health, let failover, failover.activeRole != "primary" {
                list.append(KeyBinding([.character("b")], "Use primary", "Send this number's calls back to the primary endpoint (manual failback)", .failback))
            }
            if tab == .firewall {
                list.append(KeyBinding([.character("c")], "Copy all", "Copy the addresses and ports to the terminal's clipboard (OSC 52)", .copy))
            }
            if tab == .callLogs {
                list.append(KeyBinding([.enter], "Trace", "Open the selected call's SIP trace", .openCall))
                list.append(KeyBinding([.character("/"), .function(7)], "Filter", "Keep calls by status (failed, busy ...), code (408, 4xx), direction (in, out) or a number / address", .filterLogs))
                list.append(KeyBinding([.character("n"), .pageDown], "Next page", "The next 50 calls", .nextPage))
                list.append(KeyBinding([.character("p"), .pageUp], "Prev page", "The previous 50 calls", .previousPage))
            }
        }
        list.append(KeyBinding([.function(5), .control("r")], "Refresh", "Read the database again now", .refresh))
        list.append(KeyBinding([.function(10), .character("q")], "Quit", "Quit", .quit))
        return KeyBindings(list)
    }

    /// The editor's keys, for the bar, the help and the editor itself.
    var editorBindings: KeyBindings<Action> {
        var list: [KeyBinding<Action>] = [
            KeyBinding([.enter, .function(2), .control("s")], "Save", "Save the change (PATCH /v1/sip/config)", .save),
            KeyBinding([.escape], "Cancel", "Leave without saving", .back),
            KeyBinding([.down, .up, .tab, .backTab], "Next field", "Move between fields", .nextTab),
            KeyBinding([.character(" ")], "Toggle", "Turn on or off; cycle a choice (or ← →)", .toggle),
        ]
        if editor?.section == .codecs {
            list.append(KeyBinding([.character("+")], "Earlier", "Move the codec up: offered sooner", .move))
            list.append(KeyBinding([.character("-")], "Later", "Move the codec down: offered later", .move))
        }
        return KeyBindings(list)
    }

    private mutating func handle(_ key: Key, at now: Date) -> [Effect] {
        if showHelp {
            showHelp = false
            return []
        }
        if editor != nil { return handleEditor(key) }
        if portWizard != nil {
            if key == .function(10) { return [.quit] }
            switch portWizard?.handle(key) {
            case .close?:
                portWizard = nil
                return porting != nil ? [.job(.portRequests)] : []
            case .run(let job)?: return [.job(.port(job))]
            case .stay?, nil: return []
            }
        }
        if searching {
            // Enter keeps the search, Esc drops it (issue 14).
            if key == .escape { traceSearch = TextField(placeholder: traceSearch.placeholder) }
            searching = Self.edit(&traceSearch, with: key)
            applySearch()
            return []
        }
        if filtering {
            if key == .escape { filterField = TextField(placeholder: filterField.placeholder) }
            filtering = Self.edit(&filterField, with: key)
            return applyFilter()
        }
        if filteringLogs {
            if key == .escape { logFilter = TextField(placeholder: logFilter.placeholder) }
            filteringLogs = Self.edit(&logFilter, with: key)
            cursors = [nil]
            logTable.selected = 0
            return loadLogs(at: now)
        }
        if let action = bindings.action(for: key) { return perform(action, at: now) }
        // Movement within the current list (its table's keys: arrows, pages, Home, End).
        if alertsView != nil {
            if alertsView?.table.handle(key, pageSize: 10) == true, let id = alertsView?.selectedId { return [.job(.alert(id: id))] }
        } else if porting != nil {
            _ = porting?.table.handle(key, pageSize: 10)
        } else if detail == nil {
            if table.handle(key, pageSize: 10) { return loadVisibleFigures() }
        } else if tab == .callLogs {
            _ = logTable.handle(key, pageSize: 10)
        }
        return []
    }

    private mutating func perform(_ action: Action, at now: Date) -> [Effect] {
        switch action {
        case .help: showHelp = true
        case .quit: return [.quit]
        case .refresh:
            return reload(at: now) + loadDetail(at: now) + (porting != nil ? [.job(.portRequests)] : [])
        case .filter: filtering = true
        case .save: return saveTrace()
        case .edit(let section): return openEditor(section)
        case .timeFormat: absoluteTimes.toggle()
        case .scroll(let lines): scrollMessage(to: messageScroll + lines)
        case .scrollPage(let direction): scrollMessage(to: messageScroll + direction * max(1, messageRows - 1))
        case .scrollToEnd(let bottom): scrollMessage(to: bottom ? Int.max : 0)
        case .message(let step):
            traceSelection = max(0, min(trace.count - 1, traceSelection + step))
            messageScroll = 0
        case .selectCall(let step):
            _ = testTable.handle(step > 0 ? .down : .up, pageSize: 5)
            traceSelection = 0
            return loadTrace()
        case .toggle, .move: break
        case .search: searching = true
        case .copy: return copy()
        case .sort:
            sortColumn = (sortColumn + 1) % 4
            return applyFilter()
        case .open:
            if detail == nil {
                guard table.selected < shown.count else { return [] }
                let view = shown[table.selected]
                detail = view
                cursors = [nil]
                return [.job(.health(configId: view.configId))] + loadDetail(at: now)
            } else if tab == .traces, !trace.isEmpty {
                showMessage = true
                messageScroll = 0
            }
        case .portNumber:
            portWizard = PortWizard(today: now)
        case .porting:
            porting = PortingView()
            return [.job(.portRequests)]
        case .alerts:
            alertsView = AlertsView()
            return [.job(.alerts)]
        case .acknowledge:
            guard let id = alertsView?.selectedId else {
                message = ("No alert selected.", .warning)
                return [.job(.openAlertCount)]
            }
            return [.job(.acknowledge(id: id))]
        case .failback:
            guard let detail else { return [] }
            return [.job(.failback(number: detail.phoneNumber))]
        case .back: return back(at: now)
        case .filterLogs: filteringLogs = true
        case .addTrunk:
            wantsNewTrunk = true
            return [.quit]
        case .openCall:
            // Enter on a call log: its ladder in the SIP trace tab, when its trace is stored.
            guard let logs = page?.logs, logTable.selected < logs.count else { return [] }
            pendingCallId = logs[logTable.selected].callId
            return switchTab(to: .traces, at: now)
        case .nextTab: return switchTab(to: Tab(rawValue: (tab.rawValue + 1) % Tab.allCases.count) ?? tab, at: now)
        case .previousTab: return switchTab(to: Tab(rawValue: (tab.rawValue + Tab.allCases.count - 1) % Tab.allCases.count) ?? tab, at: now)
        case .tab(let index): return switchTab(to: Tab(rawValue: index) ?? tab, at: now)
        case .nextPage:
            guard let next = page?.next else { break }
            cursors.append(next)
            logTable.selected = 0
            return loadLogs(at: now)
        case .previousPage:
            guard cursors.count > 1 else { break }
            cursors.removeLast()
            logTable.selected = 0
            return loadLogs(at: now)
        }
        return []
    }

    /// Esc first drops what narrows the view (a search, a filter), then goes back.
    private mutating func back(at now: Date) -> [Effect] {
        if alertsView != nil {
            alertsView = nil
        } else if porting != nil {
            porting = nil
        } else if showMessage {
            showMessage = false
        } else if detail != nil, tab == .traces, !traceSearch.value.isEmpty {
            traceSearch = TextField(placeholder: traceSearch.placeholder)
            applySearch()
        } else if detail != nil, tab == .callLogs, !logFilter.value.isEmpty {
            logFilter = TextField(placeholder: logFilter.placeholder)
            cursors = [nil]
            return loadLogs(at: now)
        } else if detail == nil, !filterField.value.isEmpty {
            filterField = TextField(placeholder: filterField.placeholder)
            return applyFilter()
        } else {
            detail = nil
            message = nil
        }
        return []
    }

    /// A key for a one-line field being typed into: Enter or Esc ends the typing (false), anything else edits.
    static func edit(_ field: inout TextField, with key: Key) -> Bool {
        if key == .enter || key == .escape { return false }
        _ = field.handle(key)
        return true
    }

    /// Pasted text goes to the field being edited; elsewhere it is ignored (a paste is not a string of commands).
    private mutating func paste(_ text: String, at now: Date) -> [Effect] {
        let line = String(text.prefix { !$0.isNewline })
        if portWizard != nil {
            // Numbers pasted one per line are one list (issue 14's paste rule).
            let numbersStep = portWizard?.step == .numbers
            portWizard?.paste(numbersStep ? text.split(whereSeparator: \.isNewline).joined(separator: ", ") : line)
        } else if editor != nil {
            editor?.form.paste(line)
        } else if searching {
            traceSearch.insert(line)
            applySearch()
        } else if filtering {
            filterField.insert(line)
            return applyFilter()
        } else if filteringLogs {
            logFilter.insert(line)
            cursors = [nil]
            return loadLogs(at: now)
        }
        return []
    }

    private mutating func copy() -> [Effect] {
        switch tab {
        case .traces where traceSelection < trace.count:
            message = ("Copied the message to the clipboard (OSC 52).", .ok)
            return [.copyToClipboard(String(decoding: trace[traceSelection].raw, as: UTF8.self))]
        case .firewall:
            guard let firewall else { return [] }
            message = ("Copied the firewall list to the clipboard (OSC 52).", .ok)
            return [.copyToClipboard(firewall.ruleText)]
        default: return []
        }
    }

    /// F2: the selected call's trace as text, Markdown with Mermaid, and pcap, next to where siptrunk runs.
    private func saveTrace() -> [Effect] {
        guard testTable.selected < calls.count, !fullTrace.isEmpty else { return [] }
        let callId = calls[testTable.selected].callId
        let base = "siptrunk-" + callId.prefix { $0 != "@" }.filter { $0.isLetter || $0.isNumber || $0 == "-" }
        return [.job(.exportTrace(base: base, title: "SIP trace of \(callId)", fullTrace))]
    }

    // MARK: Configuration editors

    private mutating func openEditor(_ section: ConfigEditor.Section) -> [Effect] {
        guard let detail else { return [] }
        if section == .failover, detail.direction == "inbound" {
            message = ("Failover moves outbound calls between your SIP servers: open the outbound direction of \(detail.phoneNumber) to edit it.", .warning)
            return []
        }
        return [.job(.editorConfig(section, number: detail.phoneNumber, direction: detail.direction))]
    }

    /// The editor's keys come from its binding table: save, cancel, and the rest edit the form.
    private mutating func handleEditor(_ key: Key) -> [Effect] {
        guard var current = editor else { return [] }
        switch editorBindings.action(for: key) {
        case .back?:
            editor = nil
            message = ("Not saved.", .dim)
            return []
        case .save?:
            guard !savingEditor else { return [] }
            switch current.patch() {
            case .invalid(let problems):
                current.form.setErrors(problems)
                message = (Self.notSaved(current.form, unplaced: []), .error)
                editor = current
                return []
            case .ready(let patch):
                savingEditor = true
                return [.job(.saveConfig(patch))]
            }
        default:
            _ = current.form.handle(key)
            editor = current
            return []
        }
    }

    /// The status line after a refused save: the first problem in full (a row may cut it), and how many more.
    static func notSaved(_ form: Form, unplaced: [String]) -> String {
        let marked = form.fields.compactMap { field in field.error.map { "\(field.label.trimmingCharacters(in: .whitespaces)): \($0)" } }
        var problems = marked + unplaced
        guard !problems.isEmpty else { return "Not saved." }
        let first = problems.removeFirst()
        return "Not saved — \(first)" + (problems.isEmpty ? "" : " (and \(problems.count) more marked)") + ". Esc leaves without saving."
    }
}
