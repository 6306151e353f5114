import Foundation
import SIPCore
import SIPEngine
import TUIKit
import TrunkCore

/// The SIP dashboard: trunk overview with health, and for one number its health, SIP traces as ladder diagrams,
/// call logs, firewall and configuration. It re-reads the database every few seconds, so what a monitor in
/// another process writes shows up without a key press (and only changed cells go over the wire).
public final class DashboardScreen: TerminalApplication, ClipboardSource, @unchecked Sendable {
    public enum Action: Hashable, Sendable {
        case help, quit, open, back, nextTab, previousTab, tab(Int), sort, filter, nextPage, previousPage, refresh, save, copy, search
        case edit(String), toggle, move, timeFormat
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
    }

    public enum Tab: Int, CaseIterable, Sendable {
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

    let service: SIPTrunkService
    let now: () -> Date
    /// Seconds between re-reads of the database.
    let refreshSeconds: Int

    // Overview.
    public private(set) var views: [HealthView] = []
    var trunkCount = 0
    var table = Table(columns: [
        .init("Number", width: 14), .init("Dir", width: 4), .init("SIP endpoint"), .init("Health", width: 11),
        .init("24h", width: 6), .init("ms", width: 6), .init("Recent", width: DashboardScreen.sparklineWidth),
    ])
    var sortColumn = 0
    /// The overview's sparkline: decoration gives way to data (issue 14: at 80 columns the endpoint was cut while
    /// the sparkline kept 20 columns).
    static let sparklineWidth = 12
    var filterField = TextField(placeholder: "filter by number, endpoint or state")
    var filtering = false
    var shown: [HealthView] = []
    /// Uptime and response times of the rows on screen (and around them), read per row only for those.
    var figures: [String: HealthFigures] = [:]
    /// Table rows drawn last time, so the figures read cover a screenful.
    var overviewRowsShown = 40
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
    /// Copies asked for (sent by the terminal as OSC 52).
    public private(set) var clipboardRequests: [String] = []
    var showMessage = false
    /// Set when the dashboard was left to set up a new trunk (the `a` key).
    public private(set) var wantsNewTrunk = false
    /// The first line of the full message shown, and how many lines the view had when last drawn (a page).
    var messageScroll = 0
    var messageRows = 10
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
    /// The Letter of Authorization's SHA-256 (the runtime renders the PDF; the executable wires it).
    public var letterDigest: (PortLetter) -> String = { _ in "" }
    /// The newest capture source's counters (issue 16: loss is never silent), shown under the call logs.
    var captureSummary: String?
    var showHelp = false
    var lastLoad = Date.distantPast
    var message: (text: String, role: Role)?
    /// Who runs the health monitor (another process, or this one), if anyone.
    var monitorOwner: String?
    // The open number's tabs, read with the data (not on every frame).
    var registration: RegistrationView?
    var firewall: FirewallInfo?
    var advanced: AdvancedConfig?
    /// The open editor of the Configuration tab (failover, codecs or alerts), if any.
    var editor: ConfigEditor?
    /// Ladder times: since the call's first message, or the wall clock (UTC).
    var absoluteTimes = false

    public var minimumSize: (width: Int, height: Int) { (72, 20) }
    public var timerInterval: Int? { 1000 }

    public init(service: SIPTrunkService, refreshSeconds: Int = 5, now: @escaping () -> Date = Date.init) {
        self.service = service
        self.refreshSeconds = refreshSeconds
        self.now = now
        reload()
    }

    // MARK: Data

    /// Reads the database again (every few seconds by the timer, and on F5).
    public func reload() {
        lastLoad = now()
        do {
            views = try service.healthOverview()
            figures = [:]
            trunkCount = try service.trunkCount()
            monitorOwner = try service.activeMonitor()
            openAlerts = try service.alerts(limit: 1000).count
            if alertsView != nil { alertsView?.load(service) }
            // A read that works again clears its own error, not what the user was told (a save refused, a copy).
            if message?.text.hasPrefix(Self.readFailure) == true { message = nil }
        } catch {
            message = (Self.readFailure + error.messages.joined(separator: "; "), .error)
        }
        applyFilter()
        if let current = detail, let fresh = views.first(where: { $0.configId == current.configId }) {
            detail = (try? service.health(configId: fresh.configId)) ?? fresh
            if tab == .health { loadHealthExtras(fresh) }
        }
    }

