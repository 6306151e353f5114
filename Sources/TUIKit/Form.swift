/// A form of labelled rows, one focused: text fields, on/off toggles, choices, and section headings. Rows that
/// share a `group` form an ordered list whose rows move up and down with `+` and `-` (a preference order, such as
/// codecs). Errors are set per field key and drawn on the field's row, so a rejected save points at what to fix.
public struct Form: Hashable, Sendable {
    public enum Value: Hashable, Sendable {
        case text(TextField)
        case toggle(Bool)
        case choice([String], selected: Int)
        /// A section title; never focused.
        case heading
        /// A value shown for reference, not edited here; never focused.
        case info(String)
    }

    public struct Field: Hashable, Sendable {
        public var key: String
        public var label: String
        public var value: Value
        /// Shown dim after the value (units, what the field means).
        public var hint: String
        /// Rows with the same group can be reordered among themselves.
        public var group: String?
        public var error: String?

        public init(_ key: String, _ label: String, _ value: Value, hint: String = "", group: String? = nil) {
            self.key = key
            self.label = label
            self.value = value
            self.hint = hint
            self.group = group
        }

        public var isFocusable: Bool {
            switch value {
            case .heading, .info: false
            default: true
            }
        }
    }

    public var fields: [Field]
    public private(set) var focus: Int
    /// The first row drawn (scrolls to keep the focused row visible).
    public private(set) var offset = 0

    public init(_ fields: [Field]) {
        self.fields = fields
        focus = fields.firstIndex(where: \.isFocusable) ?? 0
    }

    public var focusedKey: String? { focus < fields.count ? fields[focus].key : nil }

    // MARK: Values

    public func index(of key: String) -> Int? { fields.firstIndex { $0.key == key } }

    public func text(_ key: String) -> String {
        guard let index = index(of: key), case .text(let field) = fields[index].value else { return "" }
        return field.value
    }

    public func isOn(_ key: String) -> Bool {
        guard let index = index(of: key), case .toggle(let on) = fields[index].value else { return false }
        return on
    }

    public func choice(_ key: String) -> String? {
        guard let index = index(of: key), case .choice(let options, let selected) = fields[index].value, selected < options.count else { return nil }
        return options[selected]
    }

    /// The keys of a group's rows, in their current order.
    public func order(of group: String) -> [String] { fields.filter { $0.group == group }.map(\.key) }

    // MARK: Errors

    /// Replaces the errors: `errors` maps field keys to messages; keys not in the form are returned.
    @discardableResult
    public mutating func setErrors(_ errors: [(key: String, message: String)]) -> [String] {
        for index in fields.indices { fields[index].error = nil }
        var unplaced: [String] = []
        for error in errors {
            if let index = index(of: error.key) {
                fields[index].error = fields[index].error.map { $0 + "; " + error.message } ?? error.message
            } else {
                unplaced.append(error.message)
            }
        }
        if let first = fields.firstIndex(where: { $0.error != nil && $0.isFocusable }) { focus = first }
        return unplaced
    }

    public var hasErrors: Bool { fields.contains { $0.error != nil } }

    // MARK: Keys

    /// Applies a key: focus moves with ↑ ↓ Tab S-Tab; Space toggles or cycles; ← → cycle a choice; + and - move a
    /// grouped row; anything else edits the focused text field. False when the key is not the form's.
    public mutating func handle(_ key: Key) -> Bool {
        guard focus < fields.count else { return false }
        switch key {
        case .up, .backTab: moveFocus(by: -1)
        case .down, .tab: moveFocus(by: 1)
        case .home where !isText: focusEdge(first: true)
        case .end where !isText: focusEdge(first: false)
        default:
            switch fields[focus].value {
            case .toggle(let on):
                guard key == .character(" ") else { return reorder(key) }
                fields[focus].value = .toggle(!on)
            case .choice(let options, let selected):
                switch key {
                case .character(" "), .right: fields[focus].value = .choice(options, selected: (selected + 1) % max(1, options.count))
                case .left: fields[focus].value = .choice(options, selected: (selected + max(1, options.count) - 1) % max(1, options.count))
                default: return reorder(key)
                }
            case .text(var field):
                guard field.handle(key) else { return false }
                fields[focus].value = .text(field)
            case .heading, .info:
                return false
            }
            fields[focus].error = nil
        }
        return true
    }

