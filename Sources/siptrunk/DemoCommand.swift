import ArgumentParser
import Foundation
import TrunkCore

/// `siptrunk demo [--db PATH]`: fills a fresh database with labelled sample data.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Fill a fresh database with a labelled sample data set to explore.",
        discussion: """
            Four trunks (Asterisk, 3CX, FreeSWITCH, a Teams SBC) in both directions, their numbers, a week of \
            health samples with two outages, a few hundred call logs, a discovery run and a test call with its \
            full SIP trace. Hosts are under .example and numbers are fictional 555-01xx numbers: nothing in it is \
            real or contacted. Refuses a database that already holds trunks.
            """)

    @OptionGroup var store: StoreOptions
    @Flag(help: "Print one JSON document.") var json = false

    func run() throws {
        let database = try store.open(.create)
        let summary = try runUseCase(json: json) { try DemoData.populate(database, orgId: store.orgId) }
        if json {
            JSONOutput.success(summary)
            return
        }
        print("Demo data written to \(database.path):")
        print("  \(summary.trunks) trunks, \(summary.numbers) numbers, \(summary.healthSamples) health samples,")
        print("  \(summary.callLogs) call logs, \(summary.discoveryRuns) discovery run, \(summary.testCalls) test call (\(summary.traceMessages) SIP messages traced)")
        print("Try: siptrunk numbers --db \(database.path)")
    }
}
