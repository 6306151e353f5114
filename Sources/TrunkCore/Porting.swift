import Crypto
import Foundation
import SIPCore
import TrunkStore

/// Number porting (issue 18; the guide's Number Porting section): this deployment is the gaining side. A request goes
/// `waiting_for_signature → submitted → in_progress → completed`, or ends `canceled` or `failed`.
public enum PortStatus: String, Codable, Sendable, Hashable, CaseIterable {
    case waitingForSignature = "waiting_for_signature", submitted, inProgress = "in_progress", completed, canceled, failed

    public var isFinal: Bool { [.completed, .canceled, .failed].contains(self) }

    /// The lifecycle's rule: who may move a request from this status, and where.
    public static let transitions: [PortStatus: Set<PortStatus>] = [
        .waitingForSignature: [.submitted, .canceled],
        .submitted: [.inProgress, .failed, .canceled],
        .inProgress: [.completed, .failed, .canceled],
    ]
}

/// `GET /v1/sip/port/check` for one number.
public struct PortCheck: Codable, Hashable, Sendable {
    public var phoneNumber: String
    public var portable: Bool
    public var numberType: String
    public var pinRequired: Bool
    /// Why it is not portable (null when it is).
    public var reason: String?

    enum CodingKeys: String, CodingKey { case phoneNumber = "phone_number", portable, numberType = "number_type", pinRequired = "pin_required", reason }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(phoneNumber, forKey: .phoneNumber)
        try container.encode(portable, forKey: .portable)
        try container.encode(numberType, forKey: .numberType)
        try container.encode(pinRequired, forKey: .pinRequired)
        try container.encode(reason, forKey: .reason)
    }
}

/// `POST /v1/sip/port/document`'s answer.
public struct PortDocumentView: Codable, Hashable, Sendable {
    public var documentSid: String
    public var fileName: String
    public var mediaType: String
    public var size: Int
    public var sha256: String
}

/// `POST /v1/sip/port/initiate`: the API's body (and `siptrunk port initiate --request FILE`).
public struct PortInitiateRequest: Codable, Hashable, Sendable {
    public struct Address: Codable, Hashable, Sendable {
        public var street: String
        public var street2: String?
        public var city: String
        public var state: String
        public var zip: String
        public var country: String

        public init(street: String, street2: String?, city: String, state: String, zip: String, country: String) {
            self.street = street
            self.street2 = street2
            self.city = city
            self.state = state
            self.zip = zip
            self.country = country
        }
    }

    public struct LosingCarrierInformation: Codable, Hashable, Sendable {
        /// `business` or `personal`.
        public var customerType: String
        public var businessName: String?
        /// The authorized representative's name.
        public var firstName: String
        public var lastName: String
        public var accountNumber: String
        public var authorizedRepresentativeEmail: String
        public var notificationEmails: [String]?
        public var address: Address

        public init(
            customerType: String, businessName: String?, firstName: String, lastName: String, accountNumber: String,
            authorizedRepresentativeEmail: String, notificationEmails: [String]?, address: Address
        ) {
            self.customerType = customerType
            self.businessName = businessName
            self.firstName = firstName
            self.lastName = lastName
            self.accountNumber = accountNumber
            self.authorizedRepresentativeEmail = authorizedRepresentativeEmail
            self.notificationEmails = notificationEmails
            self.address = address
        }
    }

    public var phoneNumbers: [String]
    public var losingCarrierInformation: LosingCarrierInformation
    /// `YYYY-MM-DD`, at least 7 days from today in the user's time zone.
    public var targetPortDate: String
    public var documents: [String]
    public var pin: String?

    public init(
        phoneNumbers: [String], losingCarrierInformation: LosingCarrierInformation, targetPortDate: String, documents: [String], pin: String?
    ) {
        self.phoneNumbers = phoneNumbers
        self.losingCarrierInformation = losingCarrierInformation
        self.targetPortDate = targetPortDate
        self.documents = documents
        self.pin = pin
    }
}

/// A port request as the API lists it (`GET /v1/sip/port`), with its history for `port show`.
public struct PortRequestView: Codable, Hashable, Sendable {
    public struct Number: Codable, Hashable, Sendable {
        public var number: String
        public var status: String
    }

    public struct Event: Codable, Hashable, Sendable {
        public var from: String?
        public var to: String
        public var at: Date
        public var who: String?
        public var note: String?
    }

