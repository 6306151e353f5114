import Foundation
import SIPCore
import SIPNetwork
import SIPRuntime
import TrunkCore

/// A HEP listener feeding a capture ingestor: what `siptrunk capture --hep` and `siptrunk monitor --hep` run.
/// `@unchecked Sendable`: its mutable state is guarded by `lock`.
public final class HEPCapture: @unchecked Sendable {
    public let listener: HEPListener
    public let ingestor: CaptureIngestor
    private let lock = NSLock()
    private var reported: [String: Int] = [:]

    public init(
        service: SIPTrunkService, host: String, port: Int, password: String?, settings: CaptureIngestor.Settings = .init()
    ) throws(TrunkError) {
        let sourceId = "hep:\(IPAddress.reference(host)):\(port)"
        let ingestor = try CaptureIngestor(service: service, sourceId: sourceId, kind: "hep", settings: settings)
        self.ingestor = ingestor
        listener = HEPListener(host: host, port: port, password: password, group: NetworkProber.sharedGroup) { packet in ingestor.submit([CapturedMessage(packet)]) }
        ingestor.kernelDrops = { [listener] in listener.current.kernelDrops }
        ingestor.refusals = { [weak self] in self?.newRefusals() ?? [:] }
    }

    /// The listener's refusals since the last call (its counters only grow).
    private func newRefusals() -> [String: Int] {
        let now = listener.current.refused
        return lock.withLock {
            var delta: [String: Int] = [:]
            for (reason, count) in now where count > reported[reason, default: 0] { delta[reason] = count - reported[reason, default: 0] }
            reported = now
            return delta
        }
    }

    /// Binds UDP (and TCP for HEP3 streams) and starts writing; throws `RuntimeError` when the address cannot be used.
    public func start(tcp: Bool, receiveBuffer: Int = 16 << 20) throws {
        do {
            try listener.startUDP(receiveBuffer: receiveBuffer)
            if tcp { try listener.startTCP() }
        } catch {
            listener.stop()
            throw RuntimeError.refused("\(error)")
        }
        ingestor.start()
    }

    public var counters: CaptureSource { ingestor.counters }

    /// Stops listening, writes what is queued, closes the open calls.
    public func stop() -> CaptureSource {
        listener.stop()
        return ingestor.stop()
    }
}