    func applyFilter() {
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
        loadVisibleFigures()
    }

    /// Reads the figures of the rows that are or may next be on screen (what the table shows around the
    /// selection), then fills the table: the cost follows the screen, not the number of trunks.
    func loadVisibleFigures() {
        let page = max(10, overviewRowsShown)
        let lower = max(0, min(table.offset, table.selected - page))
        let upper = min(shown.count, max(table.offset + page, table.selected + page) + 1)
        if lower < upper {
            let missing = shown[lower..<upper].map(\.configId).filter { figures[$0] == nil }
            if !missing.isEmpty, let read = try? service.healthFigures(configIds: missing, recent: 20) {
                figures.merge(read) { _, new in new }
            }
        }
        table.rows = shown.map { view in
            let figure = figures[view.configId]
            return [view.phoneNumber, view.direction == "inbound" ? "in" : "out", view.sipEndpoint ?? "—", view.healthStatus.rawValue,
                    figure?.uptime24h.map { String(format: "%.1f%%", $0) } ?? "—", figure?.averageResponseMs.map { String(format: "%.0f", $0) } ?? "—",
                    Sparkline.text(figure?.recentResponseMs ?? [], width: Self.sparklineWidth, glyphs: glyphs)]
        }
        table.rowRoles = shown.map { Self.role(for: $0.healthStatus) }
    }

    static let readFailure = "Cannot read the database: "

    static func severity(_ state: HealthState) -> Int {
        switch state {
        case .unreachable: 0
        case .degraded: 1
        case .healthy: 2
        case .unchecked: 3
        }
    }

    static func role(for state: HealthState) -> Role {
        switch state {
        case .healthy: .ok
        case .unreachable: .error
        case .degraded: .warning
        case .unchecked: .dim
        }
    }

    func loadDetail() {
        guard let detail else { return }
        switch tab {
        case .health:
            loadHealthExtras(detail)
        case .firewall:
            firewall = try? service.firewall(region: nil)
        case .configuration:
            advanced = try? service.advancedConfig(number: detail.phoneNumber, direction: detail.direction)
        case .traces:
            calls = (try? service.tracedCalls(number: detail.phoneNumber)) ?? []
            testTable.rows = calls.map { call in
                let direction = call.direction == "inbound" ? "in" : "out"
                return [Self.format(call.startedAt), call.isTestCall ? "test " + direction : direction, call.status,
                        call.sipCode.map(String.init) ?? "—", call.callId]
            }
            testTable.rowRoles = calls.map { ["completed", "connected"].contains($0.status) ? .ok : .error }
            testTable.selected = min(testTable.selected, max(0, calls.count - 1))
            loadTrace()
        case .callLogs:
            loadLogs()
        }
    }

    /// The Health tab's registration and (outbound) failover state.
    func loadHealthExtras(_ view: HealthView) {
        registration = try? service.registration(trunkId: view.trunkId)
        failover = view.direction == "outbound" ? try? service.failoverView(number: view.phoneNumber) : nil
    }

    func loadTrace() {
        guard testTable.selected < calls.count else {
            fullTrace = []
            trace = []
            return
        }
        fullTrace = (try? service.trace(callId: calls[testTable.selected].callId)) ?? []
        applySearch()
    }

    func applySearch() {
        let filter = TraceFilter(traceSearch.value)
        trace = fullTrace.filter(filter.matches)
        traceSelection = min(traceSelection, max(0, trace.count - 1))
    }

    /// Enter on a call log: its ladder in the SIP trace tab, when its trace is stored.
    func openTraceOfSelectedLog() {
        guard let logs = page?.logs, logTable.selected < logs.count else { return }
        let callId = logs[logTable.selected].callId
        switchTab(to: .traces)
        if let index = calls.firstIndex(where: { $0.callId == callId }) {
            testTable.selected = index
            traceSelection = 0
            loadTrace()
        } else {
            message = ("No SIP trace is stored for call \(callId) (traces come from test calls and capture).", .warning)
        }
    }

