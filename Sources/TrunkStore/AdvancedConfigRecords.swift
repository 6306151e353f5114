import Foundation
internal import GRDB

/// Failover for an outbound configuration: which failures move calls to the secondary and tertiary endpoints.
public struct FailoverSettings: Codable, Hashable, Sendable {
    public var configId: String
    public var enabled: Bool
    public var triggers: [String]
    public var failback: String

    public init(configId: String, enabled: Bool, triggers: [String], failback: String) {
        self.configId = configId
        self.enabled = enabled
        self.triggers = triggers
        self.failback = failback
    }
}

/// Codec order and enablement for a configuration.
public struct CodecSettings: Codable, Hashable, Sendable {
    public struct Entry: Codable, Hashable, Sendable {
        public var name: String
        public var enabled: Bool
        public init(name: String, enabled: Bool) {
            self.name = name
            self.enabled = enabled
        }
    }

    public var configId: String
    public var codecs: [Entry]
    public var transcode: Bool

    public init(configId: String, codecs: [Entry], transcode: Bool) {
        self.configId = configId
        self.codecs = codecs
        self.transcode = transcode
    }
}

/// Alert thresholds and channels for a configuration.
public struct AlertSettings: Codable, Hashable, Sendable {
    public var configId: String
    public var enabled: Bool
    public var unreachableMinutes: Int?
    public var failureRatePercent: Int?
    public var failureRateWindowMinutes: Int?
    public var responseTimeMs: Int?
    public var email: String?
    public var sms: String?
    public var webhook: String?

    public init(
        configId: String, enabled: Bool, unreachableMinutes: Int? = nil, failureRatePercent: Int? = nil,
        failureRateWindowMinutes: Int? = nil, responseTimeMs: Int? = nil, email: String? = nil, sms: String? = nil,
        webhook: String? = nil
    ) {
        self.configId = configId
        self.enabled = enabled
        self.unreachableMinutes = unreachableMinutes
        self.failureRatePercent = failureRatePercent
        self.failureRateWindowMinutes = failureRateWindowMinutes
        self.responseTimeMs = responseTimeMs
        self.email = email
        self.sms = sms
        self.webhook = webhook
    }
}

extension FailoverSettings: SnakeCaseRecord {
    public static let databaseTableName = "failover_config"
}

extension CodecSettings: SnakeCaseRecord {
    public static let databaseTableName = "codec_config"
}

extension AlertSettings: SnakeCaseRecord {
    public static let databaseTableName = "alert_config"
}

extension StoreReader {
    public func failover(configId: String) throws -> FailoverSettings? { try FailoverSettings.fetchOne(db, key: configId) }
    public func codecs(configId: String) throws -> CodecSettings? { try CodecSettings.fetchOne(db, key: configId) }
    public func alerts(configId: String) throws -> AlertSettings? { try AlertSettings.fetchOne(db, key: configId) }
}

extension StoreWriter {
    public func save(_ settings: FailoverSettings) throws { try settings.save(db) }
    public func save(_ settings: CodecSettings) throws { try settings.save(db) }
    public func save(_ settings: AlertSettings) throws { try settings.save(db) }
}
