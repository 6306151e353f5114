import Foundation
import Synchronization
import TUIKit
import TrunkCore

/// The SIP dashboard on a terminal: runs `DashboardState`'s effects and draws it. It re-reads the database every
/// few seconds, so what a monitor in another process writes shows up without a key press (and only changed cells
/// go over the wire). Reads and writes run on `work` (a serial queue in the program, so the terminal never waits on
/// the database or a file) and come back through `post` as events.
/// `@unchecked Sendable`: its state is touched only on the terminal's thread — other threads reach it only through
/// `post`, which runs the closure there.
public final class DashboardScreen: TerminalApplication, ClipboardSource, @unchecked Sendable {
    let service: SIPTrunkService
    let now: @Sendable () -> Date
    /// Runs I/O away from the screen's thread, in order (immediate by default, as tests and benchmarks want).
    let work: @Sendable (@escaping @Sendable () -> Void) -> Void
    /// Runs work on the screen's thread (the backend's `post`; immediate by default).
    let post: @Sendable (@escaping @Sendable () -> Void) -> Void

    private(set) var state: DashboardState
    /// Where the lists and forms are scrolled to: the view's memory, not the state's.
    private var scroll = DashboardView.Scroll()
    /// Copies asked for (sent by the terminal as OSC 52).
    public private(set) var clipboardRequests: [String] = []
    /// Set once the dashboard quits: reads still queued are dropped (nobody will see them), writes still run, so
    /// quitting waits for at most the job in progress and what must be saved.
    private let quitting = Atomic<Bool>(false)
    /// The Letter of Authorization's SHA-256 (the runtime renders the PDF; the executable wires it).
    public var letterDigest: @Sendable (PortLetter) -> String = { _ in "" }

    public var views: [HealthView] { state.views }
    public var detail: HealthView? { state.detail }
    /// Set when the dashboard was left to set up a new trunk (the `a` key).
    public var wantsNewTrunk: Bool { state.wantsNewTrunk }

    public var minimumSize: (width: Int, height: Int) { (72, 20) }
    public var wantsToQuit: Bool { quitting.load(ordering: .sequentiallyConsistent) }
    public var timerInterval: Int? { 1000 }

    public init(
        service: SIPTrunkService, refreshSeconds: Int = 5, now: @escaping @Sendable () -> Date = Date.init,
        work: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void = { $0() },
        post: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void = { $0() }
    ) {
        self.service = service
        self.now = now
        self.work = work
        self.post = post
        state = DashboardState(refreshSeconds: refreshSeconds)
        send(.opened)
    }

    /// Reads the database again (as F5 and the timer do).
    public func reload() { send(.reload) }

    public func timerFired() { send(.tick) }

    public func handle(_ key: Key) -> ScreenCommand { send(.key(key)) }

    public func paste(_ text: String) { send(.paste(text)) }

    public func render(into frame: inout Frame, tick: Int) {
        if state.size?.width != frame.width || state.size?.height != frame.height || state.glyphs.blockFull != frame.glyphs.blockFull {
            send(.resized(width: frame.width, height: frame.height, glyphs: frame.glyphs))
        }
        state.draw(now: now(), scroll: &scroll, into: &frame)
    }

    /// Feeds one event to the state and runs the effects it asks for.
    @discardableResult
    func send(_ event: DashboardState.Event) -> ScreenCommand {
        var command = ScreenCommand.continue
        for effect in state.handle(event, at: now()) {
            switch effect {
            case .quit:
                quitting.store(true, ordering: .sequentiallyConsistent)
                command = .quit
            case .copyToClipboard(let text): clipboardRequests.append(text)
            case .job(let job):
                let (service, letterDigest) = (self.service, self.letterDigest)
                work { [weak self] in
                    if !job.writes, self?.quitting.load(ordering: .sequentiallyConsistent) ?? true { return }
                    let reply = Self.run(job, service: service, letterDigest: letterDigest)
                    self?.post { [weak self] in self?.send(.reply(reply)) }
                }
            }
        }
        return command
    }

    /// Does one job through the use cases (on the work queue).
    static func run(_ job: DashboardState.Job, service: SIPTrunkService, letterDigest: (PortLetter) -> String) -> DashboardState.Reply {
        typealias Failure = DashboardState.Failure
        func failure(_ error: TrunkError) -> Failure { Failure(error.messages.joined(separator: "; ")) }
        let actor = "siptrunk dashboard (uid \(getuid()))"
        switch job {
        case .overview:
            do throws(TrunkError) {
                let overview = DashboardState.Overview(
                    views: try service.healthOverview(), trunkCount: try service.trunkCount(), monitorOwner: try service.activeMonitor(),
                    openAlerts: try service.alerts(limit: 1000).count)
                return .overview(.success(overview))
            } catch {
                return .overview(.failure(failure(error)))
            }
        case .figures(let ids): return .figures((try? service.healthFigures(configIds: ids, recent: 20)) ?? [:])
        case .health(let configId): return .health(configId: configId, try? service.health(configId: configId))
        case .healthExtras(let trunkId, let number, let outbound):
            return .healthExtras(
                number: number, (try? service.registration(trunkId: trunkId)) ?? nil, outbound ? try? service.failoverView(number: number) : nil)
        case .firewall: return .firewall(try? service.firewall(region: nil))
        case .advanced(let number, let direction): return .advanced(number: number, direction: direction, try? service.advancedConfig(number: number, direction: direction))
        case .tracedCalls(let number): return .tracedCalls(number: number, (try? service.tracedCalls(number: number)) ?? [])
        case .trace(let callId): return .trace(callId: callId, (try? service.trace(callId: callId)) ?? [])
        case .logs(let number, let cursor, let filter):
            return .logs(
                number: number, try? service.callLogPage(number: number, after: cursor, matching: filter),
                capture: (try? service.captureSources())?.first)
        case .alerts: return .alerts(Result { () throws(TrunkError) in try service.alerts(all: true, limit: 200) }.mapError(failure))
        case .alert(let id): return .alert(id: id, try? service.alert(id: id))
        case .acknowledge(let id):
            do throws(TrunkError) {
                _ = try service.acknowledgeAlert(id: id, by: actor)
                return .acknowledged(id: id, nil)
            } catch {
                return .acknowledged(id: id, failure(error))
            }
        case .openAlertCount: return .openAlertCount(try? service.alerts(limit: 1000).count)
        case .portRequests: return .portRequests(Result { () throws(TrunkError) in try service.portRequests() }.mapError(failure))
        case .failback(let number):
            return .failback(number: number, Result { () throws(TrunkError) in try service.switchEndpoint(number: number, to: .primary, actor: actor) }.mapError(failure))
        case .editorConfig(let section, let number, let direction):
            return .editorConfig(section, Result { () throws(TrunkError) in try service.advancedConfig(number: number, direction: direction) }.mapError(failure))
        case .saveConfig(let patch):
            return .configSaved(patch, Result { () throws(TrunkError) in try service.updateAdvancedConfig(patch) })
        case .exportTrace(let base, let title, let trace):
            do {
                try TraceExport.text(trace).write(toFile: base + ".txt", atomically: true, encoding: .utf8)
                try TraceExport.markdown(trace, title: title).write(toFile: base + ".md", atomically: true, encoding: .utf8)
                try Data(TraceExport.pcap(trace)).write(to: URL(fileURLWithPath: base + ".pcap"))
                return .traceExported(base: base, nil)
            } catch {
                return .traceExported(base: base, Failure(error.localizedDescription))
            }
        case .port(let job): return .port(PortWizard.run(job, service: service, letterDigest: letterDigest))
        }
    }
}
