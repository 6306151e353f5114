import Foundation
import SIPCore
import SIPEngine
import TrunkStore

/// `POST /v1/sip/discover`'s result (guide Step 3), in the API's field names; the CLI's `--json`, the wizard and
/// the API all show this.
public struct DiscoveryReport: Codable, Hashable, Sendable {
    public var discoveryId: String
    /// `running`, `completed` (something answered) or `failed`.
    public var status: String
    public var host: String
    public var resolvedAddresses: [String]
    public var srvRecords: [String]
    public var naptrRecords: [String]
    public var attempts: [Attempt]
    public var recommended: Recommended?
    /// Why nothing can be recommended, when nothing answered or DNS failed.
    public var error: ErrorInfo?
    public var startedAt: Date
    public var completedAt: Date?

    public struct ErrorInfo: Codable, Hashable, Sendable {
        public var kind: String
        public var message: String
        public var remedy: String

        init(_ failure: ProbeFailure) {
            kind = failure.kind.rawValue
            message = failure.message
            remedy = failure.remedy
        }

        init(kind: String, message: String, remedy: String) {
            self.kind = kind
            self.message = message
            self.remedy = remedy
        }
    }

    public struct TLSInfo: Codable, Hashable, Sendable {
        public var version: String
        public var cipher: String
        public var subject: String
        public var subjectAltNames: [String]
        public var issuer: String
        public var notAfter: Date
        public var trusted: Bool
        public var hostnameMatches: Bool

        public init(_ details: TLSDetails) {
            version = details.protocolVersion
            cipher = details.cipher
            subject = details.subject
            subjectAltNames = details.subjectAlternativeNames
            issuer = details.issuer
            notAfter = Date(timeIntervalSince1970: details.notAfter)
            trusted = details.trusted
            hostnameMatches = details.hostnameMatches
        }
    }

    public struct Attempt: Codable, Hashable, Sendable {
        public var port: Int
        public var transport: String
        public var address: String
        /// The SRV target host this attempt came from.
        public var srvTarget: String?
        public var responseTimeMs: Double?
        public var responseCode: Int?
        public var reason: String?
        public var userAgent: String?
        public var methods: [String]?
        public var codecs: [String]?
        public var tls: TLSInfo?
        public var error: ErrorInfo?

        public init(_ attempt: DiscoveryAttemptResult) {
            port = attempt.target.port
            transport = attempt.target.transport.rawValue
            address = attempt.target.address
            srvTarget = attempt.target.srvTarget
            switch attempt.outcome {
            case .response(let response):
                responseTimeMs = DiscoveryReport.milliseconds(response.roundTrip)
                responseCode = response.statusCode
                reason = response.reason
                userAgent = response.server ?? response.userAgent
                methods = response.allow
                codecs = response.codecs
                tls = response.tls.map(TLSInfo.init)
            case .failure(let failure):
                error = ErrorInfo(failure)
                tls = failure.tls.map(TLSInfo.init)
            }
        }
    }

    public struct Recommended: Codable, Hashable, Sendable {
        public var port: Int
        public var transport: String
        public var address: String
        public var userAgent: String?
        public var detectedSystem: String
        /// 0...1, how sure the fingerprint is.
        public var confidence: Double
        public var evidence: String
        public var codecs: [String]
        public var methods: [String]
        public var reason: String
        /// Set when TLS is not available (the guide requires TLS for signalling).
        public var warning: String?
    }

    /// Round-trip time in milliseconds, to the microsecond.
    public static func milliseconds(_ duration: Duration) -> Double {
        let value = duration.inMilliseconds
        return (value * 1000).rounded() / 1000
    }

    /// A discovery just started: nothing resolved or probed yet.
    public init(id: String, starting host: String, startedAt: Date) {
        discoveryId = id
        status = "running"
        self.host = host
        resolvedAddresses = []
        srvRecords = []
        naptrRecords = []
        attempts = []
        self.startedAt = startedAt
    }

