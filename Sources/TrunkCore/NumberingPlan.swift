import CPhoneNumber
import Foundation
import SIPCore

/// Phone numbers against the real numbering plans (libphonenumber's metadata, through `CPhoneNumber`): whether a
/// number exists in its country, which country that is, its type and its readable form (issue 14).
///
/// The guide takes numbers "+E.164 or E.164": digits without `+` are still read as E.164 (`4155550303` is
/// `+4155550303`), and that is why the country they were read as is always said — `+4155550303` is refused as
/// "not a valid number in Switzerland (+41)", where the user meant `+14155550303` in the United States.
public enum NumberingPlan {
    /// What the numbering plan says of one number.
    public struct Facts: Sendable, Hashable {
        public var number: E164Number
        public var isValid: Bool
        public var countryCode: Int
        /// ISO 3166 region ("US"), "001" for non-geographic numbers, "ZZ" when unknown.
        public var region: String
        public var type: NumberType
        /// "+1 415-555-0123".
        public var international: String

        /// "United States (+1)".
        public var country: String { NumberingPlan.countryName(region: region, countryCode: countryCode) }
    }

    /// libphonenumber's number types, named as the API spells them.
    public enum NumberType: String, Sendable, Hashable, Codable {
        case fixedLine = "fixed_line", mobile, fixedLineOrMobile = "fixed_line_or_mobile", tollFree = "toll_free"
        case premiumRate = "premium_rate", sharedCost = "shared_cost", voip, personalNumber = "personal_number", pager, uan
        case voicemail, unknown
    }

    /// Characters people write inside a number: `+1 (415) 555-0142`, `+1-415-555-0142`, `+1.415.555.0142`.
    static let formatting: Set<Character> = [" ", "(", ")", "-", ".", "/", "\u{00A0}", "\u{2011}", "\u{2013}"]

    /// The number with its formatting removed, then read as E.164.
    public static func e164(_ text: String) throws(E164Number.Problem) -> E164Number {
        try E164Number(parsing: String(text.trimmingCharacters(in: .whitespaces).filter { !formatting.contains($0) }))
    }

    /// The numbering plan's facts of `number`.
    public static func facts(_ number: E164Number) -> Facts {
        var parsed = siptrunk_phone_number()
        _ = siptrunk_phone_parse(number.value, &parsed)
        let region = withUnsafeBytes(of: parsed.region) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let international = withUnsafeBytes(of: parsed.international) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let types: [NumberType] = [.fixedLine, .mobile, .fixedLineOrMobile, .tollFree, .premiumRate, .sharedCost, .voip, .personalNumber, .pager, .uan, .voicemail, .unknown]
        let index = Int(parsed.type.rawValue)
        return Facts(
            number: number, isValid: parsed.parsed == 1 && parsed.valid == 1, countryCode: Int(parsed.country_code), region: region,
            type: types.indices.contains(index) ? types[index] : .unknown, international: international.isEmpty ? number.value : international)
    }

    /// Why `number` is not a number of its country, or nil when it is: "not a valid number in Switzerland (+41)".
    public static func problem(_ number: E164Number) -> String? {
        // libphonenumber is opened on the first number (CLibraryLoader.h says why).
        if let unavailable = siptrunk_phone_unavailable() {
            return "\(number) cannot be checked: libphonenumber could not be loaded (\(String(cString: unavailable))): install libphonenumber8"
        }
        let facts = facts(number)
        guard !facts.isValid else { return nil }
        if facts.region == "ZZ", facts.countryCode == 0 {
            return "\(number) does not start with a country calling code: write it in international form, e.g. +14155550123"
        }
        let withoutPlus = number.digits
        let hint = withoutPlus.count == 10 && !withoutPlus.hasPrefix("1") ? "; if it is a North American number, write +1\(withoutPlus)" : ""
        return "\(number) is not a valid number in \(facts.country)\(hint)"
    }

    /// "Switzerland (+41)"; "the international network (+882)" for non-geographic codes.
    public static func countryName(region: String, countryCode: Int) -> String {
        if region == "001" { return "the non-geographic range (+\(countryCode))" }
        if region == "ZZ" || region.isEmpty { return "no country (+\(countryCode) is not a country calling code)" }
        let name = Locale(identifier: "en_US").localizedString(forRegionCode: region) ?? region
        return "\(name) (+\(countryCode))"
    }

    /// Numbers in pasted text (issue 14): commas, semicolons and line breaks separate numbers; within a line,
    /// spaces separate numbers too, except inside one written with spaces (`+1 (415) 555-0142`): a token starts a
    /// new number when it begins with `+`, or when the number being read already has 7 digits and the token brings
    /// 7 of its own.
    public static func numbers(in text: String) -> [String] {
        var result: [String] = []
        for chunk in text.split(whereSeparator: { $0 == "," || $0 == ";" || $0.isNewline }) {
            var current = ""
            func digitCount(_ text: some StringProtocol) -> Int { text.filter { $0.isASCII && $0.isNumber }.count }
            for token in chunk.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\u{00A0}" }) {
                let startsNew = token.hasPrefix("+") || (digitCount(current) >= 7 && digitCount(token) >= 7)
                if startsNew, !current.isEmpty {
                    result.append(current)
                    current = ""
                }
                current += current.isEmpty ? String(token) : " " + token
            }
            if !current.isEmpty { result.append(current) }
        }
        return result
    }
}
