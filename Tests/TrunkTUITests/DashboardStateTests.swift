import Foundation
import TUIKit
import Testing
import TrunkCore
import TrunkStore
@testable import TrunkTUI

/// The dashboard's flows as a value, without a terminal: which reads each key asks for, and what happens when the
/// answers arrive late, out of order or for something no longer on screen. Answers come from the demo database
/// through the runner's own `DashboardScreen.run`, so they are real data.
@Suite(.serialized)
struct DashboardStateTests {
    static let now = DashboardGoldenTests.now

    static func service() throws -> SIPTrunkService {
        let path = NSTemporaryDirectory() + "siptrunk-dashboard-state-\(UUID().uuidString).sqlite"
        try FileManager.default.copyItem(atPath: try DashboardGoldenTests.template.get(), toPath: path)
        return SIPTrunkService(store: try TrunkDatabase(path: path), now: { now })
    }

    /// The jobs among `effects`, by name (`overview`, `figures`, ...).
    static func jobs(_ effects: [DashboardState.Effect]) -> [String] {
        effects.compactMap { effect in
            guard case .job(let job) = effect else { return nil }
            return String(String(describing: job).prefix { $0 != "(" })
        }
    }

    /// Runs the jobs against `service` and feeds each answer back, as the runner does (answers asking for more are
    /// answered too).
    static func answer(_ effects: [DashboardState.Effect], _ state: inout DashboardState, _ service: SIPTrunkService) {
        for case .job(let job) in effects {
            let reply = DashboardScreen.run(job, service: service, letterDigest: { _ in "" })
            answer(state.handle(.reply(reply), at: now), &state, service)
        }
    }

    @Test func theTimerDoesNotQueueAReadBehindOneStillRunning() {
        var state = DashboardState(refreshSeconds: 5)
        #expect(Self.jobs(state.handle(.opened, at: Self.now)) == ["overview"])
        // Drawn before any answer: not "no trunks yet".
        var frame = Frame(width: 80, height: 24)
        var scroll = DashboardView.Scroll()
        state.draw(now: Self.now, scroll: &scroll, into: &frame)
        #expect(frame.text.contains("Reading the database…") && !frame.text.contains("No trunks yet"), "\(frame.text)")
        #expect(state.handle(.tick, at: Self.now.addingTimeInterval(1)).isEmpty)
        // Due again, but the first read has not answered: nothing more is queued.
        #expect(state.handle(.tick, at: Self.now.addingTimeInterval(6)).isEmpty)
        let empty = DashboardState.Overview(views: [], trunkCount: 0, monitorOwner: nil, openAlerts: 0)
        _ = state.handle(.reply(.overview(.success(empty))), at: Self.now.addingTimeInterval(7))
        #expect(Self.jobs(state.handle(.tick, at: Self.now.addingTimeInterval(12))) == ["overview"])
        frame = Frame(width: 80, height: 24)
        state.draw(now: Self.now, scroll: &scroll, into: &frame)
        #expect(frame.text.contains("No trunks yet"), "\(frame.text)")
    }

    /// Keys typed while the first read is on its way (Enter at once after start, over a slow link) act once the
    /// rows are there; quitting does not wait.
    @Test func keysTypedBeforeTheFirstReadActOnItsRows() throws {
        let service = try Self.service()
        var state = DashboardState()
        let opened = state.handle(.opened, at: Self.now)
        #expect(state.handle(.key(.down), at: Self.now).isEmpty && state.handle(.key(.enter), at: Self.now).isEmpty)
        #expect(state.detail == nil)
        Self.answer(opened, &state, service)
        #expect(state.detail?.configId == state.shown[1].configId)
        var quitting = DashboardState()
        _ = quitting.handle(.opened, at: Self.now)
        for key in [Key.character("q"), .function(10)] {
            guard case .quit? = quitting.handle(.key(key), at: Self.now).first else {
                Issue.record("\(key) quits before the first read")
                return
            }
        }
    }

    @Test func aFailedReadSaysSoAndAReadThatWorksAgainClearsIt() throws {
        let service = try Self.service()
        var state = DashboardState()
        _ = state.handle(.opened, at: Self.now)
        _ = state.handle(.reply(.overview(.failure(.init("database is locked")))), at: Self.now)
        #expect(state.message?.text == "Cannot read the database: database is locked" && state.message?.role == .error)
        Self.answer(state.handle(.reload, at: Self.now), &state, service)
        #expect(state.message == nil && !state.views.isEmpty)
    }

