import Foundation
internal import GRDB
import SystemPackage

/// A proof-of-ownership document (a bill, an LOA): its bytes are a file named by their SHA-256 beside the database.
public struct PortDocument: Codable, Hashable, Sendable {
    public var documentSid: String
    public var orgId: String
    public var fileName: String
    /// `application/pdf`, `image/png` or `image/jpeg`, from the bytes.
    public var mediaType: String
    /// Empty: the bytes are in the file (kept for databases from before v10).
    public var bytes: Data
    public var sha256: String?
    public var size: Int?
    public var createdAt: Date

    public init(documentSid: String, orgId: String, fileName: String, mediaType: String, sha256: String, size: Int, createdAt: Date) {
        self.documentSid = documentSid
        self.orgId = orgId
        self.fileName = fileName
        self.mediaType = mediaType
        bytes = Data()
        self.sha256 = sha256
        self.size = size
        self.createdAt = createdAt
    }
}

extension PortDocument: SnakeCaseRecord {
    public static let databaseTableName = "port_document"
}

/// A port request: the losing carrier's details (JSON, as the API takes them), the target date, the documents.
public struct PortRequest: Codable, Hashable, Sendable {
    public var id: String
    public var orgId: String
    public var status: String
    public var losingCarrierInformation: String
    public var targetPortDate: Date
    public var documents: String
    public var pin: String?
    public var focDate: Date?
    public var failureReason: String?
    public var signedName: String?
    public var signedAt: Date?
    public var signedFrom: String?
    public var loaSha256: String?
    public var signatureTokenSha256: String?
    public var signatureExpiresAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, orgId: String, status: String, losingCarrierInformation: String, targetPortDate: Date, documents: String, pin: String?,
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.orgId = orgId
        self.status = status
        self.losingCarrierInformation = losingCarrierInformation
        self.targetPortDate = targetPortDate
        self.documents = documents
        self.pin = pin
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

extension PortRequest: SnakeCaseRecord {
    public static let databaseTableName = "port_request"
}

public struct PortRequestNumber: Codable, Hashable, Sendable {
    public var portRequestId: String
    public var number: String
    public var status: String

    public init(portRequestId: String, number: String, status: String) {
        self.portRequestId = portRequestId
        self.number = number
        self.status = status
    }
}

extension PortRequestNumber: SnakeCaseRecord {
    public static let databaseTableName = "port_request_number"
}

/// One status change: from, to, when, who, why.
public struct PortStatusEvent: Codable, Hashable, Sendable {
    public var id: Int64?
    public var portRequestId: String
    public var fromStatus: String?
    public var status: String
    public var at: Date
    public var who: String?
    public var note: String?

    public init(portRequestId: String, fromStatus: String?, status: String, at: Date, who: String?, note: String?) {
        self.portRequestId = portRequestId
        self.fromStatus = fromStatus
        self.status = status
        self.at = at
        self.who = who
        self.note = note
    }
}

extension PortStatusEvent: SnakeCaseRecord {
    public static let databaseTableName = "port_request_status_history"
    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension StoreReader {
    public func portDocument(sid: String) throws -> PortDocument? { try PortDocument.fetchOne(db, key: sid) }

    public func portDocument(sha256: String, orgId: String) throws -> PortDocument? {
        try PortDocument.filter(Column("sha256") == sha256 && Column("org_id") == orgId).fetchOne(db)
    }

    public func portRequest(id: String) throws -> PortRequest? { try PortRequest.fetchOne(db, key: id) }

    public func portRequest(signatureTokenSha256 digest: String) throws -> PortRequest? {
        try PortRequest.filter(Column("signature_token_sha256") == digest).fetchOne(db)
    }

    public func portRequests(orgId: String) throws -> [PortRequest] {
        try PortRequest.filter(Column("org_id") == orgId).order(Column("created_at").desc, Column("id")).fetchAll(db)
    }

    public func portNumbers(requestId: String) throws -> [PortRequestNumber] {
        try PortRequestNumber.filter(Column("port_request_id") == requestId).order(Column("number")).fetchAll(db)
    }

    public func portHistory(requestId: String) throws -> [PortStatusEvent] {
        try PortStatusEvent.filter(Column("port_request_id") == requestId).order(Column("at"), Column("id")).fetchAll(db)
    }

    /// The open request (not completed, canceled or failed) holding `number`, if any.
    public func openPortRequest(holding number: String, orgId: String) throws -> String? {
        try String.fetchOne(
            db,
            sql: """
                SELECT r.id FROM port_request r JOIN port_request_number n ON n.port_request_id = r.id
                WHERE n.number = ? AND r.org_id = ? AND r.status NOT IN ('completed', 'canceled', 'failed') LIMIT 1
                """,
            arguments: [number, orgId])
    }
}

extension StoreWriter {
    public func insert(_ document: PortDocument) throws { try document.insert(db) }
    public func save(_ request: PortRequest) throws { try request.save(db) }
    public func save(_ number: PortRequestNumber) throws { try number.save(db) }
    public func insert(_ event: PortStatusEvent) throws {
        var event = event
        try event.insert(db)
    }
}

extension TrunkDatabase {
    /// Where porting documents are kept: beside the database, mode 0700.
    public var documentDirectory: String {
        let directory = FilePath(path).removingLastComponent().string
        return (directory.isEmpty ? "." : directory) + "/siptrunk-documents"
    }
}
