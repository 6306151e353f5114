/// A telephone number in E.164 form, always held as `+` followed by 7 to 15 digits (ITU-T E.164 §6).
///
/// The product guide accepts numbers with or without the leading `+` ("+E.164 or E.164"); both normalise here.
public struct E164Number: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// `+` and the digits, e.g. `+14155550123`.
    public let value: String

    public static let minimumDigits = 7
    public static let maximumDigits = 15

    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        case empty
        case invalidCharacter(Character)
        case leadingZero
        case tooShort(digits: Int)
        case tooLong(digits: Int)

        public var description: String {
            switch self {
            case .empty: return "the number is empty"
            case .invalidCharacter(let char):
                let shown = char == " " ? "a space" : "'\(char)'"
                return "contains \(shown); write only digits with an optional leading '+', e.g. +14155550123"
            case .leadingZero: return "a country code never starts with 0; write the number in international form, e.g. +14155550123"
            case .tooShort(let digits): return "has \(digits) digits; an E.164 number has \(E164Number.minimumDigits) to \(E164Number.maximumDigits)"
            case .tooLong(let digits): return "has \(digits) digits; an E.164 number has at most \(E164Number.maximumDigits)"
            }
        }
    }

    /// Parses `+14155550123` or `14155550123`.
    public init(parsing text: String) throws(Problem) {
        var digits = Substring(text)
        if digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty else { throw .empty }
        if let bad = digits.first(where: { !$0.isASCIIDigit }) { throw .invalidCharacter(bad) }
        guard digits.first != "0" else { throw .leadingZero }
        guard digits.count >= Self.minimumDigits else { throw .tooShort(digits: digits.count) }
        guard digits.count <= Self.maximumDigits else { throw .tooLong(digits: digits.count) }
        value = "+" + digits
    }

    /// A message for a person: `"+1415" is not a valid E.164 number: has 4 digits; ...`.
    public static func validationMessage(for text: String) -> String? {
        do {
            _ = try E164Number(parsing: text)
            return nil
        } catch {
            return "\"\(text)\" is not a valid E.164 number: \(error)"
        }
    }

    public var digits: Substring { value.dropFirst() }
    public var description: String { value }

    public static func < (lhs: E164Number, rhs: E164Number) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: E164Number.validationMessage(for: text) ?? "invalid number")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
