import Foundation
import TUIKit
import TrunkCore

/// The set-up wizard on a terminal: runs `SetupFlow`'s effects and draws it with `SetupView`. Keys and results
/// arrive on the terminal's thread; the database, files and the network are used on `work` (a serial queue in the
/// program, so saves keep their order and the terminal never waits on a disk), and their results come back through
/// `post` as events.
/// `@unchecked Sendable`: its state is touched only on the terminal's thread — other threads reach it only through
/// `post`, which runs the closure there.
public final class WizardScreen: TerminalApplication, ClipboardSource, @unchecked Sendable {
    let service: SIPTrunkService
    let network: SetupNetwork?
    /// Runs work on the screen's thread (the backend's `post`; immediate in tests).
    let post: @Sendable (@escaping @Sendable () -> Void) -> Void
    /// Runs I/O away from the screen's thread, in order (immediate in tests).
    let work: @Sendable (@escaping @Sendable () -> Void) -> Void

    public private(set) var flow: SetupFlow
    public var draft: SetupDraft { flow.draft }
    public var finished: Bool { flow.finished }

    public var minimumSize: (width: Int, height: Int) { (72, 22) }
    public var isAnimating: Bool { flow.isAnimating }

    /// OSC 52 requests, oldest first (the backend sends each new one).
    public private(set) var clipboardRequests: [String] = []

    /// Opens on the saved set-up, if any (read here, before the screen is on the terminal).
    public init(
        service: SIPTrunkService, network: SetupNetwork?, firewallFile: String = "siptrunk-firewall.txt",
        newDraft: SetupDraft = SetupDraft(),
        work: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void = { $0() },
        post: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void
    ) {
        self.service = service
        self.network = network
        self.post = post
        self.work = work
        let saved = (try? service.setupDraft()) ?? nil
        flow = SetupFlow(saved: saved, newDraft: newDraft, hasNetwork: network != nil, firewallFile: firewallFile)
        send(.opened)
    }

    public func handle(_ key: Key) -> ScreenCommand { send(.key(key)) }

    /// Set by any quit the flow asks for, also one from an answer or a paste (the terminal ends the run then).
    public private(set) var wantsToQuit = false

    public func paste(_ text: String) { send(.paste(text)) }

    public func render(into frame: inout Frame, tick: Int) {
        SetupView.draw(flow, into: &frame, tick: tick)
    }

    /// Feeds one event to the flow and runs the effects it asks for.
    @discardableResult
    func send(_ event: SetupFlow.Event) -> ScreenCommand {
        var command = ScreenCommand.continue
        for effect in flow.handle(event) {
            if case .quit = effect {
                command = .quit
                wantsToQuit = true
            } else {
                run(effect)
            }
        }
        return command
    }

    /// An effect's result goes back to the flow on the screen's thread.
    private func answer(_ event: SetupFlow.Event) {
        post { [weak self] in self?.send(event) }
    }

    private func run(_ effect: SetupFlow.Effect) {
        let service = self.service
        switch effect {
        case .quit: break
        case .copyToClipboard(let text): clipboardRequests.append(text)
        case .save(let draft):
            work { [weak self] in
                do throws(TrunkError) {
                    try service.saveSetupDraft(draft)
                } catch {
                    self?.answer(.saveFailed(error.messages.joined(separator: "; ")))
                }
            }
        case .clearDraft:
            work { try? service.clearSetupDraft() }
        case .loadFirewall:
            work { [weak self] in self?.answer(.firewallLoaded(try? service.firewall(region: nil))) }
        case .loadPBXSetup(let number):
            work { [weak self] in self?.answer(.pbxSetupLoaded(try? service.outboundSetup(number: number))) }
        case .derivePassword(let trunkId, let username):
            work { [weak self] in
                let result: Result<String, SetupFlow.Failure>
                do throws(TrunkError) {
                    result = .success(try service.registerPassword(trunkId: trunkId, username: username))
                } catch {
                    result = .failure(.init(error.messages.joined(separator: "; ")))
                }
                self?.answer(.passwordDerived(username: username, result))
            }
        case .attach(let request):
            work { [weak self] in
                let result: Result<AttachResult, SetupFlow.Failure>
                do throws(TrunkError) {
                    result = .success(try service.attach(request))
                } catch {
                    result = .failure(.init(error.messages.joined(separator: "; ")))
                }
                self?.answer(.attached(result))
            }
        case .writeFile(let text, let path):
            work { [weak self] in
                do {
                    try text.write(toFile: path, atomically: true, encoding: .utf8)
                    self?.answer(.fileWritten(path: path, error: nil))
                } catch {
                    self?.answer(.fileWritten(path: path, error: error.localizedDescription))
                }
            }
        case .discover(let target, let generation):
            network?.discover(target) { [weak self] progress in self?.answer(.discovery(progress, generation: generation)) }
        case .placeCall(let number, let destination, let transport):
            network?.testCall(number: number, destination: destination, transport: transport) { [weak self] progress in self?.answer(.call(progress)) }
        case .awaitCall(let number, let listen):
            network?.inboundTestCall(number: number, listen: listen) { [weak self] progress in self?.answer(.call(progress)) }
        case .endCall(let reason):
            network?.endCall(reason)
        }
    }
}
