import ArgumentParser
import Foundation
import TrunkCore

/// `siptrunk failover NUMBER [--to ROLE | --rehearse]`: the active endpoint, each endpoint's state and the history;
/// a manual switch or failback; a rehearsal that switches nothing.
struct FailoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover", abstract: "Show, switch or rehearse failover between a number's primary, secondary and tertiary endpoints.",
        discussion: """
            The monitor (siptrunk monitor, or a dashboard when none runs) probes every configured endpoint and moves \
            outbound calls when the active one fires a trigger (see the README's Failover section).
              siptrunk failover +14155550123               the active endpoint, each endpoint's state, the history
              siptrunk failover +14155550123 --rehearse    what would happen if the active endpoint failed now
              siptrunk failover +14155550123 --to primary  switch by hand (failback when failback is manual)
            """)

    @Argument(help: "The number, in E.164 form.") var number: String
    @Option(help: "Switch calls to this endpoint: primary, secondary or tertiary.") var to: String?
    @Flag(help: "Say what would happen if the active endpoint failed now, without switching.") var rehearse = false
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print one JSON document.") var json = false

    func validate() throws {
        if let to, EndpointRole(name: to) == nil { throw ValidationError("--to must be primary, secondary or tertiary") }
        if to != nil && rehearse { throw ValidationError("--to switches and --rehearse does not: give one of them") }
    }

    func run() throws {
        let service = try store.service(to == nil ? .readOnly : .existing)
        let view = try runUseCase(json: json) {
            if let role = to.flatMap(EndpointRole.init(name:)) {
                return try service.switchEndpoint(number: number, to: role, actor: "siptrunk failover (uid \(getuid()))")
            }
            return try service.failoverView(number: number, rehearse: rehearse)
        }
        if json {
            JSONOutput.success(view)
            return
        }
        print("\(view.phoneNumber) outbound: failover \(view.enabled ? "on" : "off"), triggers \(view.triggers.joined(separator: ", ")), failback \(view.failback)")
        print("active: \(view.activeRole) \(view.activeEndpoint)\(view.activeSince.map { " since \(Self.time($0))" } ?? "")")
        for endpoint in view.endpoints {
            let mark = endpoint.active ? "*" : " "
            print(" \(mark) \(endpoint.role.padding(toLength: 10, withPad: " ", startingAt: 0)) \(endpoint.endpoint.padding(toLength: 32, withPad: " ", startingAt: 0)) \(endpoint.healthStatus.rawValue)\(endpoint.lastOutcome.map { " (last probe: \($0))" } ?? "")")
        }
        if let rehearsal = view.rehearsal { print("\nrehearsal: \(rehearsal)") }
        if !view.history.isEmpty {
            print("\nhistory:")
            for event in view.history {
                print("  \(Self.time(event.at))  \(event.from) → \(event.to) (\(event.trigger), \(event.actor)): \(event.reason)")
            }
        }
    }

    static func time(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}
