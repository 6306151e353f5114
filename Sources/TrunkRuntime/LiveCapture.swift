import Foundation
import SIPNetwork
import TrunkCore

/// Live capture on an interface (libpcap) feeding a capture ingestor, on a thread of its own: what `siptrunk capture
/// -i` runs. The decoder's skip reasons reach the source's counters as they grow; libpcap's drop count is the kernel's.
/// `@unchecked Sendable`: `running` is guarded by `lock`; the capture thread owns the source.
public final class LiveCapture: @unchecked Sendable {
    public let source: PcapSource
    public let ingestor: CaptureIngestor
    private let lock = NSLock()
    private var running = false
    private var reader: Thread?

    public init(service: SIPTrunkService, interface: String, filter: String?, settings: CaptureIngestor.Settings = .init()) throws {
        do {
            source = try PcapSource(interface: interface, filter: filter)
        } catch {
            throw RuntimeError.refused(error.message)
        }
        ingestor = try CaptureIngestor(service: service, sourceId: "pcap:\(interface)", kind: "live", settings: settings)
        ingestor.kernelDrops = { [source] in source.kernelDrops }
    }

    public func start() {
        ingestor.start()
        lock.withLock { running = true }
        let thread = Thread { [self] in
            var reported: [String: Int] = [:]
            while lock.withLock({ running }) {
                // At most 100 ms per read (libpcap's timeout), so a stop is seen promptly.
                let packets = source.next(limit: 4096) ?? []
                ingestor.submit(packets.map(CapturedMessage.init))
                let skipped = source.decoder.skipped
                var delta: [String: Int] = [:]
                for (reason, count) in skipped where count > reported[reason, default: 0] { delta[reason] = count - reported[reason, default: 0] }
                ingestor.skipped(delta)
                reported = skipped
            }
        }
        thread.name = "siptrunk-live-capture"
        reader = thread
        thread.start()
    }

    public var counters: CaptureSource { ingestor.counters }

    public func stop() -> CaptureSource {
        lock.withLock { running = false }
        source.stop()
        if let reader {
            for _ in 0..<100 where reader.isExecuting { Thread.sleep(forTimeInterval: 0.01) }
        }
        reader = nil
        return ingestor.stop()
    }
}

/// `siptrunk trace import FILE`: a pcap or pcapng file's SIP messages through a capture ingestor, to the end.
public enum PcapImport {
    public struct Result: Sendable {
        public var counters: CaptureSource
        public var frames: Int
        public var skipped: [String: Int]
        public var truncation: String?
    }

    public static func run(file: String, service: SIPTrunkService, settings: CaptureIngestor.Settings = .init()) throws -> Result {
        let source: PcapSource
        do {
            source = try PcapSource(file: file)
        } catch {
            throw RuntimeError.refused(error.message)
        }
        let ingestor = try CaptureIngestor(service: service, sourceId: "file:\(file)", kind: "file", settings: settings)
        while let packets = source.next(limit: 20_000) {
            ingestor.submit(packets.map(CapturedMessage.init))
            ingestor.flush()
        }
        ingestor.skipped(source.decoder.skipped)
        return Result(counters: ingestor.stop(), frames: source.frames, skipped: source.decoder.skipped, truncation: source.truncation)
    }
}
