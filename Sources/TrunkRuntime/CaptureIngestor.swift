import Foundation
import SIPCore
import SIPNetwork
import TrunkCore

/// Captured SIP messages into the store (issue 16), for every source — the HEP listener, live capture, `trace
/// import`: messages wait in a bounded queue, a writer thread assembles them into calls (`CallAssembler`) and writes
/// each batch in one transaction, retention prunes in small steps between batches so ingestion never stalls, and
/// every count is kept in the source's row: received, stored, skipped (with the last reason), dropped by the kernel.
/// `@unchecked Sendable`: the queued messages, the counters and `running` are guarded by `lock`; the assembler and the
/// unwritten output belong to the writer thread; the callbacks are set before `start`.
public final class CaptureIngestor: @unchecked Sendable {
    public struct Settings: Sendable {
        public var retention = CaptureRetention()
        /// A batch is written at least this often.
        public var batchInterval: TimeInterval = 0.1
        /// Messages waiting at most; more are counted as skipped ("ingestion queue full"), never held without bound.
        public var maximumQueue = 500_000
        /// How often the trunks' numbers are read again (numbers attached while capturing).
        public var directoryRefresh: TimeInterval = 10
        /// How often a retention step runs.
        public var pruneInterval: TimeInterval = 5

        public init() {}
    }

    public let service: SIPTrunkService
    public let settings: Settings
    private let lock = NSLock()
    private let wake = NSCondition()
    private var queue: [CapturedMessage] = []
    private var source: CaptureSource
    private var assembler: CallAssembler
    private var running = false
    private var writer: Thread?
    private var lastDirectory = Date()
    private var lastPrune = Date.distantPast
    private var storeFailure: String?
    /// A batch the store refused (busy): written with the next one, so nothing assembled is lost.
    private var unwritten = CallAssembler.Output()
    /// Reads the kernel's drop count from the source (HEP UDP socket, libpcap).
    public var kernelDrops: (@Sendable () -> Int)?
    /// Refusals a source counted since it was last asked (HEP: bad packets, a wrong password), read before each batch.
    public var refusals: (@Sendable () -> [String: Int])?
    /// Called after each batch is committed, with the source's counters (on the writer thread).
    public var onCommit: (@Sendable (CaptureSource) -> Void)?

    public init(service: SIPTrunkService, sourceId: String, kind: String, settings: Settings = Settings()) throws(TrunkError) {
        self.service = service
        self.settings = settings
        let now = Date()
        source = CaptureSource(id: sourceId, kind: kind, startedAt: now, updatedAt: now)
        assembler = CallAssembler(directory: try service.numberDirectory())
    }

    /// The counters as last committed (or being built).
    public var counters: CaptureSource { lock.withLock { source } }

    /// Why the last write failed, if the store is refusing writes (the batch waits and is retried).
    public var failure: String? { lock.withLock { storeFailure } }

    /// Queues messages from any thread; beyond the queue's bound they are counted as skipped.
    public func submit(_ messages: [CapturedMessage]) {
        guard !messages.isEmpty else { return }
        let waiting = lock.withLock { () -> Int in
            source.received += messages.count
            let room = max(0, settings.maximumQueue - queue.count)
            queue += messages.prefix(room)
            if messages.count > room {
                source.skipped += messages.count - room
                source.lastSkipReason = "ingestion queue full (\(settings.maximumQueue) messages waiting): the database is slower than the traffic"
            }
            return queue.count
        }
        if waiting >= 5_000 { wake.signal() }
    }

    /// Counts things a source refused before they became messages (not SIP, bad HEP, wrong password, ...).
    public func skipped(_ reasons: [String: Int]) {
        guard !reasons.isEmpty else { return }
        lock.withLock {
            for (reason, count) in reasons where count > 0 {
                source.received += count
                source.skipped += count
                source.lastSkipReason = reason
            }
        }
    }

