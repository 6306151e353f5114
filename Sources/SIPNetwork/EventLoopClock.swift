import Foundation
import NIOCore

/// Time on a SwiftNIO event loop: monotonic time from `NIODeadline`, and one-shot timers.
///
/// The engine starts and cancels two or three timers per transaction (E/F, then K), most of them cancelled long
/// before they fall due. Handing each to `scheduleTask` makes SwiftNIO's scheduler the hot spot of a probe flood
/// (its cancellation searches its heap). So the clock keeps its own binary heap with O(1) cancellation (a flag;
/// cancelled entries are skipped, and swept out when they outnumber the live ones) and arms a single SwiftNIO task
/// for the earliest deadline. Everything runs on `eventLoop`.
public final class EventLoopClock: @unchecked Sendable {
    public let eventLoop: EventLoop
    private let origin = NIODeadline.now()
    private var heap: [Entry] = []
    private var sequence: UInt64 = 0
    /// Cancelled timers still in the heap, counted by the timers themselves (a strong reference to a counter
    /// rather than a weak one to the clock: a weak reference costs each timer a side-table allocation).
    private let cancellations = CancellationCount()
    private var cancelledInHeap: Int {
        get { cancellations.value }
        set { cancellations.value = newValue }
    }

    fileprivate final class CancellationCount {
        var value = 0
    }
    private var armed: (due: Duration, task: Scheduled<Void>)?

    public init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    public var now: Duration { .nanoseconds((NIODeadline.now() - origin).nanoseconds) }
    public var wallTime: Double { Date().timeIntervalSince1970 }

    /// Timers waiting to fire (cancelled ones not counted).
    public var pendingCount: Int { heap.count - cancelledInHeap }

    public final class Timer {
        fileprivate var body: (() -> Void)?
        fileprivate let cancellations: CancellationCount

        fileprivate init(body: @escaping () -> Void, cancellations: CancellationCount) {
            self.body = body
            self.cancellations = cancellations
        }

        /// Cancelled timers stay in the heap, skipped when they come up; the clock sweeps them out when they
        /// are most of it (checked as timers are scheduled).
        public func cancel() {
            guard body != nil else { return }
            body = nil
            cancellations.value += 1
        }
    }

    struct Entry {
        var due: Duration
        var sequence: UInt64
        var timer: Timer

        func precedes(_ other: Entry) -> Bool { (due, sequence) < (other.due, other.sequence) }
    }

    /// Runs `body` on the loop after `delay`, unless the timer is cancelled first.
    public func schedule(after delay: Duration, _ body: @escaping () -> Void) -> Timer {
        eventLoop.assertInEventLoop()
        let timer = Timer(body: body, cancellations: cancellations)
        sweepIfMostlyCancelled()
        sequence += 1
        push(Entry(due: now + max(delay, .zero), sequence: sequence, timer: timer))
        arm()
        return timer
    }

    /// Makes sure one SwiftNIO task is set for the earliest live deadline.
    private func arm() {
        while let first = heap.first, first.timer.body == nil {
            _ = pop()
            cancelledInHeap -= 1
        }
        guard let first = heap.first else {
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
        while let first = heap.first, first.due <= current {
            let entry = pop()
            guard let body = entry.timer.body else {
                cancelledInHeap -= 1
                continue
            }
            entry.timer.body = nil
            body()
        }
        arm()
    }

    private func sweepIfMostlyCancelled() {
        guard cancelledInHeap > 1024, cancelledInHeap * 2 > heap.count else { return }
        heap.removeAll { $0.timer.body == nil }
        cancelledInHeap = 0
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
    }

    private func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func pop() -> Entry {
        let first = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return first
    }

    private func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            if left + 1 < heap.count, heap[left + 1].precedes(heap[left]) { smallest = left + 1 }
            guard heap[smallest].precedes(heap[parent]) else { return }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