    func loadLogs() {
        guard let detail else { return }
        let selected = logTable.selected
        page = try? service.callLogPage(number: detail.phoneNumber, after: cursors.last ?? nil, matching: logFilter.value)
        logTable.rows = (page?.logs ?? []).map { log in
            [Self.format(log.startedAt), log.direction == "inbound" ? "in" : "out", log.status, log.sipCode.map(String.init) ?? "—",
             log.durationSeconds.map { String(format: "%.0fs", $0) } ?? "—", log.sourceIp ?? "—"]
        }
        logTable.rowRoles = (page?.logs ?? []).map { $0.status == "completed" ? .text : .warning }
        logTable.selected = min(selected, max(0, logTable.rows.count - 1))
        captureSummary = (try? service.captureSources())?.first.map(Self.summary)
        logsLoadedAt = now()
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

    /// How often the call logs are read again: the dashboard's refresh, so captured calls appear as they end.
    var logsRefreshSeconds: Int { max(2, refreshSeconds) }

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

    public func timerFired() {
        if now().timeIntervalSince(lastLoad) >= Double(refreshSeconds) {
            reload()
            porting?.load(service)
        }
        // Call logs refresh with the dashboard, keeping the page and the selection.
        if detail != nil, tab == .callLogs, now().timeIntervalSince(logsLoadedAt) >= Double(logsRefreshSeconds) { loadLogs() }
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
                list.append(KeyBinding([.enter, .character("l")], "Message", "Open the selected message in full", .open))
                list.append(KeyBinding([.character("/"), .function(7)], "Search", "Keep messages matching INVITE, 4xx, a Call-ID or an address", .search))
                list.append(KeyBinding([.character("c")], "Copy", "Copy the selected message to the terminal's clipboard (OSC 52)", .copy))
                list.append(KeyBinding([.function(2)], "Save", "Save the selected call as .txt, .md (Mermaid) and .pcap in the current directory", .save))
                list.append(KeyBinding([.character("t")], "Times", "Show times since the first message or as the wall clock (UTC)", .timeFormat, inBar: false))
            }
            if tab == .configuration {
                list.append(KeyBinding([.character("f")], "Failover", "Edit the failover endpoints, triggers and failback", .edit("failover")))
                list.append(KeyBinding([.character("o")], "Codecs", "Edit the codec order and transcoding", .edit("codecs")))
                list.append(KeyBinding([.character("a")], "Alerts", "Edit the alert thresholds and channels", .edit("alerts")))
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

    public func handle(_ key: Key) -> ScreenCommand {
        if showHelp {
            showHelp = false
            return .continue
        }
        if editor != nil {
            handleEditor(key)
            return .continue
        }
        if portWizard != nil {
            if key == .function(10) { return .quit }
            if case .close = portWizard?.handle(key, service: service) {
                portWizard = nil
                porting?.load(service)
            }
            return .continue
        }
        if searching {
            // Enter keeps the search, Esc drops it (issue 14).
            if key == .escape { traceSearch = TextField(placeholder: traceSearch.placeholder) }
            searching = Self.edit(&traceSearch, with: key)
            applySearch()
            return .continue
        }
        if filtering {
            if key == .escape { filterField = TextField(placeholder: filterField.placeholder) }
            filtering = Self.edit(&filterField, with: key)
            applyFilter()
            return .continue
        }
        if filteringLogs {
            if key == .escape { logFilter = TextField(placeholder: logFilter.placeholder) }
            filteringLogs = Self.edit(&logFilter, with: key)
            cursors = [nil]
            logTable.selected = 0
            loadLogs()
            return .continue
        }
        if let action = bindings.action(for: key) {
            switch action {
            case .help: showHelp = true
            case .quit: return .quit
            case .refresh:
                reload()
                loadDetail()
                porting?.load(service)
            case .filter: filtering = true
            case .save: saveTrace()
            case .edit(let name): openEditor(ConfigEditor.Section(rawValue: name) ?? .failover)
            case .timeFormat: absoluteTimes.toggle()
            case .scroll(let lines): scrollMessage(to: messageScroll + lines)
            case .scrollPage(let direction): scrollMessage(to: messageScroll + direction * max(1, messageRows - 1))
            case .scrollToEnd(let bottom): scrollMessage(to: bottom ? Int.max : 0)
            case .message(let step):
                traceSelection = max(0, min(trace.count - 1, traceSelection + step))
                messageScroll = 0
            case .toggle, .move: break
            case .search: searching = true
            case .copy: copy()
            case .sort:
                sortColumn = (sortColumn + 1) % 4
                applyFilter()
            case .open:
                if detail == nil {
                    guard table.selected < shown.count else { return .continue }
                    detail = (try? service.health(configId: shown[table.selected].configId)) ?? shown[table.selected]
                    cursors = [nil]
                    loadDetail()
                } else if tab == .traces, !trace.isEmpty {
                    showMessage = true
                    messageScroll = 0
                }
            case .portNumber:
                portWizard = PortWizard(today: now(), letterDigest: letterDigest)
            case .porting:
                var view = PortingView()
                view.load(service)
                porting = view
            case .alerts:
                var view = AlertsView()
                view.load(service)
                alertsView = view
            case .acknowledge:
                if let told = alertsView?.acknowledge(service) { message = told }
                openAlerts = (try? service.alerts(limit: 1000).count) ?? openAlerts
            case .failback:
                guard let detail else { return .continue }
                do {
                    failover = try service.switchEndpoint(number: detail.phoneNumber, to: .primary, actor: "siptrunk dashboard (uid \(getuid()))")
                    message = ("\(detail.phoneNumber) calls go to the primary endpoint again.", .ok)
                } catch {
                    message = (error.messages.joined(separator: "; "), .error)
                }
            case .back:
                // Esc first drops what narrows the view (a search, a filter), then goes back.
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
                    loadLogs()
                } else if detail == nil, !filterField.value.isEmpty {
                    filterField = TextField(placeholder: filterField.placeholder)
                    applyFilter()
                } else {
                    detail = nil
                    message = nil
                }
            case .filterLogs: filteringLogs = true
            case .addTrunk:
                wantsNewTrunk = true
                return .quit
            case .openCall: openTraceOfSelectedLog()
            case .nextTab: switchTab(to: Tab(rawValue: (tab.rawValue + 1) % Tab.allCases.count) ?? tab)
            case .previousTab: switchTab(to: Tab(rawValue: (tab.rawValue + Tab.allCases.count - 1) % Tab.allCases.count) ?? tab)
            case .tab(let index): switchTab(to: Tab(rawValue: index) ?? tab)
            case .nextPage:
                if let next = page?.next {
                    cursors.append(next)
                    logTable.selected = 0
                    loadLogs()
                }
            case .previousPage:
                if cursors.count > 1 {
                    cursors.removeLast()
                    logTable.selected = 0
                    loadLogs()
                }
            }
            return .continue
        }
        // Movement within the current list.
        if alertsView != nil {
            if alertsView?.table.handle(key, pageSize: 10) == true { alertsView?.loadSelected(service) }
        } else if porting != nil {
            _ = porting?.table.handle(key, pageSize: 10)
        } else if detail == nil {
            if table.handle(key, pageSize: 10) { loadVisibleFigures() }
        } else if tab == .traces {
            if showMessage || key == .character("J") || key == .character("K") {
                if key == .down || key == .character("j") || key == .character("J") { traceSelection = min(trace.count - 1, traceSelection + 1) }
                if key == .up || key == .character("k") || key == .character("K") { traceSelection = max(0, traceSelection - 1) }
            } else if key == .down || key == .up || key == .character("j") || key == .character("k") {
                _ = testTable.handle(key, pageSize: 5)
                traceSelection = 0
                loadTrace()
            } else if key == .right {
                traceSelection = min(trace.count - 1, traceSelection + 1)
            } else if key == .left {
                traceSelection = max(0, traceSelection - 1)
            }
        } else if tab == .callLogs {
            _ = logTable.handle(key, pageSize: 10)
        }
        return .continue
    }

    /// The message's lines as the full-message view shows them (CRLF is one Character in Swift: split on any newline).
    static func lines(of message: TraceMessage) -> [String] {
        String(decoding: message.raw, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
    }

    /// Scrolls the full message, never past its last page.
    func scrollMessage(to line: Int) {
        guard traceSelection < trace.count else { return }
        let count = Self.lines(of: trace[traceSelection]).count
        messageScroll = max(0, min(line, count - messageRows))
    }

    /// A key for a one-line field being typed into: Enter or Esc ends the typing (false), anything else edits.
    static func edit(_ field: inout TextField, with key: Key) -> Bool {
        if key == .enter || key == .escape { return false }
        _ = field.handle(key)
        return true
    }

    /// Pasted text goes to the field being edited; elsewhere it is ignored (a paste is not a string of commands).
    public func paste(_ text: String) {
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
            applyFilter()
        } else if filteringLogs {
            logFilter.insert(line)
            cursors = [nil]
            loadLogs()
        }
    }

    func copy() {
        switch tab {
        case .traces where traceSelection < trace.count:
            clipboardRequests.append(String(decoding: trace[traceSelection].raw, as: UTF8.self))
            message = ("Copied the message to the clipboard (OSC 52).", .ok)
        case .firewall:
            guard let firewall else { return }
            clipboardRequests.append(firewall.ruleText)
            message = ("Copied the firewall list to the clipboard (OSC 52).", .ok)
        default: break
        }
    }

    /// F2: the selected call's trace as text, Markdown with Mermaid, and pcap, next to where siptrunk runs.
    func saveTrace() {
        guard testTable.selected < calls.count, !fullTrace.isEmpty else { return }
        let callId = calls[testTable.selected].callId
        let base = "siptrunk-" + callId.prefix { $0 != "@" }.filter { $0.isLetter || $0.isNumber || $0 == "-" }
        do {
            try TraceExport.text(fullTrace).write(toFile: base + ".txt", atomically: true, encoding: .utf8)
            try TraceExport.markdown(fullTrace, title: "SIP trace of \(callId)").write(toFile: base + ".md", atomically: true, encoding: .utf8)
            try Data(TraceExport.pcap(fullTrace)).write(to: URL(fileURLWithPath: base + ".pcap"))
            message = ("Saved \(base).txt, .md and .pcap", .ok)
        } catch {
            message = ("Could not save the trace: \(error.localizedDescription)", .error)
        }
    }

    // MARK: Configuration editors

    /// The editor's keys, for the bar and the help.
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

    func openEditor(_ section: ConfigEditor.Section) {
        guard let detail else { return }
        if section == .failover, detail.direction == "inbound" {
            message = ("Failover moves outbound calls between your SIP servers: open the outbound direction of \(detail.phoneNumber) to edit it.", .warning)
            return
        }
        do {
            let config = try service.advancedConfig(number: detail.phoneNumber, direction: detail.direction)
            advanced = config
            editor = ConfigEditor(section: section, config: config)
            message = nil
        } catch {
            message = ("Cannot read the configuration: \(error.messages.joined(separator: "; "))", .error)
        }
    }

    func handleEditor(_ key: Key) {
        guard var current = editor else { return }
        switch key {
        case .escape:
            editor = nil
            message = ("Not saved.", .dim)
            return
        case .enter, .function(2), .control("s"):
            saveEditor(&current)
        default:
            _ = current.form.handle(key)
        }
        if editor != nil { editor = current }
    }

    /// Sends the form as the use case's request; its field errors land on the rows they are about.
    func saveEditor(_ current: inout ConfigEditor) {
        switch current.patch() {
        case .invalid(let problems):
            current.form.setErrors(problems)
            message = (Self.notSaved(current.form, unplaced: []), .error)
        case .ready(let patch):
            do {
                advanced = try service.updateAdvancedConfig(patch)
                editor = nil
                message = ("Saved \(current.section.rawValue) for \(patch.phoneNumber) \(patch.direction).", .ok)
            } catch {
                if case .validation(let errors) = error {
                    let unplaced = current.form.setErrors(errors.map { (current.key(for: $0, in: patch), $0.message) })
                    message = (Self.notSaved(current.form, unplaced: unplaced), .error)
                } else {
                    message = ("Not saved: \(error.messages.joined(separator: "; "))", .error)
                }
            }
        }
    }

    /// The status line after a refused save: the first problem in full (a row may cut it), and how many more.
    static func notSaved(_ form: Form, unplaced: [String]) -> String {
        let marked = form.fields.filter { $0.error != nil }
        var problems = marked.map { "\($0.label.trimmingCharacters(in: .whitespaces)): \($0.error!)" } + unplaced
        guard !problems.isEmpty else { return "Not saved." }
        let first = problems.removeFirst()
        return "Not saved — \(first)" + (problems.isEmpty ? "" : " (and \(problems.count) more marked)") + ". Esc leaves without saving."
    }

    func switchTab(to new: Tab) {
        tab = new
        if message?.text.hasPrefix(Self.readFailure) != true { message = nil }
        showMessage = false
        loadDetail()
    }

    // MARK: Drawing

    public func render(into frame: inout Frame, tick: Int) {
        if frame.glyphs.blockFull != glyphs.blockFull {
            glyphs = frame.glyphs
            loadVisibleFigures()
        }
        let width = frame.width, height = frame.height
        frame.fill(Rect(x: 0, y: 0, width: width, height: 1), role: .title)
        frame.put(" siptrunk · SIP dashboard", x: 0, y: 0, role: .title)
        let clock = Self.format(lastLoad) + " UTC "
        frame.put(clock, x: width - DisplayWidth.of(clock), y: 0, role: .title)
        let monitor = monitorOwner.map { "monitor: \($0)" } ?? "no monitor running (siptrunk monitor)"
        let room = width - DisplayWidth.of(clock) - 28
        if room > 12 { frame.put(monitor, x: 27, y: 0, role: monitorOwner == nil ? .warning : .title, limit: room) }
        let body = Rect(x: 0, y: 1, width: width, height: height - 3)
        if portWizard != nil {
            portWizard?.draw(&frame, Rect(x: 1, y: 2, width: width - 2, height: height - 5))
        } else if alertsView != nil {
            alertsView?.draw(&frame, Rect(x: 1, y: 2, width: width - 2, height: height - 4))
        } else if porting != nil {
            porting?.draw(&frame, Rect(x: 1, y: 2, width: width - 2, height: height - 4))
        } else if let detail {
            drawDetail(&frame, body, detail)
        } else {
            drawOverview(&frame, body)
        }
        if let message = portWizard?.message ?? message { frame.statusLines(message.text, endingAt: height - 2, role: message.role) }
        let keys = editor == nil ? bindings : editorBindings
        keys.drawBar(in: &frame, rect: Rect(x: 0, y: height - 1, width: width, height: 1))
        if showHelp { keys.drawHelp(in: &frame, title: "Keys") }
    }

    func drawOverview(_ frame: inout Frame, _ rect: Rect) {
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
        if views.isEmpty {
            frame.paragraph("No trunks yet. Run siptrunk (the set-up wizard) or siptrunk demo for a sample set; start siptrunk monitor to probe them.", in: Rect(x: rect.x + 2, y: y + 1, width: rect.width - 4, height: 3), role: .dim)
            return
        }
        overviewRowsShown = rect.maxY - y - 1
        table.draw(in: &frame, rect: Rect(x: rect.x + 1, y: y, width: rect.width - 2, height: rect.maxY - y), focused: true)
    }

    func drawDetail(_ frame: inout Frame, _ rect: Rect, _ view: HealthView) {
        frame.put(" \(view.phoneNumber) · \(view.direction) · \(view.sipEndpoint ?? "no endpoint") · trunk \(view.trunkId)", x: rect.x, y: rect.y, role: .strong, limit: rect.width)
        Tabs(Tab.allCases.map(\.title), selected: tab.rawValue).draw(in: &frame, rect: Rect(x: rect.x + 1, y: rect.y + 1, width: rect.width - 2, height: 1))
        let inner = Rect(x: rect.x, y: rect.y + 2, width: rect.width, height: rect.height - 2)
        frame.box(inner, title: tab.title)
        let area = inner.inset(dx: 2, dy: 1)
        switch tab {
        case .health: drawHealth(&frame, area, view)
        case .traces: drawTraces(&frame, area)
        case .callLogs: drawCallLogs(&frame, area)
        case .firewall: drawFirewall(&frame, area)
        case .configuration: drawConfiguration(&frame, area, view)
        }
    }

    func drawHealth(_ frame: inout Frame, _ rect: Rect, _ view: HealthView) {
        var rows = LabelledRows(rect, labelWidth: 16)
        let since = view.since.map { " since \(Self.format($0)) UTC" } ?? ""
        rows.add("State", view.healthStatus.rawValue + since, role: Self.role(for: view.healthStatus), in: &frame)
        if view.direction == "inbound" { rows.add("", "inbound-only numbers are not probed (the guide shows them unchecked)", role: .dim, in: &frame) }
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0) } ?? "—" }
        rows.add("Uptime", "1 h \(percent(view.uptime1h))   24 h \(percent(view.uptime24h))   7 days \(percent(view.uptime7d))", in: &frame)
        rows.add("Response", view.averageResponseMs.map { String(format: "%.1f ms average over 24 h", $0) } ?? "—", in: &frame)
        rows.add("Recent", Sparkline.text(view.recentResponseMs, width: min(60, rect.width - 16), glyphs: frame.glyphs), role: .ok, in: &frame)
        rows.add("Last probe", view.lastCheckedAt.map { Self.format($0) + " UTC" } ?? "never (is siptrunk monitor running?)", in: &frame)
        rows.skip()
        if let failover, failover.endpoints.count > 1 {
            let moved = failover.activeRole != "primary"
            let since = failover.activeSince.map { " since \(Self.format($0)) UTC" } ?? ""
            rows.add("Calls go to", "\(failover.activeRole) \(failover.activeEndpoint)\(moved ? since : "")", role: moved ? .warning : .ok, in: &frame)
            if moved, let last = failover.history.first { rows.add("", "\(last.trigger): \(last.reason)", role: .dim, in: &frame) }
            for endpoint in failover.endpoints {
                rows.add(endpoint.active ? "  * " + endpoint.role : "    " + endpoint.role, "\(endpoint.endpoint)  \(endpoint.healthStatus.rawValue)", role: Self.role(for: endpoint.healthStatus), in: &frame)
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
            frame.put("\(Self.format(failure.at))  \(failure.outcome)\(failure.responseCode.map { " \($0)" } ?? "")", x: rect.x, y: y, role: .error, limit: rect.width)
            y += 1
            if let message = failure.message, y < rect.maxY { frame.put("  \(message)", x: rect.x, y: y, limit: rect.width); y += 1 }
            if let remedy = failure.remedy, y < rect.maxY { frame.put("  → \(remedy)", x: rect.x, y: y, role: .dim, limit: rect.width); y += 1 }
        }
    }

