/// A terminal colour: the terminal's default, or one of the 256 indexed colours (0–7 basic, 8–15 bright).
public enum TerminalColor: Hashable, Sendable {
    case `default`
    case indexed(UInt8)

    static let names: [String: UInt8] = [
        "black": 0, "red": 1, "green": 2, "yellow": 3, "blue": 4, "magenta": 5, "cyan": 6, "white": 7,
        "bright-black": 8, "grey": 8, "gray": 8, "bright-red": 9, "bright-green": 10, "bright-yellow": 11,
        "bright-blue": 12, "bright-magenta": 13, "bright-cyan": 14, "bright-white": 15,
    ]

    init?(parsing word: String) {
        if word == "default" { self = .default; return }
        if let index = Self.names[word] { self = .indexed(index); return }
        guard let number = Int(word), (0...255).contains(number) else { return nil }
        self = .indexed(UInt8(number))
    }

    /// The colour on a terminal with only `count` colours (8 or 16): the nearest basic colour.
    public func reduced(to count: Int) -> TerminalColor {
        guard case .indexed(let index) = self, Int(index) >= count else { return self }
        if index < 16 { return .indexed(index - 8) }
        let (r, g, b) = Self.rgb(index)
        // The basic colour whose on/off channels match best (threshold at half intensity).
        let bright = max(r, g, b) > 200
        let basic = UInt8((r > 95 ? 1 : 0) | (g > 95 ? 2 : 0) | (b > 95 ? 4 : 0))
        if count >= 16, bright, basic != 0 { return .indexed(basic + 8) }
        return .indexed(basic)
    }

    /// Approximate RGB of an xterm 256-colour index (16–231 the 6×6×6 cube, 232–255 greys).
    static func rgb(_ index: UInt8) -> (Int, Int, Int) {
        if index >= 232 {
            let level = 8 + 10 * Int(index - 232)
            return (level, level, level)
        }
        let cube = Int(index) - 16
        let steps = [0, 95, 135, 175, 215, 255]
        return (steps[cube / 36], steps[(cube / 6) % 6], steps[cube % 6])
    }
}

/// How a role looks: colours and attributes.
public struct TextStyle: Hashable, Sendable {
    public var foreground: TerminalColor = .default
    public var background: TerminalColor = .default
    public var bold = false
    public var underline = false
    public var reverse = false
    public var dim = false

    public init(foreground: TerminalColor = .default, background: TerminalColor = .default, bold: Bool = false, underline: Bool = false, reverse: Bool = false, dim: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.underline = underline
        self.reverse = reverse
        self.dim = dim
    }
}

public struct ThemeError: Error, Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

/// Roles mapped to styles, read from a theme file in `Themes/`:
///
///     # comment
///     name = Dark
///     text          = 252 on 235
///     status.ok     = green bold
///     selection     = black on cyan
///
/// A role without an entry uses its parent's (`status.ok` → `status`), then `text`.
public struct Theme: Hashable, Sendable {
    public var name: String
    public var styles: [String: TextStyle]

    public init(name: String, styles: [String: TextStyle]) {
        self.name = name
        self.styles = styles
    }

    public init(parsing text: String, name fallbackName: String) throws(ThemeError) {
        var name = fallbackName
        var styles: [String: TextStyle] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let trimmed = line.trimmingSpaces
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw ThemeError(line: index + 1, message: "expected 'role = style', found '\(trimmed)'")
            }
            let key = String(trimmed[..<equals]).trimmingSpaces
            let value = String(trimmed[trimmed.index(after: equals)...]).trimmingSpaces
            if key == "name" {
                name = value
                continue
            }
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" }) else {
                throw ThemeError(line: index + 1, message: "'\(key)' is not a role name")
            }
            var style = TextStyle()
            var words = value.split(separator: " ").map { $0.lowercased() }[...]
            var colourSeen = false
            while let word = words.popFirst() {
                switch word {
                case "bold": style.bold = true
                case "underline": style.underline = true
                case "reverse": style.reverse = true
                case "dim": style.dim = true
                case "on":
                    guard let next = words.popFirst(), let colour = TerminalColor(parsing: next) else {
                        throw ThemeError(line: index + 1, message: "'on' must be followed by a colour")
                    }
                    style.background = colour
                default:
                    guard !colourSeen, let colour = TerminalColor(parsing: word) else {
                        throw ThemeError(line: index + 1, message: "'\(word)' is not a colour (a name, 0–255 or default) or an attribute (bold, underline, reverse, dim)")
                    }
                    style.foreground = colour
                    colourSeen = true
                }
            }
            styles[key] = style
        }
        guard styles["text"] != nil else { throw ThemeError(line: 0, message: "a theme must style 'text'") }
        self.name = name
        self.styles = styles
    }

    /// The style of `role`, falling back through its parents to `text`.
    public func style(for role: Role) -> TextStyle {
        var name = Substring(role.name)
        while true {
            if let style = styles[String(name)] { return style }
            guard let dot = name.lastIndex(of: ".") else { break }
            name = name[..<dot]
        }
        return styles["text"] ?? TextStyle()
    }

    /// This theme for a terminal with `colours` colours: 256 as written, 8 or 16 reduced to the nearest basic
    /// colours, 0 (or NO_COLOR) attributes only — with reverse video kept so selections stay visible.
    public func adapted(toColours colours: Int) -> Theme {
        guard colours < 256 else { return self }
        var adapted = self
        for (role, style) in styles {
            var style = style
            if colours <= 1 {
                // A role set apart by a background (selection, title, keys) keeps standing out in reverse video.
                if style.background != .default { style.reverse = true }
                style.foreground = .default
                style.background = .default
            } else {
                style.foreground = style.foreground.reduced(to: colours)
                style.background = style.background.reduced(to: colours)
            }
            adapted.styles[role] = style
        }
        return adapted
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" || first == "\r" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
        return String(text)
    }
}
