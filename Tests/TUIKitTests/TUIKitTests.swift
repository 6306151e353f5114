import Foundation
import TUIKit
import Testing

struct DisplayWidthTests {
    @Test func asciiCJKEmojiAndCombiningMarks() {
        #expect(DisplayWidth.of("INVITE") == 6)
        #expect(DisplayWidth.of("東京") == 4)
        #expect(DisplayWidth.of("한국") == 4)
        #expect(DisplayWidth.of("📞") == 2)
        #expect(DisplayWidth.of("☎️") == 2)  // a text symbol with VS16 is drawn as emoji
        #expect(DisplayWidth.of("e\u{301}") == 1)  // e + combining acute
        #expect(DisplayWidth.of("ｓｉｐ") == 6)  // full-width forms
    }

    @Test func truncationNeverSplitsAWideCharacter() {
        #expect(DisplayWidth.truncate("東京東京", to: 5) == "東京…")
        #expect(DisplayWidth.of(DisplayWidth.truncate("東京東京", to: 5)) <= 5)
        #expect(DisplayWidth.truncate("short", to: 10) == "short")
    }
}

struct FrameTests {
    @Test func wideCharactersTakeTwoCellsAndAreNotCutInHalf() {
        var frame = Frame(width: 6, height: 1)
        frame.put("a東京", x: 0, y: 0)
        #expect(frame.text == "a東京 ")
        #expect(frame[1, 0].text == "東" && frame[2, 0].isContinuation)
        var narrow = Frame(width: 4, height: 1)
        narrow.put("a東京", x: 0, y: 0)
        // 京 would need columns 3–4: a space stands in rather than half a character.
        #expect(narrow.text == "a東 ")
    }

    @Test func overwritingHalfAWideCharacterBlanksTheOtherHalf() {
        var frame = Frame(width: 4, height: 1)
        frame.put("東京", x: 0, y: 0)
        frame.put("x", x: 1, y: 0)
        #expect(frame.text == " x京")
    }

    @Test func boxesUseUnicodeOrASCII() {
        var unicode = Frame(width: 6, height: 3)
        unicode.box(unicode.bounds)
        #expect(unicode.text == "┌────┐\n│    │\n└────┘")
        var ascii = Frame(width: 6, height: 3, glyphs: .ascii)
        ascii.box(ascii.bounds)
        #expect(ascii.text == "+----+\n|    |\n+----+")
    }

    @Test func rolesAreRecordedAsRuns() {
        var frame = Frame(width: 10, height: 2)
        frame.put("ok", x: 2, y: 1, role: .ok)
        #expect(frame.roleRuns == "1: 2-3 status.ok")
    }

    @Test func wrappingKeepsWordsAndBreaksOnlyLongOnes() {
        #expect(Frame.wrap("the quick brown fox", width: 10) == ["the quick", "brown fox"])
        #expect(Frame.wrap("abcdefghijkl", width: 5) == ["abcde", "fghij", "kl"])
    }
}

struct ThemeTests {
    static let themes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Themes")
    static let requiredRoles = ["text", "text.dim", "text.strong", "title", "border", "selection", "focus", "input", "input.focused",
        "status.ok", "status.failed", "status.warning", "status.pending", "bar.key", "bar.label", "arrow.request", "arrow.provisional",
        "arrow.success", "arrow.error"]