    /// A discovery still running: what DNS gave and the attempts completed so far (the API's status while polling).
    public init(id: String, running plan: DiscoveryPlan, attempts: [DiscoveryAttemptResult], startedAt: Date) {
        discoveryId = id
        status = "running"
        host = plan.host
        resolvedAddresses = plan.resolvedAddresses
        srvRecords = plan.srvRecords.map(\.description)
        naptrRecords = plan.naptrRecords.map(\.description)
        self.attempts = attempts.map(Attempt.init)
        self.startedAt = startedAt
    }

    /// A discovery that could not run to its end (refused before probing, or the runner failed).
    public init(id: String, host: String, failedWith kind: String, message: String, remedy: String, startedAt: Date, completedAt: Date) {
        discoveryId = id
        status = "failed"
        self.host = host
        resolvedAddresses = []
        srvRecords = []
        naptrRecords = []
        attempts = []
        error = ErrorInfo(kind: kind, message: message, remedy: remedy)
        self.startedAt = startedAt
        self.completedAt = completedAt
    }

    /// The report of a finished discovery.
    public init(id: String, result: DiscoveryResult, startedAt: Date, completedAt: Date) {
        discoveryId = id
        host = result.plan.host
        resolvedAddresses = result.plan.resolvedAddresses
        srvRecords = result.plan.srvRecords.map(\.description)
        naptrRecords = result.plan.naptrRecords.map(\.description)
        attempts = result.attempts.map(Attempt.init)
        self.startedAt = startedAt
        self.completedAt = completedAt
        if let pick = result.recommendation {
            status = "completed"
            recommended = Recommended(
                port: pick.target.port, transport: pick.target.transport.rawValue, address: pick.target.address,
                userAgent: pick.response.server ?? pick.response.userAgent, detectedSystem: pick.system.detectedSystem,
                confidence: pick.system.confidence, evidence: pick.system.evidence, codecs: pick.response.codecs,
                methods: pick.response.allow, reason: pick.reason, warning: pick.warning)
        } else {
            status = "failed"
            if let dns = result.plan.dnsFailure {
                error = ErrorInfo(dns)
            } else {
                error = ErrorInfo(
                    kind: "no_answer", message: "none of the \(result.attempts.count) probes of \(result.plan.host) got a SIP answer",
                    remedy: "check that the PBX runs and that its firewall allows this deployment's addresses (siptrunk firewall)")
            }
        }
    }
}

extension SIPTrunkService {
    /// Refuses a discovery before any packet is sent when the organisation may not use SIP trunking.
    public func checkDiscoveryAllowed() throws(TrunkError) {
        _ = try read { reader in try requireEntitlement(reader) }
    }

    /// Stores a finished discovery and its attempts (kept for the wizard, the API's status call and history).
    public func saveDiscovery(_ report: DiscoveryReport) throws(TrunkError) {
        let recommended: String?
        if let pick = report.recommended {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = .sortedKeys
            recommended = (try? encoder.encode(pick)).map { String(decoding: $0, as: UTF8.self) }
        } else {
            recommended = nil
        }
        try write { writer in
            _ = try requireEntitlement(writer.reader)
            try writer.save(DiscoveryRun(
                id: report.discoveryId, orgId: orgId, host: report.host, status: report.status,
                resolvedAddresses: report.resolvedAddresses, srvRecords: report.srvRecords, recommended: recommended,
                startedAt: report.startedAt, completedAt: report.completedAt))
            for attempt in report.attempts {
                try writer.insert(DiscoveryAttempt(
                    discoveryId: report.discoveryId, address: attempt.address, port: attempt.port,
                    transport: attempt.transport, responseTimeMs: attempt.responseTimeMs,
                    responseCode: attempt.responseCode, userAgent: attempt.userAgent, errorKind: attempt.error?.kind,
                    errorMessage: attempt.error?.message, errorRemedy: attempt.error?.remedy))
            }
        }
    }

    /// A stored discovery run with its attempts, newest first when `id` is nil.
    public func discoveryRun(id: String?) throws(TrunkError) -> (run: DiscoveryRun, attempts: [DiscoveryAttempt])? {
        try read { reader in
            _ = try requireEntitlement(reader)
            guard let run = try reader.discoveryRun(id: id, orgId: orgId) else { return nil }
            return (run, try reader.discoveryAttempts(discoveryId: run.id))
        }
    }
}
