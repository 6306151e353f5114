import CNCursesW
import Foundation

/// Signal handling for the screen's lifetime. SIGINT, SIGTERM and SIGHUP write their number to a pipe the run
/// loop polls, so the loop ends and restores the terminal on its own thread (nothing unsafe runs in the handler).
/// Fatal signals (a Swift runtime trap is SIGILL or SIGTRAP) put the saved terminal settings back and leave the
/// alternate screen first, then hand over to the previous handler, so the crash report lands on a sane terminal.
/// ncurses keeps SIGTSTP/SIGCONT (suspend, then redraw on resume) and SIGWINCH (a resize key).
enum TerminalSignals {
    nonisolated(unsafe) static var readEnd: Int32 = -1
    nonisolated(unsafe) static var writeEnd: Int32 = -1
    nonisolated(unsafe) static var savedTermios = termios()
    nonisolated(unsafe) static var haveTermios = false
    nonisolated(unsafe) static var screenOpen = false
    nonisolated(unsafe) static var previousFatal: [Int32: sigaction] = [:]
    nonisolated(unsafe) static var installed = false

    static let fatal: [Int32] = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT]

    nonisolated(unsafe) static var terminal: Int32 = STDIN_FILENO

    static func install(terminal: Int32) {
        guard !installed else { return }
        installed = true
        self.terminal = terminal
        var fds: [Int32] = [0, 0]
        if pipe(&fds) == 0 {
            readEnd = fds[0]
            writeEnd = fds[1]
            for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        }
        haveTermios = tcgetattr(terminal, &savedTermios) == 0
        // A parent may have started us with these blocked (the mask is inherited): unblock them, or a dropped
        // SSH session (SIGHUP) would leave the process running and a resize (SIGWINCH) would go unnoticed.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGTSTP, SIGCONT] { sigaddset(&unblock, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        // SIGQUIT sent from outside ends the screen like SIGTERM (its default would dump core on a raw terminal).
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = Glibc.write(TerminalSignals.writeEnd, &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
        // A closed SSH session also means writes to the terminal fail: ignore SIGPIPE so they return EPIPE.
        Glibc.signal(SIGPIPE, SIG_IGN)
        for signal in fatal {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in TerminalSignals.restoreForCrash(number) }
            sigemptyset(&action.sa_mask)
            var previous = sigaction()
            sigaction(signal, &action, &previous)
            previousFatal[signal] = previous
        }
    }

    /// Async-signal-safe: tcsetattr and write only, then the previous handler (Swift's backtracer) or the default.
    static func restoreForCrash(_ number: Int32) {
        if haveTermios { tcsetattr(terminal, TCSANOW, &savedTermios) }
        let reset: StaticString = "\u{1B}[?2004l\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l\r\n"
        _ = Glibc.write(STDOUT_FILENO, reset.utf8Start, reset.utf8CodeUnitCount)
        if var previous = previousFatal[number] {
            sigaction(number, &previous, nil)
        } else {
            Glibc.signal(number, SIG_DFL)
        }
        raise(number)
    }

    static func wake() {
        var byte: UInt8 = 0
        _ = Glibc.write(writeEnd, &byte, 1)
    }

    /// Empties the pipe; the signal that arrived, if any (a zero byte is a wake-up).
    static func drain() -> Int32? {
        var signal: Int32?
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = read(readEnd, &buffer, buffer.count)
            if count <= 0 { break }
            for byte in buffer[0..<count] where byte != 0 { signal = Int32(byte) }
        }
        return signal
    }
}
