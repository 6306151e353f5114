import ArgumentParser
import Foundation
import TrunkCore
import TrunkRuntime
import TrunkStore

/// `--db PATH` for every command that uses the database.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp("The database file.", valueName: "path"))
    var path: String?

    @Option(name: .customLong("org"), help: ArgumentHelp("The organisation to act for.", valueName: "id"))
    var orgId: String = Installation.defaultOrgId

    /// Opens the database. Only the commands that create (the wizard, demo, attach, profile set) pass `.create`;
    /// the others refuse a missing file, so a mistyped `--db` is said, not made (issue 19). Read-only commands
    /// pass `.readOnly` and work on a file they cannot write.
    func open(_ access: TrunkDatabase.Access) throws -> TrunkDatabase {
        let resolved = path ?? TrunkDatabase.defaultPath()
        do {
            let store = try TrunkDatabase(path: resolved, access: access)
            for notice in store.notices { printError("siptrunk: \(notice)") }
            if !store.isReadOnly { try Installation.prepare(store, host: LocalHost.facts()) }
            return store
        } catch let error as StoreError {
            throw CommandFailure.refused(error.message)
        } catch let error as TrunkError {
            throw CommandFailure.refused(error.description)
        }
    }

    func service(_ access: TrunkDatabase.Access) throws -> SIPTrunkService {
        SIPTrunkService(store: try open(access), orgId: orgId)
    }
}

/// Runs a use case and turns its refusal into exit status 1 with the reasons (as JSON when asked).
func runUseCase<T>(json: Bool, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as TrunkError {
        if json {
            JSONOutput.print(Envelope<String>(data: nil, errors: error.messages.map { .init(error: error.code, message: $0) }))
            throw CommandFailure.silent
        }
        throw CommandFailure.refused(error.messages.joined(separator: "\n  "))
    }
}
