import CNCursesW
import Foundation
import TUIKit

extension Duration {
    var inMilliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}

/// Why the terminal could not be opened, with what to do about it.
public struct TerminalError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Why the run loop ended.
public enum TerminalExit: Equatable, Sendable {
    case quit
    /// SIGINT, SIGTERM or SIGHUP (the SSH session dropped), or the terminal's input closed.
    case signal(Int32)
    case inputClosed
}

/// The only code that calls ncurses. One thread (the one calling `run`) owns the screen; other threads hand it
/// work with `post`. Frames are diffed against the previous one and only changed cells are written (ncurses
/// then sends only what differs on the terminal). The terminal is restored on every way out: quit, signals,
/// and crashes (the saved termios is put back before the runtime reports the trap).
/// `@unchecked Sendable`: `posted` is guarded by `lock` (the one thing other threads do is `post`); everything else is touched only by the thread in `run`.
public final class Terminal: @unchecked Sendable {
    public struct Options: Sendable {
        public var theme: Theme
        /// ASCII line drawing (also chosen automatically without a UTF-8 locale).
        public var ascii: Bool
        /// Honour NO_COLOR and terminals without colour: attributes only.
        public var noColour: Bool
        public var mouse: Bool

        public init(theme: Theme, ascii: Bool = false, noColour: Bool = false, mouse: Bool = false) {
            self.theme = theme
            self.ascii = ascii
            self.noColour = noColour
            self.mouse = mouse
        }
    }

    private let screen: OpaquePointer
    private var theme: Theme
    public let glyphs: Glyphs
    public private(set) var colours: Int
    private var previous: Frame?
    private var pairs: [TextStyle: Int16] = [:]
    private let lock = NSLock()
    private var posted: [() -> Void] = []
    private var tick = 0
    private var lastTimer = ContinuousClock.now
    /// Bytes ncurses wrote to the terminal (counted for the benchmarks).
    public private(set) var bytesWritten = 0

    /// The terminal's descriptors (stdin and stdout, or a pseudo-terminal in the benchmarks).
    let input: Int32
    let output: Int32

    /// Opens the terminal on `input`/`output` (stdin/stdout by default). Fails with a clear message when they
    /// are not a terminal, or TERM is unset, `dumb` or unknown.
    public init(options: Options, input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO) throws(TerminalError) {
        self.input = input
        self.output = output
        setlocale(LC_ALL, "")
        guard isatty(output) == 1, isatty(input) == 1 else {
            throw TerminalError(description: "the interactive screens need a terminal: stdin and stdout are not one (use the subcommands, e.g. siptrunk discover --json, in scripts)")
        }
        let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
        guard !term.isEmpty, term != "dumb" else {
            throw TerminalError(description: "TERM is \(term.isEmpty ? "not set" : "'dumb'"): the screens need a terminal that can move the cursor — set TERM (e.g. TERM=xterm-256color) or use the subcommands")
        }
        let utf8 = String(cString: nl_langinfo(nl_item(CODESET))).uppercased().replacingOccurrences(of: "-", with: "") == "UTF8"
        glyphs = options.ascii || !utf8 ? .ascii : .unicode
        TerminalSignals.install(terminal: input)
        guard let outputStream = fdopen(dup(output), "w"), let inputStream = fdopen(dup(input), "r") else {
            throw TerminalError(description: "cannot open the terminal's streams")
        }
        guard let screen = siptrunk_newterm(term, outputStream, inputStream) else {
            throw TerminalError(description: "the terminal type '\(term)' is unknown to ncurses (no terminfo entry): set TERM to one it knows, e.g. xterm-256color, or install ncurses-term")
        }
        self.screen = screen
        set_term(screen)
        TerminalSignals.screenOpen = true
        raw()
        noecho()
        nonl()
        keypad(siptrunk_stdscr(), true)
        nodelay(siptrunk_stdscr(), true)
        set_escdelay(25)
        curs_set(0)
        colours = 0
        if !options.noColour, has_colors() {
            start_color()
            use_default_colors()
            colours = Int(siptrunk_colors())
        }
        theme = options.theme.adapted(toColours: colours >= 256 ? 256 : colours >= 16 ? 16 : colours >= 8 ? 8 : 0)
        if options.mouse { mousemask(siptrunk_button1_clicked(), nil) }
        // Bracketed paste: the terminal marks pasted text, so a pasted list of numbers is not typed key by key.
        writeRaw("\u{1B}[?2004h")
    }

    /// Writes control sequences ncurses does not know (bracketed paste, OSC 52) straight to the terminal.
    public func writeRaw(_ text: String) {
        var bytes = Array(text.utf8)
        _ = Glibc.write(output, &bytes, bytes.count)
    }

    /// Puts the terminal back as it was (idempotent).
    public func close() {
        guard TerminalSignals.screenOpen else { return }
        TerminalSignals.screenOpen = false
        writeRaw("\u{1B}[?2004l")
        curs_set(1)
        endwin()
        delscreen(screen)
    }

    deinit { close() }

