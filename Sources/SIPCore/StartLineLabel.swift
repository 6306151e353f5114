/// What a message is, in a word or two, read from its first line alone (no full parse): a request's method, or a
/// response's code and reason — how a ladder diagram labels an arrow — and which kind of arrow that is. The
/// dashboard's trace, the wizard's test call and the CLI's ladder all label messages this way.
public struct StartLineLabel: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case request, provisional, success, failure
    }

    /// `INVITE`, `180 Ringing`, `200 OK`. Text from the wire: escape it before it reaches a terminal.
    public let text: String
    public let kind: Kind

    /// From a message's bytes: their first line.
    public init(_ raw: some Collection<UInt8>) {
        self.init(firstLine: String(decoding: raw.prefix { $0 != ASCII.cr && $0 != ASCII.lf }, as: UTF8.self))
    }

    /// From a message's first line (a status line, or a request line).
    public init(firstLine: String) {
        if firstLine.hasPrefix("SIP/2.0 ") {
            text = String(firstLine.dropFirst(8))
            kind = text.hasPrefix("1") ? .provisional : text.hasPrefix("2") ? .success : .failure
        } else {
            text = String(firstLine.split(separator: " ", maxSplits: 1).first ?? "")
            kind = .request
        }
    }
}
