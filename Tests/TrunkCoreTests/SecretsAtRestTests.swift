import Foundation
import Testing
@testable import TrunkCore
@testable import TrunkStore

/// Issue 19: the installation secret lives in a key file beside the database, stored passwords are sealed, exports
/// are redacted.
struct SecretsAtRestTests {
    @Test func aProvidedRegistrationPasswordIsSealedAndStillUsable() throws {
        let database = try TestDatabase()
        let request = AttachRequest(
            phoneNumber: "+14155550123", trunkId: "pbx1",
            directions: [.init(type: "inbound", authMode: "register", registerAuth: .init(username: "pbx1-user", password: "correct horse battery"))])
        _ = try database.service.attach(request)
        let stored = try database.store.read { try $0.authentications() }
        #expect(stored.count == 1)
        #expect(stored.first?.providedPassword?.hasPrefix("sealed:v1:") == true)
        #expect(stored.first?.providedPassword?.contains("horse") == false)
        let settings = try database.service.registrationSettings(trunkId: "pbx1")
        #expect(settings.password == "correct horse battery")
    }

    @Test func withoutTheKeyFileStoredPasswordsCannotBeRead() throws {
        let database = try TestDatabase()
        _ = try database.service.attach(AttachRequest(
            phoneNumber: "+14155550123", trunkId: "pbx1",
            directions: [.init(type: "inbound", authMode: "register", registerAuth: .init(username: "u", password: "correct horse battery"))]))
        try FileManager.default.removeItem(atPath: database.store.keyPath)
        #expect(throws: TrunkError.self) { try database.service.registrationSettings(trunkId: "pbx1") }
    }

    @Test func aSealedValueMovedToAnotherRowDoesNotOpen() throws {
        let secret = [UInt8](repeating: 7, count: 32)
        let sealed = try SealedSecret.seal("pw", secret: secret, configId: "sip_a")
        #expect(try SealedSecret.open(sealed, secret: secret, configId: "sip_a") == "pw")
        #expect(throws: TrunkError.self) { try SealedSecret.open(sealed, secret: secret, configId: "sip_b") }
        #expect(throws: TrunkError.self) { try SealedSecret.open(sealed, secret: [UInt8](repeating: 8, count: 32), configId: "sip_a") }
    }

    @Test func digestResponsesAreRedactedInExports() {
        let invite = "INVITE sip:+14155550123@pbx SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
            + "Proxy-Authorization: Digest username=\"alice\", realm=\"pbx\", nonce=\"abc\", uri=\"sip:+14155550123@pbx\", response=\"6629fae49393a05397450978507c4ef1\", qop=auth, nc=00000001, cnonce=\"0a4f\"\r\n"
            + "Authorization: Digest username=\"response\", response = \"deadbeef\"\r\nContent-Length: 4\r\n\r\nbody"
        let message = TraceMessage(
            sipCallId: "c", monotonicNs: 0, wallTime: Date(), direction: "sent", transport: "udp", localAddress: "a:1", remoteAddress: "b:2",
            raw: Data(invite.utf8))
        let redacted = String(decoding: TraceExport.redactingCredentials([message])[0].raw, as: UTF8.self)
        #expect(!redacted.contains("6629fae49393a05397450978507c4ef1"))
        #expect(!redacted.contains("deadbeef"))
        #expect(redacted.contains("response=\"REDACTED\""))
        #expect(redacted.contains("username=\"alice\""))
        #expect(redacted.contains("username=\"response\""))
        #expect(redacted.hasSuffix("\r\n\r\nbody"))
        // Without credentials the bytes are untouched (also when they are not UTF-8).
        var plain = message
        plain.raw = Data([0x4F, 0x50, 0xFF, 0x0D, 0x0A, 0x0D, 0x0A, 0xFE])
        #expect(TraceExport.redactingCredentials([plain])[0].raw == plain.raw)
    }

    @Test func anOldDatabaseSecretMovesToTheKeyFile() throws {
        let database = try TestDatabase()
        let path = database.store.path
        try? FileManager.default.removeItem(atPath: database.store.keyPath)
        // As databases before the key file kept it.
        let old = [UInt8](repeating: 0xAB, count: 32)
        try database.store.write { writer in try writer.insertLegacyInstallationSecret(old) }
        let reopened = try TrunkDatabase(path: path)
        #expect(try reopened.installationSecret(create: false) == old)
        #expect(try reopened.read { try $0.installationSecret() } == nil)
    }
}
