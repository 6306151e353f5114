import Foundation
import Testing
import TrunkCore
import TrunkStore

struct TrunkStoreTests {
    @Test func freshFileGetsEveryMigrationWALAndMode0600() throws {
        let database = try TestDatabase(prepare: false)
        #expect(try database.store.appliedMigrations() == [
            "v1: organisations, trunks, numbers, configurations, platform profile",
            "v1: discovery, test calls, traces, call logs, health",
            "v1: number porting",
            "v2: registration state",
            "v3: set-up wizard draft",
            "v4: health state and hourly roll-up",
            "v5: monitor heartbeat",
            "v6: test call SIP Call-ID",
            "v7: monitor heartbeat process",
            "v8: API key names",
            "v9: captured calls",
            "v10: porting lifecycle", "v11: failover and alerts", "v12: demo trunks",
        ])
        #expect(try database.store.journalMode() == "wal")
        let attributes = try FileManager.default.attributesOfItem(atPath: database.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        // Opening again applies nothing new and keeps the data.
        try Installation.prepare(database.store, host: .init(hostName: "h", ipv4: [], ipv6: []))
        let reopened = try TrunkDatabase(path: database.path)
        #expect(try reopened.read { try $0.organisation(id: Installation.defaultOrgId) }?.sipEntitled == true)
    }

    @Test func defaultPathFollowsXDG() {
        #expect(TrunkDatabase.defaultPath(environment: ["XDG_DATA_HOME": "/data", "HOME": "/home/a"]) == "/data/siptrunk/siptrunk.sqlite")
        #expect(TrunkDatabase.defaultPath(environment: ["HOME": "/home/a"]) == "/home/a/.local/share/siptrunk/siptrunk.sqlite")
        #expect(TrunkDatabase.defaultPath(environment: ["XDG_DATA_HOME": "relative", "HOME": "/home/a"]) == "/home/a/.local/share/siptrunk/siptrunk.sqlite")
    }

    @Test func notADatabaseIsAClearError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("siptrunk-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("notes.txt").path
        try Data(String(repeating: "not sqlite ", count: 200).utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.self) { try TrunkDatabase(path: path) }
        do {
            _ = try TrunkDatabase(path: path)
        } catch {
            #expect(error.kind == .corrupt)
            #expect(error.message.contains("is not a siptrunk database"))
        }
        // The file is left as it was.
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("not sqlite"))
    }

    @Test func aFailedWriteLeavesNothingBehind() throws {
        let database = try TestDatabase()
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try database.store.write { writer in
                try writer.save(Organisation(id: "temp", name: "Temp", sipEntitled: true, createdAt: Date()))
                throw Abort()
            }
        }
        #expect(try database.store.read { try $0.organisation(id: "temp") } == nil)
    }
}
