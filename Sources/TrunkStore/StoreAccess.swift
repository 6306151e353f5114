import Foundation
import GRDB

/// Reads inside one transaction.
public struct StoreReader {
    let db: Database

    public func organisation(id: String) throws -> Organisation? {
        try Organisation.fetchOne(db, key: id)
    }

    public func organisations() throws -> [Organisation] {
        try Organisation.order(Column("created_at")).fetchAll(db)
    }

    public func trunk(id: String) throws -> Trunk? {
        try Trunk.fetchOne(db, key: id)
    }

    public func trunks(orgId: String) throws -> [Trunk] {
        try Trunk.filter(Column("org_id") == orgId).order(Column("created_at"), Column("id")).fetchAll(db)
    }

    public func phoneNumber(_ number: String) throws -> PhoneNumber? {
        try PhoneNumber.fetchOne(db, key: number)
    }

    public func phoneNumbers(orgId: String) throws -> [PhoneNumber] {
        try PhoneNumber.filter(Column("org_id") == orgId).order(Column("number")).fetchAll(db)
    }

    public func configurations(number: String) throws -> [SIPConfiguration] {
        try SIPConfiguration.filter(Column("number") == number).order(Column("created_at"), Column("id")).fetchAll(db)
    }

    public func configurations(trunkId: String) throws -> [SIPConfiguration] {
        try SIPConfiguration.filter(Column("trunk_id") == trunkId).order(Column("number"), Column("direction")).fetchAll(db)
    }

    public func configuration(id: String) throws -> SIPConfiguration? {
        try SIPConfiguration.fetchOne(db, key: id)
    }

    public func configurationCount(number: String) throws -> Int {
        try SIPConfiguration.filter(Column("number") == number).fetchCount(db)
    }

    public func authentication(configId: String) throws -> Authentication? {
        try Authentication.fetchOne(db, key: configId)
    }

    public func endpoints(configId: String) throws -> [OutboundEndpoint] {
        try OutboundEndpoint.filter(Column("config_id") == configId).order(Column("priority")).fetchAll(db)
    }

    /// The named region, or the default one when `name` is nil.
    public func region(named name: String?) throws -> Region? {
        if let name { return try Region.fetchOne(db, key: name) }
        return try Region.filter(Column("is_default") == true).fetchOne(db)
    }

    public func regions() throws -> [Region] {
        try Region.order(Column("is_default").desc, Column("name")).fetchAll(db)
    }

    /// The per-installation secret, if one was created.
    public func installationSecret() throws -> [UInt8]? {
        try Data.fetchOne(db, sql: "SELECT secret FROM installation_secret WHERE id = 1").map { Array($0) }
    }
}

/// Reads and writes inside one transaction.
public struct StoreWriter {
    let db: Database

    public var reader: StoreReader { StoreReader(db: db) }

    public func save(_ organisation: Organisation) throws { try organisation.save(db) }
    public func save(_ trunk: Trunk) throws { try trunk.save(db) }
    public func save(_ number: PhoneNumber) throws { try number.save(db) }
    public func save(_ configuration: SIPConfiguration) throws { try configuration.save(db) }
    public func save(_ authentication: Authentication) throws { try authentication.save(db) }
    public func save(_ region: Region) throws {
        if region.isDefault {
            try db.execute(sql: "UPDATE region SET is_default = 0 WHERE name != ?", arguments: [region.name])
        }
        try region.save(db)
    }

    /// Replaces a configuration's outbound endpoints (primary, secondary, tertiary).
    public func replaceEndpoints(configId: String, with endpoints: [OutboundEndpoint]) throws {
        _ = try OutboundEndpoint.filter(Column("config_id") == configId).deleteAll(db)
        for var endpoint in endpoints {
            endpoint.id = nil
            try endpoint.insert(db)
        }
    }

    @discardableResult
    public func deleteConfiguration(id: String) throws -> Bool {
        try SIPConfiguration.deleteOne(db, key: id)
    }

    /// Deletes a number that has no configuration left.
    public func deleteNumberIfUnused(_ number: String) throws {
        if try SIPConfiguration.filter(Column("number") == number).fetchCount(db) == 0 {
            _ = try PhoneNumber.deleteOne(db, key: number)
        }
    }

    /// The installation secret, created from `make()` on first use.
    public func installationSecret(orCreate make: () -> [UInt8]) throws -> [UInt8] {
        if let existing = try reader.installationSecret() { return existing }
        let secret = make()
        try db.execute(
            sql: "INSERT INTO installation_secret (id, secret, created_at) VALUES (1, ?, ?)",
            arguments: [Data(secret), Date()])
        return secret
    }
}

/// One OPTIONS probe result for a configuration.
public struct HealthSample: Codable, Hashable, Sendable {
    public var id: Int64?
    public var configId: String
    public var checkedAt: Date
    /// `ok`, or a failure kind such as `timeout` or `connection_refused`.
    public var outcome: String
    public var responseCode: Int?
    public var responseTimeMs: Double?

    public init(id: Int64? = nil, configId: String, checkedAt: Date, outcome: String, responseCode: Int?, responseTimeMs: Double?) {
        self.id = id
        self.configId = configId
        self.checkedAt = checkedAt
        self.outcome = outcome
        self.responseCode = responseCode
        self.responseTimeMs = responseTimeMs
    }
}

extension HealthSample: SnakeCaseRecord {
    public static let databaseTableName = "health_sample"
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension StoreReader {
    public func latestHealthSample(configId: String) throws -> HealthSample? {
        try HealthSample.filter(Column("config_id") == configId).order(Column("checked_at").desc).fetchOne(db)
    }
}

extension StoreWriter {
    public func insert(_ sample: HealthSample) throws {
        var sample = sample
        try sample.insert(db)
    }
}