    @Test func answersForWhatIsNoLongerOnScreenAreDropped() throws {
        let service = try Self.service()
        var state = DashboardState()
        Self.answer(state.handle(.opened, at: Self.now), &state, service)
        #expect(state.shown.count > 2)
        // The visible rows' figures were asked for and arrived (inbound-only numbers are not probed, so have none).
        #expect(state.table.rows.contains { $0[4] != "—" })
        let first = state.shown[0]
        guard let second = state.shown.first(where: { $0.phoneNumber != first.phoneNumber }) else {
            Issue.record("the demo data has two numbers")
            return
        }
        let open = state.handle(.key(.enter), at: Self.now)
        #expect(Self.jobs(open) == ["health", "healthExtras"] && state.detail?.configId == first.configId)
        // The SIP trace tab asks for the number's traced calls; an answer for another number is not shown.
        #expect(Self.jobs(state.handle(.key(.character("2")), at: Self.now)) == ["tracedCalls"])
        let others = try service.tracedCalls(number: second.phoneNumber)
        #expect(Self.jobs(state.handle(.reply(.tracedCalls(number: second.phoneNumber, others)), at: Self.now)).isEmpty)
        #expect(state.calls.isEmpty)
        // A health answer for another configuration does not replace the open one.
        _ = state.handle(.reply(.health(configId: second.configId, second)), at: Self.now)
        #expect(state.detail?.configId == first.configId)
        // Esc, then the call logs of the same number: their answer fills the table.
        _ = state.handle(.key(.escape), at: Self.now)
        #expect(state.detail == nil)
    }

    @Test func enterOnACallLogOpensItsTraceOnceTheTracedCallsAreRead() throws {
        let service = try Self.service()
        var state = DashboardState()
        Self.answer(state.handle(.opened, at: Self.now), &state, service)
        // The demo number with both logged calls and traces.
        guard let index = try state.shown.firstIndex(where: { view in
            !(try service.tracedCalls(number: view.phoneNumber)).isEmpty && view.direction == "outbound"
        }) else {
            Issue.record("the demo data has a number with traced calls")
            return
        }
        for _ in 0..<index { Self.answer(state.handle(.key(.down), at: Self.now), &state, service) }
        Self.answer(state.handle(.key(.enter), at: Self.now), &state, service)
        let logs = state.handle(.key(.character("3")), at: Self.now)
        #expect(Self.jobs(logs) == ["logs"])
        Self.answer(logs, &state, service)
        guard let logged = state.page?.logs, !logged.isEmpty else {
            Issue.record("the number has call logs")
            return
        }
        let traced = Set(try service.tracedCalls(number: state.detail?.phoneNumber ?? "").map(\.callId))
        guard let row = logged.firstIndex(where: { traced.contains($0.callId) }) else {
            Issue.record("one of the logged calls has a trace")
            return
        }
        for _ in 0..<row { _ = state.handle(.key(.down), at: Self.now) }
        let open = state.handle(.key(.enter), at: Self.now)
        #expect(Self.jobs(open) == ["tracedCalls"] && state.tab == .traces)
        Self.answer(open, &state, service)
        #expect(state.calls[state.testTable.selected].callId == logged[row].callId)
        #expect(!state.fullTrace.isEmpty && state.message == nil)
    }

    @Test func theEditorsKeysComeFromItsBindingTableAndASaveIsSentOnce() throws {
        let service = try Self.service()
        var state = DashboardState()
        Self.answer(state.handle(.opened, at: Self.now), &state, service)
        guard let index = state.shown.firstIndex(where: { $0.direction == "outbound" }) else {
            Issue.record("the demo data has an outbound number")
            return
        }
        for _ in 0..<index { _ = state.handle(.key(.down), at: Self.now) }
        Self.answer(state.handle(.key(.enter), at: Self.now), &state, service)
        Self.answer(state.handle(.key(.character("5")), at: Self.now), &state, service)
        let edit = state.handle(.key(.character("o")), at: Self.now)
        #expect(Self.jobs(edit) == ["editorConfig"] && state.editor == nil)
        Self.answer(edit, &state, service)
        #expect(state.editor?.section == .codecs)
        // Every key the editor's bar shows does what it says; Esc is its Cancel.
        for binding in state.editorBindings.bindings {
            #expect(!binding.keys.isEmpty)
        }
        let save = state.handle(.key(.control("s")), at: Self.now)
        #expect(Self.jobs(save) == ["saveConfig"])
        #expect(state.handle(.key(.enter), at: Self.now).isEmpty)  // not sent twice while it is answered
        Self.answer(save, &state, service)
        #expect(state.editor == nil && state.message?.text.hasPrefix("Saved codecs for ") == true)
        Self.answer(state.handle(.key(.character("o")), at: Self.now), &state, service)
        #expect(state.handle(.key(.escape), at: Self.now).isEmpty)
        #expect(state.editor == nil && state.message?.text == "Not saved.")
    }

