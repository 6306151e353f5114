import Foundation
import Testing
@testable import TrunkCore
import TrunkStore

/// The trace viewer's call list from stored traces, and the exports of one call.
struct TraceCatalogTests {
    func service() throws -> SIPTrunkService {
        let store = try TrunkDatabase(path: NSTemporaryDirectory() + "siptrunk-catalog-\(UUID().uuidString).sqlite")
        try Installation.prepare(store, host: Installation.HostFacts(hostName: "t", ipv4: ["192.0.2.1"], ipv6: []))
        let lines: [(String, Bool, String)] = [
            ("a@x", true, "INVITE sip:+1@x SIP/2.0"), ("a@x", false, "SIP/2.0 100 Trying"), ("b@x", true, "OPTIONS sip:x SIP/2.0"),
            ("a@x", false, "SIP/2.0 486 Busy Here"), ("b@x", false, "SIP/2.0 200 OK"), ("a@x", true, "ACK sip:+1@x SIP/2.0"),
        ]
        try store.write { writer in
            for (index, line) in lines.enumerated() {
                try writer.insert(TraceMessage(
                    sipCallId: line.0, monotonicNs: Int64(index) * 1_000_000, wallTime: Date(timeIntervalSince1970: 1_800_000_000 + Double(index)),
                    direction: line.1 ? "sent" : "received", transport: "udp", localAddress: "192.0.2.1:5060", remoteAddress: "198.51.100.7:5060",
                    raw: Data((line.2 + "\r\nCall-ID: \(line.0)\r\nContent-Length: 0\r\n\r\n").utf8)))
            }
        }
        return SIPTrunkService(store: store)
    }

    @Test func callsAreListedWithMethodFinalCodeAndCount() throws {
        let catalog = try service().traceCatalog()
        #expect(catalog.map(\.callId) == ["a@x", "b@x"])
        #expect(catalog[0].method == "INVITE" && catalog[0].finalCode == 486 && catalog[0].messageCount == 4)
        #expect(catalog[1].method == "OPTIONS" && catalog[1].finalCode == 200 && catalog[1].messageCount == 2)
        // A limit keeps the newest messages.
        #expect(try service().traceCatalog(limit: 2).map(\.messageCount).reduce(0, +) == 2)
    }

    @Test func exportsCarryEveryMessage() throws {
        let trace = try service().trace(callId: "a@x")
        let text = TraceExport.text(trace)
        #expect(text.components(separatedBy: "=== ").count - 1 == 4)
        #expect(text.contains("192.0.2.1:5060 → 198.51.100.7:5060"))
        let pcap = TraceExport.pcap(trace)
        #expect(Array(pcap.prefix(4)) == [0xD4, 0xC3, 0xB2, 0xA1])
        // Global header (24) + per message a record header (16), IPv4 (20), UDP (8) and the message.
        #expect(pcap.count == 24 + trace.reduce(0) { $0 + 16 + 20 + 8 + $1.raw.count })
        let markdown = TraceExport.markdown(trace, title: "t")
        #expect(markdown.contains("P0->>P1: INVITE sip#58;+1@x SIP/2.0") && markdown.contains("P1->>P0: SIP/2.0 486 Busy Here"))
    }

    @Test func searchByResponseClassMethodCallIdOrAddress() throws {
        let trace = try service().trace(callId: "a@x")
        #expect(trace.filter(TraceFilter("4xx").matches).count == 1)
        #expect(trace.filter(TraceFilter("1xx").matches).count == 1)
        #expect(trace.filter(TraceFilter("INVITE").matches).count == 1)
        #expect(trace.filter(TraceFilter("ACK").matches).count == 1)
        #expect(trace.filter(TraceFilter("a@x").matches).count == 4)
        #expect(trace.filter(TraceFilter("198.51.100").matches).count == 4)
        #expect(trace.filter(TraceFilter("busy").matches).count == 1)
        #expect(trace.filter(TraceFilter("").matches).count == 4)
        #expect(trace.filter(TraceFilter("nothing-like-this").matches).isEmpty)
    }

    @Test func addressesAsTheEngineRecordsThemSplitIntoHostAndPort() {
        #expect(AddressText.split("udp:127.0.0.1:5060")! == ("127.0.0.1", 5060))
        #expect(AddressText.split("tls:[2001:db8::1]:5061")! == ("2001:db8::1", 5061))
        #expect(AddressText.split("192.0.2.40:5061")! == ("192.0.2.40", 5061))
        #expect(AddressText.split("2001:db8::1") == nil)
        #expect(AddressText.split("pbx.example") == nil)
        #expect(AddressText.host(of: "tcp:[::1]:5060") == "[::1]")
        #expect(AddressText.host(of: "udp:10.0.0.1:5060") == "10.0.0.1")
        // An engine-format trace becomes IPv4 and IPv6 datagrams.
        #expect(TraceExport.datagram(from: "udp:127.0.0.1:5060", to: "udp:127.0.0.2:5070", payload: [1])?.count == 20 + 8 + 1)
        #expect(TraceExport.datagram(from: "tls:[::1]:5061", to: "tls:[::1]:40000", payload: [1])?.count == 40 + 8 + 1)
    }
}
