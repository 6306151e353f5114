/// An SDES `a=crypto` attribute (RFC 4568 §9.1):
/// `tag SP crypto-suite SP key-params *(";" key-params) [SP session-params]`.
public struct CryptoAttribute: Sendable, Hashable, CustomStringConvertible {
    /// One `inline:` key: master key and salt, with optional lifetime and MKI (RFC 4568 §6.1).
    public struct KeyParameter: Sendable, Hashable {
        /// Master key followed by master salt.
        public var keySalt: [UInt8]
        public var lifetime: String?
        public var mki: (value: UInt64, length: Int)? {
            get { mkiValue.map { ($0, mkiLength ?? 0) } }
            set {
                mkiValue = newValue?.value
                mkiLength = newValue?.length
            }
        }
        var mkiValue: UInt64?
        var mkiLength: Int?

        public init(keySalt: [UInt8], lifetime: String? = nil) {
            self.keySalt = keySalt
            self.lifetime = lifetime
        }
    }

    public var tag: UInt32
    public var suite: String
    public var keys: [KeyParameter]
    public var sessionParameters: [String]

    public init(tag: UInt32, suite: String, keys: [KeyParameter], sessionParameters: [String] = []) {
        self.tag = tag
        self.suite = suite
        self.keys = keys
        self.sessionParameters = sessionParameters
    }

    /// Master key + salt length for the suites this library knows (RFC 4568 §6.2).
    public static func keySaltLength(for suite: String) -> Int? {
        switch suite.uppercased() {
        case "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32": return 30
        case "AES_192_CM_HMAC_SHA1_80", "AES_192_CM_HMAC_SHA1_32": return 38
        case "AES_256_CM_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_32": return 46
        case "AEAD_AES_128_GCM": return 28
        case "AEAD_AES_256_GCM": return 44
        default: return nil
        }
    }

    public init(parsing value: String) throws(SIPSyntaxError) {
        func fail(_ reason: String) -> SIPSyntaxError { SIPSyntaxError("a=crypto", reason, offset: 0) }
        let parts = value.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 3 else { throw fail("expected '<tag> <crypto-suite> inline:<key>'") }
        guard parts[0].count <= 9, parts[0].allSatisfy(\.isASCIIDigit), let tag = UInt32(parts[0]) else {
            throw fail("tag '\(parts[0].prefix(20))' is not a number of at most 9 digits")
        }
        self.tag = tag
        guard parts[1].utf8.allSatisfy({ URIChar.isAlphanumeric($0) || $0 == UInt8(ascii: "_") }) else {
            throw fail("crypto-suite '\(parts[1].prefix(40))' is not a suite name")
        }
        self.suite = String(parts[1])
        let expectedLength = Self.keySaltLength(for: suite)
        var keys: [KeyParameter] = []
        for keyParam in parts[2].split(separator: ";", omittingEmptySubsequences: false) {
            guard keyParam.lowercased().hasPrefix("inline:") else {
                throw fail("key method must be 'inline:', found '\(keyParam.prefix(20))'")
            }
            let fields = keyParam.dropFirst(7).split(separator: "|", omittingEmptySubsequences: false)
            guard fields.count <= 3, let keyText = fields.first, let keySalt = Base64.decode(String(keyText)), !keySalt.isEmpty else {
                throw fail("the inline key is not valid base64")
            }
            if let expectedLength, keySalt.count != expectedLength {
                throw fail("\(suite) needs a \(expectedLength)-byte key and salt, the inline key has \(keySalt.count)")
            }
            var key = KeyParameter(keySalt: keySalt)
            for field in fields.dropFirst() {
                if field.contains(":") {
                    let mkiParts = field.split(separator: ":", omittingEmptySubsequences: false)
                    guard mkiParts.count == 2, mkiParts[0].count <= 19, let mkiValue = UInt64(mkiParts[0]),
                        let mkiLength = Int(mkiParts[1]), (1...128).contains(mkiLength)
                    else { throw fail("MKI '\(field.prefix(30))' must be '<value>:<length 1-128>'") }
                    key.mkiValue = mkiValue
                    key.mkiLength = mkiLength
                } else {
                    let lifetime = String(field)
                    let valid = lifetime.hasPrefix("2^")
                        ? (lifetime.dropFirst(2).count <= 2 && Int(lifetime.dropFirst(2)).map { $0 <= 64 } == true)
                        : (lifetime.count <= 20 && UInt64(lifetime) != nil)
                    guard valid else { throw fail("lifetime '\(lifetime.prefix(30))' is not a number or 2^n") }
                    key.lifetime = lifetime
                }
            }
            keys.append(key)
        }
        self.keys = keys
        self.sessionParameters = parts.dropFirst(3).map(String.init)
    }

    public var description: String {
        let keyText = keys.map { key -> String in
            var out = "inline:" + Base64.encode(key.keySalt)
            if let lifetime = key.lifetime { out += "|" + lifetime }
            if let mki = key.mki { out += "|\(mki.value):\(mki.length)" }
            return out
        }.joined(separator: ";")
        return ([String(tag), suite, keyText] + sessionParameters).joined(separator: " ")
    }
}

/// Base64 (RFC 4648 §4) for SDES keys. Strict: padding required, no whitespace.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        return table
    }()

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard !chars.isEmpty, chars.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 4 * 3)
        var index = 0
        while index < chars.count {
            let isLast = index + 4 == chars.count
            var values: [UInt8] = []
            var padding = 0
            for offset in 0..<4 {
                let char = chars[index + offset]
                if char == UInt8(ascii: "=") {
                    guard isLast, offset >= 2 else { return nil }
                    padding += 1
                    values.append(0)
                } else {
                    guard padding == 0 else { return nil }
                    let value = reverse[Int(char)]
                    guard value != 0xFF else { return nil }
                    values.append(value)
                }
            }
            out.append(values[0] << 2 | values[1] >> 4)
            if padding < 2 { out.append((values[1] & 0x0F) << 4 | values[2] >> 2) }
            if padding < 1 { out.append((values[2] & 0x03) << 6 | values[3]) }
            index += 4
        }
        return out
    }
}
