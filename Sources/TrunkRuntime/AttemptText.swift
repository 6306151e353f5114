import Foundation
import SIPCore
import SIPEngine
import SIPNetwork
import SIPRuntime
import TrunkCore

/// How a probe attempt reads on a terminal.
public enum AttemptText {
    public static func line(_ attempt: DiscoveryAttemptResult, showTLS: Bool = true) -> String {
        let target = attempt.target
        let place = "\(target.transport.viaToken) \(target.peer.hostReference):\(target.port)"
        var text: String
        var tls: TLSDetails?
        switch attempt.outcome {
        case .response(let response):
            let agent = (response.server ?? response.userAgent).map { "  \($0)" } ?? ""
            text = String(format: "%@  %d %@  %.3f ms", place, response.statusCode, response.reason, DiscoveryReport.milliseconds(response.roundTrip)) + agent
            tls = response.tls
        case .failure(let failure):
            text = "\(place)  \(failure.kind.rawValue): \(failure.message)\n    → \(failure.remedy)"
            tls = failure.tls
        }
        if showTLS, let tls {
            let expiry = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: tls.notAfter))
            text += "\n    TLS \(tls.protocolVersion) \(tls.cipher)"
            text += "\n    certificate: \(tls.subject); names: \(tls.subjectAlternativeNames.isEmpty ? "none" : tls.subjectAlternativeNames.joined(separator: ", "))"
            text += "\n    issuer: \(tls.issuer); expires \(expiry); trusted: \(tls.trusted ? "yes" : "no"); name matches: \(tls.hostnameMatches ? "yes" : "no")"
        }
        return text
    }
}
