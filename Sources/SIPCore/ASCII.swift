/// Byte classes of the RFC 3261 §25.1 grammar, as lookup tables so the parser's inner loops are one load each.

enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let comma: UInt8 = 0x2C
    static let equals: UInt8 = 0x3D
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let lessThan: UInt8 = 0x3C
    static let greaterThan: UInt8 = 0x3E
    static let slash: UInt8 = 0x2F
    static let at: UInt8 = 0x40
    static let question: UInt8 = 0x3F
    static let ampersand: UInt8 = 0x26
    static let percent: UInt8 = 0x25
    static let openBracket: UInt8 = 0x5B
    static let closeBracket: UInt8 = 0x5D

    /// `token` characters: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" (`ByteClass`).
    @inline(__always)
    static func isToken(_ byte: UInt8) -> Bool { ByteClass.token.contains(byte) }

    /// The index of the first `target` in `bytes[start...]`, or `bytes.count`: eight bytes at a time (a word with
    /// the target's bytes XORed out has a zero byte where it was; the lowest such flag is exact), the tail one by one.
    @inline(__always)
    static func firstIndex(of target: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let end = bytes.count
        var index = start
        if let base = bytes.baseAddress {
            let pattern = 0x0101_0101_0101_0101 &* UInt64(target)
            while index &+ 8 <= end {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) ^ pattern
                let zero = (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
                if zero != 0 { return index &+ zero.trailingZeroBitCount &>> 3 }
                index &+= 8
            }
        }
        while index < end, bytes[index] != target { index &+= 1 }
        return index
    }

    /// Whether `bytes` holds `target`, eight bytes at a time (`firstIndex(of:in:from:)`).
    static func contains(_ target: UInt8, in bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in firstIndex(of: target, in: buffer, from: 0) < buffer.count }
    }

    /// The index of the first of three bytes in `bytes[start...]`, or `bytes.count`, as `firstIndex(of:in:from:)`.
    @inline(__always)
    static func firstIndex(of a: UInt8, _ b: UInt8, _ c: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let end = bytes.count
        var index = start
        if let base = bytes.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101
            func zeros(_ word: UInt64) -> UInt64 { (word &- ones) & ~word & 0x8080_8080_8080_8080 }
            while index &+ 8 <= end {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                let found = zeros(word ^ (ones &* UInt64(a))) | zeros(word ^ (ones &* UInt64(b))) | zeros(word ^ (ones &* UInt64(c)))
                if found != 0 { return index &+ found.trailingZeroBitCount &>> 3 }
                index &+= 8
            }
        }
        while index < end, bytes[index] != a, bytes[index] != b, bytes[index] != c { index &+= 1 }
        return index
    }

    /// The index (in `bytes`' own indices) of the first `target` or linear whitespace (space, tab, CR, LF) in
    /// `bytes[start...]`, or `bytes.endIndex`: eight bytes at a time to the first byte that is the target or below
    /// 0x21 (exact, as in `firstIndex(of:in:from:)`), then that byte is looked at; other control bytes are passed.
    static func firstIndex(of target: UInt8, orWhitespaceIn bytes: ArraySlice<UInt8>, from start: Int) -> Int {
        bytes.withUnsafeBufferPointer { buffer in
            let offset = bytes.startIndex
            let end = buffer.count
            var index = start - offset
            if let base = buffer.baseAddress {
                let ones: UInt64 = 0x0101_0101_0101_0101
                let highs: UInt64 = 0x8080_8080_8080_8080
                let pattern = ones &* UInt64(target)
                while index &+ 8 <= end {
                    let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                    let matched = word ^ pattern
                    let found = ((matched &- ones) & ~matched & highs) | ((word &- ones &* 0x21) & ~word & highs)
                    if found != 0 {
                        let position = index &+ found.trailingZeroBitCount &>> 3
                        let byte = base[position]
                        if byte == target || byte == space || byte == tab || byte == cr || byte == lf { return position + offset }
                        index = position &+ 1
                        continue
                    }
                    index &+= 8
                }
            }
            while index < end {
                let byte = buffer[index]
                if byte == target || byte == space || byte == tab || byte == cr || byte == lf { break }
                index &+= 1
            }
            return index + offset
        }
    }

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    /// The value of 1 to `maxDigits` decimal digits, or nil when the bytes are something else.
    @inline(__always)
    static func decimal<C: Collection>(_ digits: C, maxDigits: Int) -> Int? where C.Element == UInt8 {
        guard !digits.isEmpty, digits.count <= maxDigits else { return nil }
        var value = 0
        for byte in digits {
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte &- 0x30)
        }
        return value
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }

    /// Case-insensitive comparison of ASCII bytes against a lowercase ASCII literal.
    static func equalsLowercase<C: Collection>(_ bytes: C, _ lowercase: StaticString) -> Bool where C.Element == UInt8 {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { literal in
            var index = 0
            for byte in bytes {
                if lowercased(byte) != literal[index] { return false }
                index += 1
            }
            return true
        }
    }

    /// Case-insensitive equality of two ASCII strings, without allocating lowercase copies.
    static func equalsIgnoringCase(_ lhs: String, _ rhs: String) -> Bool {
        var lhs = lhs
        var rhs = rhs
        return lhs.withUTF8 { left in
            rhs.withUTF8 { right in
                guard left.count == right.count else { return false }
                for index in 0..<left.count where lowercased(left[index]) != lowercased(right[index]) { return false }
                return true
            }
        }
    }

    /// Renders bytes for a diagnostic: printable ASCII as is, everything else as `\xNN`.
    static func printable<C: Collection>(_ bytes: C, limit: Int = 60) -> String where C.Element == UInt8 {
        var out = ""
        for (index, byte) in bytes.enumerated() {
            if index == limit { out += "…"; break }
            if byte >= 0x20 && byte < 0x7F {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
