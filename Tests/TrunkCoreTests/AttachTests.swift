import Foundation
import Testing
import TrunkCore
import TrunkStore

struct AttachTests {
    static let outbound = AttachRequest.Direction(type: "outbound", sipEndpoint: "sip:pbx.example.com:5061;transport=tls")
    static let inbound = AttachRequest.Direction(type: "inbound")

    @Test func partialSuccessListsConfiguredAndFailed() throws {
        let database = try TestDatabase()
        let result = try database.service.attach(
            AttachRequest(phoneNumbers: ["+14155550123", "14155550124", "+1415", "+14155550123"], trunkId: "acme", directions: [Self.outbound, Self.inbound]))
        #expect(result.trunkId == "acme")
        #expect(result.configured.map(\.phoneNumber) == ["+14155550123", "+14155550124"])
        #expect(result.configured.first?.directions == ["outbound", "inbound"])
        #expect(result.failed.map(\.reason) == [
            "phone_numbers[2]: \"+1415\" is not a valid E.164 number: has 4 digits; an E.164 number has 7 to 15",
            "phone_numbers[3]: +14155550123 appears more than once in this request",
        ])
        #expect(result.registerPasswordForPbx == nil)
        let numbers = try database.service.numbers()
        #expect(numbers.map(\.phoneNumber) == ["+14155550123", "+14155550124"])
        #expect(numbers.first?.sipEndpoint == "sip:pbx.example.com:5061;transport=tls")
        #expect(numbers.first?.healthStatus == .unchecked)
    }

    @Test(arguments: [
        (AttachRequest(phoneNumbers: [], directions: [outbound]), ["phone_numbers: give at least one number in E.164 form, e.g. +14155550123"]),
        (AttachRequest(phoneNumbers: (0..<101).map { "+1415555\(String(format: "%04d", $0))" }, directions: [outbound]),
         ["phone_numbers: 101 numbers given; at most 100 per call"]),
        (AttachRequest(phoneNumber: "+14155550123", directions: []), ["directions: give at least one direction: inbound or outbound"]),
        (AttachRequest(phoneNumber: "+14155550123", directions: [.init(type: "outbound")]),
         ["directions[0].sip_endpoint: an outbound direction needs the SIP server to send calls to, e.g. sip:pbx.example.com"]),
        (AttachRequest(phoneNumber: "+14155550123", directions: [.init(type: "sideways")]),
         ["directions[0].type: \"sideways\" is not a direction; use inbound or outbound"]),
        (AttachRequest(phoneNumber: "+14155550123", directions: [inbound, inbound]),
         ["directions[1].type: \"inbound\" is given twice; each direction at most once per call"]),
        (AttachRequest(phoneNumber: "+14155550123", directions: [.init(type: "outbound", sipEndpoint: "pbx:70000")]),
         ["directions[0].sip_endpoint: \"pbx:70000\" is not a SIP server address: port 70000 is out of range (1–65535)"]),
        (AttachRequest(phoneNumber: "+14155550123", directions: [.init(type: "outbound", sipEndpoint: "pbx", options: .init(port: 0, transport: "sctp"))]),
         ["directions[0].options.port: 0 is out of range (1–65535)", "directions[0].options.transport: \"sctp\" is not a transport; use udp, tcp or tls"]),
        (AttachRequest(phoneNumber: "+14155550123", directions: [.init(type: "inbound", authMode: "register", registerAuth: .init(username: "pbx", password: "short"))]),
         ["directions[0].register_auth.password: has 5 characters; at least 8"]),
        (AttachRequest(phoneNumber: "+14155550123", directions: [.init(type: "inbound", authMode: "token")]),
         ["directions[0].auth_mode: \"token\" is not an auth mode; use ip or register"]),
        (AttachRequest(phoneNumber: "+14155550123", directions: [.init(type: "inbound", headers: .init(headers: [.init(key: "X-Bad\r\nVia", value: "x"), .init(key: "X-Ok", value: "a\r\nb")]))]),
         ["directions[0].headers.headers[0].key: \"X-Bad\r\nVia\" is not a header name (letters, digits and -.!%*_+`'~)",
          "directions[0].headers.headers[1].value: contains the control character \\x0D; a header value is one line of printable text"]),
        (AttachRequest(phoneNumber: "+14155550123", trunkId: "bad id!", directions: [inbound]),
         ["trunk_id: \"bad id!\" may contain only letters, digits, '-' and '_' (1-64 characters)"]),
    ] as [(AttachRequest, [String])])
    func refusedWithEveryBrokenRule(_ request: AttachRequest, _ messages: [String]) throws {
        let database = try TestDatabase()
        #expect(throws: TrunkError.validation(messages.map { message in
            let colon = message.firstIndex(of: ":")!
            return FieldError(String(message[..<colon]), String(message[message.index(colon, offsetBy: 2)...]))
        })) { try database.service.attach(request) }
        #expect(try database.service.numbers().isEmpty, "nothing is stored when the request is refused")
    }

    @Test func anAttachThatConfiguresNothingLeavesNoTrunk() throws {
        let database = try TestDatabase()
        let result = try database.service.attach(AttachRequest(phoneNumbers: ["abc", "+1415"], directions: [Self.inbound]))
        #expect(result.configured.isEmpty)
        #expect(result.failed.count == 2)
        #expect(try database.service.trunks().isEmpty)
    }

    @Test func atMostTenConfigurationsPerNumber() throws {
        let database = try TestDatabase()
        for trunk in 0..<5 {
            let result = try database.service.attach(AttachRequest(phoneNumber: "+14155550123", trunkId: "t\(trunk)", directions: [Self.outbound, Self.inbound]))
            #expect(result.failed.isEmpty)
        }
        let eleventh = try database.service.attach(AttachRequest(phoneNumber: "+14155550123", trunkId: "t5", directions: [Self.inbound]))
        #expect(eleventh.configured.isEmpty)
        #expect(eleventh.failed.first?.reason == "phone_numbers[0]: +14155550123 already has 10 SIP configurations; at most 10 per number")
        // Re-attaching an existing trunk and direction updates in place and does not count twice.
        let again = try database.service.attach(AttachRequest(phoneNumber: "+14155550123", trunkId: "t0", directions: [Self.inbound]))
        #expect(again.failed.isEmpty)
    }

    @Test func registrationReturnsADerivedPasswordThatIsNeverStored() throws {
        let database = try TestDatabase()
        let request = AttachRequest(
            phoneNumber: "+14155550123", trunkId: "acme", directions: [.init(type: "inbound", authMode: "register", registerAuth: .init(username: "acme-pbx"))])
        let first = try database.service.attach(request)
        let password = try #require(first.registerPasswordForPbx)
        #expect(password.count == 24)
        // Re-derivable: the same trunk and username give the same password.
        #expect(try database.service.attach(request).registerPasswordForPbx == password)
        // A different trunk gets a different one.
        var other = request
        other.trunkId = "other"
        other.phoneNumber = "+14155550199"
        #expect(try database.service.attach(other).registerPasswordForPbx != password)
        // The password is in no file of the database (main file, WAL).
        let directory = (database.path as NSString).deletingLastPathComponent
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file))
            #expect(bytes.range(of: Data(password.utf8)) == nil, "\(file) holds the derived password")
        }
        let view = try database.service.configuration(number: "+14155550123")
        #expect(view.inbound?.authMode == "register")
        #expect(view.inbound?.registerUsername == "acme-pbx")
    }

    @Test func aProvidedRegisterPasswordIsNeverEchoed() throws {
        let database = try TestDatabase()
        let result = try database.service.attach(AttachRequest(
            phoneNumber: "+14155550123", directions: [.init(type: "inbound", authMode: "register", registerAuth: .init(username: "pbx", password: "my-own-secret"))]))
        #expect(result.registerPasswordForPbx == nil)
        let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self) + String(decoding: try JSONEncoder().encode(try database.service.configuration(number: "+14155550123")), as: UTF8.self)
        #expect(!json.contains("my-own-secret"))
    }

    @Test func configurationViewRedactsCredentials() throws {
        let database = try TestDatabase()
        _ = try database.service.attach(AttachRequest(
            phoneNumber: "+14155550123",
            directions: [.init(type: "outbound", sipEndpoint: "tcp://pbx.example.com:5080", options: .init(sipUsername: "trunk", sipPassword: "s3cret-pw"))]))
        let view = try database.service.configuration(number: "14155550123")
        let outbound = try #require(view.outbound)
        #expect(outbound.options.sipUsername == "trunk")
        #expect(outbound.options.sipPassword == "[redacted]")
        #expect(outbound.options.port == 5080)
        #expect(outbound.options.transport == "tcp")
        #expect(view.inbound == nil)
        let json = String(decoding: try JSONEncoder().encode(view), as: UTF8.self)
        #expect(!json.contains("s3cret-pw"))
    }

    @Test func detachRemovesDirectionsThenTheNumber() throws {
        let database = try TestDatabase()
        _ = try database.service.attach(AttachRequest(phoneNumber: "+14155550123", directions: [Self.outbound, Self.inbound]))
        #expect(try database.service.detach(number: "+14155550123", directions: ["inbound"]) == ["inbound"])
        #expect(try database.service.numbers().first?.directions == ["outbound"])
        #expect(try database.service.detach(number: "+14155550123", directions: nil) == ["outbound"])
        #expect(try database.service.numbers().isEmpty)
        #expect(throws: TrunkError.notFound("+14155550123 has no SIP configuration to detach")) {
            try database.service.detach(number: "+14155550123", directions: nil)
        }
        #expect(throws: TrunkError.self) { try database.service.detach(number: "123", directions: nil) }
    }

    @Test func everyOperationChecksTheEntitlement() throws {
        let database = try TestDatabase()
        try database.store.write { writer in
            var organisation = try #require(try writer.reader.organisation(id: Installation.defaultOrgId))
            organisation.sipEntitled = false
            try writer.save(organisation)
        }
        let refused = TrunkError.notEntitled(orgId: Installation.defaultOrgId)
        #expect(throws: refused) { try database.service.attach(AttachRequest(phoneNumber: "+14155550123", directions: [Self.inbound])) }
        #expect(throws: refused) { try database.service.numbers() }
        #expect(throws: refused) { try database.service.firewall(region: nil) }
        #expect(throws: refused) { try database.service.configuration(number: "+14155550123") }
        #expect(throws: refused) { try database.service.detach(number: "+14155550123", directions: nil) }
    }

    @Test func healthStatusComesFromTheLatestSample() throws {
        let database = try TestDatabase()
        _ = try database.service.attach(AttachRequest(phoneNumber: "+14155550123", directions: [Self.outbound]))
        _ = try database.service.attach(AttachRequest(phoneNumber: "+14155550124", directions: [Self.inbound]))
        let configId = try #require(try database.service.configuration(number: "+14155550123").outbound?.id)
        try database.store.write { writer in
            try writer.insert(HealthSample(configId: configId, checkedAt: Date(timeIntervalSinceNow: -60), outcome: "timeout", responseCode: nil, responseTimeMs: nil))
            try writer.insert(HealthSample(configId: configId, checkedAt: Date(), outcome: "ok", responseCode: 200, responseTimeMs: 12.5))
        }
        let numbers = try database.service.numbers()
        #expect(numbers.map(\.healthStatus) == [.healthy, .unchecked])
    }

    @Test func firewallShowsTheRegionsAddressesAndPorts() throws {
        let database = try TestDatabase()
        let info = try database.service.firewall(region: nil)
        #expect(info.region == "local")
        #expect(info.signallingHosts == ["sbc.test"])
        #expect(info.ipv4 == ["192.0.2.10"])
        #expect(info.sipPorts.map(\.port) == [5060, 5060, 5061])
        #expect(info.rtp.portMin == 10000 && info.rtp.portMax == 20000)
        #expect(throws: TrunkError.notFound("region 'mars' does not exist; known regions: local")) {
            try database.service.firewall(region: "mars")
        }
    }

    /// The numbering plan is the attach rule (issue 14): the same refusal in the wizard, the CLI and the API.
    @Test func aNumberThatDoesNotExistInItsCountryIsRefusedWithTheCountry() throws {
        let database = try TestDatabase()
        let result = try database.service.attach(AttachRequest(
            phoneNumbers: ["4155550303", "+1 (415) 555-0142", "+14155550303"], directions: [.init(type: "inbound")]))
        #expect(result.configured.map(\.phoneNumber) == ["+14155550142", "+14155550303"])
        #expect(result.failed.map(\.phoneNumber) == ["+4155550303"])
        #expect(result.failed.first?.reason.hasPrefix("phone_numbers[0]: +4155550303 is not a valid number in Switzerland (+41)") == true)
    }
}
