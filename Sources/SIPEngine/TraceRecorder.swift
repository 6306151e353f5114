import SIPCore

/// One SIP message as it crossed the wire, with both clocks, both ends and its exact bytes.
public struct TraceEntry: Sendable, Hashable {
    public enum Direction: String, Sendable, Hashable {
        case sent, received
    }

    public var direction: Direction
    /// Monotonic time, for ordering and intervals.
    public var monotonic: Duration
    /// Seconds since 1970, for display.
    public var wallTime: Double
    public var local: PeerAddress
    public var remote: PeerAddress
    public var raw: [UInt8]
    /// The Call-ID, when the bytes parsed far enough to have one.
    public var callID: String?
    /// Set when a received message was not handed to any transaction, with the reason
    /// (malformed, a stray response, a foreign Via); such messages stay in the trace.
    public var dropReason: String?
}

/// Records every message sent and received; the ladder diagram, call logs and trace export read from it.
public final class TraceRecorder {
    public private(set) var entries: [TraceEntry] = []
    /// Called for each new entry (live views, persistence).
    public var onRecord: ((TraceEntry) -> Void)?
    /// Oldest entries are dropped beyond this many, so a long-running monitor does not grow without bound.
    public var capacity: Int

    public init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    /// Whether entries are kept or watched at all (a probe flood keeps none; the layer then builds none).
    public var isRecording: Bool { capacity > 0 || onRecord != nil }

    func record(_ entry: TraceEntry) {
        entries.append(entry)
        // Trim in chunks of a quarter of the capacity: dropping one entry per record would shift the whole
        // array each time once full (a probe flood records two entries per probe).
        if entries.count > capacity + max(1, capacity / 4) { entries.removeFirst(entries.count - capacity) }
        onRecord?(entry)
    }

    /// The newest `capacity` entries (the array may hold a few more between trims).
    public var recent: ArraySlice<TraceEntry> { entries.suffix(capacity) }

    /// Every entry of one Call-ID, in wire order.
    public func messages(callID: String) -> [TraceEntry] {
        entries.filter { $0.callID == callID }
    }

    /// Call-IDs in the order they were first seen.
    public var callIDs: [String] {
        var seen: Set<String> = []
        return entries.compactMap(\.callID).filter { seen.insert($0).inserted }
    }
}
