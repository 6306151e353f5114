import Foundation
import Testing
import TrunkCore
import TrunkStore

/// Several processes on one database file, and processes killed in the middle of writing.
struct ProcessTests {
    static var tortureBinary: URL {
        get throws {
            var directory = Bundle.main.bundleURL
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("StoreTorture")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
                directory = directory.deletingLastPathComponent()
            }
            throw CocoaError(.fileNoSuchFile)
        }
    }

    static func writer(_ path: String, prefix: String, count: Int) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = try tortureBinary
        process.arguments = [path, prefix, String(count)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, output)
    }

    /// Reads whole lines from a pipe until `stop` says so or the writer ends.
    static func readLines(_ pipe: Pipe, until stop: (Int) -> Bool) -> [String] {
        var lines: [String] = []
        var pending = Data()
        let handle = pipe.fileHandleForReading
        while !stop(lines.count) {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
        return lines
    }

    @Test func aReaderNeverSeesBusyWhileAnotherProcessWrites() throws {
        let database = try TestDatabase()
        let (process, output) = try Self.writer(database.path, prefix: "busy", count: 400)
        var lastCount = 0
        var reads = 0
        while process.isRunning {
            // Reads and small writes of our own, interleaved with the child's commits.
            let count = try database.store.read { try $0.callLogCount() }
            #expect(count >= lastCount)
            lastCount = count
            try database.store.write { writer in
                try writer.insert(CallLog(callId: "parent-\(reads)", number: "+14155550199", direction: "outbound", fromUri: nil, toUri: nil, status: "completed", sipCode: 200, durationSeconds: 0, startedAt: Date(), endedAt: nil, sourceIp: nil))
            }
            reads += 1
        }
        _ = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(try database.store.read { try $0.callLogCount(number: "+14155550123") } == 400)
        #expect(try database.store.read { try $0.callLogCount(number: "+14155550199") } == reads)
    }

    @Test func aKilledWriterLosesNoAcknowledgedRow() throws {
        let database = try TestDatabase()
        var generator = SystemRandomNumberGenerator()
        var acknowledged: [String] = []
        for round in 0..<25 {
            let (process, output) = try Self.writer(database.path, prefix: "kill\(round)", count: 100_000)
            let target = Int.random(in: 1...60, using: &generator)
            let lines = Self.readLines(output) { $0 >= target }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            acknowledged += lines
            // The database opens cleanly after every kill, and every acknowledged row is there.
            let reopened = try TrunkDatabase(path: database.path)
            let missing = try reopened.read { reader in try lines.filter { try reader.callLog(callId: $0) == nil } }
            #expect(missing.isEmpty, "round \(round): acknowledged but lost: \(missing)")
        }
        #expect(acknowledged.count >= 25)
        let final = try TrunkDatabase(path: database.path)
        #expect(try final.read { reader in try acknowledged.allSatisfy { try reader.callLog(callId: $0) != nil } })
    }

    @Test func keysetPagesWalkTheWholeHistoryNewestFirst() throws {
        let database = try TestDatabase()
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        try database.store.write { writer in
            for index in 0..<237 {
                try writer.insert(CallLog(callId: "c\(index)", number: "+14155550123", direction: "inbound", fromUri: nil, toUri: nil, status: "completed", sipCode: 200, durationSeconds: 1, startedAt: start.addingTimeInterval(Double(index / 3)), endedAt: nil, sourceIp: nil))
            }
        }
        var seen: [String] = []
        var cursor: CallLogCursor?
        repeat {
            let page = try database.store.read { try $0.callLogs(number: "+14155550123", limit: 50, after: cursor) }
            seen += page.map(\.callId)
            cursor = page.count == 50 ? page.last.map { CallLogCursor(startedAt: $0.startedAt, id: $0.id!) } : nil
        } while cursor != nil
        #expect(seen.count == 237)
        #expect(Set(seen).count == 237)
        #expect(seen.first == "c236")
        #expect(seen.last == "c0")
    }
}
