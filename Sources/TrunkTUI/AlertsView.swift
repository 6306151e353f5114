import Foundation
import TUIKit
import TrunkCore

/// The dashboard's Alerts view (issue 15): open and acknowledged alerts first, then the recently resolved; the
/// selected one's history (opened, queued, delivered or failed per channel, acknowledged, resolved). Opened with `A`
/// from the overview; `a` acknowledges the selected alert.
struct AlertsView: Sendable {
    var alerts: [AlertView] = []
    var selected: AlertView?
    var table = Table(columns: [
        .init("Opened", width: 19), .init("Status", width: 12), .init("Number", width: 14), .init("Rule", width: 13), .init("Summary"),
    ])
    var failure: String?

    /// The alerts read (or why not); the selected alert's id, whose history is to be read next.
    mutating func loaded(_ result: Result<[AlertView], DashboardState.Failure>) -> String? {
        switch result {
        case .success(let read):
            alerts = read
            failure = nil
        case .failure(let error):
            failure = error.message
        }
        let index = table.selected
        table.rows = alerts.map { [DashboardView.format($0.openedAt), $0.status, $0.phoneNumber, $0.rule, $0.summary] }
        table.rowRoles = alerts.map { alert in
            switch alert.status {
            case "open": .error
            case "acknowledged": .warning
            default: .dim
            }
        }
        table.selected = min(index, max(0, alerts.count - 1))
        return selectedId
    }

    /// The alert under the selection, if any.
    var selectedId: String? { table.selected < alerts.count ? alerts[table.selected].alertId : nil }

    /// The selected alert with its history, when it is still the one selected.
    mutating func selectedLoaded(_ alert: AlertView?, id: String) {
        guard id == selectedId else { return }
        selected = alert
    }

    /// `offset` is the view's scroll memory for the list.
    func draw(_ frame: inout Frame, _ rect: Rect, offset: inout Int) {
        let open = alerts.filter { $0.status != "resolved" }.count
        frame.put("Alerts · \(open) open or acknowledged", x: rect.x, y: rect.y, role: .title, limit: rect.width)
        if let failure {
            frame.put("Cannot read the alerts: \(failure)", x: rect.x, y: rect.y + 2, role: .error, limit: rect.width)
            return
        }
        guard !alerts.isEmpty else {
            frame.paragraph(
                "No alerts. Alerts open when a number's rules are breached (Configuration tab, or siptrunk config set NUMBER --alerts on) while a monitor runs.",
                in: Rect(x: rect.x, y: rect.y + 2, width: rect.width, height: 3), role: .dim)
            return
        }
        let listHeight = max(3, min(alerts.count + 2, rect.height / 2))
        table.draw(in: &frame, rect: Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: listHeight), focused: true, offset: &offset)
        guard let alert = selected else { return }
        var y = rect.y + 2 + listHeight
        y += frame.paragraph(alert.summary, in: Rect(x: rect.x, y: y, width: rect.width, height: 2), role: .strong)
        if alert.status == "open", y < rect.maxY {
            frame.put("a acknowledges it (no more reminders)", x: rect.x, y: y, role: .dim, limit: rect.width)
            y += 1
        }
        for event in alert.history ?? [] where y < rect.maxY {
            let channel = event.channel.map { " [\($0)]" } ?? ""
            let role: Role = event.kind == "delivery_failed" || event.kind == "attempt_failed" ? .error : (event.kind == "delivered" ? .ok : .text)
            let line = "\(DashboardView.format(event.at))  \(event.kind)\(channel)\(event.detail.map { ": \($0)" } ?? "")"
            frame.put(DisplayWidth.truncate(line, to: rect.width, ellipsis: frame.glyphs.ellipsis), x: rect.x, y: y, role: role, limit: rect.width)
            y += 1
        }
    }
}