    /// Pasted text goes to the focused text field.
    public mutating func paste(_ text: String) {
        guard focus < fields.count, case .text(var field) = fields[focus].value else { return }
        field.insert(text.filter { !$0.isNewline })
        fields[focus].value = .text(field)
    }

    var isText: Bool {
        if case .text = fields[focus].value { return true }
        return false
    }

    mutating func moveFocus(by step: Int) {
        var index = focus
        repeat {
            index += step
            guard fields.indices.contains(index) else { return }
        } while !fields[index].isFocusable
        focus = index
    }

    mutating func focusEdge(first: Bool) {
        let candidates = fields.indices.filter { fields[$0].isFocusable }
        if let index = first ? candidates.first : candidates.last { focus = index }
    }

    /// `+` moves the focused grouped row up (earlier, preferred), `-` down.
    mutating func reorder(_ key: Key) -> Bool {
        guard let group = fields[focus].group else { return false }
        let step: Int
        switch key {
        case .character("+"): step = -1
        case .character("-"): step = 1
        default: return false
        }
        let target = focus + step
        guard fields.indices.contains(target), fields[target].group == group else { return true }
        fields.swapAt(focus, target)
        focus = target
        return true
    }

    // MARK: Drawing

    /// Draws with a scroll position the caller keeps (see `Table.draw(in:rect:focused:offset:)`).
    public func draw(in frame: inout Frame, rect: Rect, labelWidth: Int, focused: Bool = true, offset: inout Int) {
        var drawn = self
        drawn.offset = offset
        drawn.draw(in: &frame, rect: rect, labelWidth: labelWidth, focused: focused)
        offset = drawn.offset
    }

    /// One row per field: label, value, then the error or the hint. Scrolls to keep the focus visible.
    public mutating func draw(in frame: inout Frame, rect: Rect, labelWidth: Int, focused: Bool = true) {
        guard rect.height > 0 else { return }
        if focus < offset { offset = focus }
        if focus >= offset + rect.height { offset = focus - rect.height + 1 }
        offset = max(0, min(offset, max(0, fields.count - rect.height)))
        // Keep a section's heading in view with its first row.
        if rect.height > 1, offset > 0, offset == focus, fields[offset - 1].value == .heading { offset -= 1 }
        let g = frame.glyphs
        for line in 0..<rect.height {
            let index = offset + line
            guard index < fields.count else { break }
            let field = fields[index]
            let y = rect.y + line
            let isFocused = focused && index == focus
            if field.value == .heading {
                frame.put(field.label, x: rect.x, y: y, role: .title, limit: rect.width)
                continue
            }
            frame.put(field.label, x: rect.x + 1, y: y, role: isFocused ? .focus : .strong, limit: labelWidth - 2)
            let x = rect.x + labelWidth
            let room = rect.maxX - x
            guard room > 0 else { continue }
            var used = 0
            switch field.value {
            case .text(let text):
                let width = min(room, max(12, min(40, text.maxLength + 1)))
                text.draw(in: &frame, rect: Rect(x: x, y: y, width: width, height: 1), focused: isFocused)
                used = width
            case .toggle(let on):
                used = frame.put("\(on ? g.checkOn : g.checkOff) \(on ? "on" : "off")", x: x, y: y, role: isFocused ? .selection : (on ? .ok : .text), limit: room)
            case .choice(let options, let selected):
                let value = selected < options.count ? options[selected] : ""
                used = frame.put("\(g.arrowLeft) \(value) \(g.arrowRight)", x: x, y: y, role: isFocused ? .selection : .text, limit: room)
            case .info(let text):
                used = frame.put(text, x: x, y: y, role: .text, limit: room)
            case .heading:
                break
            }
            let note = field.error ?? field.hint
            if !note.isEmpty, room - used > 3 {
                frame.put(note, x: x + used + 2, y: y, role: field.error != nil ? .error : .dim, limit: room - used - 2)
            }
        }
    }
}
