import Foundation
import SIPCore
import TrunkStore

/// The guide's eight set-up steps.
public enum SetupStep: Int, Codable, CaseIterable, Sendable {
    case direction = 1, destination, discovery, firewall, authentication, numbers, testCall, complete

    public var title: String {
        switch self {
        case .direction: "Direction"
        case .destination: "Destination"
        case .discovery: "Auto-discovery"
        case .firewall: "Firewall"
        case .authentication: "Authentication"
        case .numbers: "Numbers"
        case .testCall: "Test call"
        case .complete: "Complete"
        }
    }
}

/// Input checked as it is typed: the value it means, or what is wrong with it in words a person can act on.
public enum Checked<Value: Hashable & Sendable>: Hashable, Sendable {
    case valid(Value)
    case invalid(String)

    public var value: Value? {
        if case .valid(let value) = self { return value }
        return nil
    }
}

/// A provider or PBX from the guide's Step 2 catalog, with where to find its SIP address.
public struct Provider: Hashable, Sendable {
    public var id: String
    public var name: String
    public var guidance: String
    /// The transport and port it usually uses, as a hint before discovery.
    public var typical: String

    public static let catalog: [Provider] = [
        Provider(id: "twilio", name: "Twilio", guidance: "Elastic SIP Trunking → your trunk → Termination: the Termination SIP URI (something.pstn.twilio.com).", typical: "TLS 5061"),
        Provider(id: "vonage", name: "Vonage", guidance: "Vonage API Dashboard → SIP Trunking → your domain: the SIP URI (something.sip-us.vonage.com).", typical: "TLS 5061"),
        Provider(id: "asterisk", name: "Asterisk / FreePBX", guidance: "FreePBX: Settings → Asterisk SIP Settings (PJSIP port, usually 5060; TLS 5061). Use the PBX's public address or name.", typical: "UDP 5060"),
        Provider(id: "3cx", name: "3CX", guidance: "3CX Admin → Settings → Network: the FQDN (something.3cx.us) and the SIP port (5060, or 5061 for TLS).", typical: "TLS 5061"),
        Provider(id: "cisco", name: "Cisco UCM / CUBE", guidance: "CUBE: the outside interface's address (show sip-ua status); UCM: the SIP trunk's destination address.", typical: "TCP 5060"),
        Provider(id: "ringcentral", name: "RingCentral", guidance: "RingCentral Admin Portal → Phone System → Phones & Devices → your BYOC trunk: the SIP domain and outbound proxy.", typical: "TLS 5061"),
        Provider(id: "teams", name: "Microsoft Teams", guidance: "Direct Routing needs a certified SBC (AudioCodes, Ribbon, Oracle, ...): enter the SBC's FQDN, not a Microsoft address. sip.pstnhub.microsoft.com is Microsoft's side.", typical: "TLS 5061"),
        other,
    ]

    public static let other = Provider(
        id: "other", name: "Other", guidance: "Your PBX or carrier's SIP server: a host name, IP address or sip: URI; add :port and ;transport= if you know them.",
        typical: "discovery will find out")
}

/// The wizard's progress: everything typed or chosen so far, saved after each step so a wizard left half-way
/// resumes where it stopped.
public struct SetupDraft: Codable, Hashable, Sendable {
    /// Which way calls go (Step 1); the raw values are the API's `type`.
    public enum Direction: String, Codable, Hashable, Sendable {
        case outbound, inbound
    }

    /// How the PBX is authenticated (Step 5); the raw values are the API's `auth_mode`.
    public enum AuthMode: String, Codable, Hashable, Sendable {
        case ip, register
    }

    public var step: SetupStep = .direction
    public var direction: Direction = .outbound
    public var providerId: String = "other"
    public var destination: String = ""
    /// Chosen after discovery (its recommendation, or the user's override).
    public var port: Int?
    public var transport: String?
    public var discoveryId: String?
    public var detectedSystem: String?
    public var authMode: AuthMode = .ip
    public var registerUsername: String?
    /// One number per line, as typed or pasted.
    public var numbersText: String = ""
    /// Whether the trunk requires SRTP for media (the guide's default; nil means yes). The test call honours it.
    public var secureMedia: Bool?
    public var requiresSecureMedia: Bool { secureMedia ?? true }
    public var trunkId: String
    public var attached: [String] = []
    public var failed: [AttachResult.Failed] = []
    public var testCallId: String?
    public var testCallResult: String?

