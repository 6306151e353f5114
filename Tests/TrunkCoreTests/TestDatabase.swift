import Foundation
import TrunkCore
import TrunkStore

/// A fresh database file in a temporary directory, removed when the test ends.
final class TestDatabase {
    let directory: URL
    let store: TrunkDatabase
    var path: String { store.path }

    init(prepare: Bool = true) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("siptrunk-test-\(UUID().uuidString)")
        store = try TrunkDatabase(path: directory.appendingPathComponent("siptrunk.sqlite").path)
        if prepare {
            try Installation.prepare(store, host: .init(hostName: "sbc.test", ipv4: ["192.0.2.10"], ipv6: ["2001:db8::10"]))
        }
    }

    var service: SIPTrunkService { SIPTrunkService(store: store) }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }
}
