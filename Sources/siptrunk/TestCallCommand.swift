import ArgumentParser
import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import TrunkCore
import TrunkRuntime

/// `siptrunk test-call`: guide Step 7 — a real call with a media check.
struct TestCallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-call",
        abstract: "Place a test call through the trunk and check audio both ways (guide Step 7).",
        discussion: """
            Sends INVITE with an SDP offer (PCMU, PCMA, telephone-event), answers a 401/407 challenge once with the \
            given credentials (once more on stale=true), follows up to 5 redirects, CANCELs when the ring timeout \
            passes, ACKs the answer, sends a 1 kHz tone and one DTMF digit (RFC 4733), counts RTP both ways, and \
            hangs up with BYE. The SIP ladder and the media counters show live; the call and its trace are stored.
            At most 10 test calls per 15 minutes per organisation.
            Exit status: 0 connected with audio both ways, 1 otherwise, 2 usage error.
            """)

    @Option(help: "The number to call (E.164).") var number: String
    @Option(help: "Where to send the call.") var to: String?
    @Option(help: "Send the call through this trunk's outbound endpoint (siptrunk trunks list).") var trunk: String?
    @Flag(help: "Inbound: wait for the PBX to call --number on --listen, answer, and check media.") var inbound = false
    @Option(help: "Inbound: the UDP address to wait on, HOST:PORT.") var listen: String = "0.0.0.0:5060"
    @Option(help: "Inbound: seconds to wait for the call.") var wait: Double = 60
    @Option(help: "udp, tcp or tls (default: the destination's or the endpoint's).") var transport: String?
    @Option(help: "The SIP domain for the Request-URI and the TLS certificate (default: the destination's host).") var domain: String?
    @Option(help: "Seconds to talk before hanging up.") var duration: Double = 5
    @Option(help: "Seconds to ring before CANCEL.") var ringTimeout: Double = 30
    @Option(help: "Digest username for the PBX.") var username: String?
    @Option(help: "Digest password. Visible in ps: prefer --password-stdin or SIPTRUNK_PASSWORD.") var password: String?
    @Flag(help: "Read the digest password from the first line of standard input.") var passwordStdin = false
    @Option(help: "SRTP (AES_CM_128_HMAC_SHA1_80, SDES): on, off, or auto = on over TLS, as the guide requires.")
    var srtp: String = "auto"
    @Option(help: "Our address for SDP (default: the address signalling leaves from).") var mediaAddress: String?
    @Option(help: "RTP port range LOW-HIGH (default: the deployment profile's).") var rtpPorts: String?
    @Option(help: "DNS server HOST:PORT.") var dnsServer: String?
    @Option(help: ArgumentHelp("Trust only the CA certificates in this PEM file for TLS.", valueName: "path")) var caFile: String?
    @Flag(help: "Print one JSON document (the API's test-call status).") var json = false
    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard duration >= 0.5, duration <= 3600 else { throw ValidationError("--duration must be from 0.5 to 3600 seconds") }
        guard ringTimeout >= 1, ringTimeout <= 300 else { throw ValidationError("--ring-timeout must be from 1 to 300 seconds") }
        guard ["on", "off", "auto"].contains(srtp) else { throw ValidationError("--srtp must be on, off or auto") }
        if let rtpPorts, Self.portRange(rtpPorts) == nil { throw ValidationError("--rtp-ports must be LOW-HIGH within 1024-65535, e.g. 10000-20000") }
    }

    static func portRange(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 1024, parts[1] <= 65535, parts[0] + 1 < parts[1] else { return nil }
        return parts[0]...parts[1]
    }

    func run() throws {
        let e164: E164Number
        do {
            e164 = try E164Number(parsing: number)
        } catch {
            throw CommandFailure.refused("--number \(number): \(error)")
        }
        let service = try store.service(.create)
        if inbound {
            try runInbound(e164, service: service)
            return
        }
        let trust = try TLSTrust.load(caFile: caFile)
        var target: CallTarget
        if let to {
            target = try CallTarget.resolve(to, transport: transport, dnsServer: dnsServer)
        } else {
            target = try runUseCase(json: json) {
                try CallTarget.outbound(calling: e164, trunk: trunk, service: service, transport: transport, dnsServer: dnsServer)
            }
        }
        if let domain { target.domain = domain }
        if let failover = target.failover, !json { print("calling through \(failover)") }
        let prober = NetworkProber(trust: trust)
        defer { prober.shutdown() }
        var request = TestCallRunner.Request(number: e164, target: target)
        request.username = username
        request.password = try PasswordInput.resolve(option: password, fromStandardInput: passwordStdin, environment: "SIPTRUNK_PASSWORD", name: "--password")
        request.mediaAddress = mediaAddress
        request.ringTimeout = Self.duration(ringTimeout)
        request.duration = Self.duration(duration)
        request.srtp = srtp
        request.rtpPorts = rtpPorts.flatMap(Self.portRange)
        var observer = TestCallRunner.Observer()
        if !json {
            // The ladder fills in live: one arrow per SIP message of this call as it crosses the wire; the
            // timeline's events and the media counters (every second while the call is up) between them.
            observer.message = { entry, elapsed in print(TraceText.line(entry, elapsed: elapsed)) }
            observer.timeline = { event in print(event.event.padding(toLength: 11, withPad: " ", startingAt: 0) + event.detail) }
            observer.media = { sent, received in print("             media: \(sent) RTP sent, \(received) received") }
        }
        observer.failover = { sentence in printError("siptrunk: \(sentence)") }
        let report = try runUseCase(json: json) { try TestCallRunner(service: service, prober: prober).run(request, observer: observer) }
        if json {
            JSONOutput.success(report)
        } else {
            print("result: \(report.status) (\(report.result))\(report.sipCode.map { ", SIP \($0)" } ?? "")\(report.durationSeconds.map { String(format: ", %.1f s", $0) } ?? "")")
            if let media = report.media { printMedia(media) }
            print("stored as test call \(report.callId)")
        }
        if !report.isGood { throw CommandFailure.silent }
    }

    static func duration(_ seconds: Double) -> Duration { .milliseconds(Int64(seconds * 1000)) }

    func runInbound(_ number: E164Number, service: SIPTrunkService) throws {
        let (host, port) = try TestCallRunner.listenAddress(listen)
        let prober = NetworkProber()
        defer { prober.shutdown() }
        var observer = TestCallRunner.Observer()
        if !json {
            observer.timeline = { event in print(event.event.padding(toLength: 13, withPad: " ", startingAt: 0) + event.detail) }
        }
        let request = TestCallRunner.InboundRequest(
            number: number, listen: (host, port), mediaAddress: mediaAddress, wait: Self.duration(wait), duration: Self.duration(duration),
            rtpPorts: rtpPorts.flatMap(Self.portRange))
        let (report, trace) = try runUseCase(json: json) { try TestCallRunner(service: service, prober: prober).runInbound(request, observer: observer) }
        let recordID = report.callId
        let sipCallID = trace.first?.callID ?? "none"
        if json {
            JSONOutput.success(report)
        } else {
            print("")
            print(TraceText.ladder(trace))
            print("result: \(report.status) (\(report.result))\(report.durationSeconds.map { String(format: ", %.1f s", $0) } ?? "")")
            if let media = report.media { printMedia(media) }
            print("stored as test call \(recordID) (SIP Call-ID \(sipCallID))")
        }
        if !report.isGood { throw CommandFailure.silent }
    }
}

/// The media check's lines, for outbound and inbound calls alike.
func printMedia(_ media: TestCallReport.Media) {
    print("media:  \(media.summary)")
    if media.srtp { print("        SRTP AES_CM_128_HMAC_SHA1_80 (keys by SDES)") }
    print(String(format: "        codec %@, loss %.1f%%, jitter %.2f ms, DTMF sent %@, received %@", media.codec ?? "-", media.lossPercent, media.jitterMs, media.dtmfSent ?? "-", media.dtmfReceived ?? "-"))
    if let sent = media.rtcpSent, let received = media.rtcpReceived {
        var line = "        RTCP: \(sent) reports sent, \(received) received"
        if let loss = media.farEndLossPercent, let jitter = media.farEndJitterMs {
            line += String(format: "; the far end hears us with %.1f%% loss, %.2f ms jitter", loss, jitter)
        }
        if let roundTrip = media.roundTripMs { line += String(format: ", round trip %.2f ms", roundTrip) }
        print(line)
    }
    if let cause = media.likelyCause { print("cause:  \(cause)") }
}
