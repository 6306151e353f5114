import Crypto
import Foundation
import TrunkStore

/// Passwords kept in the database (a registration password the user provided, the digest credentials for the PBX's
/// challenges) sealed with ChaChaPoly (RFC 8439) under a key derived from the installation secret in the key file
/// beside the database (issue 19). A copied database alone reveals none of them.
///
/// Stored form: `sealed:v1:` + base64(nonce ‖ ciphertext ‖ tag). The configuration id is bound in as associated
/// data, so a sealed value moved to another row does not open.
enum SealedSecret {
    static let prefix = "sealed:v1:"

    static func isSealed(_ stored: String) -> Bool { stored.hasPrefix(prefix) }

    static func key(_ secret: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: secret), salt: Array("siptrunk stored credentials v1".utf8),
            info: Array("chachapoly".utf8), outputByteCount: 32)
    }

    static func seal(_ plaintext: String, secret: [UInt8], configId: String) throws(TrunkError) -> String {
        do {
            let box = try ChaChaPoly.seal(Array(plaintext.utf8), using: key(secret), authenticating: Array(configId.utf8))
            return prefix + box.combined.base64EncodedString()
        } catch {
            throw TrunkError.store(StoreError(.other, "cannot seal a password: \(error)"))
        }
    }

    /// The plaintext of a stored value. Values stored before sealing existed are returned as they are (they are
    /// sealed the next time the database is opened for writing).
    static func open(_ stored: String, secret: [UInt8]?, configId: String) throws(TrunkError) -> String {
        guard isSealed(stored) else { return stored }
        guard let secret else {
            throw TrunkError.notFound("the installation key (the .key file beside the database) is missing, so stored passwords cannot be read: restore it from the backup made with the database")
        }
        guard let combined = Data(base64Encoded: String(stored.dropFirst(prefix.count))),
            let box = try? ChaChaPoly.SealedBox(combined: combined),
            let plaintext = try? ChaChaPoly.open(box, using: key(secret), authenticating: Array(configId.utf8))
        else {
            throw TrunkError.store(StoreError(.corrupt, "a stored password does not open with the installation key: the database and its .key file are not from the same backup"))
        }
        return String(decoding: plaintext, as: UTF8.self)
    }
}

extension Installation {
    /// Seals passwords stored in plain text by earlier versions. Runs when a database is opened for writing.
    static func sealPlaintextPasswords(_ store: TrunkDatabase) throws(TrunkError) {
        do {
            let plain = try store.read { reader in
                try reader.authentications().filter { authentication in
                    [authentication.providedPassword, authentication.outboundPassword].contains { $0.map { !SealedSecret.isSealed($0) } ?? false }
                }
            }
            guard !plain.isEmpty else { return }
            guard let secret = try store.installationSecret(create: true) else { return }
            try store.write { writer in
                for var authentication in plain {
                    if let password = authentication.providedPassword, !SealedSecret.isSealed(password) {
                        authentication.providedPassword = try SealedSecret.seal(password, secret: secret, configId: authentication.configId)
                    }
                    if let password = authentication.outboundPassword, !SealedSecret.isSealed(password) {
                        authentication.outboundPassword = try SealedSecret.seal(password, secret: secret, configId: authentication.configId)
                    }
                    try writer.save(authentication)
                }
            }
        } catch {
            throw SIPTrunkService.trunkError(error)
        }
    }
}
