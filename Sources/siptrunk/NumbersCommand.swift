import ArgumentParser
import Foundation
import TrunkCore
import TrunkStore

/// `siptrunk numbers`: GET /v1/sip/numbers.
struct NumbersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "numbers", abstract: "List SIP numbers with their directions, endpoint and health (GET /v1/sip/numbers).")

    @OptionGroup var store: StoreOptions
    @Flag(help: "Print one JSON document.") var json = false

    func run() throws {
        let service = try store.service(.readOnly)
        let numbers = try runUseCase(json: json) { try service.numbers() }
        if json {
            JSONOutput.success(["numbers": numbers])
            return
        }
        if numbers.isEmpty { print("No SIP numbers yet. Attach numbers with `siptrunk trunks attach`.") }
        for number in numbers {
            let columns = [
                number.phoneNumber.padding(toLength: 17, withPad: " ", startingAt: 0),
                number.directions.joined(separator: "+").padding(toLength: 17, withPad: " ", startingAt: 0),
                number.healthStatus.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0),
                number.sipEndpoint ?? "-",
            ]
            print(columns.joined(separator: " "))
        }
    }
}

/// `siptrunk firewall [--region R]`: GET /v1/sip/firewall-ips.
struct FirewallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "firewall", abstract: "Show the addresses and ports your firewall must allow (GET /v1/sip/firewall-ips).")

    @Option(help: "The region; the default region when omitted.") var region: String?
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print one JSON document.") var json = false

    func run() throws {
        let service = try store.service(.readOnly)
        let info = try runUseCase(json: json) { try service.firewall(region: region) }
        if json {
            JSONOutput.success(info)
            return
        }
        for row in info.rows { print(row.label.padding(toLength: 12, withPad: " ", startingAt: 0) + row.value) }
    }
}

/// `siptrunk profile show|set`: the deployment profile (regions, addresses, ports).
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile", abstract: "Show or change this deployment's regions, addresses and ports.",
        subcommands: [Show.self, Set.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show every region of the deployment profile.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let database = try store.open(.readOnly)
            let regions: [Region]
            do { regions = try database.read { try $0.regions() } } catch { throw CommandFailure.refused("\(error)") }
            if json {
                JSONOutput.success(["regions": regions.map { SIPTrunkService.firewallInfo(for: $0) }])
                return
            }
            for region in regions {
                let info = SIPTrunkService.firewallInfo(for: region)
                print("\(region.name)\(region.isDefault ? " (default)" : "")")
                print("  signalling hosts  \(info.signallingHosts.joined(separator: ", "))")
                print("  IPv4 / IPv6       \(info.ipv4.joined(separator: ", ")) / \(info.ipv6.joined(separator: ", "))")
                print("  SIP               \(info.sipPorts.map { "\($0.port)/\($0.transport)" }.joined(separator: ", "))")
                print("  RTP               \(info.rtp.portMin)-\(info.rtp.portMax)/udp")
            }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or change a region.")
        @Option(help: "The region to change (created when new).") var region: String = "local"
        @Option(name: .customLong("host"), help: "Signalling host name (repeatable; replaces the list).") var hosts: [String] = []
        @Option(help: "Egress IPv4 address (repeatable; replaces the list).") var ipv4: [String] = []
        @Option(help: "Egress IPv6 address (repeatable; replaces the list).") var ipv6: [String] = []
        @Option(help: "TLS port for SIP.") var tlsPort: Int?
        @Option(help: "UDP port for SIP.") var udpPort: Int?
        @Option(help: "TCP port for SIP.") var tcpPort: Int?
        @Option(help: "RTP port range, e.g. 10000-20000.") var rtp: String?
        @Flag(help: "Make this region the default.") var makeDefault = false
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let service = try store.service(.create)
            let change = ProfileChange(
                region: region, signallingHosts: hosts.isEmpty ? nil : hosts, ipv4: ipv4.isEmpty ? nil : ipv4,
                ipv6: ipv6.isEmpty ? nil : ipv6, tlsPort: tlsPort, udpPort: udpPort, tcpPort: tcpPort, rtpRange: rtp,
                makeDefault: makeDefault)
            let info = try runUseCase(json: json) { try service.setProfile(change) }
            if json { JSONOutput.success(info) } else { print("region \(info.region) saved") }
        }
    }
}
