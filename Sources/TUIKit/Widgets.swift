/// An editable one-line text field: the value, the cursor, and a horizontal scroll when it is longer than shown.
public struct TextField: Hashable, Sendable {
    public var value: String
    /// Cursor position in characters.
    public var cursor: Int
    public var placeholder: String
    public var maxLength: Int
    /// Show bullets instead of the characters (passwords).
    public var secret: Bool

    public init(_ value: String = "", placeholder: String = "", maxLength: Int = 512, secret: Bool = false) {
        self.value = value
        self.cursor = value.count
        self.placeholder = placeholder
        self.maxLength = maxLength
        self.secret = secret
    }

    /// Applies an editing key; false when the key is not an editing key (the screen handles it).
    public mutating func handle(_ key: Key) -> Bool {
        var characters = Array(value)
        switch key {
        case .character(let c):
            guard characters.count < maxLength, !c.isNewline else { return true }
            characters.insert(c, at: cursor)
            cursor += 1
        case .backspace:
            guard cursor > 0 else { return true }
            characters.remove(at: cursor - 1)
            cursor -= 1
        case .delete:
            guard cursor < characters.count else { return true }
            characters.remove(at: cursor)
        case .left: cursor = max(0, cursor - 1)
        case .right: cursor = min(characters.count, cursor + 1)
        case .home, .control("a"): cursor = 0
        case .end, .control("e"): cursor = characters.count
        case .control("u"):
            characters.removeSubrange(0..<cursor)
            cursor = 0
        case .control("k"): characters.removeSubrange(cursor...)
        default: return false
        }
        value = String(characters)
        return true
    }

    /// Inserts pasted text (bracketed paste or typed fast), keeping newlines as given for multi-value fields.
    public mutating func insert(_ text: String) {
        var characters = Array(value)
        let room = max(0, maxLength - characters.count)
        let added = Array(text.prefix(room))
        characters.insert(contentsOf: added, at: cursor)
        cursor += added.count
        value = String(characters)
    }

    /// Draws the field in `rect` (one row); with `focused`, places the frame's cursor.
    public func draw(in frame: inout Frame, rect: Rect, focused: Bool) {
        let role: Role = focused ? .inputFocused : .input
        frame.fill(rect, role: role)
        let shown = secret ? String(repeating: "•", count: value.count) : value
        if shown.isEmpty {
            frame.put(placeholder, x: rect.x, y: rect.y, role: focused ? .inputFocused : .dim, limit: rect.width)
            if focused { frame.cursor = (rect.x, rect.y) }
            return
        }
        // Scroll so the cursor stays visible.
        let characters = Array(shown)
        var start = 0
        while DisplayWidth.of(String(characters[start..<min(cursor, characters.count)])) >= rect.width, start < cursor { start += 1 }
        let visible = String(characters[start...])
        frame.put(visible, x: rect.x, y: rect.y, role: role, limit: rect.width)
        if focused { frame.cursor = (rect.x + DisplayWidth.of(String(characters[start..<min(cursor, characters.count)])), rect.y) }
    }
}

/// A list of choices, one selected (radio) or several checked (checkbox), with a detail line each.
public struct ChoiceList: Hashable, Sendable {
    public struct Item: Hashable, Sendable {
        public var title: String
        public var detail: String
        public init(_ title: String, _ detail: String = "") {
            self.title = title
            self.detail = detail
        }
    }

    public var items: [Item]
    public var highlighted: Int
    public var multiple: Bool
    public var checked: Set<Int>

    public init(_ items: [Item], highlighted: Int = 0, multiple: Bool = false, checked: Set<Int> = []) {
        self.items = items
        self.highlighted = min(max(0, highlighted), max(0, items.count - 1))
        self.multiple = multiple
        self.checked = checked
    }

    public mutating func handle(_ key: Key) -> Bool {
        switch key {
        case .up, .character("k"): highlighted = max(0, highlighted - 1)
        case .down, .character("j"): highlighted = min(items.count - 1, highlighted + 1)
        case .home: highlighted = 0
        case .end: highlighted = items.count - 1
        case .character(" ") where multiple:
            if checked.contains(highlighted) { checked.remove(highlighted) } else { checked.insert(highlighted) }
        default: return false
        }
        return true
    }

    /// Rows needed: one per item, plus one per detail line when details are shown.
    public func height(details: Bool) -> Int { items.count * (details ? 2 : 1) }