    public var id: String
    public var status: String
    public var phoneNumbers: [Number]
    public var authorizedRepEmail: String
    public var notificationEmails: [String]
    public var targetPortDate: String
    public var focDate: String?
    public var failureReason: String?
    public var documents: [String]
    public var history: [Event]
    public var createdAt: Date
    public var updatedAt: Date
}

/// `POST /v1/sip/port/initiate`'s answer.
public struct PortInitiated: Codable, Hashable, Sendable {
    public init(portRequestId: String, status: String, signatureUrl: String?, phoneNumbers: [String]) {
        self.portRequestId = portRequestId
        self.status = status
        self.signatureUrl = signatureUrl
        self.phoneNumbers = phoneNumbers
    }

    public var portRequestId: String
    public var status: String
    /// Where the representative signs the Letter of Authorization; null until the LOA can be generated and signed here.
    public var signatureUrl: String?
    public var phoneNumbers: [String]

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(portRequestId, forKey: .portRequestId)
        try container.encode(status, forKey: .status)
        try container.encode(signatureUrl, forKey: .signatureUrl)
        try container.encode(phoneNumbers, forKey: .phoneNumbers)
    }

    enum CodingKeys: String, CodingKey { case portRequestId = "port_request_id", status, signatureUrl = "signature_url", phoneNumbers = "phone_numbers" }
}

extension SIPTrunkService {
    /// The largest document accepted: 10 MB (10,485,760 bytes).
    public static let maximumDocumentBytes = 10 * 1024 * 1024
    public static let minimumPortLeadDays = 7

    /// When the losing carrier needs the account PIN, by country calling code and number type: mobile numbers in the
    /// NANP (US and Canadian carriers require the account PIN to port a wireless number).
    public static let pinRules: [(countryCode: Int, types: Set<NumberingPlan.NumberType>)] = [
        (1, [.mobile, .fixedLineOrMobile]),
    ]

    // MARK: Check

    /// `GET /v1/sip/port/check`: each number's portability, type and PIN rule.
    public func portCheck(_ texts: [String]) throws(TrunkError) -> [PortCheck] {
        guard !texts.isEmpty else { throw .validation([FieldError("phone_numbers", "give at least one number in E.164 form")]) }
        guard texts.count <= Self.maximumNumbersPerCall else {
            throw .validation([FieldError("phone_numbers", "\(texts.count) numbers given; at most \(Self.maximumNumbersPerCall) per check")])
        }
        return try read { reader in
            _ = try requireEntitlement(reader)
            return try texts.map { text in try Self.check(text, reader: reader, orgId: orgId) }
        }
    }

    static func check(_ text: String, reader: StoreReader, orgId: String) throws -> PortCheck {
        let number: E164Number
        do {
            number = try NumberingPlan.e164(text)
        } catch {
            return PortCheck(phoneNumber: text, portable: false, numberType: "unknown", pinRequired: false, reason: "not an E.164 number: \(error)")
        }
        let facts = NumberingPlan.facts(number)
        let pin = pinRules.contains { $0.countryCode == facts.countryCode && $0.types.contains(facts.type) }
        func refused(_ reason: String) -> PortCheck {
            PortCheck(phoneNumber: number.value, portable: false, numberType: facts.type.rawValue, pinRequired: pin, reason: reason)
        }
        if let problem = NumberingPlan.problem(number) { return refused(problem) }
        if try reader.phoneNumber(number.value) != nil { return refused("\(number.value) is already on this deployment") }
        if let open = try reader.openPortRequest(holding: number.value, orgId: orgId) {
            return refused("\(number.value) is already in port request \(open)")
        }
        return PortCheck(phoneNumber: number.value, portable: true, numberType: facts.type.rawValue, pinRequired: pin, reason: nil)
    }

    // MARK: Documents