    public init(trunkId: String = SIPTrunkService.newIdentifier("trunk")) {
        self.trunkId = trunkId
    }

    public var provider: Provider { Provider.catalog.first { $0.id == providerId } ?? Provider.other }
    public var isOutbound: Bool { direction == .outbound }

    /// The numbers parsed from `numbersText` (see `NumberingPlan.numbers(in:)` for the separators).
    public var numberEntries: [String] {
        NumberingPlan.numbers(in: numbersText)
    }

    /// What a typed destination means, or what is wrong with it.
    public static func describe(destination text: String) -> Checked<Destination> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return .invalid("type the SIP server: a host name, an IP address or a sip: URI") }
        do {
            return .valid(try Destination(parsing: trimmed))
        } catch {
            return .invalid(error.message)
        }
    }

    /// Each typed number checked as E.164.
    public var numberChecks: [(text: String, result: Checked<String>)] {
        numberEntries.map { ($0, Self.check(number: $0)) }
    }

    /// One number checked as E.164 and against its country's numbering plan (the rule attach applies).
    public static func check(number text: String) -> Checked<String> {
        do {
            let number = try NumberingPlan.e164(text)
            if let problem = NumberingPlan.problem(number) { return .invalid(problem) }
            return .valid(number.value)
        } catch {
            return .invalid("\(error)")
        }
    }

    /// The attach request the Numbers step sends.
    public func attachRequest() -> AttachRequest {
        let numbers = numberChecks.compactMap { $0.result.value }
        var direction = AttachRequest.Direction(type: self.direction.rawValue, authMode: authMode.rawValue)
        if authMode == .register { direction.registerAuth = AttachRequest.RegisterAuth(username: registerUsername) }
        if isOutbound {
            direction.sipEndpoint = destinationHost
            direction.options = AttachRequest.Options(port: port, transport: transport, secureMedia: requiresSecureMedia)
        } else {
            direction.options = AttachRequest.Options(secureMedia: requiresSecureMedia)
        }
        return AttachRequest(phoneNumbers: numbers, trunkId: trunkId, directions: [direction])
    }

    /// The destination's host (for the endpoint; port and transport are separate fields).
    public var destinationHost: String? {
        guard case .valid(let parsed) = Self.describe(destination: destination) else { return nil }
        return parsed.host
    }
}

extension SIPTrunkService {
    /// The wizard left half-way, if any.
    public func setupDraft() throws(TrunkError) -> SetupDraft? {
        try read { reader in
            guard let json = try reader.wizardDraft(orgId: orgId) else { return nil }
            return try? JSONDecoder().decode(SetupDraft.self, from: Data(json.utf8))
        }
    }

    public func saveSetupDraft(_ draft: SetupDraft) throws(TrunkError) {
        let json = String(decoding: (try? JSONEncoder().encode(draft)) ?? Data(), as: UTF8.self)
        let now = now()
        try write { writer in try writer.saveWizardDraft(orgId: orgId, json: json, at: now) }
    }

    public func clearSetupDraft() throws(TrunkError) {
        try write { writer in try writer.deleteWizardDraft(orgId: orgId) }
    }

    /// The password a PBX registers with for `trunkId` and `username` (guide Step 5), derived from the
    /// installation secret (created on first use); never stored.
    public func registerPassword(trunkId: String, username: String) throws(TrunkError) -> String {
        let secret: [UInt8]?
        do {
            secret = try store.installationSecret(create: true)
        } catch {
            throw .store(error)
        }
        guard let secret else { throw TrunkError.notFound("the installation key could not be made") }
        return RegisterPassword.derive(secret: secret, trunkId: trunkId, username: username)
    }
}
