import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TrunkCore
import TrunkStore
import Crypto

@testable import TrunkAPI

/// Number porting over HTTP (issue 18): check, documents (multipart), initiate, list, cancel.
struct PortingAPITests {
    static func multipart(_ bytes: [UInt8], fileName: String, boundary: String = "siptrunk-test-boundary") -> (ByteBuffer, String) {
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(fileName)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += bytes
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        return (ByteBuffer(bytes: body), "multipart/form-data; boundary=\(boundary)")
    }

    static func upload(_ client: any TestClientProtocol, key: String, _ bytes: [UInt8], name: String) async throws -> (TestResponse, EnvelopeView) {
        let (body, type) = multipart(bytes, fileName: name)
        let response = try await client.execute(
            uri: "/v1/sip/port/document", method: .post, headers: [.authorization: "Bearer \(key)", .contentType: type], body: body)
        return (response, EnvelopeView(response))
    }

    @Test func aPortIsCheckedDocumentedRequestedListedAndCanceled() async throws {
        let fixture = try APIFixture()
        try await fixture.withClient { client, key in
            let (checked, checkEnvelope) = try await client.call(.get, "/v1/sip/port/check?phone_numbers[]=%2B14155550100&phone_numbers[]=%2B1415555", key: key)
            #expect(checked.status == .ok)
            let results = try #require(checkEnvelope.dataObject["results"] as? [[String: Any]])
            #expect(results.map { $0["portable"] as? Bool } == [true, false])
            #expect(results.first?["pin_required"] as? Bool == true)

            // By their bytes: a PDF is accepted (at exactly 10 MB), an executable named .pdf refused, one byte more refused.
            let pdf = Array("%PDF-1.4\n".utf8) + [UInt8](repeating: 0x20, count: SIPTrunkService.maximumDocumentBytes - 9)
            let (accepted, document) = try await Self.upload(client, key: key, pdf, name: "bill.pdf")
            #expect(accepted.status == .ok, "\(document.messages)")
            #expect(document.dataObject["media_type"] as? String == "application/pdf")
            #expect(document.dataObject["size"] as? Int == SIPTrunkService.maximumDocumentBytes)
            let sid = try #require(document.dataObject["document_sid"] as? String)
            let (tooLarge, tooLargeEnvelope) = try await Self.upload(client, key: key, pdf + [0x20], name: "bill.pdf")
            #expect(tooLarge.status == .badRequest && tooLargeEnvelope.messages.contains("at most 10485760"), "\(tooLargeEnvelope.messages)")
            let (executable, executableEnvelope) = try await Self.upload(client, key: key, [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0], name: "bill.pdf")
            #expect(executable.status == .badRequest && executableEnvelope.messages.contains("ELF executable"))
            let (png, pngEnvelope) = try await Self.upload(client, key: key, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0], name: "photo.pdf")
            #expect(png.status == .ok && pngEnvelope.dataObject["media_type"] as? String == "image/png")

            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd"
            formatter.timeZone = .current
            let target = formatter.string(from: Date().addingTimeInterval(10 * 86_400))
            let request = """
                {"phone_numbers":["+14155550100"],"pin":"1234","target_port_date":"\(target)","documents":["\(sid)"],
                 "losing_carrier_information":{"customer_type":"personal","first_name":"Ada","last_name":"Lovelace","account_number":"42",
                 "authorized_representative_email":"ada@example.com","address":{"street":"1 Main St","city":"SF","state":"CA","zip":"94105","country":"US"}}}
                """
            let (initiated, initiatedEnvelope) = try await client.call(.post, "/v1/sip/port/initiate", key: key, json: request)
            #expect(initiated.status == .ok, "\(initiatedEnvelope.messages)")
            #expect(initiatedEnvelope.dataObject["status"] as? String == "waiting_for_signature")
            let id = try #require(initiatedEnvelope.dataObject["port_request_id"] as? String)
            // The same number again, while the first request is open: refused by field.
            let (again, againEnvelope) = try await client.call(.post, "/v1/sip/port/initiate", key: key, json: request)
            #expect(again.status == .badRequest && againEnvelope.messages.contains("already in port request \(id)"))

            let (_, list) = try await client.call(.get, "/v1/sip/port", key: key)
            #expect((list.dataObject["port_requests"] as? [[String: Any]])?.first?["id"] as? String == id)
            let (canceled, canceledEnvelope) = try await client.call(.delete, "/v1/sip/port/\(id)", key: key)
            #expect(canceled.status == .ok && canceledEnvelope.dataObject["canceled"] as? Bool == true)
            let (twice, twiceEnvelope) = try await client.call(.delete, "/v1/sip/port/\(id)", key: key)
            #expect(twice.status == .badRequest && twiceEnvelope.messages.contains("cannot become canceled"))
            let (missing, _) = try await client.call(.delete, "/v1/sip/port/port_nothing", key: key)
            #expect(missing.status == .notFound)
        }
    }

    /// The signing page: signature_url from initiate, the letter on the page and as a PDF, a wrong name refused on the
    /// page, the right one with consent signs (submitted), and the link then stops working.
    @Test func theRepresentativeSignsOnThePageTheLinkLeadsTo() async throws {
        let fixture = try APIFixture()
        try await fixture.withClient { client, key in
            let (_, document) = try await Self.upload(client, key: key, Array("%PDF-1.4\n%bill\n".utf8), name: "bill.pdf")
            let sid = try #require(document.dataObject["document_sid"] as? String)
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd"
            let target = formatter.string(from: Date().addingTimeInterval(12 * 86_400))
            let request = """
                {"phone_numbers":["+442079460000"],"target_port_date":"\(target)","documents":["\(sid)"],
                 "losing_carrier_information":{"customer_type":"business","business_name":"<Acme & Co>","first_name":"Ada","last_name":"Lovelace",
                 "account_number":"42","authorized_representative_email":"ada@example.com",
                 "address":{"street":"1 Main St","city":"London","state":"LDN","zip":"N1","country":"GB"}}}
                """
            let (initiated, envelope) = try await client.call(.post, "/v1/sip/port/initiate", key: key, json: request)
            #expect(initiated.status == .ok, "\(envelope.messages)")
            let url = try #require(envelope.dataObject["signature_url"] as? String)
            let path = try #require(url.range(of: "/v1/sip/port/sign/").map { String(url[$0.lowerBound...]) })
            let page = try await client.execute(uri: path, method: .get)
            let html = String(buffer: page.body)
            #expect(page.status == .ok && page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(html.contains("+442079460000") && html.contains("Ada Lovelace") && html.contains("&lt;Acme &amp; Co&gt;") && !html.contains("<Acme"))
            let pdf = try await client.execute(uri: path + "/loa.pdf", method: .get)
            #expect(pdf.status == .ok && Array(pdf.body.readableBytesView.prefix(5)) == Array("%PDF-".utf8))

            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let wrong = try await client.execute(uri: path, method: .post, headers: form, body: ByteBuffer(string: "name=Somebody+Else&consent=on"))
            #expect(wrong.status == .badRequest && String(buffer: wrong.body).contains("Ada Lovelace"))
            let noConsent = try await client.execute(uri: path, method: .post, headers: form, body: ByteBuffer(string: "name=Ada+Lovelace"))
            #expect(noConsent.status == .badRequest && String(buffer: noConsent.body).contains("must agree"))
            let signed = try await client.execute(uri: path, method: .post, headers: form, body: ByteBuffer(string: "name=Ada%20Lovelace&consent=on"))
            #expect(signed.status == .ok && String(buffer: signed.body).contains("submitted"))
            let again = try await client.execute(uri: path, method: .post, headers: form, body: ByteBuffer(string: "name=Ada+Lovelace&consent=on"))
            #expect(again.status == .notFound)

            let id = try #require(envelope.dataObject["port_request_id"] as? String)
            let view = try fixture.service.portRequest(id: id)
            #expect(view.status == "submitted")
            #expect(view.history.last?.note?.contains("SHA-256 \(LetterOfAuthorizationDigest.of(Array(pdf.body.readableBytesView)))") == true)
        }
    }
}

/// The digest the signing records, computed here from the PDF the page served.
enum LetterOfAuthorizationDigest {
    static func of(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
