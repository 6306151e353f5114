import Crypto
import Foundation
import SIPCore
import TrunkStore

/// The guide's trunk and number operations, one method per API call, shared by the TUI, the CLI and the API.
///
/// Every operation first checks that the organisation has the SIP entitlement.
public struct SIPTrunkService: Sendable {
    public let store: TrunkDatabase
    public let orgId: String
    let now: @Sendable () -> Date

    /// The guide's limits.
    public static let maximumNumbersPerCall = 100
    public static let maximumConfigurationsPerNumber = 10
    public static let minimumRegisterPasswordLength = 8

    public init(store: TrunkDatabase, orgId: String = Installation.defaultOrgId, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.orgId = orgId
        self.now = now
    }

    // MARK: Entitlement

    func requireEntitlement(_ reader: StoreReader) throws -> Organisation {
        guard let organisation = try reader.organisation(id: orgId) else {
            throw TrunkError.notFound("organisation '\(orgId)' does not exist")
        }
        guard organisation.sipEntitled else { throw TrunkError.notEntitled(orgId: orgId) }
        return organisation
    }

    /// Runs a use case's database work; store failures become `TrunkError.store`.
    func write<T>(_ body: (StoreWriter) throws -> T) throws(TrunkError) -> T {
        do {
            return try store.write(body)
        } catch {
            throw Self.trunkError(error)
        }
    }

    func read<T>(_ body: (StoreReader) throws -> T) throws(TrunkError) -> T {
        do {
            return try store.read(body)
        } catch {
            throw Self.trunkError(error)
        }
    }

    static func trunkError(_ error: any Error) -> TrunkError {
        switch error {
        case let error as TrunkError: return error
        case let error as StoreError: return .store(error)
        default: return .store(StoreError(.other, "\(error)"))
        }
    }

    // MARK: Attach

    /// `POST /v1/sip/attach`: configures up to 100 numbers at once; numbers that cannot be configured are
    /// listed in `failed` with the reason, the others are configured.
    public func attach(_ request: AttachRequest) throws(TrunkError) -> AttachResult {
        let (numbers, directions) = try Self.validated(request)

        // The installation key (made on first use) seals stored passwords and derives registration passwords.
        var secret: [UInt8]?
        if directions.contains(where: { $0.authMode == .register || $0.sipPassword != nil }) {
            do {
                secret = try store.installationSecret(create: !store.isReadOnly)
            } catch {
                throw .store(error)
            }
        }
        return try write { writer in try attach(request, numbers: numbers, directions: directions, secret: secret, writer: writer) }
    }

