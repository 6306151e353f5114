import SIPCore
import Testing
import TrunkCore

/// Issue 14: numbers against the real numbering plan (libphonenumber), pasted formats, and the country said.
struct NumberingPlanTests {
    @Test func digitsWithoutPlusAreE164AndTheCountryIsSaid() throws {
        // 4155550303 is read as +4155550303: Switzerland, where it does not exist.
        let swiss = try NumberingPlan.e164("4155550303")
        #expect(swiss.value == "+4155550303")
        #expect(NumberingPlan.problem(swiss)?.hasPrefix("+4155550303 is not a valid number in Switzerland (+41)") == true)
        #expect(NumberingPlan.problem(swiss)?.contains("write +14155550303") == true)
        let american = try NumberingPlan.e164("+14155550303")
        #expect(NumberingPlan.problem(american) == nil)
        let facts = NumberingPlan.facts(american)
        #expect(facts.region == "US" && facts.country == "United States (+1)" && facts.countryCode == 1)
        #expect(facts.international == "+1 415-555-0303")
    }

    @Test func typesComeFromTheNumberingPlan() throws {
        #expect(NumberingPlan.facts(try NumberingPlan.e164("+18005550199")).type == .tollFree)
        #expect(NumberingPlan.facts(try NumberingPlan.e164("+442079460000")).type == .fixedLine)
        #expect(NumberingPlan.facts(try NumberingPlan.e164("+447400123456")).type == .mobile)
        #expect(NumberingPlan.facts(try NumberingPlan.e164("+14155550123")).type == .fixedLineOrMobile)
    }

    @Test func pastedFormatsAreOneNumberEach() throws {
        for text in ["+1 (415) 555-0142", "+1-415-555-0142", "+1.415.555.0142", " +1 415 555 0142 "] {
            #expect(NumberingPlan.numbers(in: text) == [text.trimmingCharacters(in: .whitespaces)], "\(text)")
            #expect(try NumberingPlan.e164(text).value == "+14155550142", "\(text)")
        }
        let pasted = "+1 (415) 555-0142, +1-415-555-0143;+1.415.555.0144\n+14155550145 +14155550146\t4155550147"
        #expect(NumberingPlan.numbers(in: pasted) == [
            "+1 (415) 555-0142", "+1-415-555-0143", "+1.415.555.0144", "+14155550145", "+14155550146", "4155550147",
        ])
        #expect(NumberingPlan.numbers(in: "+1 4155550142") == ["+1 4155550142"])
    }

    @Test func nonCountryCodesAreNamed() throws {
        let number = try NumberingPlan.e164("+9991234567")
        #expect(NumberingPlan.problem(number)?.contains("does not start with a country calling code") == true, "\(NumberingPlan.problem(number) ?? "")")
    }
}
