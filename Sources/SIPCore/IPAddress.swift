/// Textual IP address checks (RFC 4291 §2.2 for IPv6, dotted quads for IPv4) without any I/O.
public enum IPAddress {
    /// Four decimal octets from 0 to 255.
    public static func isIPv4(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isIPv4(bytes: $0[...]) }
    }

    static func isIPv4<C: Collection>(bytes: C) -> Bool where C.Element == UInt8 {
        var octets = 0
        var digits = 0
        var value = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, octets < 3 else { return false }
                octets += 1
                digits = 0
                value = 0
            } else if ASCII.isDigit(byte) {
                digits += 1
                value = value * 10 + Int(byte - 0x30)
                guard digits <= 3, value <= 255 else { return false }
            } else {
                return false
            }
        }
        return octets == 3 && digits > 0
    }

    /// The sixteen bytes of an IPv6 address in text form, or nil when it is not one.
    public static func ipv6Bytes(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        var groups: [UInt16] = []
        var tail: [UInt16] = []
        var sawDoubleColon = false
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        func parseGroups(_ part: Substring, allowIPv4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            var out: [UInt16] = []
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, allowIPv4Tail, piece.contains(".") {
                    guard isIPv4(String(piece)) else { return nil }
                    let octets = piece.split(separator: ".").compactMap { UInt16($0) }
                    guard octets.count == 4 else { return nil }
                    out.append(octets[0] << 8 | octets[1])
                    out.append(octets[2] << 8 | octets[3])
                    continue
                }
                guard !piece.isEmpty, piece.count <= 4, let value = UInt16(piece, radix: 16) else { return nil }
                out.append(value)
            }
            return out
        }
        if halves.count == 2 {
            sawDoubleColon = true
            guard let head = parseGroups(halves[0], allowIPv4Tail: false),
                let rest = parseGroups(halves[1], allowIPv4Tail: true)
            else { return nil }
            groups = head
            tail = rest
            guard groups.count + tail.count <= 7 else { return nil }
        } else {
            guard let all = parseGroups(halves[0], allowIPv4Tail: true), all.count == 8 else { return nil }
            groups = all
        }
        var full = groups
        if sawDoubleColon {
            full += [UInt16](repeating: 0, count: 8 - groups.count - tail.count) + tail
        }
        return full.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    public static func isIPv6(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isIPv6(bytes: $0[...]) }
    }

    /// RFC 4291 §2.2 text form: one to eight groups of one to four hex digits separated by ':', at most one '::'
    /// standing for the groups left out, and optionally a dotted quad as the last two groups. No allocation.
    static func isIPv6<C: Collection>(bytes: C) -> Bool where C.Element == UInt8, C.Index == Int {
        let start = bytes.startIndex
        let end = bytes.endIndex
        guard end - start >= 2, end - start <= 45 else { return false }
        var index = start
        var groups = 0
        var compressed = false
        if bytes[index] == ASCII.colon {
            guard bytes[index + 1] == ASCII.colon else { return false }
            compressed = true
            index += 2
            if index == end { return true }
        }
        while true {
            let groupStart = index
            while index < end, ASCII.hexValue(bytes[index]) != nil { index += 1 }
            if index < end, bytes[index] == UInt8(ascii: ".") {
                guard isIPv4(bytes: bytes[groupStart..<end]) else { return false }
                groups += 2
                break
            }
            guard index > groupStart, index - groupStart <= 4 else { return false }
            groups += 1
            if index == end { break }
            guard bytes[index] == ASCII.colon else { return false }
            index += 1
            if index < end, bytes[index] == ASCII.colon {
                guard !compressed else { return false }
                compressed = true
                index += 1
                if index == end { break }
            } else if index == end {
                return false
            }
        }
        return compressed ? groups <= 7 : groups == 8
    }

    /// A host as it stands before `:port` in a URI or an address (RFC 3986 §3.2.2): an IPv6 literal in brackets,
    /// anything else (a name, IPv4, an already bracketed literal) as it is. The one place this rule lives.
    public static func reference(_ host: String) -> String {
        // Bytes, not `String.contains`: this runs for every request a probe flood builds.
        host.utf8.contains(ASCII.colon) && host.utf8.first != ASCII.openBracket ? "[" + host + "]" : host
    }

    /// IPv6 addresses compare by value: `2001:db8::1` equals `2001:DB8:0:0:0:0:0:1`.
    public static func ipv6Equal(_ lhs: String, _ rhs: String) -> Bool {
        guard let left = ipv6Bytes(lhs), let right = ipv6Bytes(rhs) else { return false }
        return left == right
    }
}

