import Foundation
import SIPCore
import Testing
import TrunkCore
import TrunkRuntime
import TrunkStore

/// The ingestion path's promises (issue 16): a busy database delays writes and loses nothing; only what committed
/// counts as stored.
struct CaptureIngestorTests {
    @Test func aBatchTheBusyDatabaseRefusedIsWrittenWithTheNextOne() throws {
        let path = NSTemporaryDirectory() + "siptrunk-ingest-\(UUID().uuidString).sqlite"
        let store = try TrunkDatabase(path: path)
        try Installation.prepare(store, host: .init(hostName: "h", ipv4: [], ipv6: []))
        let service = SIPTrunkService(store: store)
        _ = try service.attach(AttachRequest(phoneNumber: "+14155550100", directions: [.init(type: "inbound")]))
        let ingestor = try CaptureIngestor(service: service, sourceId: "test", kind: "test")
        let messages = try CaptureTests.hepCall("busy-1", password: nil).map { CapturedMessage(try HEPPacket(decoding: $0)) }

        // Another process holds the write lock past the 10 s busy timeout.
        let script = "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None); c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(12); c.execute('COMMIT')"
        let log = path + ".lock.log"
        let holder = try TestProcess.start("/usr/bin/env", ["python3", "-c", script, path], log: log)
        defer { TestProcess.stop(holder) }
        CaptureTests.waitForLog(log, "locked")
        ingestor.submit(messages)
        #expect(ingestor.flush() == false)
        #expect(ingestor.counters.stored == 0 && ingestor.counters.received == 3)
        #expect(ingestor.failure != nil)
        _ = TestProcess.wait(holder)
        #expect(ingestor.flush() == true)
        #expect(ingestor.counters.stored == 3 && ingestor.failure == nil)
        #expect(try service.calls(number: "+14155550100").calls.map(\.status) == ["completed"])
        #expect(try service.trace(callId: "busy-1").count == 3)
    }
}
