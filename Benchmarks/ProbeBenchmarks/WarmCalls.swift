// Call set-up measured inside one warm process: the engine on real sockets exactly as the siptrunk executable
// runs it (SIPRuntime's NetworkProber), placing calls back to back, so the figure is the engine's INVITE→200
// and not a process start-up.

import NIOCore
import NIOPosix
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime

/// Places `count` calls to `host:port` one after another; each call's set-up time in milliseconds.
func warmCallSetupTimes(host: String, port: Int, count: Int, rtpPorts: ClosedRange<Int>) throws -> [Double] {
    let prober = NetworkProber(traceCapacity: 10_000)
    defer { prober.shutdown() }
    let target = PeerAddress(host: host, port: port, transport: .udp)
    try prober.eventLoop.flatSubmit { prober.link.open(target, serverName: nil) }.wait()
    var times: [Double] = []
    for _ in 0..<count {
        let configuration = TestCallConfiguration(target: target, domain: host, number: "+14155554567", duration: .milliseconds(100), dtmf: nil)
        let call = try prober.testCall(configuration, mediaHost: "127.0.0.1", rtpPorts: rtpPorts) { _ in }.wait()
        if let setup = call.setupTime { times.append(setup.inMilliseconds) }
    }
    return times
}
