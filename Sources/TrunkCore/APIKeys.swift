import Crypto
import Foundation
import TrunkStore

/// The keys of `siptrunk serve` (issue 17): created with a name for an organisation, shown once, stored only as the
/// SHA-256 of their secret, compared in constant time, revoked by id.
///
/// A key reads `stk_<id>_<secret>`: the id (12 hex digits) finds the row, the secret (32 random bytes, URL-safe
/// base64) proves possession. The id is not secret; it names the key in request logs and in `api-key list`.
public struct APIKeyService: Sendable {
    public let store: TrunkDatabase
    let now: @Sendable () -> Date

    public init(store: TrunkDatabase, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.now = now
    }

    /// A key as listed: never its secret.
    public struct Summary: Codable, Hashable, Sendable {
        public var id: String
        public var orgId: String
        public var name: String
        public var createdAt: Date
        public var revokedAt: Date?

        enum CodingKeys: String, CodingKey {
            case id, name
            case orgId = "org_id"
            case createdAt = "created_at"
            case revokedAt = "revoked_at"
        }

        init(_ key: APIKey) {
            id = key.id
            orgId = key.orgId
            name = key.name
            createdAt = key.createdAt
            revokedAt = key.revokedAt
        }
    }

    /// A new key: `key` is the only time the secret exists outside the client.
    public struct Created: Codable, Hashable, Sendable {
        public var summary: Summary
        public var key: String
    }

    /// Who a valid key speaks for.
    public struct Identity: Hashable, Sendable {
        public var keyId: String
        public var orgId: String
        /// The organisation's SIP entitlement (the guide: "All /sip endpoints are protected by an entitlement check").
        public var sipEntitled: Bool
    }

    public func create(name: String, orgId: String = Installation.defaultOrgId) throws(TrunkError) -> Created {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        var problems: [FieldError] = []
        if trimmed.isEmpty || trimmed.count > 64 { problems.append(FieldError("name", "must be 1 to 64 characters")) }
        if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            problems.append(FieldError("name", "must not contain control characters"))
        }
        guard problems.isEmpty else { throw .validation(problems) }
        var generator = SystemRandomNumberGenerator()
        let idBytes = (0..<6).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let secretBytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let id = idBytes.map { String(format: "%02x", $0) }.joined()
        let secret = Self.base64URL(secretBytes)
        let record = APIKey(id: id, orgId: orgId, name: trimmed, keyHash: Self.hex(Array(SHA256.hash(data: Array(secret.utf8)))), createdAt: now())
        do {
            try store.write { writer in
                guard try writer.reader.organisation(id: orgId) != nil else { throw TrunkError.notFound("organisation '\(orgId)' does not exist") }
                try writer.insert(record)
            }
        } catch {
            throw SIPTrunkService.trunkError(error)
        }
        return Created(summary: Summary(record), key: "stk_\(id)_\(secret)")
    }

    public func list() throws(TrunkError) -> [Summary] {
        do {
            return try store.read { try $0.apiKeys() }.map(Summary.init)
        } catch {
            throw SIPTrunkService.trunkError(error)
        }
    }

    public func revoke(id: String) throws(TrunkError) {
        let revoked: Bool
        do {
            revoked = try store.write { try $0.revokeAPIKey(id: id, at: now()) }
        } catch {
            throw SIPTrunkService.trunkError(error)
        }
        if !revoked { throw .notFound("no active API key '\(id)': siptrunk api-key list shows them") }
    }

    /// The key's identity when `presented` is a valid, unrevoked key; nil otherwise (the caller answers 401 without
    /// saying which part was wrong).
    public func authenticate(_ presented: String) throws(TrunkError) -> Identity? {
        let parts = presented.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "stk", parts[1].count == 12, parts[1].allSatisfy(\.isHexDigit), !parts[2].isEmpty,
            parts[2].utf8.count <= 128
        else { return nil }
        let found: (APIKey, Organisation?)?
        do {
            found = try store.read { reader in
                try reader.apiKey(id: String(parts[1])).map { key in (key, try reader.organisation(id: key.orgId)) }
            }
        } catch {
            throw SIPTrunkService.trunkError(error)
        }
        // Hash first, always: the comparison of two digests takes the same time whatever they hold.
        let digest = Array(SHA256.hash(data: Array(parts[2].utf8)))
        guard let (record, organisation) = found, record.revokedAt == nil, Self.constantTimeEqual(Array(Self.hex(digest).utf8), Array(record.keyHash.utf8)) else {
            return nil
        }
        return Identity(keyId: record.id, orgId: record.orgId, sipEntitled: organisation?.sipEntitled ?? false)
    }

    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