    /// `POST /v1/sip/port/document`: a PDF, PNG or JPEG recognised by its bytes, at most 10 MB, stored once by SHA-256.
    public func uploadPortDocument(_ bytes: [UInt8], fileName: String) throws(TrunkError) -> PortDocumentView {
        guard !bytes.isEmpty else { throw .validation([FieldError("file", "is empty")]) }
        guard bytes.count <= Self.maximumDocumentBytes else {
            throw .validation([FieldError("file", "is \(bytes.count) bytes; at most \(Self.maximumDocumentBytes) (10 MB)")])
        }
        guard let mediaType = Self.mediaType(of: bytes) else {
            throw .validation([FieldError("file", "is not a PDF, PNG or JPEG (its first bytes say so, whatever its name: \(Self.describeStart(bytes)))")])
        }
        let name = fileName.isEmpty ? "document" : String(fileName.prefix(200))
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .validation([FieldError("file", "the file name holds control characters")])
        }
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        if let existing = try read({ reader in try reader.portDocument(sha256: digest, orgId: orgId) }) {
            return PortDocumentView(documentSid: existing.documentSid, fileName: existing.fileName, mediaType: existing.mediaType, size: bytes.count, sha256: digest)
        }
        let directory = store.documentDirectory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let path = directory + "/" + digest
            if !FileManager.default.fileExists(atPath: path) { try PrivateFile.write(bytes, to: path, replacing: false) }
        } catch {
            throw .store(StoreError(.other, "cannot keep the document in \(directory): \(error)"))
        }
        let document = PortDocument(
            documentSid: Self.newIdentifier("doc"), orgId: orgId, fileName: name, mediaType: mediaType, sha256: digest, size: bytes.count, createdAt: now())
        try write { writer in
            _ = try requireEntitlement(writer.reader)
            try writer.insert(document)
        }
        return PortDocumentView(documentSid: document.documentSid, fileName: name, mediaType: mediaType, size: bytes.count, sha256: digest)
    }

    /// A document from a file (the TUI's path field, `port document FILE`): read to one byte past the limit, so a file
    /// too large is told by its size.
    public func uploadPortDocument(path: String) throws(TrunkError) -> PortDocumentView {
        let bytes: [UInt8]
        do {
            bytes = try PrivateFile.read(path, limit: Self.maximumDocumentBytes + 1)
        } catch {
            throw .validation([FieldError("file", "\(error)")])
        }
        let name = path.split(separator: "/").last.map(String.init) ?? "document"
        return try uploadPortDocument(bytes, fileName: name)
    }

    /// The media type the bytes are, or nil.
    public static func mediaType(of bytes: [UInt8]) -> String? {
        if bytes.starts(with: Array("%PDF-".utf8)) { return "application/pdf" }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        return nil
    }

    static func describeStart(_ bytes: [UInt8]) -> String {
        if bytes.starts(with: [0x7F, 0x45, 0x4C, 0x46]) { return "an ELF executable" }
        if bytes.starts(with: [0x4D, 0x5A]) { return "a Windows executable" }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return "a ZIP archive" }
        return "it starts with " + bytes.prefix(4).map { String(format: "%02x", $0) }.joined(separator: " ")
    }

    // MARK: Initiate

    /// `POST /v1/sip/port/initiate`: checked field by field, written in one transaction.
    public func initiatePort(_ request: PortInitiateRequest, timeZone: TimeZone = .current) throws(TrunkError) -> PortInitiated {
        var problems: [FieldError] = []
        let carrier = request.losingCarrierInformation
        let prefix = "losing_carrier_information"
        if request.phoneNumbers.isEmpty { problems.append(FieldError("phone_numbers", "give at least one number")) }
        if request.phoneNumbers.count > Self.maximumNumbersPerCall {
            problems.append(FieldError("phone_numbers", "\(request.phoneNumbers.count) numbers given; at most \(Self.maximumNumbersPerCall)"))
        }
        switch carrier.customerType {
        case "business":
            if (carrier.businessName ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append(FieldError("\(prefix).business_name", "is required for a business customer"))
            }
        case "personal": break
        default: problems.append(FieldError("\(prefix).customer_type", "\"\(carrier.customerType)\" is neither business nor personal"))
        }
        for (field, value) in [
            ("first_name", carrier.firstName), ("last_name", carrier.lastName), ("account_number", carrier.accountNumber),
            ("address.street", carrier.address.street), ("address.city", carrier.address.city), ("address.state", carrier.address.state),
            ("address.zip", carrier.address.zip), ("address.country", carrier.address.country),
        ] where value.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append(FieldError("\(prefix).\(field)", "is required"))
        }
        let texts = [carrier.firstName, carrier.lastName, carrier.accountNumber, carrier.businessName ?? "", carrier.address.street, carrier.address.street2 ?? "",
                     carrier.address.city, carrier.address.state, carrier.address.zip, carrier.address.country, request.pin ?? ""]
        if texts.contains(where: { $0.unicodeScalars.contains { $0.properties.generalCategory == .control } || $0.count > 200 }) {
            problems.append(FieldError(prefix, "fields must be at most 200 characters without control characters"))
        }
        if !Self.isEmail(carrier.authorizedRepresentativeEmail) {
            problems.append(FieldError("\(prefix).authorized_representative_email", "\"\(carrier.authorizedRepresentativeEmail)\" is not an email address"))
        }
        for (index, email) in (carrier.notificationEmails ?? []).enumerated() where !Self.isEmail(email) {
            problems.append(FieldError("\(prefix).notification_emails[\(index)]", "\"\(email)\" is not an email address"))
        }
        // The target date: a calendar date in the user's time zone, at least 7 days after today there.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = request.targetPortDate.split(separator: "-").compactMap { Int($0) }
        var target: Date?
        if parts.count == 3, request.targetPortDate.count == 10,
            let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
            calendar.component(.day, from: date) == parts[2]
        {
            target = date
            let today = calendar.startOfDay(for: now())
            let days = calendar.dateComponents([.day], from: today, to: date).day ?? 0
            if days < Self.minimumPortLeadDays {
                let earliest = calendar.date(byAdding: .day, value: Self.minimumPortLeadDays, to: today) ?? today
                let formatter = DateFormatter()
                formatter.calendar = calendar
                formatter.timeZone = timeZone
                formatter.dateFormat = "yyyy-MM-dd"
                problems.append(FieldError("target_port_date", "\(request.targetPortDate) is \(days) days away; the earliest is \(formatter.string(from: earliest)) (7 days from today in \(timeZone.identifier))"))
            }
        } else {
            problems.append(FieldError("target_port_date", "\"\(request.targetPortDate)\" is not a date in YYYY-MM-DD form"))
        }
        if request.documents.isEmpty {
            problems.append(FieldError("documents", "give at least one proof-of-ownership document (POST /v1/sip/port/document, siptrunk port document FILE)"))
        }
        if Set(request.phoneNumbers).count != request.phoneNumbers.count {
            problems.append(FieldError("phone_numbers", "a number is given twice"))
        }
        let id = Self.newIdentifier("port")
        let now = now()
        let secret: [UInt8]?
        do {
            secret = request.pin == nil ? nil : try store.installationSecret(create: !store.isReadOnly)
        } catch {
            throw .store(error)
        }
        let earlyProblems = problems
        let numbers: [String] = try write { writer in
            _ = try requireEntitlement(writer.reader)
            var problems = earlyProblems
            var numbers: [String] = []
            var pinNeeded = false
            for (index, text) in request.phoneNumbers.enumerated() {
                let check = try Self.check(text, reader: writer.reader, orgId: orgId)
                if !check.portable { problems.append(FieldError("phone_numbers[\(index)]", check.reason ?? "not portable")) }
                pinNeeded = pinNeeded || check.pinRequired
                numbers.append(check.phoneNumber)
            }
            if pinNeeded, (request.pin ?? "").isEmpty {
                problems.append(FieldError("pin", "is required: the losing carrier asks for the account PIN to port a mobile number in the NANP"))
            }
            for (index, sid) in request.documents.enumerated() {
                guard let document = try writer.reader.portDocument(sid: sid), document.orgId == orgId else {
                    problems.append(FieldError("documents[\(index)]", "no document \"\(sid)\": upload it first"))
                    continue
                }
            }
            guard problems.isEmpty, let target else { throw TrunkError.validation(problems) }
            let carrierJSON = String(decoding: (try? Self.snakeEncoder.encode(carrier)) ?? Data("{}".utf8), as: UTF8.self)
            let documents = String(decoding: (try? JSONEncoder().encode(request.documents)) ?? Data("[]".utf8), as: UTF8.self)
            let sealedPin = try request.pin.map { pin throws(TrunkError) in try SealedSecret.seal(pin, secret: secret ?? [], configId: id) }
            let stored = PortRequest(
                id: id, orgId: orgId, status: PortStatus.waitingForSignature.rawValue, losingCarrierInformation: carrierJSON, targetPortDate: target,
                documents: documents, pin: sealedPin, createdAt: now, updatedAt: now)
            try writer.save(stored)
            for number in numbers {
                try writer.save(PortRequestNumber(portRequestId: id, number: number, status: PortStatus.waitingForSignature.rawValue))
            }
            try Self.recordPortStatus(
                PortStatusEvent(portRequestId: id, fromStatus: nil, status: PortStatus.waitingForSignature.rawValue, at: now, who: "requester", note: "created"),
                request: stored, writer: writer)
            return numbers
        }
        return PortInitiated(portRequestId: id, status: PortStatus.waitingForSignature.rawValue, signatureUrl: nil, phoneNumbers: numbers)
    }

    static let snakeEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    /// local@domain.tld, no spaces or control characters, at most 254 characters.
    static func isEmail(_ text: String) -> Bool {
        guard text.count <= 254, !text.contains(where: { $0.isWhitespace }), text.unicodeScalars.allSatisfy({ $0.properties.generalCategory != .control }) else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty } && (labels.last?.count ?? 0) >= 2
    }

    // MARK: Lifecycle

    /// `GET /v1/sip/port`: the organisation's requests, newest first.
    public func portRequests() throws(TrunkError) -> [PortRequestView] {
        try read { reader in
            _ = try requireEntitlement(reader)
            return try reader.portRequests(orgId: orgId).map { try Self.view($0, reader: reader) }
        }
    }

    public func portRequest(id: String) throws(TrunkError) -> PortRequestView {
        try read { reader in
            _ = try requireEntitlement(reader)
            return try Self.view(try ownPortRequest(id, reader: reader), reader: reader)
        }
    }

    static func view(_ request: PortRequest, reader: StoreReader) throws -> PortRequestView {
        let carrier = carrier(of: request)
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.dateFormat = "yyyy-MM-dd"
        return PortRequestView(
            id: request.id, status: request.status,
            phoneNumbers: try reader.portNumbers(requestId: request.id).map { .init(number: $0.number, status: $0.status) },
            authorizedRepEmail: carrier?.authorizedRepresentativeEmail ?? "", notificationEmails: carrier?.notificationEmails ?? [],
            targetPortDate: day.string(from: request.targetPortDate), focDate: request.focDate.map(day.string), failureReason: request.failureReason,
            documents: (try? JSONDecoder().decode([String].self, from: Data(request.documents.utf8))) ?? [],
            history: try reader.portHistory(requestId: request.id).map { .init(from: $0.fromStatus, to: $0.status, at: $0.at, who: $0.who, note: $0.note) },
            createdAt: request.createdAt, updatedAt: request.updatedAt)
    }

    /// Moves a request along its lifecycle; an illegal move is refused with the rule. `who` is recorded (the
    /// requester cancels; an operator records the carrier's progress).
    public func movePort(
        id: String, to next: PortStatus, who: String, note: String? = nil, focDate: Date? = nil
    ) throws(TrunkError) -> PortRequestView {
        let now = now()
        return try write { writer in
            _ = try requireEntitlement(writer.reader)
            var request = try ownPortRequest(id, reader: writer.reader)
            let current = PortStatus(rawValue: request.status) ?? .failed
            guard Self.allowed(from: current).contains(next) else {
                let options = Self.allowed(from: current).map(\.rawValue).sorted()
                throw TrunkError.validation([FieldError(
                    "status", "a request that is \(current.rawValue) cannot become \(next.rawValue)"
                        + (options.isEmpty ? " (it has ended)" : "; from \(current.rawValue) it can become \(options.joined(separator: " or "))"))])
            }
            if next == .failed, (note ?? "").isEmpty { throw TrunkError.validation([FieldError("reason", "say why the port failed")]) }
            request.status = next.rawValue
            request.updatedAt = now
            if let focDate { request.focDate = focDate }
            if next == .failed { request.failureReason = note }
            try writer.save(request)
            for var number in try writer.reader.portNumbers(requestId: id) {
                number.status = next == .completed ? "ported" : next.rawValue
                try writer.save(number)
            }
            try Self.recordPortStatus(
                PortStatusEvent(portRequestId: id, fromStatus: current.rawValue, status: next.rawValue, at: now, who: who, note: note), request: request, writer: writer)
            return try Self.view(request, reader: writer.reader)
        }
    }

    static func allowed(from status: PortStatus) -> Set<PortStatus> { PortStatus.transitions[status] ?? [] }

    /// `DELETE /v1/sip/port/{id}`: cancels a request that has not completed.
    public func cancelPort(id: String) throws(TrunkError) -> PortRequestView {
        try movePort(id: id, to: .canceled, who: "requester", note: "canceled by the requester")
    }
}
