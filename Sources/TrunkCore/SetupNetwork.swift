/// What the wizard's live steps need from the network, implemented by the executable over SIPRuntime (so the
/// screens never touch sockets) and by scripted fakes in screen tests. Callbacks may arrive on any thread.
public protocol SetupNetwork: AnyObject, Sendable {
    /// Step 3: resolves and probes `destination`, reporting each DNS answer and probe attempt as it completes,
    /// then the stored report (or why nothing could be tried).
    func discover(_ destination: String, progress: @escaping @Sendable (DiscoveryProgress) -> Void)
    /// Step 7: a real test call to `number` through `destination` (host[:port]) over `transport`, reporting
    /// each SIP message, the media counters and the stored result.
    func testCall(number: String, destination: String, transport: String?, progress: @escaping @Sendable (TestCallProgress) -> Void)
    /// Step 7 for an inbound trunk: waits at `listen` (IP:port) for the PBX to call `number`, answers, checks the
    /// media both ways and hangs up, reporting as `testCall` does (`sent` is siptrunk's side).
    func inboundTestCall(number: String, listen: String, progress: @escaping @Sendable (TestCallProgress) -> Void)
    /// Ends the running test call, if any: CANCEL while it rings, BYE once answered (the wizard leaving Step 7).
    func endCall(_ reason: String)
}

extension SetupNetwork {
    public func endCall(_ reason: String) {}
}

public enum DiscoveryProgress: Hashable, Sendable {
    /// A DNS answer, as a line (`SRV _sips._tcp.example.com 10 5 5061 sbc1.example.com`).
    case dns(String)
    /// One probe attempt finished: its line and whether it was answered.
    case attempt(String, answered: Bool)
    case finished(DiscoveryReport)
    case failed(String)
}

public enum TestCallProgress: Hashable, Sendable {
    /// A SIP message crossed the wire: sent by us (true) or received; its first line; ms since the call began.
    case message(sent: Bool, summary: String, elapsedMs: Double)
    case status(String)
    case media(sent: Int, received: Int)
    case finished(TestCallReport)
    case failed(String)
}
