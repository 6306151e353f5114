import Testing

@testable import SIPCore

/// `SIPHeaderName.recognise` compares a name folded to lower case, as words, with constants generated from the
/// canonical spellings: every name must be found in any case, and nothing else may be.
struct SIPHeaderNameTests {
    @Test func everyNameIsRecognisedInAnyCase() {
        for name in SIPHeaderName.allCases where name != .extension_ {
            let canonical = name.canonical
            let mixed = String(canonical.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.uppercased()) : Character($0.element.lowercased()) })
            for spelling in [canonical, canonical.lowercased(), canonical.uppercased(), mixed] {
                #expect(SIPHeaderName.recognise(spelling.utf8) == name, "\(spelling)")
                #expect(SIPHeaderName.recognise(Array(spelling.utf8)) == name, "\(spelling) as bytes")
            }
        }
    }

    @Test func aNameWithAnyByteChangedIsNotThatName() {
        // Bytes that fold onto letters or '-' when they should not: CR for '-', '@' for '`', '[' for '{'.
        let replacements: [UInt8] = [UInt8(ascii: "x"), UInt8(ascii: "_"), 0x0D, 0x40, 0x5B, 0x2E, 0xC3]
        for name in SIPHeaderName.allCases where name != .extension_ {
            let bytes = Array(name.canonical.utf8)
            for position in bytes.indices {
                for replacement in replacements where ASCII.lowercased(replacement) != ASCII.lowercased(bytes[position]) {
                    var changed = bytes
                    changed[position] = replacement
                    let found = SIPHeaderName.recognise(changed)
                    #expect(found == .extension_ || found.canonical.lowercased() == String(decoding: changed, as: UTF8.self).lowercased(),
                        "\(String(decoding: changed, as: UTF8.self)) was taken for \(found)")
                }
            }
            #expect(SIPHeaderName.recognise(bytes + [UInt8(ascii: "x")]) == .extension_)
            // ("T", what is left of "To", is its compact form.)
            #expect(SIPHeaderName.recognise(bytes.dropLast()) != name || bytes.count == 2)
        }
    }

    @Test func compactFormsAndOddLengths() {
        let compact: [Character: SIPHeaderName] = [
            "i": .callID, "m": .contact, "e": .contentEncoding, "l": .contentLength, "c": .contentType, "f": .from, "s": .subject,
            "k": .supported, "t": .to, "v": .via, "o": .event, "r": .referTo, "b": .referredBy, "u": .allowEvents, "x": .sessionExpires,
        ]
        for (letter, name) in compact {
            #expect(SIPHeaderName.recognise(String(letter).utf8) == name)
            #expect(SIPHeaderName.recognise(String(letter).uppercased().utf8) == name)
        }
        #expect(SIPHeaderName.recognise("a".utf8) == .extension_)
        #expect(SIPHeaderName.recognise("".utf8) == .extension_)
        #expect(SIPHeaderName.recognise(String(repeating: "via", count: 20).utf8) == .extension_)
        #expect(SIPHeaderName.recognise("X-Siptrunk-Event-Id".utf8) == .extension_)
    }
}
