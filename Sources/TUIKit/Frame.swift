/// What a cell means, not how it looks: themes map roles to colours and attributes (`status.ok`,
/// `arrow.request`, `selection`, ...). A role falls back to its parent (`status.ok` → `status`) then `text`.
public struct Role: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let name: String
    public init(_ name: String) { self.name = name }
    public init(stringLiteral value: String) { name = value }
    public var description: String { name }

    public static let text: Role = "text"
    public static let dim: Role = "text.dim"
    public static let strong: Role = "text.strong"
    public static let title: Role = "title"
    public static let border: Role = "border"
    public static let selection: Role = "selection"
    public static let focus: Role = "focus"
    public static let input: Role = "input"
    public static let inputFocused: Role = "input.focused"
    public static let error: Role = "status.failed"
    public static let ok: Role = "status.ok"
    public static let warning: Role = "status.warning"
    public static let pending: Role = "status.pending"
    public static let keyName: Role = "bar.key"
    public static let keyLabel: Role = "bar.label"
    public static let arrowRequest: Role = "arrow.request"
    public static let arrowProvisional: Role = "arrow.provisional"
    public static let arrowSuccess: Role = "arrow.success"
    public static let arrowError: Role = "arrow.error"
    public static let link: Role = "link"
}

/// One terminal cell: a grapheme and its role. A two-column grapheme is followed by a continuation cell.
public struct Cell: Hashable, Sendable {
    /// The grapheme drawn here; empty in the right half of a wide character.
    public var text: String
    public var role: Role

    public init(_ text: String = " ", role: Role = .text) {
        self.text = text
        self.role = role
    }

    public var isContinuation: Bool { text.isEmpty }
    public static let blank = Cell()
}

public struct Rect: Hashable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public func inset(by amount: Int) -> Rect { Rect(x: x + amount, y: y + amount, width: width - 2 * amount, height: height - 2 * amount) }
    public func inset(dx: Int, dy: Int) -> Rect { Rect(x: x + dx, y: y + dy, width: width - 2 * dx, height: height - 2 * dy) }
    /// Splits off `rows` at the top.
    public func top(_ rows: Int) -> (Rect, Rect) {
        let taken = min(rows, height)
        return (Rect(x: x, y: y, width: width, height: taken), Rect(x: x, y: y + taken, width: width, height: height - taken))
    }
    public func bottom(_ rows: Int) -> (Rect, Rect) {
        let taken = min(rows, height)
        return (Rect(x: x, y: y, width: width, height: height - taken), Rect(x: x, y: maxY - taken, width: width, height: taken))
    }
    public func left(_ columns: Int) -> (Rect, Rect) {
        let taken = min(columns, width)
        return (Rect(x: x, y: y, width: taken, height: height), Rect(x: x + taken, y: y, width: width - taken, height: height))
    }
    /// A rectangle of `width`×`height` centred in this one.
    public func centred(width: Int, height: Int) -> Rect {
        let w = min(width, self.width), h = min(height, self.height)
        return Rect(x: x + (self.width - w) / 2, y: y + (self.height - h) / 2, width: w, height: h)
    }
}

/// Box-drawing glyphs: Unicode line drawing, or ASCII for terminals without UTF-8.
public struct Glyphs: Hashable, Sendable {
    public var horizontal, vertical, topLeft, topRight, bottomLeft, bottomRight, teeDown, teeUp: String
    public var arrowRight, arrowLeft, bullet, radioOn, radioOff, checkOn, checkOff, ellipsis, blockFull: String
    public var spinner: [String]
    public var sparks: [String]
    /// A probe that failed, in a sparkline (a gap would read as "no data").
    public var sparkFailed: String = "×"
    /// Only ASCII reaches the terminal (no UTF-8 locale, or --ascii): every other character is given its ASCII form.
    public var asciiOnly = false

