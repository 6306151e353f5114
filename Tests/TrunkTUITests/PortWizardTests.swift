import Foundation
import Testing

@testable import TrunkTUI

/// The wizard's document path completes with Tab, as a shell's does (issue 18).
struct PortWizardTests {
    @Test func tabCompletesAPathAsFarAsItIsUnambiguous() throws {
        let directory = NSTemporaryDirectory() + "siptrunk-complete-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/docs", withIntermediateDirectories: true)
        for name in ["bill-2026.pdf", "bill-2027.pdf", "photo.png", ".hidden.pdf"] {
            try Data("x".utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
        let several = PortWizard.complete(directory + "/bi")
        #expect(several.completed == directory + "/bill-202")
        #expect(several.candidates == ["bill-2026.pdf", "bill-2027.pdf"])
        #expect(PortWizard.complete(directory + "/ph") == (directory + "/photo.png", []))
        #expect(PortWizard.complete(directory + "/do") == (directory + "/docs/", []))
        #expect(PortWizard.complete(directory + "/").candidates == ["bill-2026.pdf", "bill-2027.pdf", "docs", "photo.png"])
        #expect(PortWizard.complete(directory + "/.h") == (directory + "/.hidden.pdf", []))
        #expect(PortWizard.complete(directory + "/nothing") == (directory + "/nothing", []))
        #expect(PortWizard.complete("~/x", home: directory).completed == directory + "/x")
    }
}
