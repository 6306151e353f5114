import TrunkStore

/// `POST /v1/sip/attach` request. Property names map to the API's snake_case fields.
public struct AttachRequest: Codable, Hashable, Sendable {
    public struct RegisterAuth: Codable, Hashable, Sendable {
        public var username: String?
        public var password: String?
        public init(username: String? = nil, password: String? = nil) {
            self.username = username
            self.password = password
        }
    }

    public struct Headers: Codable, Hashable, Sendable {
        public var direction: String?
        public var headers: [CustomHeader]
        public init(direction: String? = nil, headers: [CustomHeader]) {
            self.direction = direction
            self.headers = headers
        }
    }

    public struct Options: Codable, Hashable, Sendable {
        public var port: Int?
        public var transport: String?
        public var secureMedia: Bool?
        public var sipUsername: String?
        public var sipPassword: String?
        public init(port: Int? = nil, transport: String? = nil, secureMedia: Bool? = nil, sipUsername: String? = nil, sipPassword: String? = nil) {
            self.port = port
            self.transport = transport
            self.secureMedia = secureMedia
            self.sipUsername = sipUsername
            self.sipPassword = sipPassword
        }
    }

    public struct Direction: Codable, Hashable, Sendable {
        public var type: String
        public var authMode: String?
        public var registerAuth: RegisterAuth?
        public var sipEndpoint: String?
        public var headers: Headers?
        public var options: Options?

        public init(
            type: String, authMode: String? = nil, registerAuth: RegisterAuth? = nil, sipEndpoint: String? = nil,
            headers: Headers? = nil, options: Options? = nil
        ) {
            self.type = type
            self.authMode = authMode
            self.registerAuth = registerAuth
            self.sipEndpoint = sipEndpoint
            self.headers = headers
            self.options = options
        }
    }

    public var phoneNumber: String?
    public var phoneNumbers: [String]?
    public var trunkId: String?
    public var directions: [Direction]

    public init(phoneNumber: String? = nil, phoneNumbers: [String]? = nil, trunkId: String? = nil, directions: [Direction]) {
        self.phoneNumber = phoneNumber
        self.phoneNumbers = phoneNumbers
        self.trunkId = trunkId
        self.directions = directions
    }

    /// The numbers named, single or list form.
    var allNumbers: [String] { (phoneNumber.map { [$0] } ?? []) + (phoneNumbers ?? []) }
}

/// `POST /v1/sip/attach` response data.
public struct AttachResult: Codable, Hashable, Sendable {
    public struct Configured: Codable, Hashable, Sendable {
        public var phoneNumber: String
        public var directions: [String]
    }

    public struct Failed: Codable, Hashable, Sendable {
        public var phoneNumber: String
        public var reason: String
    }

    public var trunkId: String
    public var configured: [Configured]
    public var failed: [Failed]
    /// The password to configure in the PBX for registration-based authentication; shown, never stored.
    public var registerPasswordForPbx: String?
}
