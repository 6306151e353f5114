import Foundation
import TrunkCore

/// The dashboard's own monitor, started when nobody else monitors (checked every few seconds on its queue).
/// `@unchecked Sendable`: `runner` is touched on `queue` only.
public final class EmbeddedMonitor: @unchecked Sendable {
    public let queue = DispatchQueue(label: "siptrunk.dashboard.monitor")
    private let make: () -> MonitorRunner
    /// Touched on `queue` only.
    private var runner: MonitorRunner?

    public init(make: @escaping () -> MonitorRunner) { self.make = make }

    public func startIfNobodyMonitors(_ service: SIPTrunkService) {
        queue.async { [self] in
            guard runner == nil, (try? service.activeMonitor()) == nil else { return }
            let started = make()
            _ = try? started.start()
            runner = started
        }
    }

    public func stop() {
        queue.sync { runner?.stop() }
    }
}
