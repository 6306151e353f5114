/// Text that came from outside (a SIP peer, a certificate, a file, the database) made safe to write to a terminal.
///
/// A terminal obeys the control characters it is sent: `ESC [2J` clears the screen, `ESC ]0;…BEL` retitles the
/// window, OSC 52 writes the clipboard. Text a peer controls must therefore never reach the terminal raw. This is
/// the one sanitizer every text output goes through (issue 19): C0 and C1 controls other than newline and tab, DEL,
/// and the bidirectional overrides and isolates (which make text display in another order than it is read, CVE-2021-42574)
/// are shown escaped — `\x1B`, `\x7F`, `\u202E` — so a person sees that they were there. JSON output needs none of
/// this: its encoder escapes controls itself and keeps the exact data.
public enum TerminalSafeText {
    /// Whether `scalar` must not reach a terminal as it is.
    @inlinable
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A: return false  // tab and newline lay text out
        case 0x00...0x1F, 0x7F...0x9F: return true  // C0, DEL, C1 (0x9B is a one-byte CSI on some terminals)
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x061C: return true  // bidi marks, embeddings, overrides, isolates
        default: return false
        }
    }

    /// `text` with every unsafe scalar written as an escape: `\xHH` below 0x100, `\uHHHH` above (a CR that ends a
    /// line before LF is kept).
    public static func escaped(_ text: String) -> String {
        // Fast path: most output is plain.
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var result = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            // CR LF ends a line (SIP and SDP text): harmless. A lone CR could overwrite what was shown.
            if scalar.value == 0x0D, index + 1 < scalars.count, scalars[index + 1].value == 0x0A {
                result.append(scalar)
            } else if isUnsafe(scalar) {
                result.append(contentsOf: name(of: scalar).unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// Encoded JSON with every unsafe scalar a JSON encoder leaves raw (C1 controls, DEL, bidi overrides) written as
    /// a `\\uHHHH` escape: the same data for a JSON reader, nothing a terminal acts on. Unsafe scalars only occur
    /// inside JSON strings, where the escape is valid.
    public static func jsonEscaped(_ json: String) -> String {
        guard json.unicodeScalars.contains(where: isUnsafe) else { return json }
        var result = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            if isUnsafe(scalar) {
                let digits = String(scalar.value, radix: 16, uppercase: true)
                result.append(contentsOf: ("\\u" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits).unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// The first control character (tab and newline included) or bidi override in `text`, for input checks that
    /// refuse such text in a one-line field.
    public static func firstControl(in text: String) -> Unicode.Scalar? {
        text.unicodeScalars.first { isUnsafe($0) || $0.value == 0x09 || $0.value == 0x0A }
    }

    /// How `scalar` is written escaped: `\x1B`, `\x09`, `\u202E`.
    public static func name(of scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return scalar.value < 0x100
            ? "\\x" + String(repeating: "0", count: 2 - digits.count) + digits
            : "\\u" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
