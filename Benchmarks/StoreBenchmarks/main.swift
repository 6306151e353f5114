// Call-log pagination on a large history.
//
//   swift run -c release StoreBenchmarks [ROWS]      (default 1,000,000)
//
// Builds a database with ROWS call logs for one number, then times fetching page 1 and page 10,000 (50 calls a
// page) by keyset cursor. Keyset pagination should make both cost the same: the index leads straight to the page.
import Benchmark
import Foundation
import TrunkStore

let rows = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 1_000_000
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("siptrunk-bench-\(UUID().uuidString)")
let path = directory.appendingPathComponent("calls.sqlite").path
let store = try! TrunkDatabase(path: path)
let number = "+14155550123"
let start = Date(timeIntervalSince1970: 1_700_000_000)

let building = Date()
let batchSize = 50_000

func call(_ index: Int) -> CallLog {
    let startedAt: Date = start.addingTimeInterval(Double(index) * 7)
    let direction = index % 3 == 0 ? "outbound" : "inbound"
    return CallLog(
        callId: "bench-\(index)@sbc.example", number: number, direction: direction,
        fromUri: "sip:+16505550100@carrier.example", toUri: "sip:\(number)@sbc.example", status: "completed",
        sipCode: 200, durationSeconds: Double(index % 600), startedAt: startedAt, endedAt: nil, sourceIp: "198.51.100.7")
}

for batchStart in stride(from: 0, to: rows, by: batchSize) {
    let calls = (batchStart..<min(rows, batchStart + batchSize)).map(call)
    try! store.write { writer in try writer.insert(calls) }
}
let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
print(String(format: "built %d call logs in %.1f s; database %.1f MiB", rows, Date().timeIntervalSince(building), Double(size) / 1_048_576))

let pageSize = 50
let deepPage = min(10_000, rows / pageSize - 1)
let deepCursor = try! store.read { try $0.callLogCursor(number: number, page: deepPage, pageSize: pageSize) }

benchmark("call logs page 1 (50 rows)") {
    let page = try! store.read { try $0.callLogs(number: number, limit: pageSize, after: nil) }
    precondition(page.count == pageSize)
}

benchmark("call logs page \(deepPage + 1) (50 rows, by cursor)") {
    let page = try! store.read { try $0.callLogs(number: number, limit: pageSize, after: deepCursor) }
    precondition(page.count == pageSize)
}

Benchmark.main(customDefaults: [TimeUnit(.us), Columns(["name", "median", "min", "std", "iterations"]), MinTime(seconds: 2)])
try? FileManager.default.removeItem(at: directory)
