import Foundation
import SIPCore
import TrunkStore

/// What the REGISTER client needs for a registration-auth trunk (guide Step 5): where to register and with
/// which credentials. The password is re-derived from the installation secret, or the one the user provided.
public struct RegistrationSettings: Sendable, Hashable {
    public var trunkId: String
    public var number: String
    /// The registrar as `host` or `host:port`, from the outbound direction's primary endpoint, if it has one.
    public var registrar: String?
    public var transport: String?
    public var username: String
    public var password: String
}

/// The REGISTER client's state as the dashboard and `--json` show it.
public struct RegistrationView: Codable, Hashable, Sendable {
    public var trunkId: String
    public var registrar: String
    public var username: String
    public var state: String
    public var expiresAt: Date?
    /// Seconds until the registration lapses, from the time of the query.
    public var expiresIn: Double?
    public var lastError: String?
    public var registrations: Int
    public var updatedAt: Date
}

extension SIPTrunkService {
    /// The credentials of `trunkId`'s registration authentication (guide Step 5: set on its inbound direction)
    /// and, as registrar, the trunk's outbound endpoint when it has one (nil: the caller must name one).
    /// Refuses a trunk without registration authentication, saying how to set it.
    public func registrationSettings(trunkId: String) throws(TrunkError) -> RegistrationSettings {
        let secret: [UInt8]?
        do {
            secret = try store.installationSecret(create: false)
        } catch {
            throw .store(error)
        }
        return try read { reader in
            _ = try requireEntitlement(reader)
            guard let trunk = try reader.trunk(id: trunkId), trunk.orgId == orgId else {
                throw TrunkError.notFound("no trunk '\(trunkId)': siptrunk trunks list shows them")
            }
            let configurations = try reader.configurations(trunkId: trunk.id)
            var credentials: (number: String, username: String, password: String)?
            for config in configurations {
                guard let authentication = try reader.authentication(configId: config.id), authentication.mode == .register,
                    let username = authentication.username
                else { continue }
                if authentication.passwordSource == "provided", let provided = authentication.providedPassword {
                    credentials = (config.number, username, try SealedSecret.open(provided, secret: secret, configId: config.id))
                } else {
                    guard let secret else {
                        throw TrunkError.notFound("the installation key (\(store.keyPath)) is missing, so the derived password cannot be recomputed: restore it from the backup made with the database, or attach the number again")
                    }
                    credentials = (config.number, username, RegisterPassword.derive(secret: secret, trunkId: trunk.id, username: username))
                }
                break
            }
            guard let credentials else {
                throw TrunkError.validation([FieldError("trunk", "trunk \(trunkId) uses IP-based authentication: there is nothing to register (switch with siptrunk trunks update NUMBER --direction inbound --auth register)")])
            }
            var registrar: String?
            var transport: String?
            for config in configurations where config.direction == .outbound {
                guard let endpoint = try reader.endpoints(configId: config.id).first else { continue }
                registrar = AddressText.join(host: endpoint.host, port: endpoint.port)
                transport = endpoint.transport
                break
            }
            return RegistrationSettings(
                trunkId: trunk.id, number: credentials.number, registrar: registrar, transport: transport,
                username: credentials.username, password: credentials.password)
        }
    }

    /// Stores the REGISTER client's current state for the dashboard.
    public func recordRegistration(_ state: RegistrationState) throws(TrunkError) {
        try write { writer in try writer.save(state) }
    }

    public func registration(trunkId: String) throws(TrunkError) -> RegistrationView? {
        let now = now()
        return try read { reader in
            _ = try requireEntitlement(reader)
            guard let state = try reader.registrationState(trunkId: trunkId) else { return nil }
            let expiresIn = state.state == "registered" ? state.expiresAt.map { max(0, $0.timeIntervalSince(now)) } : nil
            return RegistrationView(
                trunkId: state.trunkId, registrar: state.registrar, username: state.username, state: state.state,
                expiresAt: state.expiresAt, expiresIn: expiresIn.map { ($0 * 10).rounded() / 10 }, lastError: state.lastError,
                registrations: state.registrations, updatedAt: state.updatedAt)
        }
    }
}