    public func draw(in frame: inout Frame, rect: Rect, focused: Bool, details: Bool = true) {
        let g = frame.glyphs
        var y = rect.y
        let perItem = details ? 2 : 1
        // Scroll so the highlighted item is visible.
        let visibleItems = max(1, rect.height / perItem)
        let first = max(0, min(highlighted - visibleItems + 1, items.count - visibleItems))
        for index in first..<items.count {
            guard y + perItem - 1 < rect.maxY else { break }
            let item = items[index]
            let on = multiple ? checked.contains(index) : index == highlighted
            let mark = multiple ? (on ? g.checkOn : g.checkOff) : (on ? g.radioOn : g.radioOff)
            let isCurrent = index == highlighted
            let role: Role = isCurrent && focused ? .selection : (on ? .strong : .text)
            frame.putPadded("\(mark) \(item.title)", x: rect.x, y: y, width: rect.width, role: role)
            if details {
                frame.put(item.detail, x: rect.x + 4, y: y + 1, role: .dim, limit: rect.width - 4)
            }
            y += perItem
        }
    }
}

/// A table with a header, selection and vertical scrolling.
public struct Table: Hashable, Sendable {
    public struct Column: Hashable, Sendable {
        public var title: String
        /// Fixed width; 0 shares what is left.
        public var width: Int
        public init(_ title: String, width: Int = 0) {
            self.title = title
            self.width = width
        }
    }

    public var columns: [Column]
    public var rows: [[String]]
    /// A role per row (status colours); `text` when absent.
    public var rowRoles: [Role]
    public var selected: Int
    public var offset = 0

    public init(columns: [Column], rows: [[String]] = [], rowRoles: [Role] = [], selected: Int = 0) {
        self.columns = columns
        self.rows = rows
        self.rowRoles = rowRoles
        self.selected = selected
    }

    public mutating func handle(_ key: Key, pageSize: Int) -> Bool {
        switch key {
        case .up, .character("k"): selected = max(0, selected - 1)
        case .down, .character("j"): selected = min(max(0, rows.count - 1), selected + 1)
        case .pageUp: selected = max(0, selected - pageSize)
        case .pageDown: selected = min(max(0, rows.count - 1), selected + pageSize)
        case .home, .character("g"): selected = 0
        case .end, .character("G"): selected = max(0, rows.count - 1)
        default: return false
        }
        return true
    }

    public func widths(for total: Int) -> [Int] {
        let fixed = columns.reduce(0) { $0 + $1.width } + max(0, columns.count - 1)
        let flexible = columns.filter { $0.width == 0 }.count
        let share = flexible == 0 ? 0 : max(4, (total - fixed) / flexible)
        return columns.map { $0.width == 0 ? share : $0.width }
    }

    public mutating func draw(in frame: inout Frame, rect: Rect, focused: Bool) {
        guard rect.height >= 2 else { return }
        let widths = widths(for: rect.width)
        var x = rect.x
        frame.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), role: .title)
        for (column, width) in zip(columns, widths) {
            frame.putPadded(column.title, x: x, y: rect.y, width: min(width, rect.maxX - x), role: .title)
            x += width + 1
            if x >= rect.maxX { break }
        }
        let visible = rect.height - 1
        if selected < offset { offset = selected }
        if selected >= offset + visible { offset = selected - visible + 1 }
        offset = max(0, min(offset, max(0, rows.count - visible)))
        for line in 0..<visible {
            let index = offset + line
            guard index < rows.count else { break }
            let y = rect.y + 1 + line
            let isSelected = index == selected && focused
            let role = isSelected ? Role.selection : (index < rowRoles.count ? rowRoles[index] : .text)
            frame.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), role: isSelected ? .selection : .text)
            x = rect.x
            for (value, width) in zip(rows[index], widths) {
                frame.putPadded(value, x: x, y: y, width: min(width, rect.maxX - x), role: role)
                x += width + 1
                if x >= rect.maxX { break }
            }
        }
    }
}

/// Tabs across the top of a pane.
public struct Tabs: Hashable, Sendable {
    public var titles: [String]
    public var selected: Int
    public init(_ titles: [String], selected: Int = 0) {
        self.titles = titles
        self.selected = selected
    }

