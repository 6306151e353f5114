import Crypto
import Foundation
import TrunkStore

/// What the Letter of Authorization says (issue 18): the numbers, the losing carrier account, the service address, the
/// representative, the target date — and, once signed, who signed, when and from where.
public struct PortLetter: Sendable, Hashable {
    public var requestId: String
    /// The organisation that made the request.
    public var orgId: String
    public var gainingOrganisation: String
    public var customerType: String
    public var businessName: String?
    public var representative: String
    public var representativeEmail: String
    public var accountNumber: String
    public var serviceAddress: [String]
    public var numbers: [String]
    public var targetPortDate: String
    public var createdAt: Date
    public var signedName: String?
    public var signedAt: Date?
    public var signedFrom: String?
}

extension SIPTrunkService {
    /// How long a signing link works.
    public static let signatureLinkLifetime: TimeInterval = 7 * 86_400

    /// The letter of a request of this organisation.
    public func portLetter(id: String) throws(TrunkError) -> PortLetter {
        try read { reader in
            _ = try requireEntitlement(reader)
            return try Self.letter(try ownPortRequest(id, reader: reader), reader: reader)
        }
    }

    static func letter(_ request: PortRequest, reader: StoreReader) throws -> PortLetter {
        guard let carrier = carrier(of: request) else {
            throw TrunkError.store(StoreError(.corrupt, "port request \(request.id) holds unreadable carrier information"))
        }
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.dateFormat = "yyyy-MM-dd"
        let address = carrier.address
        let organisation = try reader.organisation(id: request.orgId)?.name ?? request.orgId
        return PortLetter(
            requestId: request.id, orgId: request.orgId, gainingOrganisation: organisation, customerType: carrier.customerType, businessName: carrier.businessName,
            representative: "\(carrier.firstName) \(carrier.lastName)", representativeEmail: carrier.authorizedRepresentativeEmail,
            accountNumber: carrier.accountNumber,
            serviceAddress: [address.street, address.street2, "\(address.city), \(address.state) \(address.zip)", address.country].compactMap { $0 }
                .filter { !$0.isEmpty },
            numbers: try reader.portNumbers(requestId: request.id).map(\.number), targetPortDate: day.string(from: request.targetPortDate),
            createdAt: request.createdAt, signedName: request.signedName, signedAt: request.signedAt, signedFrom: request.signedFrom)
    }

    /// A new signing link's token for a request waiting for its signature (the token itself is returned once; only
    /// its SHA-256 is kept). The link stops working after 7 days or once the letter is signed.
    public func newSignatureToken(id: String) throws(TrunkError) -> String {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<24).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
        let now = now()
        try write { writer in
            _ = try requireEntitlement(writer.reader)
            guard var request = try writer.reader.portRequest(id: id), request.orgId == orgId else {
                throw TrunkError.notFound("no port request '\(id)'")
            }
            guard request.status == PortStatus.waitingForSignature.rawValue else {
                throw TrunkError.validation([FieldError("status", "port request \(id) is \(request.status): only a request waiting for its signature can be signed")])
            }
            request.signatureTokenSha256 = Self.sha256(token)
            request.signatureExpiresAt = now.addingTimeInterval(Self.signatureLinkLifetime)
            try writer.save(request)
        }
        return token
    }

    /// The request a signing link names, when the link is valid (any organisation: the token is the credential).
    public func portRequest(signatureToken token: String) throws(TrunkError) -> PortLetter {
        let now = now()
        return try read { reader in
            guard token.count == 48, token.allSatisfy(\.isHexDigit), let request = try reader.portRequest(signatureTokenSha256: Self.sha256(token)),
                let expires = request.signatureExpiresAt, expires > now
            else { throw TrunkError.notFound("this signing link is not valid or has expired: ask for a new one") }
            return try Self.letter(request, reader: reader)
        }
    }

    /// Signs the Letter of Authorization: the typed name must be the representative's, consent must be given; the
    /// name, the time, where it was signed from and the SHA-256 of the letter shown are recorded, and the request
    /// moves to `submitted`. Signing twice is refused (the request is no longer waiting).
    public func signPort(id: String, typedName: String, consent: Bool, from: String, letterSHA256: String) throws(TrunkError) -> PortRequestView {
        let now = now()
        return try write { writer in
            guard var request = try writer.reader.portRequest(id: id) else { throw TrunkError.notFound("no port request '\(id)'") }
            guard request.status == PortStatus.waitingForSignature.rawValue else {
                throw TrunkError.validation([FieldError("status", "port request \(id) is \(request.status): it was signed already or has ended")])
            }
            let letter = try Self.letter(request, reader: writer.reader)
            var problems: [FieldError] = []
            let typed = typedName.trimmingCharacters(in: .whitespaces)
            if typed.lowercased() != letter.representative.lowercased() {
                problems.append(FieldError("name", "type the authorized representative's name as on the request: \(letter.representative)"))
            }
            if !consent { problems.append(FieldError("consent", "the representative must agree to the Letter of Authorization")) }
            if letterSHA256.count != 64 || !letterSHA256.allSatisfy(\.isHexDigit) {
                problems.append(FieldError("letter", "the Letter of Authorization could not be drawn, so it cannot be signed: check that cairo (libcairo2) is installed"))
            }
            guard problems.isEmpty else { throw TrunkError.validation(problems) }
            request.signedName = typed
            request.signedAt = now
            request.signedFrom = from
            request.loaSha256 = letterSHA256
            request.signatureTokenSha256 = nil
            request.status = PortStatus.submitted.rawValue
            request.updatedAt = now
            try writer.save(request)
            for var number in try writer.reader.portNumbers(requestId: id) {
                number.status = PortStatus.submitted.rawValue
                try writer.save(number)
            }
            try Self.recordPortStatus(
                PortStatusEvent(
                    portRequestId: id, fromStatus: PortStatus.waitingForSignature.rawValue, status: PortStatus.submitted.rawValue, at: now,
                    who: "\(typed) (representative)", note: "Letter of Authorization signed from \(from); SHA-256 \(letterSHA256)"),
                request: request, writer: writer)
            return try Self.view(request, reader: writer.reader)
        }
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
