/// A SIP ladder (sequence) diagram: one column per party, one row per message, each an arrow from the sender's
/// column to the receiver's with the message's name on it, laid out from the available width.
public struct Ladder: Hashable, Sendable {
    public struct Message: Hashable, Sendable {
        public var from: Int
        public var to: Int
        public var label: String
        /// Relative or absolute time, shown at the left.
        public var time: String
        public var role: Role
        /// Marked as a re-transmission.
        public var retransmission: Bool

        public init(from: Int, to: Int, label: String, time: String = "", role: Role = .arrowRequest, retransmission: Bool = false) {
            self.from = from
            self.to = to
            self.label = label
            self.time = time
            self.role = role
            self.retransmission = retransmission
        }
    }

    public var parties: [String]
    public var messages: [Message]
    /// The first message shown (scrolling).
    public var offset = 0
    public var selected: Int?

    public init(parties: [String], messages: [Message] = [], selected: Int? = nil) {
        self.parties = parties
        self.messages = messages
        self.selected = selected
    }

    /// The x of each party's lifeline within `rect` after a time column of `timeWidth`.
    public func columns(in rect: Rect, timeWidth: Int) -> [Int] {
        let count = max(1, parties.count)
        let left = rect.x + timeWidth + 1
        let usable = rect.maxX - left
        if count == 1 { return [left + usable / 2] }
        let margin = min(12, usable / (2 * count))
        let step = Double(usable - 2 * margin - 1) / Double(count - 1)
        return (0..<count).map { left + margin + Int((Double($0) * step).rounded()) }
    }

    public func draw(in frame: inout Frame, rect: Rect) {
        guard rect.height >= 3, rect.width >= 20 else { return }
        let timeWidth = min(12, messages.map { DisplayWidth.of($0.time) }.max() ?? 0)
        let xs = columns(in: rect, timeWidth: timeWidth)
        let g = frame.glyphs
        // Party names centred over their lifelines, cut to the space between neighbours.
        let spacing = xs.count > 1 ? xs[1] - xs[0] - 1 : rect.width
        for (index, name) in parties.enumerated() {
            let shown = DisplayWidth.truncate(name, to: max(3, spacing), ellipsis: g.ellipsis)
            let w = DisplayWidth.of(shown)
            let x = max(rect.x, min(rect.maxX - w, xs[index] - w / 2))
            frame.put(shown, x: x, y: rect.y, role: .title)
        }
        let rows = rect.height - 1
        for row in 0..<rows {
            let y = rect.y + 1 + row
            for x in xs { frame.put(g.vertical, x: x, y: y, role: .border) }
            let index = offset + row
            guard index < messages.count else { continue }
            let message = messages[index]
            let isSelected = selected == index
            frame.put(message.time, x: rect.x, y: y, role: isSelected ? .selection : .dim, limit: timeWidth)
            guard message.from < xs.count, message.to < xs.count else { continue }
            let a = xs[message.from], b = xs[message.to]
            let role: Role = isSelected ? .selection : message.role
            if a == b {
                frame.put("\(g.arrowLeft) \(message.label)", x: a + 1, y: y, role: role, limit: rect.maxX - a - 1)
                continue
            }
            let (low, high) = (min(a, b), max(a, b))
            let length = high - low - 1
            var line = Array(repeating: g.horizontal, count: max(0, length))
            if length > 0 {
                if b > a { line[length - 1] = g.arrowRight } else { line[0] = g.arrowLeft }
            }
            // The label sits on the arrow, near its start, so labels of crossing arrows stay readable.
            let label = (message.retransmission ? "↻ " : "") + message.label
            let room = max(0, length - 3)
            let shown = DisplayWidth.truncate(label, to: room, ellipsis: g.ellipsis)
            frame.put(line.joined(), x: low + 1, y: y, role: role)
            if !shown.isEmpty {
                // The arrowhead is never covered (issue 14: a long reason phrase took a response's head, so it read as
                // going the wrong way): the label is cut, not the arrow.
                if b > a {
                    frame.put(" " + shown + " ", x: low + 1, y: y, role: role, limit: length - 1)
                } else {
                    let start = max(low + 2, low + 1 + room - DisplayWidth.of(shown))
                    frame.put(" " + shown + " ", x: start, y: y, role: role, limit: high - start)
                }
            }
        }
    }
}
