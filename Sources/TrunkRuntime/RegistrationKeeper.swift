import Foundation
import SIPEngine
import TrunkCore

/// A registration as the store and the dashboard see it: the client's state in the API's words, and the record
/// kept per trunk while `siptrunk register --trunk` runs.
public enum RegistrationKeeper {
    public static func name(of state: RegisterClient.State) -> String {
        switch state {
        case .registered: "registered"
        case .failed: "failed"
        case .registering: "registering"
        case .idle: "idle"
        }
    }

    public static func state(of client: RegisterClient, trunkId: String, registrar: String) -> RegistrationState {
        let now = Date()
        let failure: String? = if case .failed(let reason) = client.state { reason } else { nil }
        return RegistrationState(
            trunkId: trunkId, registrar: registrar, username: client.configuration.username,
            state: client.state == .idle ? "registering" : name(of: client.state),
            expiresAt: client.expiresIn.map { now.addingTimeInterval($0) }, lastError: failure ?? client.lastError,
            registrations: client.registrations, updatedAt: now)
    }
}