    @Test(arguments: ["dark", "light", "high-contrast", "monochrome"])
    func everyShippedThemeParsesAndStylesEveryRole(name: String) throws {
        let text = try String(contentsOf: Self.themes.appendingPathComponent(name + ".theme"), encoding: .utf8)
        let theme = try Theme(parsing: text, name: name)
        for role in Self.requiredRoles { #expect(theme.styles[role] != nil, "\(name) lacks \(role)") }
        // Without colour the selection must still stand out.
        let mono = theme.adapted(toColours: 0)
        let selection = mono.style(for: .selection)
        #expect(selection.reverse || selection.bold, "\(name): selection is invisible without colour")
        #expect(mono.style(for: .text).foreground == .default)
    }

    @Test func rolesFallBackToTheirParentThenText() throws {
        let theme = try Theme(parsing: "text = white\nstatus = green\n", name: "t")
        #expect(theme.style(for: .ok).foreground == .indexed(2))
        #expect(theme.style(for: "arrow.request").foreground == .indexed(7))
    }

    @Test func aBadThemeLineIsNamed() {
        #expect(throws: ThemeError.self) { try Theme(parsing: "text = white\nselection = purple-ish\n", name: "t") }
        do {
            _ = try Theme(parsing: "text = white\nselection = purple-ish\n", name: "t")
        } catch {
            #expect(error.line == 2 && error.message.contains("purple-ish"))
        }
    }

    @Test func coloursReduceToTheNearestBasicOne() {
        #expect(TerminalColor.indexed(196).reduced(to: 8) == .indexed(1))  // bright red → red
        #expect(TerminalColor.indexed(46).reduced(to: 8) == .indexed(2))  // green
        #expect(TerminalColor.indexed(12).reduced(to: 8) == .indexed(4))  // bright blue → blue
        #expect(TerminalColor.indexed(3).reduced(to: 8) == .indexed(3))
    }
}

struct WidgetTests {
    @Test func textFieldEditsAtTheCursor() {
        var field = TextField("pbx.example")
        _ = field.handle(.character("!"))
        #expect(field.value == "pbx.example!")
        _ = field.handle(.backspace)
        _ = field.handle(.home)
        _ = field.handle(.character("x"))
        #expect(field.value == "xpbx.example" && field.cursor == 1)
        _ = field.handle(.control("k"))
        #expect(field.value == "x")
        #expect(field.handle(.enter) == false)
    }

    @Test func aLongFieldScrollsToKeepTheCursorVisible() {
        var frame = Frame(width: 10, height: 1)
        let field = TextField("sip:very-long-host.example.com")
        field.draw(in: &frame, rect: frame.bounds, focused: true)
        #expect(frame.text.hasSuffix("e.com") || frame.text.contains(".com"))
        #expect(frame.cursor?.x ?? 99 <= 9)
    }

    @Test func choiceListMovesAndChecks() {
        var list = ChoiceList([.init("a"), .init("b"), .init("c")], multiple: true)
        _ = list.handle(.down)
        _ = list.handle(.character(" "))
        #expect(list.highlighted == 1 && list.checked == [1])
        _ = list.handle(.end)
        _ = list.handle(.down)
        #expect(list.highlighted == 2)
    }

    @Test func keyBindingsDriveBarAndHelpFromOneTable() {
        let bindings = KeyBindings<String>([
            KeyBinding([.function(1)], "Help", "Show help", "help"),
            KeyBinding([.character("/")], "Search", "Search messages", "search", inBar: false),
        ])
        #expect(bindings.action(for: .function(1)) == "help")
        var bar = Frame(width: 40, height: 1)
        bindings.drawBar(in: &bar, rect: bar.bounds)
        #expect(bar.text.hasPrefix("F1 Help"))
        #expect(!bar.text.contains("Search"))
        var help = Frame(width: 40, height: 10)
        bindings.drawHelp(in: &help, title: "Keys")
        #expect(help.text.contains("Show help") && help.text.contains("Search messages"))
    }

    @Test func sparklineScalesFromLowToHigh() {
        #expect(Sparkline.text([1, 2, 3, nil, 8], width: 5, glyphs: .unicode) == "▁▂▃×█")
        // A failed probe is marked, not a gap (issue 14), in ASCII too.
        #expect(Sparkline.text([1, nil, 8], width: 3, glyphs: .ascii) == "_x#")
    }