    /// Starts the writer thread.
    public func start() {
        lock.withLock { running = true }
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                wake.lock()
                _ = wake.wait(until: Date().addingTimeInterval(settings.batchInterval))
                wake.unlock()
                flush()
            }
        }
        thread.name = "siptrunk-capture-writer"
        writer = thread
        thread.start()
    }

    /// Writes what is queued now (the writer thread calls it; `trace import` calls it directly). Returns false when
    /// the store refused the batch (it stays queued for the next try).
    @discardableResult
    public func flush() -> Bool {
        if let reasons = refusals?() { skipped(reasons) }
        let batch: [CapturedMessage] = lock.withLock {
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
        if Date().timeIntervalSince(lastDirectory) >= settings.directoryRefresh, let directory = try? service.numberDirectory() {
            assembler.directory = directory
            lastDirectory = Date()
        }
        let output = assembler.ingest(batch)
        lock.withLock {
            source.skipped += output.skipped.count
            if let reason = output.skipped.last { source.lastSkipReason = reason }
        }
        return commit(output)
    }

    private func commit(_ output: CallAssembler.Output) -> Bool {
        var pending = unwritten
        pending.traces += output.traces
        pending.calls += output.calls
        // Bounded even while the store refuses: the oldest unwritten messages are given up, and counted.
        if pending.traces.count > settings.maximumQueue {
            let excess = pending.traces.count - settings.maximumQueue
            pending.traces.removeFirst(excess)
            lock.withLock {
                source.skipped += excess
                source.lastSkipReason = "the database refused writes for too long: \(excess) messages given up"
            }
        }
        let drops = kernelDrops?()
        let snapshot = lock.withLock { () -> CaptureSource in
            var next = source
            next.stored += pending.traces.count
            next.calls = assembler.callsStarted
            if let drops { next.kernelDrops = drops }
            next.updatedAt = Date()
            return next
        }
        let counters = [snapshot.received, snapshot.skipped, snapshot.kernelDrops]
        guard !pending.traces.isEmpty || !pending.calls.isEmpty || counters != lastWritten else { return true }
        do {
            try service.storeCapture(traces: pending.traces, calls: pending.calls, source: snapshot)
        } catch {
            // Nothing assembled is lost: the batch is written with the next one. Only what committed counts as stored.
            unwritten = pending
            lock.withLock { storeFailure = error.description }
            return false
        }
        unwritten = CallAssembler.Output()
        lock.withLock {
            // Only what this write settled: submissions since the snapshot keep their counts.
            source.stored = snapshot.stored
            source.calls = snapshot.calls
            source.kernelDrops = snapshot.kernelDrops
            source.updatedAt = snapshot.updatedAt
            storeFailure = nil
        }
        lastWritten = counters
        onCommit?(snapshot)
        prune()
        return true
    }

    /// Received, skipped and dropped as last written: a batch with no message still updates them when they moved.
    private var lastWritten: [Int] = []

    /// One retention step when its interval has passed (removing at most 5,000 rows in its own transaction).
    private func prune() {
        guard Date().timeIntervalSince(lastPrune) >= settings.pruneInterval else { return }
        lastPrune = Date()
        if let result = try? service.pruneCapture(settings.retention), result.messages > 0 {
            lock.withLock { source.pruned += result.messages }
            // More to remove: come back at the next batch rather than after the interval.
            if result.messages >= 5_000 { lastPrune = .distantPast }
        }
    }

    /// Stops the writer, writes what is queued and closes the calls still open (answered ones as completed).
    public func stop() -> CaptureSource {
        lock.withLock { running = false }
        wake.signal()
        while writer?.isExecuting == true { Thread.sleep(forTimeInterval: 0.01) }
        writer = nil
        flush()
        let closing = assembler.closeAll()
        if !closing.isEmpty {
            _ = commit(CallAssembler.Output(calls: closing))
        }
        return counters
    }
}

extension CapturedMessage {
    /// A message from a HEP packet: the agent's timestamp (or now), its addresses and transport.
    public init(_ packet: HEPPacket, receivedAt: Date = Date()) {
        let transport: String
        switch packet.transportProtocol {
        case 6: transport = "tcp"
        case 132: transport = "sctp"
        default: transport = "udp"
        }
        self.init(
            time: packet.timestamp.map { Date(timeIntervalSince1970: $0) } ?? receivedAt, source: packet.sourceAddress,
            sourcePort: packet.sourcePort, destination: packet.destinationAddress, destinationPort: packet.destinationPort,
            transport: transport, raw: packet.payload)
    }

    /// A message decoded from a captured frame.
    public init(_ packet: CapturedPacket) {
        self.init(
            time: Date(timeIntervalSince1970: packet.time), source: packet.source, sourcePort: packet.sourcePort,
            destination: packet.destination, destinationPort: packet.destinationPort, transport: packet.transport, raw: packet.payload)
    }
}
