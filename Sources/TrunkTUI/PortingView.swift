import Foundation
import TUIKit
import TrunkCore

/// The dashboard's Porting view (issue 18): every port request with its status, and the selected one's numbers and
/// history (from, to, when, who, why). Opened with `P` from the overview.
struct PortingView: Sendable {
    var requests: [PortRequestView] = []
    var table = Table(columns: [
        .init("Request", width: 22), .init("Status", width: 22), .init("Target", width: 10), .init("Numbers"),
    ])
    var failure: String?

    mutating func loaded(_ result: Result<[PortRequestView], DashboardState.Failure>) {
        switch result {
        case .success(let read):
            requests = read
            failure = nil
        case .failure(let error):
            failure = error.message
        }
        let selected = table.selected
        table.rows = requests.map { [$0.id, $0.status, $0.targetPortDate, $0.phoneNumbers.map(\.number).joined(separator: ", ")] }
        table.rowRoles = requests.map { request in
            switch request.status {
            case "completed": .ok
            case "failed", "canceled": .dim
            case "waiting_for_signature": .warning
            default: .text
            }
        }
        table.selected = min(selected, max(0, requests.count - 1))
    }

    /// `offset` is the view's scroll memory for the list.
    func draw(_ frame: inout Frame, _ rect: Rect, offset: inout Int) {
        frame.put("Port requests", x: rect.x, y: rect.y, role: .title, limit: rect.width)
        if let failure {
            frame.put("Cannot read the port requests: \(failure)", x: rect.x, y: rect.y + 2, role: .error, limit: rect.width)
            return
        }
        guard !requests.isEmpty else {
            frame.put("No port requests. Start one with: siptrunk port check NUMBER, port document FILE, port initiate --request FILE",
                      x: rect.x, y: rect.y + 2, role: .dim, limit: rect.width)
            return
        }
        let listHeight = max(3, min(requests.count + 2, rect.height / 2))
        table.draw(in: &frame, rect: Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: listHeight), focused: true, offset: &offset)
        guard table.selected < requests.count else { return }
        let request = requests[table.selected]
        var y = rect.y + 2 + listHeight
        func line(_ label: String, _ value: String, role: Role = .text, labelWidth: Int = 16) {
            guard y < rect.maxY else { return }
            let padded = label.count >= labelWidth ? label + " " : label.padding(toLength: labelWidth, withPad: " ", startingAt: 0)
            let used = frame.put(padded, x: rect.x, y: y, role: .strong, limit: rect.width)
            frame.put(value, x: rect.x + used, y: y, role: role, limit: rect.width - used)
            y += 1
        }
        line("Numbers", request.phoneNumbers.map { "\($0.number) (\($0.status))" }.joined(separator: ", "))
        line("Target date", request.targetPortDate + (request.focDate.map { " · FOC \($0)" } ?? ""))
        line("Representative", request.authorizedRepEmail)
        if let reason = request.failureReason { line("Failed because", reason, role: .error) }
        if request.status == "waiting_for_signature" {
            line("Next", "the representative signs the Letter of Authorization: siptrunk port sign \(request.id) --name NAME --i-agree", role: .warning)
        }
        y += 1
        line("History", "")
        for event in request.history {
            line("  " + DashboardView.format(event.at), "\(event.from ?? "—") → \(event.to) by \(event.who ?? "—")\(event.note.map { ": \($0)" } ?? "")", role: .text, labelWidth: 23)
        }
    }
}