    /// The attach inside a caller's transaction (the demo data set is written in one).
    func attach(_ request: AttachRequest, numbers: [String], directions: [ValidDirection], secret: [UInt8]?, writer: StoreWriter) throws -> AttachResult {
        let timestamp = now()
        _ = try requireEntitlement(writer.reader)
        let trunkId = request.trunkId ?? Self.newIdentifier("trk")
        let existingTrunk = try writer.reader.trunk(id: trunkId)
        if let existingTrunk, existingTrunk.orgId != orgId {
            throw TrunkError.validation([FieldError("trunk_id", "\"\(trunkId)\" belongs to another organisation")])
        }
        // A new trunk is created with its first configured number, so a request that configures nothing
        // leaves nothing behind.
        var trunkExists = existingTrunk != nil

        var configured: [AttachResult.Configured] = []
        var failed: [AttachResult.Failed] = []
        var seen: Set<String> = []
        var registerPassword: String?
        for (index, text) in numbers.enumerated() {
            let number: E164Number
            do {
                number = try NumberingPlan.e164(text)
            } catch {
                failed.append(.init(phoneNumber: text, reason: "phone_numbers[\(index)]: \"\(text)\" is not a valid E.164 number: \(error)"))
                continue
            }
            // The real numbering plan (issue 14): digits without + are read as E.164, and a number that then
            // does not exist in the country it names is refused with that country.
            if let problem = NumberingPlan.problem(number) {
                failed.append(.init(phoneNumber: number.value, reason: "phone_numbers[\(index)]: \(problem)"))
                continue
            }
            guard seen.insert(number.value).inserted else {
                failed.append(.init(phoneNumber: text, reason: "phone_numbers[\(index)]: \(number) appears more than once in this request"))
                continue
            }
            if let existing = try writer.reader.phoneNumber(number.value), existing.orgId != orgId {
                failed.append(.init(phoneNumber: number.value, reason: "phone_numbers[\(index)]: \(number) belongs to another organisation"))
                continue
            }
            let existingConfigs = try writer.reader.configurations(number: number.value)
            let replaced = existingConfigs.filter { config in
                config.trunkId == trunkId && directions.contains { $0.type == config.direction }
            }
            let newCount = existingConfigs.count - replaced.count + directions.count
            if newCount > Self.maximumConfigurationsPerNumber {
                failed.append(
                    .init(
                        phoneNumber: number.value,
                        reason: "phone_numbers[\(index)]: \(number) already has \(existingConfigs.count) SIP configurations; at most \(Self.maximumConfigurationsPerNumber) per number"))
                continue
            }
            if !trunkExists {
                // The provider catalog entry is the wizard's to set; an API attach does not name one.
                try writer.save(Trunk(id: trunkId, orgId: orgId, name: trunkId, provider: nil, createdAt: timestamp, updatedAt: timestamp))
                trunkExists = true
            }
            if try writer.reader.phoneNumber(number.value) == nil {
                try writer.save(PhoneNumber(number: number.value, orgId: orgId, createdAt: timestamp))
            }
            for direction in directions {
                let previous = replaced.first { $0.direction == direction.type }
                let config = SIPConfiguration(
                    id: previous?.id ?? Self.newIdentifier("sip"), number: number.value, trunkId: trunkId,
                    direction: direction.type, sipEndpoint: direction.endpoint?.description, port: direction.port,
                    transport: direction.transport?.rawValue, secureMedia: direction.secureMedia,
                    customHeaders: direction.headers, createdAt: previous?.createdAt ?? timestamp, updatedAt: timestamp)
                try writer.save(config)
                var authentication = Authentication(configId: config.id, mode: direction.authMode, outboundUsername: direction.sipUsername)
                if let password = direction.sipPassword {
                    guard let secret else { throw TrunkError.notFound("the installation key is missing: passwords cannot be stored") }
                    authentication.outboundPassword = try SealedSecret.seal(password, secret: secret, configId: config.id)
                }
                if direction.authMode == .register {
                    let username = direction.registerUsername ?? "siptrunk-\(trunkId)"
                    authentication.username = username
                    if let provided = direction.registerPassword {
                        // The user chose it and knows it: it is stored for the REGISTER client but never
                        // echoed back (plaintext secrets stay out of output).
                        guard let secret else { throw TrunkError.notFound("the installation key is missing: passwords cannot be stored") }
                        authentication.passwordSource = "provided"
                        authentication.providedPassword = try SealedSecret.seal(provided, secret: secret, configId: config.id)
                    } else {
                        guard let secret else { throw TrunkError.notFound("the installation key is missing: the registration password cannot be derived") }
                        authentication.passwordSource = "derived"
                        registerPassword = RegisterPassword.derive(secret: secret, trunkId: trunkId, username: username)
                    }
                }
                try writer.save(authentication)
                if let endpoint = direction.endpoint {
                    try writer.replaceEndpoints(
                        configId: config.id,
                        with: [OutboundEndpoint(configId: config.id, priority: 1, host: endpoint.host, port: direction.port, transport: direction.transport?.rawValue)])
                }
            }
            configured.append(.init(phoneNumber: number.value, directions: directions.map(\.type.rawValue)))
        }
        return AttachResult(trunkId: trunkId, configured: configured, failed: failed, registerPasswordForPbx: registerPassword)
    }

    /// Validates an attach request: the numbers it names and its directions.
    static func validated(_ request: AttachRequest) throws(TrunkError) -> (numbers: [String], directions: [ValidDirection]) {
        let numbers = request.allNumbers
        var errors: [FieldError] = []
        if numbers.isEmpty { errors.append(FieldError("phone_numbers", "give at least one number in E.164 form, e.g. +14155550123")) }
        if numbers.count > Self.maximumNumbersPerCall {
            errors.append(FieldError("phone_numbers", "\(numbers.count) numbers given; at most \(Self.maximumNumbersPerCall) per call"))
        }
        if let trunkId = request.trunkId, !Self.isIdentifier(trunkId) {
            errors.append(FieldError("trunk_id", "\"\(trunkId)\" may contain only letters, digits, '-' and '_' (1-64 characters)"))
        }
        let directions = Self.validate(directions: request.directions, errors: &errors)
        guard errors.isEmpty else { throw TrunkError.validation(errors) }
        return (numbers, directions)
    }

    /// A direction after validation.
    struct ValidDirection {
        var type: SIPConfiguration.Direction
        var authMode: Authentication.Mode
        var endpoint: Destination?
        var port: Int?
        var transport: SIPTransport?
        var secureMedia: Bool
        var headers: [CustomHeader]
        var registerUsername: String?
        var registerPassword: String?
        var sipUsername: String?
        var sipPassword: String?
    }