    public func draw(in frame: inout Frame, rect: Rect) {
        var x = rect.x
        for (index, title) in titles.enumerated() {
            let label = " \(index + 1) \(title) "
            guard x + DisplayWidth.of(label) <= rect.maxX else { break }
            x += frame.put(label, x: x, y: rect.y, role: index == selected ? .selection : .dim) + 1
        }
    }
}

/// A modal dialog: a title, a message and buttons, centred over whatever is below.
public struct Dialog: Hashable, Sendable {
    public var title: String
    public var message: String
    public var buttons: [String]
    public var selected: Int
    public var role: Role

    public init(title: String, message: String, buttons: [String] = ["OK"], selected: Int = 0, role: Role = .text) {
        self.title = title
        self.message = message
        self.buttons = buttons
        self.selected = selected
        self.role = role
    }

    public func draw(in frame: inout Frame) {
        let width = min(frame.width - 4, max(40, min(70, DisplayWidth.of(message) + 4)))
        let lines = Frame.wrap(message, width: width - 4)
        let rect = frame.bounds.centred(width: width, height: lines.count + 5)
        frame.fill(rect)
        frame.box(rect, role: role == .text ? .border : role, title: title)
        for (index, line) in lines.enumerated() where rect.y + 2 + index < rect.maxY - 2 {
            frame.put(line, x: rect.x + 2, y: rect.y + 2 + index, role: role)
        }
        var x = rect.maxX - 2
        for (index, button) in buttons.enumerated().reversed() {
            let label = "[ \(button) ]"
            x -= DisplayWidth.of(label)
            frame.put(label, x: x, y: rect.maxY - 2, role: index == selected ? .selection : .text)
            x -= 1
        }
    }
}

public enum Spinner {
    /// The spinner glyph for `tick` (the backend ticks ten times a second while something runs).
    public static func glyph(_ tick: Int, glyphs: Glyphs) -> String { glyphs.spinner[tick % glyphs.spinner.count] }
}

public enum ProgressBar {
    public static func draw(in frame: inout Frame, rect: Rect, fraction: Double, role: Role = .ok) {
        let filled = Int((Double(rect.width) * min(1, max(0, fraction))).rounded())
        frame.put(String(repeating: frame.glyphs.blockFull, count: filled), x: rect.x, y: rect.y, role: role)
        frame.put(String(repeating: frame.glyphs.horizontal, count: rect.width - filled), x: rect.x + filled, y: rect.y, role: .dim)
    }
}

public enum Sparkline {
    /// The last `width` values as bars scaled from the smallest to the largest; nil values (failed probes) are
    /// marked (`×`, `x` in ASCII), not left blank.
    public static func text(_ values: [Double?], width: Int, glyphs: Glyphs) -> String {
        let shown = values.suffix(width)
        let present = shown.compactMap { $0 }
        guard let low = present.min(), let high = present.max() else { return String(repeating: glyphs.sparkFailed, count: shown.count) }
        let levels = glyphs.sparks.count
        return shown.map { value in
            guard let value else { return glyphs.sparkFailed }
            let level = high == low ? levels / 2 : Int(((value - low) / (high - low) * Double(levels - 1)).rounded())
            return glyphs.sparks[min(levels - 1, max(0, level))]
        }.joined()
    }
}

/// Rows of a label and a value, the value in a column after the labels, stopping at the bottom of `rect`.
public struct LabelledRows {
    public let rect: Rect
    public let labelWidth: Int
    /// The next row's y.
    public private(set) var y: Int

    public init(_ rect: Rect, labelWidth: Int) {
        self.rect = rect
        self.labelWidth = labelWidth
        y = rect.y
    }

    public var isFull: Bool { y >= rect.maxY }

    public mutating func add(_ label: String, _ value: String, role: Role = .text, in frame: inout Frame) {
        guard !isFull else { return }
        frame.put(label, x: rect.x, y: y, role: .strong, limit: labelWidth - 1)
        frame.put(value, x: rect.x + labelWidth, y: y, role: role, limit: rect.width - labelWidth)
        y += 1
    }

    public mutating func skip(_ rows: Int = 1) { y += rows }
}

extension Table {
    /// Draws with a scroll position the caller keeps (a view's memory), leaving the table itself as it is: a view
    /// drawn from a state value does not write the state.
    public func draw(in frame: inout Frame, rect: Rect, focused: Bool, offset: inout Int) {
        var drawn = self
        drawn.offset = offset
        drawn.draw(in: &frame, rect: rect, focused: focused)
        offset = drawn.offset
    }
}

