import ArgumentParser
import Foundation
import TrunkCore

/// `siptrunk outbound-setup NUMBER`: GET /v1/sip/outbound-setup.
struct OutboundSetupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbound-setup", abstract: "Show what to configure on the PBX for a number (GET /v1/sip/outbound-setup).")

    @Argument(help: "The number, in E.164 form.") var number: String
    @Option(help: "The region; the default region when omitted.") var region: String?
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print one JSON document.") var json = false

    func run() throws {
        let service = try store.service(.readOnly)
        let setup = try runUseCase(json: json) { try service.outboundSetup(number: number, region: region) }
        if json {
            JSONOutput.success(setup)
            return
        }
        print("PBX settings for \(setup.phoneNumber) (trunk \(setup.trunkId))")
        print("  SIP server       \(setup.sipServers.joined(separator: ", "))")
        print("  transport        \(setup.transport.uppercased()) on port \(setup.port)")
        print("  authentication   \(setup.authMode)" + (setup.registerUsername.map { ", username \($0)" } ?? ""))
        print("  allow addresses  \(setup.allowAddresses.isEmpty ? "(none set: siptrunk profile set --ipv4 ...)" : setup.allowAddresses.joined(separator: ", "))")
        print("  codecs           \(setup.codecs.joined(separator: ", "))")
        print("  media            \(setup.mediaEncryption ?? "RTP (secure media off)"), \(setup.rtpPortRange)")
        print("  DTMF             \(setup.dtmf)")
        for note in setup.notes { print("  • \(note)") }
    }
}

/// `siptrunk org show|set`: the organisation and its SIP entitlement.
struct OrgCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org", abstract: "Show the organisation or change its SIP entitlement.", subcommands: [Show.self, Set.self])

    struct Show: ParsableCommand {
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let service = try store.service(.readOnly)
            let organisation = try runUseCase(json: json) { try service.organisation() }
            if json { JSONOutput.success(organisation) } else {
                print("\(organisation.id)  \(organisation.name)  SIP \(organisation.sipEntitled ? "enabled" : "not enabled")")
            }
        }
    }

    struct Set: ParsableCommand {
        @Option(help: "true or false.") var sipEntitled: Bool
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let service = try store.service(.existing)
            let organisation = try runUseCase(json: json) { try service.setEntitlement(sipEntitled) }
            if json { JSONOutput.success(organisation) } else {
                print("\(organisation.id): SIP \(organisation.sipEntitled ? "enabled" : "disabled")")
            }
        }
    }
}
