import Foundation
import NIOCore

/// Time on a SwiftNIO event loop: monotonic time from `NIODeadline`, and one-shot timers.
///
/// The engine starts and cancels two or three timers per transaction (E and F, most cancelled long before they
/// fall due), and almost all of them with one of a handful of delays (T1, the transaction timeout, T4). Handing
/// each to `scheduleTask` made SwiftNIO's scheduler the hot spot of a probe flood, and a binary heap of our own
/// still cost a logarithmic sift per timer. So timers of one delay go in a lane: a FIFO, since each is due at
/// `now + delay` and now only grows, where scheduling is an append and cancelling sets a flag (cancelled timers
/// are skipped when they reach the front, and compacted away when they are most of the lane). Up to
/// `maximumLanes` delays get a lane; other delays (jittered intervals, one-offs) go in a binary heap. A single
/// SwiftNIO task is armed for the earliest deadline. Everything runs on `eventLoop`.
/// `@unchecked Sendable`: confined to `eventLoop` (above); `schedule` and the timers' `cancel` are called on it.
public final class EventLoopClock: @unchecked Sendable {
    public let eventLoop: EventLoop
    private let origin = NIODeadline.now()
    private var sequence: UInt64 = 0
    private var lanes: [Lane] = []
    private var heap = Heap()
    private var armed: (due: Duration, task: Scheduled<Void>)?

    /// How many distinct delays get a FIFO lane of their own.
    static let maximumLanes = 8

    public init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    public var now: Duration { .nanoseconds((NIODeadline.now() - origin).nanoseconds) }
    public var wallTime: Double { Date().timeIntervalSince1970 }

    /// Timers waiting to fire (cancelled ones not counted).
    public var pendingCount: Int {
        lanes.reduce(heap.entries.count - heap.cancellations.value) { $0 + $1.entries.count - $1.head - $1.cancellations.value }
    }

    public final class Timer {
        fileprivate var body: (() -> Void)?
        fileprivate let due: Duration
        fileprivate let sequence: UInt64
        /// The cancellation count of the lane or heap the timer waits in (a strong reference to a counter, not a
        /// weak one to the clock: a weak reference costs each timer a side-table allocation).
        fileprivate let cancellations: CancellationCount

        fileprivate init(body: @escaping () -> Void, due: Duration, sequence: UInt64, cancellations: CancellationCount) {
            self.body = body
            self.due = due
            self.sequence = sequence
            self.cancellations = cancellations
        }

        public func cancel() {
            guard body != nil else { return }
            body = nil
            cancellations.value += 1
        }

        fileprivate func precedes(_ other: Timer) -> Bool { (due, sequence) < (other.due, other.sequence) }
    }

    fileprivate final class CancellationCount {
        var value = 0
    }

    /// Timers of one delay, oldest first: `entries[head...]` wait, with `cancellations.value` of them cancelled.
    private final class Lane {
        let delay: Duration
        var entries: [Timer] = []
        var head = 0
        let cancellations = CancellationCount()

        init(delay: Duration) { self.delay = delay }

        var isEmpty: Bool { head == entries.count }

        /// Drops cancelled timers from the front; the first live one, if any.
        func front() -> Timer? {
            while head < entries.count {
                let timer = entries[head]
                if timer.body != nil { return timer }
                head += 1
                cancellations.value -= 1
            }
            return nil
        }

        func popFront() -> Timer {
            let timer = entries[head]
            head += 1
            if head > 1024, head * 2 > entries.count {
                entries.removeFirst(head)
                head = 0
            }
            return timer
        }

        func compactIfMostlyCancelled() {
            let waiting = entries.count - head
            guard cancellations.value > 1024, cancellations.value * 2 > waiting else { return }
            entries = entries[head...].filter { $0.body != nil }
            head = 0
            cancellations.value = 0
        }
    }

    /// Timers of other delays, in a binary heap by (due, sequence).
    private struct Heap {
        var entries: [Timer] = []
        let cancellations = CancellationCount()

        mutating func push(_ timer: Timer) {
            entries.append(timer)
            var child = entries.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard entries[child].precedes(entries[parent]) else { break }
                entries.swapAt(child, parent)
                child = parent
            }
        }