    /// Hands work to the screen's thread (from any thread); it runs before the next frame is drawn.
    public func post(_ work: @escaping @Sendable () -> Void) {
        lock.withLock { posted.append(work) }
        TerminalSignals.wake()
    }

    /// Runs `app` until it quits, a signal ends it, or the terminal goes away.
    public func run(_ app: TerminalApplication) -> TerminalExit {
        defer { close() }
        draw(app)
        var pasting: String?
        while true {
            // Sleep until input, posted work or a signal; tick ten times a second only while animating.
            let wait: Int32 = app.isAnimating ? 100 : Int32(clamping: app.timerInterval.map { max(0, $0 - Int((ContinuousClock.now - lastTimer).inMilliseconds)) } ?? -1)
            var fds = [pollfd(fd: input, events: Int16(POLLIN), revents: 0), pollfd(fd: TerminalSignals.readEnd, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, wait)
            if ready < 0 && errno != EINTR { return .inputClosed }
            if fds[1].revents & Int16(POLLIN) != 0 {
                if let signal = TerminalSignals.drain() { return .signal(signal) }
            }
            if fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 && fds[0].revents & Int16(POLLIN) == 0 {
                return .inputClosed
            }
            let work = lock.withLock { () -> [() -> Void] in
                defer { posted.removeAll() }
                return posted
            }
            work.forEach { $0() }
            if ready == 0 { tick += 1 }
            if let interval = app.timerInterval, (ContinuousClock.now - lastTimer).inMilliseconds >= Double(interval) {
                lastTimer = ContinuousClock.now
                app.timerFired()
            }
            // Every key waiting, decoded.
            var sawInput = false
            while true {
                var character: wint_t = 0
                let result = wget_wch(siptrunk_stdscr(), &character)
                if result == ERR { break }
                sawInput = true
                guard let key = decode(result: result, character: character) else { continue }
                switch key {
                case .resize:
                    previous = nil
                    clearok(siptrunk_stdscr(), true)
                case .pasteStart:
                    pasting = ""
                case .pasteEnd:
                    if let text = pasting { app.paste(text) }
                    pasting = nil
                case .key(let key):
                    if pasting != nil {
                        switch key {
                        case .character(let c): pasting?.append(c)
                        case .enter: pasting?.append("\n")
                        default: break
                        }
                        continue
                    }
                    // The terminal runs raw (no ISIG), so Ctrl-C and Ctrl-Z arrive as keys (issue 14): Ctrl-C is the
                    // screen's Quit (F10: the screen ends what runs and saves first); Ctrl-Z suspends like a shell job.
                    if key == .control("z") {
                        suspend()
                        continue
                    }
                    if app.handle(key == .control("c") ? .function(10) : key) == .quit { return .quit }
                    sendClipboard(app)
                }
            }
            // A readable stdin that yields nothing is a closed terminal (read returns EOF): end, never spin.
            if !sawInput, fds[0].revents & Int16(POLLIN) != 0, work.isEmpty {
                // Readable with nothing to read is end of file (the terminal went away without a SIGHUP).
                var waiting: Int32 = 0
                if ioctl(input, UInt(FIONREAD), &waiting) != 0 || waiting == 0 || isatty(input) == 0 { return .inputClosed }
            }
            // A quit asked for by posted work, the timer or a paste (the dashboard's `a` typed before its first read
            // is replayed when the read is posted back: that quit was lost, and the dashboard stayed).
            if app.wantsToQuit { return .quit }
            draw(app)
        }
    }

    /// Ctrl-Z: give the terminal back to the shell and stop; on `fg` take it again and redraw everything.
    private func suspend() {
        writeRaw("\u{1B}[?2004l")
        def_prog_mode()
        endwin()
        // SIGSTOP, not SIGTSTP: the stop must not depend on whose SIGTSTP handler is installed.
        kill(getpid(), SIGSTOP)
        // Continued (fg): the saved modes back, the whole screen repainted, bracketed paste on again.
        reset_prog_mode()
        previous = nil
        clearok(siptrunk_stdscr(), true)
        writeRaw("\u{1B}[?2004h")
    }

    private var clipboardSent = 0

    /// OSC 52 for each copy the screen asked for since the last key.
    private func sendClipboard(_ app: TerminalApplication) {
        guard let source = app as? ClipboardSource else { return }
        let requests = source.clipboardRequests
        while clipboardSent < requests.count {
            writeRaw("\u{1B}]52;c;\(Data(requests[clipboardSent].utf8).base64EncodedString())\u{07}")
            clipboardSent += 1
        }
    }

    enum Decoded {
        case key(Key)
        case resize, pasteStart, pasteEnd
    }

    private var escapeBuffer: [Character] = []

    private func decode(result: Int32, character: wint_t) -> Decoded? {
        if result == siptrunk_key_code_yes() {
            switch Int32(character) {
            case KEY_RESIZE: return .resize
            case KEY_UP: return .key(.up)
            case KEY_DOWN: return .key(.down)
            case KEY_LEFT: return .key(.left)
            case KEY_RIGHT: return .key(.right)
            case KEY_HOME: return .key(.home)
            case KEY_END: return .key(.end)
            case KEY_PPAGE: return .key(.pageUp)
            case KEY_NPAGE: return .key(.pageDown)
            case KEY_BACKSPACE: return .key(.backspace)
            case KEY_DC: return .key(.delete)
            case KEY_BTAB: return .key(.backTab)
            case KEY_ENTER: return .key(.enter)
            case KEY_MOUSE:
                var event = MEVENT()
                guard getmouse(&event) == OK else { return nil }
                return .key(.mouse(x: Int(event.x), y: Int(event.y)))
            case let code where code > siptrunk_key_f0() && code <= siptrunk_key_f0() + 24:
                return .key(.function(Int(code - siptrunk_key_f0())))
            default: return nil
            }
        }
        guard let scalar = Unicode.Scalar(UInt32(character)) else { return nil }
        let c = Character(scalar)
        // ESC [ 2 0 0 ~ and ESC [ 2 0 1 ~ mark a paste; other escape sequences ncurses did not know are dropped.
        if !escapeBuffer.isEmpty {
            escapeBuffer.append(c)
            let text = String(escapeBuffer)
            if text == "\u{1B}[200~" { escapeBuffer = []; return .pasteStart }
            if text == "\u{1B}[201~" { escapeBuffer = []; return .pasteEnd }
            if "\u{1B}[200~".hasPrefix(text) || "\u{1B}[201~".hasPrefix(text) { return nil }
            escapeBuffer = []
            return nil
        }
        switch scalar.value {
        case 0x1B:
            // A lone ESC (no more input within the 25 ms escape delay) is the Esc key. ESC [ may begin a paste
            // marker; anything else that came with the ESC (Esc then a key typed quickly, or over a slow link
            // that delivers both at once) is put back to be read as the next key, not lost.
            var next: wint_t = 0
            let result = wget_wch(siptrunk_stdscr(), &next)
            if result == ERR { return .key(.escape) }
            if result == siptrunk_key_code_yes() {
                ungetch(Int32(next))
            } else if next == 0x5B {
                escapeBuffer = ["\u{1B}", "["]
                return nil
            } else {
                unget_wch(wchar_t(next))
            }
            return .key(.escape)
        case 0x0D, 0x0A: return .key(.enter)
        case 0x09: return .key(.tab)
        case 0x7F, 0x08: return .key(.backspace)
        case 0x01...0x1A: return Unicode.Scalar(scalar.value + 0x60).map { .key(.control(Character($0))) }
        default: return .key(.character(c))
        }
    }

    /// Renders the app into a fresh frame and writes only the cells that differ from the last frame.
    private func draw(_ app: TerminalApplication) {
        let width = Int(siptrunk_cols()), height = Int(siptrunk_lines())
        var frame = Frame(width: width, height: height, glyphs: glyphs)
        let minimum = app.minimumSize
        if width < minimum.width || height < minimum.height {
            TooSmall.draw(into: &frame, minimum: minimum)
        } else {
            app.render(into: &frame, tick: tick)
        }
        write(frame)
    }

    /// Writes `frame`: per row, runs of changed cells with the same style, each as one string.
    public func write(_ frame: Frame) {
        let old = previous.flatMap { $0.width == frame.width && $0.height == frame.height ? $0 : nil }
        for y in 0..<frame.height {
            var x = 0
            while x < frame.width {
                if let old, old[x, y] == frame[x, y] {
                    x += 1
                    continue
                }
                // A run of changed cells sharing a role.
                let role = frame[x, y].role
                var text = ""
                let start = x
                while x < frame.width, frame[x, y].role == role, old.map({ $0[x, y] != frame[x, y] }) ?? true {
                    text += frame[x, y].text
                    x += 1
                }
                if frame[start, y].isContinuation { continue }
                let (attributes, pair) = attributes(for: theme.style(for: role))
                _ = siptrunk_put(Int32(y), Int32(start), text, attributes, pair)
            }
        }
        if let cursor = frame.cursor {
            curs_set(1)
            wmove(siptrunk_stdscr(), Int32(cursor.y), Int32(cursor.x))
        } else {
            curs_set(0)
        }
        wnoutrefresh(siptrunk_stdscr())
        doupdate()
        previous = frame
    }

    private func attributes(for style: TextStyle) -> (attr_t, Int16) {
        var attributes = siptrunk_a_normal()
        if style.bold { attributes |= siptrunk_a_bold() }
        if style.underline { attributes |= siptrunk_a_underline() }
        if style.reverse { attributes |= siptrunk_a_reverse() }
        if style.dim { attributes |= siptrunk_a_dim() }
        guard colours > 0 else { return (attributes, 0) }
        let key = TextStyle(foreground: style.foreground, background: style.background)
        if let pair = pairs[key] { return (attributes, pair) }
        guard pairs.count + 1 < Int(siptrunk_color_pairs()) else { return (attributes, 0) }
        let pair = Int16(pairs.count + 1)
        func number(_ colour: TerminalColor) -> Int16 {
            if case .indexed(let index) = colour, Int(index) < colours { return Int16(index) }
            return -1
        }
        init_pair(pair, number(style.foreground), number(style.background))
        pairs[key] = pair
        return (attributes, pair)
    }
}