    /// Issue 14: without UTF-8 every character the screens draw has an ASCII form of one column.
    @Test func asciiFramesHoldOnlyASCIIAndKeepTheirColumns() {
        var frame = Frame(width: 30, height: 1, glyphs: .ascii)
        let used = frame.put("— 1 ─ 2 · ✓ ok → 東京 …", x: 0, y: 0)
        let expected = "- 1 - 2 * v ok > ?? ~"
        #expect(frame.text == expected + String(repeating: " ", count: 30 - expected.count), "\(frame.text)")
        #expect(used == expected.count)
    }
}

/// Issue 14: long text wraps at word boundaries instead of being cut mid-word.
struct WrappingTests {
    @Test func aLongStatusTakesTheRowsItNeedsEndingAtTheBottom() {
        var frame = Frame(width: 40, height: 6)
        frame.statusLines("+4155550303 is not a valid number in Switzerland (+41); if it is a North American number, write +14155550303", endingAt: 4, role: .error)
        let lines = frame.text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines[2] == "+4155550303 is not a valid number in")
        #expect(lines[3] == "Switzerland (+41); if it is a North")
        #expect(lines[4] == "American number, write +14155550303")
        #expect(lines[5].isEmpty && lines[1].isEmpty)
    }

    @Test func helpTextWrapsWithinTheScreen() {
        enum Action: Hashable, Sendable { case one }
        let long = "Keep calls by status (failed, busy ...), code (408, 4xx), direction (in, out) or a number or an address"
        let bindings = KeyBindings<Action>([KeyBinding([.character("/")], "Filter", long, .one)])
        var frame = Frame(width: 60, height: 12)
        bindings.drawHelp(in: &frame, title: "Keys")
        let text = frame.text
        #expect(text.contains("Keep calls by status") && text.contains("(408, 4xx), direction (in, out) or a number or an") && text.contains("│    address "), "\(text)")
        #expect(!text.contains("…"))
    }
}

struct LadderTests {
    func draw(_ ladder: Ladder, width: Int, height: Int = 6) -> Frame {
        var frame = Frame(width: width, height: height)
        ladder.draw(in: &frame, rect: frame.bounds)
        return frame
    }

    @Test(arguments: [2, 3, 4, 5, 6])
    func partiesSpreadAcrossTheWidthAndArrowsPointTheRightWay(parties: Int) {
        let names = (0..<parties).map { "host-\($0)" }
        let messages = (0..<(parties - 1)).map { Ladder.Message(from: $0, to: $0 + 1, label: "INVITE") }
            + [Ladder.Message(from: parties - 1, to: 0, label: "200 OK", role: .arrowSuccess)]
        let ladder = Ladder(parties: names, messages: messages)
        let frame = draw(ladder, width: 100, height: parties + 2)
        let columns = ladder.columns(in: frame.bounds, timeWidth: 0)
        #expect(columns.count == parties)
        #expect(zip(columns, columns.dropFirst()).allSatisfy { $0 < $1 })
        #expect(columns.last! < 100)
        let lines = frame.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[1].contains("INVITE") && lines[1].contains("▶"))
        #expect(lines[parties].contains("◀") && lines[parties].contains("200 OK"))
    }

    @Test func longAndWideNamesAreCutNotOverlapping() {
        let ladder = Ladder(parties: ["sip:alice-with-a-very-long-name@pbx.example.com", "東京のゲートウェイ装置", "sbc"], messages: [
            Ladder.Message(from: 0, to: 1, label: "INVITE sip:+81312345678@東京.example.jp"),
        ])
        let frame = draw(ladder, width: 60)
        let header = String(frame.text.split(separator: "\n")[0])
        #expect(DisplayWidth.of(header) == 60)
        #expect(header.contains("…"))
    }

    /// Issue 14: at 80 columns a long reason phrase took a response's arrowhead. The label is cut, never the arrow.
    @Test(arguments: [40, 60, 80, 120])
    func longLabelsNeverCoverTheArrowhead(width: Int) {
        let long = "100 trying -- your call is important to us, please hold the line"
        let ladder = Ladder(parties: ["siptrunk", "pbx.example.com"], messages: [
            Ladder.Message(from: 0, to: 1, label: "INVITE sip:+14155550123@pbx.example.com;transport=tls SIP/2.0"),
            Ladder.Message(from: 1, to: 0, label: long, role: .arrowProvisional),
        ])
        let lines = draw(ladder, width: width).text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[1].contains("▶") && lines[1].contains("INVITE"), "\(lines[1])")
        #expect(lines[2].contains("◀") && lines[2].contains("100 trying"), "\(lines[2])")
        // The head stands right after the left lifeline.
        let columns = ladder.columns(in: Rect(x: 0, y: 0, width: width, height: 6), timeWidth: 0)
        #expect(Array(lines[2])[columns[0] + 1] == "◀", "\(lines[2])")
    }

    @Test func retransmissionsAreMarked() {
        let ladder = Ladder(parties: ["a", "b"], messages: [Ladder.Message(from: 0, to: 1, label: "INVITE", retransmission: true)])
        #expect(draw(ladder, width: 40).text.contains("↻ INVITE"))
    }
}

