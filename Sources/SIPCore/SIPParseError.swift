/// Why a SIP message was refused, where, and at which byte.
///
/// Every error names the part of the message it is about (`start line`, a header name, or `body`)
/// and the byte offset from the start of the input, so a person can find it in a hex dump.
public struct SIPParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case emptyMessage
        case messageTooLarge(limit: Int)
        case tooManyHeaders(limit: Int)
        case lineTooLong(limit: Int)
        case missingHeaderTerminator
        case malformedStartLine(String)
        case unsupportedVersion(String)
        case invalidStatusCode(String)
        case invalidHeaderName(String)
        case missingColon
        case controlCharacter(UInt8)
        case malformedHeaderValue(String)
        case invalidContentLength(String)
        case contentLengthTooLarge(limit: Int)
        case truncatedBody(expected: Int, available: Int)
        case conflictingContentLength
    }

    public var kind: Kind

    /// `start line`, the header's name as written, or `body`.
    public var location: String

    /// Byte offset in the input where the problem was found.
    public var offset: Int

    public init(_ kind: Kind, location: String, offset: Int) {
        self.kind = kind
        self.location = location
        self.offset = offset
    }

    public var reason: String {
        switch kind {
        case .emptyMessage: return "the message is empty"
        case .messageTooLarge(let limit): return "the message exceeds the \(limit)-byte limit"
        case .tooManyHeaders(let limit): return "more than \(limit) header fields"
        case .lineTooLong(let limit): return "a line is longer than \(limit) bytes"
        case .missingHeaderTerminator: return "the header section does not end with an empty line"
        case .malformedStartLine(let why): return why
        case .unsupportedVersion(let version): return "unsupported protocol version '\(version)' (only SIP/2.0)"
        case .invalidStatusCode(let code): return "status code '\(code)' is not three digits from 100 to 699"
        case .invalidHeaderName(let name): return "header name '\(name)' contains characters that are not allowed"
        case .missingColon: return "the header line has no ':' after its name"
        case .controlCharacter(let byte):
            let hex = String(byte, radix: 16, uppercase: true)
            return "control character 0x\(hex.count == 1 ? "0" + hex : hex) is not allowed here"
        case .malformedHeaderValue(let why): return why
        case .invalidContentLength(let value): return "Content-Length '\(value)' is not a non-negative integer"
        case .contentLengthTooLarge(let limit): return "Content-Length exceeds the \(limit)-byte limit"
        case .truncatedBody(let expected, let available):
            return "Content-Length says \(expected) bytes but only \(available) follow"
        case .conflictingContentLength: return "several Content-Length values disagree"
        }
    }

    public var description: String { "\(location) at byte \(offset): \(reason)" }
}
