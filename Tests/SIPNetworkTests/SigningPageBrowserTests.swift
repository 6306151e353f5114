import Foundation
import Testing
import TrunkCore
import TrunkStore

/// Issue 18: the Letter of Authorization's signing page in a real browser — headless Chromium driven by Selenium —
/// against `siptrunk serve`: the page the API's `signature_url` leads to shows the letter, the browser will not
/// submit without consent, and signing moves the request to `submitted` with the name, the client's address and the
/// letter's SHA-256.
@Suite(.serialized)
struct SigningPageBrowserTests {
    @Test func theRepresentativeSignsInChromium() throws {
        let directory = NSTemporaryDirectory() + "siptrunk-sign-\(UUID().uuidString)"
        let database = directory + "/siptrunk.sqlite"
        let store = try TrunkDatabase(path: database)
        try Installation.prepare(store, host: .init(hostName: "sbc.test", ipv4: [], ipv6: []))
        let service = SIPTrunkService(store: store)
        let key = try APIKeyService(store: store).create(name: "sign").key
        let document = try service.uploadPortDocument(Array("%PDF-1.4\n%bill\n".utf8), fileName: "bill.pdf")
        let log = directory + "/serve.log"
        let pid = try TestProcess.start(try TestProcess.siptrunkPath(), ["serve", "--listen", "127.0.0.1:0", "--db", database], log: log)
        defer { TestProcess.stop(pid) }
        var port: Int?
        for _ in 0..<200 where port == nil {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                port = Int(text[range.upperBound...].prefix(while: \.isNumber))
            } else {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        let server = try #require(port, "serve never said where it listens")
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.dateFormat = "yyyy-MM-dd"
        let body = """
            {"phone_numbers":["+442079460000"],"target_port_date":"\(day.string(from: Date().addingTimeInterval(12 * 86_400)))","documents":["\(document.documentSid)"],
             "losing_carrier_information":{"customer_type":"business","business_name":"Acme & Co","first_name":"Ada","last_name":"Lovelace",
             "account_number":"42","authorized_representative_email":"ada@example.com",
             "address":{"street":"1 Main St","city":"London","state":"LDN","zip":"N1","country":"GB"}}}
            """
        let initiated = APIJobTests.body(APIJobTests.http(server, "POST", "/v1/sip/port/initiate", key: key, body: body))
        let url = try #require(initiated["signature_url"] as? String, "\(initiated)")
        let id = try #require(initiated["port_request_id"] as? String)
        #expect(url.hasPrefix("http://127.0.0.1:\(server)/v1/sip/port/sign/"))

        let script = try #require(Bundle.module.url(forResource: "sign.py", withExtension: nil, subdirectory: "Fixtures/porting")).path
        let browser = try TestProcess.run(AlertReceiver.python, [script, url, "Ada Lovelace"])
        #expect(browser.status == 0, "\(browser.output)")
        let line = try #require(browser.output.split(separator: "\n").last { $0.hasPrefix("{") }, "\(browser.output)")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let before = seen["before"] as? String ?? ""
        #expect((seen["title"] as? String)?.contains("Letter of Authorization") == true)
        #expect(before.contains("+442079460000") && before.contains("Acme & Co") && before.contains("Ada Lovelace <ada@example.com>"), "\(before)")
        #expect((seen["pdf_link"] as? [String])?.count == 1)
        #expect(seen["still_on_form_without_consent"] as? Bool == true && seen["consent_valid_before"] as? Bool == false)
        #expect((seen["after"] as? String)?.contains("Port request \(id) is submitted") == true, "\(seen["after"] ?? "")")

        let request = try service.portRequest(id: id)
        #expect(request.status == "submitted")
        let signed = try #require(request.history.last)
        #expect(signed.who == "Ada Lovelace (representative)" && signed.note?.contains("signed from 127.0.0.1") == true, "\(signed)")
        #expect(signed.note?.contains("SHA-256 ") == true)
    }
}
