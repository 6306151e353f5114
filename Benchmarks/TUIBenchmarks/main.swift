// The terminal backend measured through a real pseudo-terminal: the app runs ncurses on the pty's slave side
// (as over SSH), this program plays the terminal on the master side.
//
//   swift run -c release TUIBenchmarks
//
// 1. Key to screen: a key written to the terminal, until the last byte of the updated screen has come back
//    (median and p90 of 300 keys, each changing one field).
// 2. Bytes per frame for that one-field change, next to the first (full) frame.
// 3. CPU while idle: the process's CPU time over 5 s with the screen up and nothing happening.

import Foundation
import TUICurses
import TUIKit

setenv("TERM", "xterm-256color", 1)
setenv("LANG", "C.UTF-8", 1)

/// A screen like the wizard's Step 2: a box, a paragraph, a list and one text field that each key changes.
final class FormScreen: TerminalApplication {
    var field = TextField("pbx.example.com")
    var list = ChoiceList(["Twilio", "Vonage", "Asterisk / FreePBX", "3CX", "Cisco UCM / CUBE", "RingCentral", "Microsoft Teams", "Other"].map { .init($0) })
    var minimumSize: (width: Int, height: Int) { (40, 10) }
    func render(into frame: inout Frame, tick: Int) {
        frame.fill(Rect(x: 0, y: 0, width: frame.width, height: 1), role: .title)
        frame.put(" siptrunk · set up a SIP trunk", x: 0, y: 0, role: .title)
        frame.box(Rect(x: 0, y: 2, width: frame.width, height: frame.height - 4), title: "2. Destination")
        list.draw(in: &frame, rect: Rect(x: 2, y: 3, width: 26, height: 16), focused: false, details: false)
        frame.paragraph("Your PBX or carrier's SIP server: a host name, IP address or sip: URI; add :port and ;transport= if you know them.", in: Rect(x: 30, y: 3, width: frame.width - 32, height: 4))
        field.draw(in: &frame, rect: Rect(x: 30, y: 9, width: frame.width - 32, height: 1), focused: true)
        frame.put("host \(field.value)", x: 30, y: 10, role: .ok, limit: frame.width - 32)
    }
    func handle(_ key: Key) -> ScreenCommand {
        if key == .function(10) { return .quit }
        if case .character(let c) = key, field.value.count > 40, c != "\u{7F}" { field = TextField("pbx.example.com") }
        _ = field.handle(key)
        return .continue
    }
}

// A pseudo-terminal pair through /dev/ptmx (Glibc's module hides posix_openpt): unlock, then find its number.
let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
// The ioctl numbers are macros Swift does not import; these are Linux's (the same on x86_64 and arm64).
let TIOCSPTLCK: UInt = 0x4004_5431
let TIOCGPTN: UInt = 0x8004_5430
var unlock: Int32 = 0
var number: UInt32 = 0
guard master >= 0, ioctl(master, TIOCSPTLCK, &unlock) == 0, ioctl(master, TIOCGPTN, &number) == 0 else { fatalError("no pseudo-terminal") }
let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
var size = winsize(ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0)
_ = ioctl(master, UInt(TIOCSWINSZ), &size)

let theme = Theme(name: "bench", styles: ["text": TextStyle(), "title": TextStyle(foreground: .indexed(255), background: .indexed(24), bold: true), "selection": TextStyle(reverse: true), "status.ok": TextStyle(foreground: .indexed(114)), "input.focused": TextStyle(underline: true)])
let ready = DispatchSemaphore(value: 0)
let finished = DispatchSemaphore(value: 0)
let thread = Thread {
    do {
        let terminal = try Terminal(options: Terminal.Options(theme: theme), input: slave, output: slave)
        ready.signal()
        _ = terminal.run(FormScreen())
    } catch {
        FileHandle.standardError.write(Data("cannot open the pty as a terminal: \(error)\n".utf8))
        exit(1)
    }
    finished.signal()
}
thread.start()
ready.wait()

/// Reads what the app writes until it has been quiet for `quiet` ms; the bytes and when the last one came.
func drain(quiet: Int32) -> (bytes: Int, last: DispatchTime) {
    var total = 0
    var last = DispatchTime.now()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        var fd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard poll(&fd, 1, quiet) > 0 else { break }
        let count = read(master, &buffer, buffer.count)
        if count <= 0 { break }
        total += count
        last = DispatchTime.now()
    }
    return (total, last)
}

let first = drain(quiet: 300)
var latencies: [Double] = []
var frameBytes: [Int] = []
for index in 0..<300 {
    var key = UInt8(ascii: "a") + UInt8(index % 26)
    let start = DispatchTime.now()
    _ = write(master, &key, 1)
    let (bytes, last) = drain(quiet: 20)
    latencies.append(Double(last.uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
    frameBytes.append(bytes)
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
let cpuBefore = cpuSeconds()
Thread.sleep(forTimeInterval: 5)
let idle = (cpuSeconds() - cpuBefore) / 5

let sorted = latencies.sorted()
let bytesSorted = frameBytes.sorted()
print(String(format: "key to updated screen over a pty, 80x24, 300 keys: median %.3f ms, p90 %.3f ms", sorted[sorted.count / 2], sorted[sorted.count * 9 / 10]))
print("bytes written per frame for a one-field change: median \(bytesSorted[bytesSorted.count / 2]), max \(bytesSorted.last!) (the first, full frame: \(first.bytes))")
print(String(format: "CPU while idle over 5 s: %.2f%% of one core", idle * 100))

var quit: [UInt8] = Array("\u{1B}[21~".utf8)  // F10
_ = write(master, &quit, quit.count)
_ = drain(quiet: 200)
_ = finished.wait(timeout: .now() + 2)

@Sendable func print(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