    public static let unicode = Glyphs(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘", teeDown: "┬", teeUp: "┴",
        arrowRight: "▶", arrowLeft: "◀", bullet: "•", radioOn: "(•)", radioOff: "( )", checkOn: "[x]", checkOff: "[ ]",
        ellipsis: "…", blockFull: "█", spinner: ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"],
        sparks: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"])
    public static let ascii = Glyphs(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+", teeDown: "+", teeUp: "+",
        arrowRight: ">", arrowLeft: "<", bullet: "*", radioOn: "(*)", radioOff: "( )", checkOn: "[x]", checkOff: "[ ]",
        ellipsis: "~", blockFull: "#", spinner: ["|", "/", "-", "\\"], sparks: ["_", ".", ":", "-", "=", "+", "*", "#"], sparkFailed: "x",
        asciiOnly: true)

    /// The ASCII form of a character for a terminal that shows only ASCII (issue 14: "—" printed as three bytes and
    /// shifted the columns). Symbols the screens use have a readable form; anything else becomes "?", one column.
    public static func asciiForm(_ character: Character) -> String {
        if character.isASCII { return String(character) }
        switch character {
        case "—", "–", "‒", "─", "━", "‐", "\u{2011}": return "-"
        case "│", "┃": return "|"
        case "┌", "┐", "└", "┘", "├", "┤", "┬", "┴", "┼", "╭", "╮", "╯", "╰": return "+"
        case "…": return "~"
        case "·", "•", "∙": return "*"
        case "✓", "✔": return "v"
        case "✗", "✘", "×": return "x"
        case "→", "▶", "►", "≥": return ">"
        case "←", "◀", "◄", "≤": return "<"
        case "↑", "▲": return "^"
        case "↓", "▼": return "v"
        case "↻": return "R"
        case "“", "”", "„": return "\""
        case "‘", "’": return "'"
        case "µ": return "u"
        case "°": return "o"
        case "\u{00A0}": return " "
        case "▁", "▂", "▃": return "_"
        case "▄", "▅": return "="
        case "▆", "▇", "█": return "#"
        default: return "?"
        }
    }
}

/// An off-screen grid of cells: screens draw into it, the backend writes only what changed since the last one,
/// and tests compare it as text.
public struct Frame: Hashable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    public var glyphs: Glyphs
    /// Where the terminal cursor should be shown (a focused text field), if anywhere.
    public var cursor: (x: Int, y: Int)? {
        get { cursorStorage.map { ($0.x, $0.y) } }
        set { cursorStorage = newValue.map { Pair($0.x, $0.y) } }
    }
    private var cursorStorage: Pair?
    struct Pair: Hashable, Sendable {
        var x: Int, y: Int
        init(_ x: Int, _ y: Int) { self.x = x; self.y = y }
    }

    public init(width: Int, height: Int, glyphs: Glyphs = .unicode) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
        self.glyphs = glyphs
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Writes `text` at (x, y) in `role`, clipped to `limit` columns (and the frame); returns the columns used.
    /// A wide character that would be cut in half is replaced by a space.
    @discardableResult
    public mutating func put(_ text: some StringProtocol, x: Int, y: Int, role: Role = .text, limit: Int? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let end = min(width, x + (limit ?? width))
        var column = x
        for original in text {
            let character = glyphs.asciiOnly && !original.isASCII ? Character(Glyphs.asciiForm(original)) : original
            let w = DisplayWidth.of(character)
            if w == 0 { continue }
            if column + w > end {
                if column < end, column >= 0 { self[column, y] = Cell(" ", role: role) }
                break
            }
            if column >= 0 {
                clearWide(at: column, y: y)
                self[column, y] = Cell(character == "\t" ? " " : String(character), role: role)
                if w == 2 {
                    clearWide(at: column + 1, y: y)
                    self[column + 1, y] = Cell("", role: role)
                }
            }
            column += w
        }
        return column - x
    }

    /// Overwriting half of a wide character blanks its other half so no orphan remains.
    private mutating func clearWide(at x: Int, y: Int) {
        guard x >= 0, x < width else { return }
        if self[x, y].isContinuation, x > 0 { self[x - 1, y] = Cell(" ", role: self[x - 1, y].role) }
        if x + 1 < width, self[x + 1, y].isContinuation, !self[x, y].isContinuation { self[x + 1, y] = Cell(" ", role: self[x, y].role) }
    }

    /// Text padded with spaces to exactly `width` columns (cut with an ellipsis when longer).
    public mutating func putPadded(_ text: String, x: Int, y: Int, width: Int, role: Role = .text) {
        let shown = DisplayWidth.truncate(text, to: width, ellipsis: glyphs.ellipsis)
        let used = put(shown, x: x, y: y, role: role, limit: width)
        if used < width { fill(Rect(x: x + used, y: y, width: width - used, height: 1), role: role) }
    }

    public mutating func fill(_ rect: Rect, role: Role = .text, with text: String = " ") {
        for row in max(0, rect.y)..<min(height, rect.maxY) {
            for column in max(0, rect.x)..<min(width, rect.maxX) {
                clearWide(at: column, y: row)
                self[column, row] = Cell(text, role: role)
            }
        }
    }

