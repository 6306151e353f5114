import SIPCore

/// Which PBX, proxy or SBC answered, told from its Server/User-Agent header and, when those are missing or
/// hidden, from how it answers (its Allow and Supported lists).
public struct Fingerprint: Sendable, Hashable {
    /// "Asterisk", "FreeSWITCH", "Kamailio", ... or "unknown".
    public var system: String
    public var version: String?
    /// 0...1: about 0.9 when the product names itself, 0.3–0.5 when guessed from behaviour.
    public var confidence: Double
    /// What the guess rests on.
    public var evidence: String

    public init(system: String, version: String?, confidence: Double, evidence: String) {
        self.system = system
        self.version = version
        self.confidence = confidence
        self.evidence = evidence
    }

    public static let unknown = Fingerprint(system: "unknown", version: nil, confidence: 0, evidence: "no Server or User-Agent header, and no telling Allow list")

    /// "Asterisk 20.5.0", or just the name.
    public var detectedSystem: String { version.map { "\(system) \($0)" } ?? system }

    /// A product's signature in a Server/User-Agent value: the first matching pattern wins, so more specific
    /// products (FreePBX on Asterisk, CUBE on IOS) come before the general ones.
    struct Signature {
        var system: String
        var patterns: [String]
        /// The word after which the version number follows, when it is not right after the pattern.
        var versionAfter: String?
    }

    static let signatures: [Signature] = [
        Signature(system: "FreePBX", patterns: ["freepbx", "fpbx"]),
        Signature(system: "Asterisk", patterns: ["asterisk"]),
        Signature(system: "FreeSWITCH", patterns: ["freeswitch"]),
        Signature(system: "Kamailio", patterns: ["kamailio"]),
        Signature(system: "OpenSIPS", patterns: ["opensips"]),
        Signature(system: "OpenSER", patterns: ["openser"]),
        Signature(system: "3CX", patterns: ["3cx"]),
        Signature(system: "Cisco CUBE", patterns: ["cisco-sipgateway", "cisco-cube", "cube/"]),
        Signature(system: "Cisco UCM", patterns: ["cisco-cucm", "cisco-cp", "cucm"]),
        Signature(system: "Microsoft Teams Direct Routing", patterns: ["microsoft.pstnhub", "microsoft-teams"]),
        Signature(system: "AudioCodes SBC", patterns: ["audiocodes", "mediant"]),
        Signature(system: "Ribbon SBC", patterns: ["ribbon", "sonus", "genband"]),
        Signature(system: "Oracle SBC (Acme Packet)", patterns: ["acme packet", "acmepacket", "oracle sbc", "oracle-sbc"]),
        Signature(system: "Metaswitch", patterns: ["metaswitch", "perimeta"]),
        Signature(system: "Avaya", patterns: ["avaya"]),
        Signature(system: "Mitel", patterns: ["mitel"]),
        Signature(system: "Yeastar", patterns: ["yeastar"]),
        Signature(system: "Grandstream UCM", patterns: ["grandstream"]),
        Signature(system: "Twilio", patterns: ["twilio"]),
        Signature(system: "Vonage", patterns: ["vonage", "nexmo"]),
        Signature(system: "RingCentral", patterns: ["ringcentral"]),
        Signature(system: "Broadworks", patterns: ["broadworks"]),
        Signature(system: "SIP Express Router", patterns: ["ser ("]),
        Signature(system: "sipp", patterns: ["sipp"]),
    ]

    /// Identifies the system behind `responses` (the recommended one first).
    public static func identify(_ responses: [ProbeResponse]) -> Fingerprint {
        for response in responses {
            for header in [response.server, response.userAgent].compactMap({ $0 }) where !header.isEmpty {
                if let found = match(header) { return found }
            }
        }
        for response in responses {
            if let guess = behaviour(response) { return guess }
        }
        if let named = responses.lazy.compactMap({ $0.server ?? $0.userAgent }).first(where: { !$0.isEmpty }) {
            return Fingerprint(system: "unknown", version: nil, confidence: 0.1, evidence: "unrecognised Server/User-Agent \"\(named)\"")
        }
        return .unknown
    }

    /// Matches one Server/User-Agent value.
    static func match(_ header: String) -> Fingerprint? {
        let lower = header.lowercased()
        for signature in signatures {
            guard let pattern = signature.patterns.first(where: { lower.contains($0) }) else { continue }
            var version = versionNumber(in: header, after: pattern)
            // FreePBX runs on Asterisk: "FPBX-16.0.33(18.20.0)" names both; keep the FreePBX release.
            if signature.system == "FreePBX", version == nil { version = versionNumber(in: header, after: "") }
            return Fingerprint(
                system: signature.system, version: version, confidence: 0.9,
                evidence: "Server/User-Agent \"\(header)\"")
        }
        return nil
    }

    /// The first dotted number after `pattern` in `header` ("Asterisk PBX 20.5.0" → "20.5.0").
    static func versionNumber(in header: String, after pattern: String) -> String? {
        let lower = header.lowercased()
        let start = pattern.isEmpty ? lower.startIndex : (lower.firstRange(of: pattern)?.upperBound ?? lower.startIndex)
        let tail = header[start...]
        var current = ""
        for character in tail {
            if character.isASCII, character.isNumber || (character == "." && !current.isEmpty) {
                current.append(character)
            } else if !current.isEmpty {
                if current.contains(".") { break }
                current = ""
            }
        }
        while current.hasSuffix(".") { current.removeLast() }
        return current.contains(".") ? current : nil
    }

    /// Guesses from behaviour when the product does not name itself (many PBXs hide their User-Agent).
    static func behaviour(_ response: ProbeResponse) -> Fingerprint? {
        let allow = Set(response.allow.map { $0.uppercased() })
        let supported = Set(response.supported.map { $0.lowercased() })
        // chan_pjsip's default Allow list, in its order, with PUBLISH and MESSAGE.
        if allow == ["OPTIONS", "REGISTER", "SUBSCRIBE", "NOTIFY", "PUBLISH", "INVITE", "ACK", "BYE", "CANCEL", "UPDATE", "PRACK", "MESSAGE", "REFER"] {
            return Fingerprint(system: "Asterisk", version: nil, confidence: 0.5, evidence: "chan_pjsip's default Allow list")
        }
        // chan_sip's default Allow list.
        if allow == ["INVITE", "ACK", "CANCEL", "OPTIONS", "BYE", "REFER", "SUBSCRIBE", "NOTIFY", "INFO", "PUBLISH", "MESSAGE"] {
            return Fingerprint(system: "Asterisk", version: nil, confidence: 0.5, evidence: "chan_sip's default Allow list")
        }
        // FreeSWITCH (sofia-sip): Allow with REGISTER and UPDATE, and sofia's Supported set.
        if allow.contains("UPDATE"), allow.contains("REGISTER"), supported.isSuperset(of: ["timer", "path", "replaces"]) {
            return Fingerprint(system: "FreeSWITCH", version: nil, confidence: 0.4, evidence: "sofia-sip's Allow and Supported lists")
        }
        return nil
    }
}