/// Host name checks for the `hostname` production of RFC 3261 §25.1.
enum HostName {
    /// `problem(_:)` for bytes: a valid host (the common case) is recognised without making a string.
    static func problem<C: Collection>(bytes: C) -> String? where C.Element == UInt8 {
        isValid(bytes) ? nil : problem(String(decoding: bytes, as: UTF8.self))
    }

    /// Whether `problem(_:)` would accept the host (a subset check: anything it refuses, `problem` explains).
    static func isValid<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        let count = bytes.count
        guard count > 0, count <= 253 else { return false }
        // One pass: the label structure, and the dotted quad the host must be when only digits and dots were seen
        // (four labels of at most three digits, each at most 255).
        let labelCharacters = ByteClass.hostLabel  // letters, digits, '_'
        var letters = false
        var labelLength = 0
        var previous: UInt8 = UInt8(ascii: ".")
        var dots = 0
        var octet = 0
        var quad = true
        for byte in bytes {
            if labelCharacters.contains(byte) {
                if ASCII.isDigit(byte) { octet = octet &* 10 &+ Int(byte &- 0x30) } else { letters = true }
                labelLength &+= 1
            } else if byte == UInt8(ascii: ".") {
                guard labelLength > 0, labelLength <= 63, previous != UInt8(ascii: "-") else { return false }
                // A label longer than three digits may have wrapped `octet` round: its length says it is no octet.
                if labelLength > 3 || octet > 255 { quad = false }
                labelLength = 0
                octet = 0
                dots &+= 1
            } else if byte == UInt8(ascii: "-") {
                guard labelLength > 0 else { return false }
                letters = true
                labelLength &+= 1
            } else {
                return false
            }
            previous = byte
        }
        if labelLength > 3 || octet > 255 { quad = false }
        if !letters { return quad && dots == 3 && labelLength > 0 }
        // A trailing dot (fully qualified name) leaves an empty last label.
        return labelLength == 0 ? previous == UInt8(ascii: ".") : labelLength <= 63 && previous != UInt8(ascii: "-")
    }

    /// Why `text` is not a host name or IPv4 address, or nil when it is one.
    static func problem(_ text: String) -> String? {
        let bytes = text.utf8
        if bytes.isEmpty { return "the host is empty" }
        if bytes.count > 253 { return "the host name is longer than 253 characters" }
        if bytes.allSatisfy({ ASCII.isDigit($0) || $0 == UInt8(ascii: ".") }) {
            return IPAddress.isIPv4(text) ? nil : "'\(text)' is not a valid IPv4 address"
        }
        if bytes.contains(ASCII.colon) { return "IPv6 address '\(text)' must be written in brackets, e.g. [\(text)]" }
        // One pass over the labels; a trailing dot (fully qualified name) is allowed.
        var labelStart = bytes.startIndex
        var labelLength = 0
        var index = bytes.startIndex
        func label() -> String { String(decoding: bytes[labelStart..<index], as: UTF8.self) }
        while true {
            let atEnd = index == bytes.endIndex
            let byte = atEnd ? UInt8(ascii: ".") : bytes[index]
            if byte == UInt8(ascii: ".") {
                if labelLength == 0 {
                    if atEnd && index != bytes.startIndex { return nil }
                    return "host name '\(text)' has an empty label"
                }
                if labelLength > 63 { return "host name label '\(label())' is longer than 63 characters" }
                let first = bytes[labelStart]
                let last = bytes[bytes.index(before: index)]
                if first == UInt8(ascii: "-") || last == UInt8(ascii: "-") {
                    return "host name label '\(label())' starts or ends with '-'"
                }
                if atEnd { return nil }
                labelStart = bytes.index(after: index)
                labelLength = 0
            } else if URIChar.isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") {
                labelLength += 1
            } else {
                let scalar = String(text[index...].unicodeScalars.first.map(Character.init) ?? "?")
                return "host name '\(text)' contains '\(scalar)'"
            }
            index = bytes.index(after: index)
        }
    }
}

extension Character {
    /// 0-9 only (`isNumber` would also accept other scripts' digits, and costs a Unicode look-up).
    var isASCIIDigit: Bool { asciiValue.map { $0 &- 0x30 < 10 } ?? false }
}
