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

struct CallLogFilterTests {
    @Test func typedFiltersMeanCodesClassesStatusesDirectionsOrText() {
        #expect(SIPTrunkService.callLogQuery("408") == CallLogQuery(codes: 408...408))
        #expect(SIPTrunkService.callLogQuery("4xx") == CallLogQuery(codes: 400...499))
        #expect(SIPTrunkService.callLogQuery("Failed") == CallLogQuery(status: "failed"))
        #expect(SIPTrunkService.callLogQuery("in") == CallLogQuery(direction: "inbound"))
        #expect(SIPTrunkService.callLogQuery(" +1415 ") == CallLogQuery(text: "+1415"))
        #expect(SIPTrunkService.callLogQuery("") == CallLogQuery())
    }

    @Test func pagesHoldOnlyMatchingCallsAndCountThem() throws {
        let database = try TestDatabase()
        _ = try DemoData.populate(database.store)
        let all = try database.service.callLogPage(number: "+14155550101", after: nil)
        let failed = try database.service.callLogPage(number: "+14155550101", after: nil, matching: "4xx")
        #expect(failed.total < all.total)
        #expect(failed.logs.allSatisfy { ($0.sipCode ?? 0) / 100 == 4 })
        let text = try database.service.callLogPage(number: "+14155550101", after: nil, matching: "100_%")
        #expect(text.total == 0, "LIKE wildcards in the typed text are taken literally")
    }
}