    func drawTraces(_ frame: inout Frame, _ rect: Rect) {
        guard !calls.isEmpty else {
            frame.paragraph("No calls traced for this number yet: place a test call (siptrunk test-call --number N, or the wizard's Step 7).", in: rect, role: .dim)
            return
        }
        let listHeight = min(calls.count + 1, max(3, rect.height / 4))
        testTable.draw(in: &frame, rect: Rect(x: rect.x, y: rect.y, width: rect.width, height: listHeight), focused: !showMessage)
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

    func drawMessage(_ frame: inout Frame, _ rect: Rect, _ message: TraceMessage) {
        let lines = Self.lines(of: message)
        // The view's height is what a page is (kept for the scroll keys; the offset is clamped when scrolling).
        messageRows = max(1, rect.height - 1)
        let first = max(0, min(messageScroll, lines.count - messageRows))
        let position = lines.count > messageRows ? " · lines \(first + 1)–\(min(lines.count, first + messageRows)) of \(lines.count)" : ""
        let header = "\(message.direction == "sent" ? "sent to" : "received from") \(message.remoteAddress) over \(message.transport.uppercased()) at \(Self.format(message.wallTime))\(position)"
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

    func drawCallLogs(_ frame: inout Frame, _ rect: Rect) {
        guard let page else { return }
        let pageNumber = cursors.count
        let pages = max(1, (page.total + SIPTrunkService.callLogPageSize - 1) / SIPTrunkService.callLogPageSize)
        let countdown = max(0, logsRefreshSeconds - Int(now().timeIntervalSince(logsLoadedAt)))
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
        if let captureSummary, rect.height > 4 {
            frame.put(captureSummary, x: rect.x, y: rect.y + rect.height - 1, role: .dim, limit: rect.width)
            tableHeight -= 1
        }
        if page.logs.isEmpty {
            frame.put(logFilter.value.isEmpty ? "No calls logged for this number." : "No calls match '\(logFilter.value)' (Esc clears the filter).", x: rect.x, y: rect.y + 2, role: .dim)
            return
        }
        logTable.draw(in: &frame, rect: Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: tableHeight), focused: true)
    }

    func drawFirewall(_ frame: inout Frame, _ rect: Rect) {
        guard let firewall else { return }
        var rows = LabelledRows(rect, labelWidth: 14)
        for row in firewall.rows { rows.add(row.label, row.value, in: &frame) }
    }

    func drawConfiguration(_ frame: inout Frame, _ rect: Rect, _ view: HealthView) {
        if let title = editor?.section.title {
            frame.put(title + " of \(view.phoneNumber) \(view.direction)", x: rect.x, y: rect.y, role: .title, limit: rect.width)
            editor?.form.draw(in: &frame, rect: Rect(x: rect.x, y: rect.y + 2, width: rect.width, height: rect.height - 2), labelWidth: 18)
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

    static let timeFormatter = DashboardScreen.utcFormatter("HH:mm:ss.SSS")

}
