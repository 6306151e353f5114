import SIPCore
import Testing

struct TerminalSafeTextTests {
    @Test func controlsAndBidiOverridesAreShownEscaped() {
        #expect(TerminalSafeText.escaped("CN=pbx\u{1B}[2J") == "CN=pbx\\x1B[2J")
        #expect(TerminalSafeText.escaped("DNS:\u{1B}]0;title\u{07}") == "DNS:\\x1B]0;title\\x07")
        #expect(TerminalSafeText.escaped("a\u{7F}b\u{9B}c") == "a\\x7Fb\\x9Bc")
        #expect(TerminalSafeText.escaped("invoice\u{202E}fdp.exe") == "invoice\\u202Efdp.exe")
        #expect(TerminalSafeText.escaped("\u{2066}x\u{2069}") == "\\u2066x\\u2069")
        #expect(TerminalSafeText.escaped("nul\u{0}") == "nul\\x00")
    }

    @Test func layoutAndOrdinaryTextPassUnchanged() {
        let text = "line one\n\tindented\r\nCRLF ends a line; ünïcødé, 日本語, emoji 📞"
        #expect(TerminalSafeText.escaped(text) == text)
        // A lone CR could overwrite what was shown.
        #expect(TerminalSafeText.escaped("safe\rEVIL") == "safe\\x0DEVIL")
    }

    @Test func jsonKeepsTheDataWithJSONEscapes() {
        #expect(TerminalSafeText.jsonEscaped("{\"a\":\"x\u{9B}y\u{202E}z\"}") == #"{"a":"x\u009By\u202Ez"}"#)
        #expect(TerminalSafeText.jsonEscaped(#"{"plain":"text"}"#) == #"{"plain":"text"}"#)
    }

    @Test func inputChecksFindTheFirstControl() {
        #expect(TerminalSafeText.firstControl(in: "fine") == nil)
        #expect(TerminalSafeText.firstControl(in: "tab\there") == "\t")
        #expect(TerminalSafeText.firstControl(in: "a\u{202E}b") == "\u{202E}")
        #expect(TerminalSafeText.name(of: "\u{1B}") == "\\x1B")
    }
}
