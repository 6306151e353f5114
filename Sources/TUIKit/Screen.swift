/// What a screen returns after a key.
public enum ScreenCommand: Hashable, Sendable {
    case `continue`
    case quit
}

/// A full-screen application the backend runs: drawn from its state into a frame, driven by keys.
/// All calls happen on the one thread that owns the terminal.
public protocol TerminalApplication: AnyObject {
    /// The smallest size it can draw; below it the backend shows `TooSmall` instead.
    var minimumSize: (width: Int, height: Int) { get }
    /// True while something animates (a spinner, live counters): the backend then redraws ten times a second;
    /// otherwise it sleeps until a key, a resize or posted work arrives.
    var isAnimating: Bool { get }
    /// Milliseconds between `timerFired` calls while nothing else happens (live data), or nil.
    var timerInterval: Int? { get }
    /// Called on the screen's thread every `timerInterval`; a redraw follows (only changed cells are written).
    func timerFired()
    func render(into frame: inout Frame, tick: Int)
    func handle(_ key: Key) -> ScreenCommand
    /// Text pasted in one go (bracketed paste).
    func paste(_ text: String)
    /// True once the screen asked to quit from anything but `handle(_:)`: an answer its work posted back (a key
    /// typed ahead of the first read and replayed then), a paste, a timer. The backend ends the run after that.
    var wantsToQuit: Bool { get }
}

extension TerminalApplication {
    public var isAnimating: Bool { false }
    public var timerInterval: Int? { nil }
    public var wantsToQuit: Bool { false }
    public func timerFired() {}
    public func paste(_ text: String) {
        for character in text { _ = handle(character == "\n" ? .enter : .character(character)) }
    }
}

/// A screen that copies text to the terminal's clipboard: the backend sends each new request as OSC 52 (which
/// terminals honour locally and over SSH, and tmux with `set-clipboard on`).
public protocol ClipboardSource: AnyObject {
    /// Every text asked to be copied so far, oldest first.
    var clipboardRequests: [String] { get }
}

/// The screen shown when the terminal is smaller than a screen needs.
public enum TooSmall {
    public static func draw(into frame: inout Frame, minimum: (width: Int, height: Int)) {
        frame.fill(frame.bounds)
        let lines = [
            "The window is \(frame.width)×\(frame.height).",
            "Make it at least \(minimum.width)×\(minimum.height)",
            "(or press F10 to quit).",
        ]
        let top = max(0, (frame.height - lines.count) / 2)
        for (index, line) in lines.enumerated() {
            let wrapped = DisplayWidth.truncate(line, to: frame.width, ellipsis: frame.glyphs.ellipsis)
            frame.put(wrapped, x: max(0, (frame.width - DisplayWidth.of(wrapped)) / 2), y: top + index, role: index == 1 ? .warning : .text)
        }
    }
}
