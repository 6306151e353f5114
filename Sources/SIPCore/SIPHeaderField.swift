/// One header field as it stands in the message.
///
/// `raw` holds the field's exact bytes from the first byte of its name to the last byte of its value,
/// including any line folding, but not the line end that closes it. An unchanged field is written back
/// byte for byte, so a message that was only read serializes identically.
public struct SIPHeaderField: Sendable, Hashable {
    /// The recognised name (`.extension_` for names this library does not know).
    public let kind: SIPHeaderName

    /// Exact bytes of the field. Its indices are byte offsets in the message the field came from.
    public let raw: ArraySlice<UInt8>

    /// Index in `raw` where the name ends.
    let nameEnd: Int

    /// Index in `raw` where the value starts (after the colon and leading whitespace).
    let valueStart: Int

    init(kind: SIPHeaderName, raw: ArraySlice<UInt8>, nameEnd: Int, valueStart: Int) {
        self.kind = kind
        self.raw = raw
        self.nameEnd = nameEnd
        self.valueStart = valueStart
    }

    /// A field written by us: `Name: value`.
    public init(name: String, value: String) {
        self.init(kind: SIPHeaderName.recognise(name.utf8), name: name, value: value)
    }

    public init(_ kind: SIPHeaderName, _ value: String) {
        precondition(kind != .extension_, "use init(name:value:) for extension headers")
        self.init(kind: kind, name: kind.canonical, value: value)
    }

    private init(kind: SIPHeaderName, name: String, value: String) {
        let nameBytes = name.utf8.count
        var bytes: [UInt8] = []
        bytes.reserveCapacity(nameBytes + 2 + value.utf8.count)
        bytes.append(contentsOf: name.utf8)
        bytes.append(ASCII.colon)
        bytes.append(ASCII.space)
        bytes.append(contentsOf: value.utf8)
        self.init(kind: kind, raw: bytes[...], nameEnd: nameBytes, valueStart: nameBytes + 2)
    }

    /// The name exactly as written (`v`, `VIA`, `Via` ...).
    public var name: String { String(decoding: raw[raw.startIndex..<nameEnd], as: UTF8.self) }

    /// The canonical name for recognised headers, otherwise the name as written.
    public var canonicalName: String { kind == .extension_ ? name : kind.canonical }

    /// Value bytes as written, folding included, trailing whitespace excluded.
    public var valueBytes: ArraySlice<UInt8> {
        var end = raw.endIndex
        while end > valueStart, ASCII.isWhitespace(raw[end - 1]) || raw[end - 1] == ASCII.cr || raw[end - 1] == ASCII.lf {
            end -= 1
        }
        return raw[valueStart..<end]
    }

    /// The value with each line fold replaced by a single space (RFC 3261 §7.3.1).
    public var value: String { Self.unfolded(valueBytes) }

    /// The bytes as text with each line fold (a line end and the whitespace around it) replaced by one space.
    static func unfolded(_ bytes: ArraySlice<UInt8>) -> String {
        guard ASCII.contains(ASCII.lf, in: bytes) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == ASCII.cr || byte == ASCII.lf {
                while let last = out.last, ASCII.isWhitespace(last) { out.removeLast() }
                index += 1
                while index < bytes.endIndex,
                    ASCII.isWhitespace(bytes[index]) || bytes[index] == ASCII.cr || bytes[index] == ASCII.lf
                {
                    index += 1
                }
                out.append(ASCII.space)
            } else {
                out.append(byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Fields are equal when they hold the same bytes, wherever in a message they stood.
    public static func == (lhs: SIPHeaderField, rhs: SIPHeaderField) -> Bool {
        lhs.kind == rhs.kind && lhs.nameEnd - lhs.raw.startIndex == rhs.nameEnd - rhs.raw.startIndex
            && lhs.valueStart - lhs.raw.startIndex == rhs.valueStart - rhs.raw.startIndex && lhs.raw.elementsEqual(rhs.raw)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(raw.count)
        for byte in raw { hasher.combine(byte) }
    }

    /// Whether this field has the given name (case-insensitive; compact forms match long forms).
    public func hasName(_ name: String) -> Bool {
        let recognised = SIPHeaderName.recognise(name.utf8)
        if recognised != .extension_ { return kind == recognised }
        return kind == .extension_ && ASCII.equalsLowercase(raw[raw.startIndex..<nameEnd], Array(name.lowercased().utf8))
    }
}