    static func validate(directions: [AttachRequest.Direction], errors: inout [FieldError]) -> [ValidDirection] {
        if directions.isEmpty {
            errors.append(FieldError("directions", "give at least one direction: inbound or outbound"))
        }
        var result: [ValidDirection] = []
        var types: Set<SIPConfiguration.Direction> = []
        for (index, direction) in directions.enumerated() {
            let field = "directions[\(index)]"
            guard let type = SIPConfiguration.Direction(rawValue: direction.type) else {
                errors.append(FieldError("\(field).type", "\"\(direction.type)\" is not a direction; use inbound or outbound"))
                continue
            }
            if !types.insert(type).inserted {
                errors.append(FieldError("\(field).type", "\"\(type.rawValue)\" is given twice; each direction at most once per call"))
            }
            let authText = direction.authMode ?? "ip"
            guard let authMode = Authentication.Mode(rawValue: authText) else {
                errors.append(FieldError("\(field).auth_mode", "\"\(authText)\" is not an auth mode; use ip or register"))
                continue
            }
            var valid = ValidDirection(
                type: type, authMode: authMode, secureMedia: direction.options?.secureMedia ?? true, headers: [])
            if let endpointText = direction.sipEndpoint {
                do {
                    let destination = try Destination(parsing: endpointText)
                    valid.endpoint = destination
                    valid.port = destination.port
                    valid.transport = destination.transport
                } catch {
                    errors.append(FieldError("\(field).sip_endpoint", "\"\(endpointText)\" is not a SIP server address: \(error.message)"))
                }
            } else if type == .outbound {
                errors.append(FieldError("\(field).sip_endpoint", "an outbound direction needs the SIP server to send calls to, e.g. sip:pbx.example.com"))
            }
            if let options = direction.options {
                if let port = options.port {
                    if (1...65535).contains(port) { valid.port = port } else {
                        errors.append(FieldError("\(field).options.port", "\(port) is out of range (1–65535)"))
                    }
                }
                if let transport = options.transport {
                    if let known = SIPTransport(rawValue: transport.lowercased()) { valid.transport = known } else {
                        errors.append(FieldError("\(field).options.transport", "\"\(transport)\" is not a transport; use udp, tcp or tls"))
                    }
                }
                valid.sipUsername = options.sipUsername
                valid.sipPassword = options.sipPassword
                refuseControls(options.sipUsername, field: "\(field).options.sip_username", errors: &errors)
                refuseControls(options.sipPassword, field: "\(field).options.sip_password", errors: &errors)
            }
            if authMode == .register {
                if type == .outbound {
                    errors.append(FieldError("\(field).auth_mode", "registration authenticates calls your PBX sends to us; use it on the inbound direction"))
                }
                valid.registerUsername = direction.registerAuth?.username
                refuseControls(direction.registerAuth?.username, field: "\(field).register_auth.username", errors: &errors)
                refuseControls(direction.registerAuth?.password, field: "\(field).register_auth.password", errors: &errors)
                if let username = valid.registerUsername, username.isEmpty || username.contains(where: { $0 == " " || $0 == "@" || $0 == ":" }) {
                    errors.append(FieldError("\(field).register_auth.username", "\"\(username)\" must be non-empty without spaces, '@' or ':'"))
                }
                if let password = direction.registerAuth?.password {
                    if password.count < minimumRegisterPasswordLength {
                        errors.append(FieldError("\(field).register_auth.password", "has \(password.count) characters; at least \(minimumRegisterPasswordLength)"))
                    }
                    valid.registerPassword = password
                }
            } else if direction.registerAuth != nil {
                errors.append(FieldError("\(field).register_auth", "is only used with auth_mode register"))
            }
            for (headerIndex, header) in (direction.headers?.headers ?? []).enumerated() {
                let headerField = "\(field).headers.headers[\(headerIndex)]"
                if header.type != "custom" {
                    errors.append(FieldError("\(headerField).type", "\"\(header.type)\" is not supported; use custom"))
                }
                if header.key.isEmpty || !header.key.utf8.allSatisfy({ $0 < 0x80 && isTokenByte($0) }) {
                    errors.append(FieldError("\(headerField).key", "\"\(header.key)\" is not a header name (letters, digits and -.!%*_+`'~)"))
                }
                if let control = TerminalSafeText.firstControl(in: header.value) {
                    errors.append(FieldError("\(headerField).value", "contains the control character \(TerminalSafeText.name(of: control)); a header value is one line of printable text"))
                }
                valid.headers.append(header)
            }
            result.append(valid)
        }
        return result
    }

    /// Stored text is shown in terminals later: control characters and bidi overrides are refused at input (issue 19).
    static func refuseControls(_ text: String?, field: String, errors: inout [FieldError]) {
        guard let text, let control = TerminalSafeText.firstControl(in: text) else { return }
        errors.append(FieldError(field, "contains the control character \(TerminalSafeText.name(of: control)); use printable characters only"))
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || "-.!%*_+`'~".utf8.contains(byte)
    }

    static func isIdentifier(_ text: String) -> Bool {
        (1...64).contains(text.count) && text.utf8.allSatisfy { ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F }
    }

    public static func newIdentifier(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        return prefix + "_" + String((0..<16).map { _ in digits[Int(generator.next() % UInt64(digits.count))] })
    }
}