struct FormTests {
    static func form() -> Form {
        Form([
            .init("section", "Section", .heading),
            .init("name", "Name", .text(TextField("ab"))),
            .init("on", "On", .toggle(false)),
            .init("mode", "Mode", .choice(["auto", "manual"], selected: 0)),
            .init("note", "Note", .info("read only")),
            .init("a", "A", .toggle(true), group: "list"),
            .init("b", "B", .toggle(false), group: "list"),
            .init("c", "C", .toggle(true), group: "list"),
        ])
    }

    @Test func focusSkipsHeadingsAndInfoRows() {
        var form = Self.form()
        #expect(form.focusedKey == "name")
        _ = form.handle(.up)
        #expect(form.focusedKey == "name")
        for _ in 0..<3 { _ = form.handle(.down) }
        #expect(form.focusedKey == "a")
        _ = form.handle(.backTab)
        #expect(form.focusedKey == "mode")
    }

    @Test func keysEditTheFocusedField() {
        var form = Self.form()
        let typed = form.handle(.character("c"))
        #expect(typed && form.text("name") == "abc")
        _ = form.handle(.down)
        _ = form.handle(.character(" "))
        #expect(form.isOn("on"))
        _ = form.handle(.down)
        _ = form.handle(.right)
        #expect(form.choice("mode") == "manual")
        _ = form.handle(.left)
        #expect(form.choice("mode") == "auto")
        // A key the field does not take is left for the screen.
        let taken = form.handle(.character("q"))
        #expect(!taken)
    }

    @Test func groupedRowsMoveWithinTheirGroupOnly() {
        var form = Self.form()
        for _ in 0..<5 { _ = form.handle(.down) }
        #expect(form.focusedKey == "c")
        _ = form.handle(.character("+"))
        _ = form.handle(.character("+"))
        _ = form.handle(.character("+"))  // already first of its group: stays
        #expect(form.order(of: "list") == ["c", "a", "b"])
        #expect(form.focusedKey == "c")
        _ = form.handle(.character("-"))
        #expect(form.order(of: "list") == ["a", "c", "b"])
    }

    @Test func errorsLandOnTheirRowsAndTheFirstTakesTheFocus() {
        var form = Self.form()
        for _ in 0..<5 { _ = form.handle(.down) }
        let unplaced = form.setErrors([("on", "must be on"), ("elsewhere", "a rule about no row")])
        #expect(unplaced == ["a rule about no row"])
        #expect(form.focusedKey == "on" && form.hasErrors)
        var frame = Frame(width: 60, height: 10)
        form.draw(in: &frame, rect: frame.bounds, labelWidth: 10)
        #expect(frame.text.contains("[ ] off  must be on"))
        // Editing the row clears its error.
        _ = form.handle(.character(" "))
        #expect(!form.hasErrors)
    }

    @Test func aLongFormScrollsToKeepTheFocusVisible() {
        var form = Self.form()
        for _ in 0..<6 { _ = form.handle(.down) }
        var frame = Frame(width: 40, height: 3)
        form.draw(in: &frame, rect: frame.bounds, labelWidth: 8)
        #expect(frame.text.contains(" C "))
        #expect(!frame.text.contains("Section"))
    }
}
