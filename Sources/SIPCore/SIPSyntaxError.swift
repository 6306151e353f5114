/// A value that does not follow its grammar: a URI, a header value, an SDP line, a challenge.
///
/// `offset` counts bytes from the start of the text that was parsed (for a header value, the start of the value).
public struct SIPSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was being parsed: `SIP URI`, `Via`, `SDP line 4`, ...
    public var context: String
    public var reason: String
    public var offset: Int

    public init(_ context: String, _ reason: String, offset: Int) {
        self.context = context
        self.reason = reason
        self.offset = offset
    }

    public var description: String { "\(context) at byte \(offset): \(reason)" }
}

/// Percent-encoding as RFC 3261 §25.1 `escaped` defines it.
enum PercentEncoding {
    /// Decodes `%HH` sequences. Returns nil when a `%` is not followed by two hex digits.
    static func decode(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        guard bytes.contains(ASCII.percent) else { return Array(bytes) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == ASCII.percent {
                guard index + 2 < bytes.endIndex, let high = ASCII.hexValue(bytes[index + 1]),
                    let low = ASCII.hexValue(bytes[index + 2])
                else { return nil }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }

    static func decodeString(_ bytes: ArraySlice<UInt8>) -> String? {
        guard bytes.contains(ASCII.percent) else { return String(decoding: bytes, as: UTF8.self) }
        return decode(bytes).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether every `%` is followed by two hex digits.
    static func isWellFormed<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8, C.Index == Int {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == ASCII.percent {
                guard index + 2 < bytes.endIndex, ASCII.hexValue(bytes[index + 1]) != nil, ASCII.hexValue(bytes[index + 2]) != nil
                else { return false }
                index += 3
            } else {
                index += 1
            }
        }
        return true
    }

    /// Encodes every byte for which `allowed` is false.
    static func encode(_ text: String, allowed: (UInt8) -> Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            if allowed(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
