import Foundation
internal import GRDB

/// An API key of `siptrunk serve`: its public id, its organisation, and the SHA-256 of its secret in hex (never the
/// secret).
public struct APIKey: Codable, Hashable, Sendable {
    public var id: String
    public var orgId: String
    public var name: String
    public var keyHash: String
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: String, orgId: String, name: String, keyHash: String, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.orgId = orgId
        self.name = name
        self.keyHash = keyHash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

extension APIKey: SnakeCaseRecord {
    public static let databaseTableName = "api_key"
}

extension StoreReader {
    public func apiKey(id: String) throws -> APIKey? {
        try APIKey.fetchOne(db, key: id)
    }

    /// Every key, oldest first (revoked ones too: the list shows when they were revoked).
    public func apiKeys() throws -> [APIKey] {
        try APIKey.order(Column("created_at"), Column("id")).fetchAll(db)
    }
}

extension StoreWriter {
    public func insert(_ key: APIKey) throws { try key.insert(db) }

    /// Marks the key revoked at `at`; false when there is no such key or it was already revoked.
    @discardableResult
    public func revokeAPIKey(id: String, at: Date) throws -> Bool {
        try db.execute(sql: "UPDATE api_key SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [at, id])
        return db.changesCount > 0
    }
}
