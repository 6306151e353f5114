import Foundation
import Testing
import TrunkCore

/// Signing records the SHA-256 of the letter that was shown; when no letter could be drawn (cairo, opened on first
/// use, is missing) there is no digest, and signing must be refused with the reason rather than record nothing.
@Suite struct PortSigningTests {
    @Test func signingWithoutADrawnLetterIsRefusedAndTheRequestWaits() throws {
        let database = try TestDatabase()
        let service = database.service
        let document = try service.uploadPortDocument(Array("%PDF-1.4\n%bill\n".utf8), fileName: "bill.pdf")
        let request = PortInitiateRequest(
            phoneNumbers: ["+442079460000"],
            losingCarrierInformation: .init(
                customerType: "personal", businessName: nil, firstName: "Ada", lastName: "Lovelace", accountNumber: "42",
                authorizedRepresentativeEmail: "ada@example.com", notificationEmails: nil,
                address: .init(street: "1 Main St", street2: nil, city: "London", state: "LDN", zip: "N1", country: "GB")),
            targetPortDate: "2027-01-26", documents: [document.documentSid], pin: nil)
        let id = try service.initiatePort(request, timeZone: TimeZone(identifier: "UTC") ?? .current).portRequestId
        for digest in ["", "abc", String(repeating: "g", count: 64)] {
            do {
                _ = try service.signPort(id: id, typedName: "Ada Lovelace", consent: true, from: "terminal", letterSHA256: digest)
                Issue.record("a signature with the digest '\(digest)' was accepted")
            } catch {
                #expect(error.description.contains("could not be drawn"), "\(error)")
            }
        }
        let signed = try service.signPort(id: id, typedName: "Ada Lovelace", consent: true, from: "terminal", letterSHA256: String(repeating: "0f", count: 32))
        #expect(signed.status == "submitted")
    }
}