        mutating func front() -> Timer? {
            while let first = entries.first, first.body == nil {
                _ = pop()
                cancellations.value -= 1
            }
            return entries.first
        }

        mutating func pop() -> Timer {
            let first = entries[0]
            let last = entries.removeLast()
            if !entries.isEmpty {
                entries[0] = last
                siftDown(0)
            }
            return first
        }

        mutating func compactIfMostlyCancelled() {
            guard cancellations.value > 1024, cancellations.value * 2 > entries.count else { return }
            entries.removeAll { $0.body == nil }
            cancellations.value = 0
            for index in stride(from: entries.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
        }

        mutating func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1
                guard left < entries.count else { return }
                var smallest = left
                if left + 1 < entries.count, entries[left + 1].precedes(entries[left]) { smallest = left + 1 }
                guard entries[smallest].precedes(entries[parent]) else { return }
                entries.swapAt(smallest, parent)
                parent = smallest
            }
        }
    }

    /// Set by `stop`: the loop is shared, so a stopped clock must leave nothing scheduled on it.
    private var stopped = false

    /// Cancels every timer and the armed task; later timers never fire. The loop is shared by other probers, so
    /// what their owner abandoned must not run on it later (on a closed link).
    public func stop() {
        eventLoop.assertInEventLoop()
        stopped = true
        armed?.task.cancel()
        armed = nil
        lanes.removeAll()
        heap = Heap()
    }

    /// Runs `body` on the loop after `delay`, unless the timer is cancelled first.
    public func schedule(after delay: Duration, _ body: @escaping () -> Void) -> Timer {
        eventLoop.assertInEventLoop()
        guard !stopped else {
            let inert = Timer(body: body, due: now, sequence: 0, cancellations: CancellationCount())
            inert.body = nil
            return inert
        }
        let delay = max(delay, .zero)
        sequence += 1
        let due = now + delay
        let timer: Timer
        if let lane = lane(for: delay) {
            lane.compactIfMostlyCancelled()
            timer = Timer(body: body, due: due, sequence: sequence, cancellations: lane.cancellations)
            lane.entries.append(timer)
        } else {
            heap.compactIfMostlyCancelled()
            timer = Timer(body: body, due: due, sequence: sequence, cancellations: heap.cancellations)
            heap.push(timer)
        }
        // A deadline no earlier than the one armed needs no new SwiftNIO task.
        if let armed, armed.due <= due { return timer }
        arm()
        return timer
    }

    private func lane(for delay: Duration) -> Lane? {
        for lane in lanes where lane.delay == delay { return lane }
        guard lanes.count < Self.maximumLanes else { return nil }
        let lane = Lane(delay: delay)
        lanes.append(lane)
        return lane
    }

    /// The earliest live timer: where it waits (a lane's index, or nil for the heap) and the timer.
    private func earliest() -> (lane: Int?, timer: Timer)? {
        var best: (lane: Int?, timer: Timer)?
        var index = 0
        while index < lanes.count {
            guard let front = lanes[index].front() else {
                // An empty lane gives its place to another delay.
                lanes.remove(at: index)
                continue
            }
            if best.map({ front.precedes($0.timer) }) ?? true { best = (index, front) }
            index += 1
        }
        if let top = heap.front(), best.map({ top.precedes($0.timer) }) ?? true { best = (nil, top) }
        return best
    }

    /// Makes sure one SwiftNIO task is set for the earliest live deadline.
    private func arm() {
        guard let first = earliest()?.timer else {
            armed?.task.cancel()
            armed = nil
            return
        }
        if let armed, armed.due <= first.due { return }
        armed?.task.cancel()
        let delay = first.due - now
        let nanoseconds = max(0, delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000)
        let task = eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { [weak self] () -> Void in self?.fire() }
        armed = (first.due, task)
    }

    private func fire() {
        armed = nil
        let current = now
        while let (lane, timer) = earliest(), timer.due <= current {
            if let lane { _ = lanes[lane].popFront() } else { _ = heap.pop() }
            guard let body = timer.body else { continue }
            timer.body = nil
            body()
        }
        arm()
    }
}
