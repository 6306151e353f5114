// A writer for the store's process-level tests.
//
//   StoreTorture DB_PATH PREFIX COUNT
//
// Inserts COUNT call-log rows with call ids PREFIX-0, PREFIX-1, ..., one transaction each, and after each commit
// returns prints the id on its own line and flushes: a line on stdout means the row was acknowledged.
import Foundation
import TrunkStore

let arguments = CommandLine.arguments
guard arguments.count == 4, let count = Int(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: StoreTorture DB_PATH PREFIX COUNT\n".utf8))
    exit(2)
}
do {
    let store = try TrunkDatabase(path: arguments[1])
    for index in 0..<count {
        let callId = "\(arguments[2])-\(index)"
        try store.write { writer in
            try writer.insert(
                CallLog(
                    callId: callId, number: "+14155550123", direction: "inbound", fromUri: "sip:a@b", toUri: "sip:c@d",
                    status: "completed", sipCode: 200, durationSeconds: 1, startedAt: Date(), endedAt: Date(), sourceIp: "192.0.2.1"))
        }
        FileHandle.standardOutput.write(Data((callId + "\n").utf8))
    }
} catch {
    FileHandle.standardError.write(Data("StoreTorture: \(error)\n".utf8))
    exit(1)
}
