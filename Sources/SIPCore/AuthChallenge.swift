/// One challenge from WWW-Authenticate or Proxy-Authenticate, or one set of credentials from Authorization or
/// Proxy-Authorization: an auth scheme and its parameters (RFC 3261 §25.1, RFC 7235 §2.1, RFC 7616 §3.3).
public struct AuthChallenge: Sendable, Hashable, CustomStringConvertible {
    public var scheme: String
    /// The parameters as written (parsed) or as given (built).
    var parameterList: ParameterList

    /// Parameters in order, values unquoted.
    public var parameters: [SIPURI.Parameter] {
        get { parameterList.elements }
        set { parameterList = ParameterList(newValue) }
    }

    public init(scheme: String, parameters: [SIPURI.Parameter]) {
        self.scheme = scheme
        self.parameterList = ParameterList(parameters)
    }

    init(scheme: String, parameterList: ParameterList) {
        self.scheme = scheme
        self.parameterList = parameterList
    }

    public func parameter(_ name: String) -> String? { parameterList.value(name) }

    public var isDigest: Bool { scheme.lowercased() == "digest" }
    public var realm: String? { parameter("realm") }
    public var nonce: String? { parameter("nonce") }
    public var opaque: String? { parameter("opaque") }
    /// RFC 7616 `algorithm`; MD5 when absent.
    public var algorithm: String { parameter("algorithm") ?? "MD5" }
    /// The qop options offered (`auth`, `auth-int`).
    public var qopOptions: [String] {
        guard let qop = parameter("qop") else { return [] }
        return qop.split(separator: ",").map { String($0).trimmingWhitespace().lowercased() }.filter { !$0.isEmpty }
    }
    public var isStale: Bool { parameter("stale")?.lowercased() == "true" }
    public var userhash: Bool { parameter("userhash")?.lowercased() == "true" }

    /// Parameters whose values are always written quoted (RFC 7616 §3.3, §3.4).
    static let quotedNames: Set<String> = ["realm", "nonce", "opaque", "domain", "qop-options", "username", "uri", "response", "cnonce"]

    public var description: String {
        let rendered = parameters.map { parameter -> String in
            guard let value = parameter.value else { return parameter.name }
            let lower = parameter.name.lowercased()
            // In a challenge qop is a quoted list; in credentials it is a bare token (RFC 7616 §3.3 vs §3.4).
            let quote = Self.quotedNames.contains(lower) || (lower == "qop" && value.contains(","))
                || !value.utf8.allSatisfy(ASCII.isToken)
            guard quote else { return "\(parameter.name)=\(value)" }
            let escaped = value.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
            return "\(parameter.name)=\"\(escaped)\""
        }
        return rendered.isEmpty ? scheme : "\(scheme) " + rendered.joined(separator: ", ")
    }

    /// Parses every challenge in one header value. Several may share a value, separated by commas (RFC 7235 §4.1).
    public static func parseList(_ text: String, context: String = "WWW-Authenticate") throws(SIPSyntaxError) -> [AuthChallenge] {
        try parseList(Array(text.utf8)[...], context: context)
    }

    static func parseList(_ value: ArraySlice<UInt8>, context: String) throws(SIPSyntaxError) -> [AuthChallenge] {
        var scanner = HeaderValueScanner(value, context: context)
        var result: [AuthChallenge] = []
        scanner.skipLWS()
        guard !scanner.isAtEnd else { throw scanner.error("the value is empty") }
        while !scanner.isAtEnd {
            let schemeToken = try scanner.requireTokenBytes("an auth scheme such as Digest")
            let scheme = schemeToken.elementsEqual("Digest".utf8) ? "Digest" : String(decoding: schemeToken, as: UTF8.self)
            scanner.skipLWS()
            let parametersStart = scanner.index
            var parametersEnd = scanner.index
            // Names seen so far, as a 64-bit filter on (length, first and last letter): only a name that may have
            // been seen is compared with the earlier ones.
            var seen: UInt64 = 0
            while !scanner.isAtEnd {
                // Either the next auth-param, or (after a comma) the scheme of the next challenge.
                let start = scanner.index
                guard let name = scanner.token() else {
                    if scanner.peek == ASCII.comma {
                        scanner.index += 1
                        scanner.skipLWS()
                        continue
                    }
                    throw scanner.error("expected a parameter name, found '\(ASCII.printable([scanner.peek ?? 0]))'")
                }
                if scanner.consume(ASCII.equals) {
                    if scanner.peek == ASCII.quote {
                        try scanner.skipQuotedString()
                    } else {
                        // token, or token68-like values (base64 may end in '=' or contain '/').
                        let valueStart = scanner.index
                        while let byte = scanner.peek, ASCII.isToken(byte) || byte == ASCII.slash || byte == ASCII.equals || byte == ASCII.colon {
                            scanner.index += 1
                        }
                        guard scanner.index > valueStart else {
                            throw scanner.error("parameter '\(String(decoding: name, as: UTF8.self))' has no value")
                        }
                    }
                    // A name seen before in this challenge (compared without case) is refused.
                    var duplicate = false
                    let bit: UInt64 = 1 << ((UInt64(name.count) &* 31 &+ UInt64(ASCII.lowercased(name[name.startIndex])) &* 7
                        &+ UInt64(ASCII.lowercased(name[name.endIndex - 1]))) & 63)
                    if seen & bit != 0 {
                        ParameterList.forEach(scanner.bytes[parametersStart..<parametersEnd], .auth) { earlier, _ in
                            duplicate = ASCII.equalsIgnoringCase(scanner.bytes[earlier], name)
                            return !duplicate
                        }
                    }
                    seen |= bit
                    if duplicate {
                        throw scanner.error("parameter '\(String(decoding: name, as: UTF8.self))' appears twice", at: start)
                    }
                    parametersEnd = scanner.index
                    scanner.skipLWS()
                    if scanner.isAtEnd { break }
                    guard scanner.peek == ASCII.comma else {
                        throw scanner.error("expected ',' between parameters, found '\(ASCII.printable([scanner.peek ?? 0]))'")
                    }
                    scanner.index += 1
                    scanner.skipLWS()
                } else {
                    // A token not followed by '=': the next challenge's scheme begins here.
                    scanner.index = start
                    break
                }
            }
            let list = ParameterList(wire: scanner.bytes[parametersStart..<parametersEnd], grammar: .auth)
            result.append(AuthChallenge(scheme: scheme, parameterList: list))
        }
        return result
    }
}