    /// The scroll keys page by what the message view shows at the terminal's size (the state learns the size from
    /// the runner; it no longer reads it back from the last drawing).
    @Test func aPageOfTheFullMessageIsWhatTheViewShows() throws {
        let service = try Self.service()
        var state = DashboardState()
        _ = state.handle(.resized(width: 80, height: 24, glyphs: .unicode), at: Self.now)
        Self.answer(state.handle(.opened, at: Self.now), &state, service)
        guard let index = try state.shown.firstIndex(where: { !(try service.tracedCalls(number: $0.phoneNumber)).isEmpty }) else {
            Issue.record("the demo data has a number with traced calls")
            return
        }
        for _ in 0..<index { Self.answer(state.handle(.key(.down), at: Self.now), &state, service) }
        Self.answer(state.handle(.key(.enter), at: Self.now), &state, service)
        Self.answer(state.handle(.key(.character("2")), at: Self.now), &state, service)
        // The longest message of the call, opened in full.
        guard let longest = state.trace.indices.max(by: { DashboardView.lines(of: state.trace[$0]).count < DashboardView.lines(of: state.trace[$1]).count }) else {
            Issue.record("the call has messages")
            return
        }
        for _ in 0..<longest { _ = state.handle(.key(.right), at: Self.now) }
        _ = state.handle(.key(.enter), at: Self.now)
        let total = DashboardView.lines(of: state.trace[state.traceSelection]).count
        #expect(total > state.messageRows, "a message longer than a page")
        func shownRange() -> String? {
            var frame = Frame(width: 80, height: 24)
            var scroll = DashboardView.Scroll()
            state.draw(now: Self.now, scroll: &scroll, into: &frame)
            return frame.text.split(separator: "\n").first { $0.contains(" · lines ") }.map { String($0.split(separator: "·").last ?? "") }
        }
        let rows = state.messageRows
        #expect(shownRange()?.contains("lines 1–\(rows) of \(total)") == true, "\(shownRange() ?? "no range")")
        _ = state.handle(.key(.pageDown), at: Self.now)
        let second = min(rows - 1, total - rows) + 1
        #expect(shownRange()?.contains("lines \(second)–\(second + rows - 1) of \(total)") == true, "\(shownRange() ?? "no range")")
    }

    /// `a` typed before the dashboard's first read is kept and replayed when the read is posted back; the quit it
    /// asks for then happens outside `handle(_:)`, so the screen says so through `wantsToQuit` (the terminal ends the
    /// run on it). Before, that quit was dropped: a loaded run stayed on the dashboard after `a`.
    @Test func aTypedBeforeTheFirstReadStillLeavesForTheWizard() throws {
        final class Posted: @unchecked Sendable {  // touched on the test's thread only
            var replies: [@Sendable () -> Void] = []
        }
        let posted = Posted()
        let service = try Self.service()
        let now = Self.now
        let screen = DashboardScreen(service: service, now: { now }, work: { $0() }, post: { posted.replies.append($0) })
        #expect(screen.views.isEmpty, "the first read is still on its way back")
        #expect(screen.handle(Key.character("a")) == .continue, "typed ahead: kept until the read arrives")
        #expect(!screen.wantsToQuit && !screen.wantsNewTrunk)
        let replies = posted.replies
        posted.replies = []
        replies.forEach { $0() }
        #expect(!screen.views.isEmpty)
        #expect(screen.wantsNewTrunk)
        #expect(screen.wantsToQuit, "the replayed key's quit reaches the terminal")
    }

    /// Quitting waits only for writes: reads still queued when the dashboard quits are dropped (nobody would see
    /// them, and under load they made the process linger after its screen had gone), a queued acknowledgement still
    /// lands.
    @Test func quittingDropsQueuedReadsButNotWrites() throws {
        final class Queue: @unchecked Sendable {  // touched on the test's thread only
            var holding = false
            var held: [@Sendable () -> Void] = []
            var posted = 0
        }
        let queue = Queue()
        let service = try Self.service()
        let now = Self.now
        let screen = DashboardScreen(
            service: service, now: { now },
            work: { job in if queue.holding { queue.held.append(job) } else { job() } },
            post: { reply in queue.posted += 1; reply() })
        _ = screen.handle(Key.character("A"))
        #expect(try service.alerts().contains { $0.alertId == "alr_demoglobexdown01" && $0.acknowledgedAt == nil })
        queue.holding = true
        _ = screen.handle(Key.function(5))  // reads queued
        _ = screen.handle(Key.character("a"))  // the acknowledgement queued behind them
        let reads = queue.held.count - 1
        #expect(reads >= 1)
        #expect(screen.handle(Key.function(10)) == .quit)
        queue.posted = 0
        queue.held.forEach { $0() }
        #expect(queue.posted == 1, "only the write ran and answered")
        #expect(try service.alert(id: "alr_demoglobexdown01").acknowledgedAt != nil)
    }
}
