/// A key press, decoded by the backend.
public enum Key: Hashable, Sendable {
    case character(Character)
    case enter, escape, tab, backTab, backspace, delete
    case up, down, left, right, home, end, pageUp, pageDown
    case function(Int)
    /// Ctrl with a letter (the terminal runs raw: Ctrl-C and Ctrl-Z arrive as keys too).
    case control(Character)
    case mouse(x: Int, y: Int)

    /// The name a function bar and the help overlay show.
    public var label: String {
        switch self {
        case .character(" "): "Space"
        case .character(let c): String(c)
        case .enter: "Enter"
        case .escape: "Esc"
        case .tab: "Tab"
        case .backTab: "S-Tab"
        case .backspace: "Bksp"
        case .delete: "Del"
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .home: "Home"
        case .end: "End"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .function(let n): "F\(n)"
        case .control(let c): "^\(c.uppercased())"
        case .mouse: "Mouse"
        }
    }
}

/// One key binding: the keys, a short label for the function bar, and a sentence for the help overlay.
/// Screens declare their bindings as data; the bar and the help are both generated from that table.
public struct KeyBinding<Action: Hashable & Sendable>: Hashable, Sendable {
    public var keys: [Key]
    public var label: String
    public var help: String
    public var action: Action
    /// Shown in the function bar (else only in the help overlay).
    public var inBar: Bool

    public init(_ keys: [Key], _ label: String, _ help: String, _ action: Action, inBar: Bool = true) {
        self.keys = keys
        self.label = label
        self.help = help
        self.action = action
        self.inBar = inBar
    }
}

public struct KeyBindings<Action: Hashable & Sendable>: Sendable {
    public var bindings: [KeyBinding<Action>]
    public init(_ bindings: [KeyBinding<Action>]) { self.bindings = bindings }

    public func action(for key: Key) -> Action? {
        bindings.first { $0.keys.contains(key) }?.action
    }

    /// The function bar: `F1 Help  Esc Back  Enter Next ...`, as many as fit in `rect`'s one row. The first binding
    /// (Help) and the last (Quit) always stay (issue 14: at 80 columns the bar dropped F10 Quit); the ones between
    /// give way from the end.
    public func drawBar(in frame: inout Frame, rect: Rect) {
        frame.fill(rect, role: .keyLabel)
        let shown = bindings.filter(\.inBar)
        func width(_ binding: KeyBinding<Action>) -> Int {
            DisplayWidth.of(binding.keys.first?.label ?? "") + 1 + DisplayWidth.of(binding.label) + 1
        }
        var chosen: [KeyBinding<Action>] = []
        if let last = shown.last {
            var room = rect.width - width(last)
            // In order: once one does not fit, the rest (later, less important) give way too.
            for binding in shown.dropLast() {
                guard width(binding) <= room else { break }
                chosen.append(binding)
                room -= width(binding)
            }
            chosen.append(last)
        }
        var x = rect.x
        for binding in chosen {
            guard x + width(binding) <= rect.maxX else { break }
            x += frame.put(binding.keys.first?.label ?? "", x: x, y: rect.y, role: .keyName)
            x += frame.put(" " + binding.label + " ", x: x, y: rect.y, role: .keyLabel)
        }
    }

    /// The help overlay: every binding with all its keys and its sentence, in a centred box.
    public func drawHelp(in frame: inout Frame, title: String) {
        let keyColumn = min(18, bindings.map { DisplayWidth.of($0.keys.map(\.label).joined(separator: " ")) }.max() ?? 0)
        // Help text wraps at word boundaries within the screen (it was cut mid-word even at 120 columns).
        let helpWidth = max(10, min(bindings.map { DisplayWidth.of($0.help) }.max() ?? 0, frame.width - keyColumn - 9))
        let wrapped = bindings.map { Frame.wrap($0.help, width: helpWidth) }
        let rows = wrapped.reduce(0) { $0 + max(1, $1.count) }
        let rect = frame.bounds.centred(width: keyColumn + helpWidth + 7, height: rows + 4)
        frame.fill(rect, role: .text)
        frame.box(rect, title: title)
        var y = rect.y + 2
        for (binding, lines) in zip(bindings, wrapped) {
            guard y < rect.maxY - 1 else { break }
            frame.put(binding.keys.map(\.label).joined(separator: " "), x: rect.x + 2, y: y, role: .keyName, limit: keyColumn)
            for line in lines where y < rect.maxY - 1 {
                frame.put(line, x: rect.x + 4 + keyColumn, y: y, limit: rect.width - keyColumn - 6)
                y += 1
            }
            if lines.isEmpty { y += 1 }
        }
    }
}