    /// Changes the role of every cell in `rect`, keeping the text (selection bars).
    public mutating func paint(_ rect: Rect, role: Role) {
        for row in max(0, rect.y)..<min(height, rect.maxY) {
            for column in max(0, rect.x)..<min(width, rect.maxX) { self[column, row].role = role }
        }
    }

    /// A box around `rect` with an optional title in its top border.
    public mutating func box(_ rect: Rect, role: Role = .border, title: String? = nil, titleRole: Role = .title) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let g = glyphs
        put(g.topLeft + String(repeating: g.horizontal, count: rect.width - 2) + g.topRight, x: rect.x, y: rect.y, role: role)
        for row in (rect.y + 1)..<(rect.maxY - 1) {
            put(g.vertical, x: rect.x, y: row, role: role)
            put(g.vertical, x: rect.maxX - 1, y: row, role: role)
        }
        put(g.bottomLeft + String(repeating: g.horizontal, count: rect.width - 2) + g.bottomRight, x: rect.x, y: rect.maxY - 1, role: role)
        if let title, rect.width > 6 {
            put(" \(DisplayWidth.truncate(title, to: rect.width - 6, ellipsis: g.ellipsis)) ", x: rect.x + 2, y: rect.y, role: titleRole)
        }
    }

    public mutating func horizontalLine(x: Int, y: Int, width: Int, role: Role = .border) {
        guard width > 0 else { return }
        put(String(repeating: glyphs.horizontal, count: width), x: x, y: y, role: role)
    }

    /// Word-wrapped text in `rect`; returns the rows used. Words longer than the width are broken.
    @discardableResult
    public mutating func paragraph(_ text: String, in rect: Rect, role: Role = .text) -> Int {
        let lines = Frame.wrap(text, width: rect.width)
        for (index, line) in lines.prefix(rect.height).enumerated() { put(line, x: rect.x, y: rect.y + index, role: role, limit: rect.width) }
        return min(lines.count, rect.height)
    }

    /// A status message on the rows ending at `y`, wrapped at word boundaries (issue 14: messages were cut
    /// mid-word even at 120 columns): as many rows as it needs up to `maxLines`, the last one ellipsised beyond that.
    public mutating func statusLines(_ text: String, endingAt y: Int, role: Role, maxLines: Int = 3) {
        var lines = Frame.wrap(text, width: max(1, width - 2))
        if lines.count > maxLines {
            lines = Array(lines.prefix(maxLines))
            lines[maxLines - 1] = DisplayWidth.truncate(lines[maxLines - 1] + " " + glyphs.ellipsis + glyphs.ellipsis, to: width - 2, ellipsis: glyphs.ellipsis)
        }
        for (index, line) in lines.enumerated() {
            putPadded(" " + line, x: 0, y: y - (lines.count - 1 - index), width: width, role: role)
        }
    }

    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            var lineWidth = 0
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: true) {
                var word = String(word)
                var w = DisplayWidth.of(word)
                while w > width {
                    if lineWidth > 0 { lines.append(line); line = ""; lineWidth = 0 }
                    let (head, headWidth) = DisplayWidth.prefix(word, fitting: width)
                    lines.append(String(head))
                    word = String(word[head.endIndex...])
                    w -= headWidth
                }
                if lineWidth > 0, lineWidth + 1 + w > width {
                    lines.append(line)
                    line = ""
                    lineWidth = 0
                }
                if lineWidth > 0 { line += " "; lineWidth += 1 }
                line += word
                lineWidth += w
            }
            lines.append(line)
        }
        return lines
    }

    // MARK: Snapshots

    /// The frame as plain text, one line per row, trailing spaces kept (golden files compare exactly).
    public var text: String {
        (0..<height).map { row in (0..<width).map { self[$0, row].text }.joined() }.joined(separator: "\n")
    }

    /// The roles as runs per row (`3: 2-9 status.ok`), leaving out plain `text` cells: what a golden file
    /// checks besides the characters.
    public var roleRuns: String {
        var lines: [String] = []
        for row in 0..<height {
            var runs: [String] = []
            var column = 0
            while column < width {
                let role = self[column, row].role
                var end = column
                while end + 1 < width, self[end + 1, row].role == role { end += 1 }
                if role != .text { runs.append("\(column)-\(end) \(role.name)") }
                column = end + 1
            }
            if !runs.isEmpty { lines.append("\(row): " + runs.joined(separator: ", ")) }
        }
        return lines.joined(separator: "\n")
    }
}
