import Testing
import TrunkCore

struct AdvancedConfigTests {
    static func database() throws -> TestDatabase {
        let database = try TestDatabase()
        _ = try database.service.attach(AttachRequest(
            phoneNumber: "+14155550123", directions: [.init(type: "outbound", sipEndpoint: "tls://pbx.example.com:5061"), .init(type: "inbound")]))
        return database
    }

    @Test func defaultsThenChangesPersist() throws {
        let database = try Self.database()
        let defaults = try database.service.advancedConfig(number: "+14155550123", direction: "outbound")
        #expect(defaults.failoverConfig.enabled == false)
        #expect(defaults.failoverConfig.endpoints.map(\.host) == ["pbx.example.com"])
        #expect(defaults.codecConfig.codecs == ["PCMU", "PCMA", "Opus"])
        let updated = try database.service.updateAdvancedConfig(AdvancedConfigPatch(
            phoneNumber: "+14155550123", direction: "outbound",
            failoverConfig: .init(enabled: true, endpoints: [.init(host: "b.example.com", port: 5061, transport: "TLS", priority: 2), .init(host: "c.example.com", priority: 3)],
                                  triggers: ["unreachable", "timeout"], failback: "manual"),
            codecConfig: .init(codecs: ["g729", "PCMA"], transcode: true),
            alertConfig: .init(enabled: true, thresholds: .init(unreachableMinutes: 2, failureRatePercent: 10, failureRateWindowMinutes: 30, responseTimeMs: 250),
                               channels: .init(email: "noc@example.com", webhook: "https://hooks.example.com/sip"))))
        #expect(updated.failoverConfig.endpoints.map(\.priority) == [1, 2, 3])
        #expect(updated.failoverConfig.endpoints[1].transport == "tls")
        #expect(updated.codecConfig.codecs == ["G.729", "PCMA"])
        #expect(updated.codecConfig.all?.map(\.name) == ["G.729", "PCMA", "PCMU", "Opus", "G.722"])
        let reread = try database.service.advancedConfig(number: "+14155550123", direction: "outbound")
        #expect(reread == updated)
        // A patch of one part leaves the others alone.
        let codecsOnly = try database.service.updateAdvancedConfig(AdvancedConfigPatch(
            phoneNumber: "+14155550123", direction: "outbound", codecConfig: .init(codecs: ["Opus"], transcode: false)))
        #expect(codecsOnly.failoverConfig == updated.failoverConfig)
        #expect(codecsOnly.alertConfig == updated.alertConfig)
    }

    @Test func everyBrokenRuleIsNamed() throws {
        let database = try Self.database()
        do {
            _ = try database.service.updateAdvancedConfig(AdvancedConfigPatch(
                phoneNumber: "+14155550123", direction: "outbound",
                failoverConfig: .init(enabled: true, endpoints: [.init(host: "x.example.com", priority: 1), .init(host: "y:5060", port: 70000, transport: "sctp", priority: 2)],
                                      triggers: ["reboot"], failback: "sometimes"),
                codecConfig: .init(codecs: ["PCMU", "pcmu", "AMR-WB"], transcode: false),
                alertConfig: .init(enabled: true, thresholds: .init(failureRatePercent: 150), channels: .init(email: "noc", sms: "+1415"))))
            Issue.record("accepted")
        } catch {
            guard case .validation(let errors) = error else { Issue.record("\(error)"); return }
            #expect(errors.map(\.field) == [
                "failover_config.endpoints[0].priority", "failover_config.endpoints[1].host", "failover_config.endpoints[1].port",
                "failover_config.endpoints[1].transport", "failover_config.triggers[0]", "failover_config.failback",
                "codec_config.codecs[1]", "codec_config.codecs[2]",
                "alert_config.thresholds.failure_rate_percent", "alert_config.channels.email", "alert_config.channels.sms",
            ])
        }
        #expect(try database.service.advancedConfig(number: "+14155550123", direction: "outbound").failoverConfig.enabled == false)
    }

    @Test func failoverBelongsToTheOutboundDirection() throws {
        let database = try Self.database()
        #expect(throws: TrunkError.self) {
            try database.service.updateAdvancedConfig(AdvancedConfigPatch(
                phoneNumber: "+14155550123", direction: "inbound",
                failoverConfig: .init(enabled: true, endpoints: [.init(host: "b.example.com", priority: 2)], triggers: [], failback: "auto")))
        }
        #expect(throws: TrunkError.notFound("+14155550199 has no outbound configuration; attach it first")) {
            try database.service.advancedConfig(number: "+14155550199", direction: "outbound")
        }
    }
}

struct OutboundSetupTests {
    @Test func showsThisDeploymentsServerAddressesAndTheNumbersAuth() throws {
        let database = try TestDatabase()
        _ = try database.service.attach(AttachRequest(
            phoneNumber: "+14155550123", trunkId: "acme",
            directions: [.init(type: "inbound", authMode: "register", registerAuth: .init(username: "acme-pbx"))]))
        let setup = try database.service.outboundSetup(number: "+14155550123")
        #expect(setup.sipServers == ["sip:sbc.test:5061;transport=tls"])
        #expect(setup.allowAddresses == ["192.0.2.10", "2001:db8::10"])
        #expect(setup.authMode == "register")
        #expect(setup.registerUsername == "acme-pbx")
        #expect(setup.mediaEncryption == "SRTP AES_CM_128_HMAC_SHA1_80 (SDES)")
        #expect(throws: TrunkError.self) { try database.service.outboundSetup(number: "+14155550199") }
    }

    /// Issue 14: the advice is what the trunk really is — an address the PBX can reach when the host name is bare,
    /// and the transport the PBX answered at discovery, not TLS it never answered.
    @Test func adviceFollowsTheTrunkNotTheIdeal() throws {
        let database = try TestDatabase(prepare: false)
        try Installation.prepare(database.store, host: .init(hostName: "vm", ipv4: ["192.0.2.10"], ipv6: []))
        _ = try database.service.attach(AttachRequest(
            phoneNumber: "+14155550123", trunkId: "lab", directions: [.init(type: "outbound", sipEndpoint: "tcp://pbx.example.com:5060")]))
        let setup = try database.service.outboundSetup(number: "+14155550123")
        #expect(setup.sipServers == ["sip:192.0.2.10:5060;transport=tcp"], "\(setup.sipServers)")
        #expect(setup.transport == "tcp" && setup.port == 5060)
        #expect(setup.notes.contains { $0.contains("'vm' is not a DNS name") })
        #expect(setup.notes.contains { $0.contains("answered TCP, not TLS") })
    }

    @Test func entitlementCanBeTurnedOffAndOn() throws {
        let database = try TestDatabase()
        #expect(try database.service.setEntitlement(false).sipEntitled == false)
        #expect(throws: TrunkError.notEntitled(orgId: "default")) { try database.service.trunks() }
        #expect(try database.service.organisation().sipEntitled == false)
        #expect(try database.service.setEntitlement(true).sipEntitled)
        #expect(try database.service.trunks().isEmpty)
    }
}
