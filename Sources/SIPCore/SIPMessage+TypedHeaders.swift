/// Typed views of header values, parsed on demand. Each throws a `SIPParseError` naming the header and the
/// byte offset (within the message) when the value does not follow its grammar.
extension SIPMessage {
    /// Runs a value parser on one field and turns its syntax error into a message-level error.
    func parseField<T>(_ field: SIPHeaderField, _ parse: (ArraySlice<UInt8>, String) throws(SIPSyntaxError) -> T) throws(SIPParseError) -> T {
        let value = field.valueBytes
        do {
            return try parse(value, field.canonicalName)
        } catch {
            throw SIPParseError(.malformedHeaderValue(error.reason), location: field.name, offset: value.startIndex + error.offset)
        }
    }

    /// Parses every field of a list header and concatenates the elements.
    func parseAll<T>(_ name: SIPHeaderName, _ parse: (ArraySlice<UInt8>, String) throws(SIPSyntaxError) -> [T]) throws(SIPParseError) -> [T] {
        var result: [T] = []
        for index in headers.indices where headers[index].kind == name {
            let elements = try parseField(headers[index], parse)
            if result.isEmpty { result = elements } else { result += elements }
        }
        return result
    }

    /// The elements of every field called `name`, in order, parsed by `element` into one array.
    func parseAll<T>(_ name: SIPHeaderName, element: (inout HeaderValueScanner) throws(SIPSyntaxError) -> T) throws(SIPParseError) -> [T] {
        var result: [T] = []
        for index in headers.indices where headers[index].kind == name {
            try parseField(headers[index]) { value, context throws(SIPSyntaxError) in
                try HeaderValueScanner.parseList(value, context: context, into: &result, element: element)
            }
        }
        return result
    }

    /// Every Via hop, top first (all Via fields, each possibly holding several hops).
    public var via: [Via] {
        get throws(SIPParseError) { try parseAll(.via) { scanner throws(SIPSyntaxError) in try Via(scanning: &scanner) } }
    }

    /// The top Via, which identifies the transaction (RFC 3261 §17.1.3).
    public var topVia: Via? {
        get throws(SIPParseError) {
            guard let index = fieldIndex(.via) else { return nil }
            return try parseField(headers[index]) { value, context throws(SIPSyntaxError) in
                try HeaderValueScanner.parseFirst(value, context: context) { scanner throws(SIPSyntaxError) in try Via(scanning: &scanner) }
            }
        }
    }

    public var from: NameAddress? {
        get throws(SIPParseError) { try nameAddress(.from) }
    }

    public var to: NameAddress? {
        get throws(SIPParseError) { try nameAddress(.to) }
    }

    func nameAddress(_ name: SIPHeaderName) throws(SIPParseError) -> NameAddress? {
        guard let index = fieldIndex(name) else { return nil }
        return try parseField(headers[index]) { value, context throws(SIPSyntaxError) in try NameAddress.parse(value, context: context) }
    }

    /// Call-ID, trimmed. RFC 3261 §20.8: `word [ "@" word ]`.
    public var callID: String? {
        guard let index = fieldIndex(.callID) else { return nil }
        return String(decoding: HeaderValueScanner.trim(headers[index].valueBytes), as: UTF8.self)
    }

    public var cseq: CSeq? {
        get throws(SIPParseError) {
            guard let index = fieldIndex(.cseq) else { return nil }
            return try parseField(headers[index]) { value, context throws(SIPSyntaxError) in try CSeq.parse(value, context: context) }
        }
    }

    /// Max-Forwards, 0 to 255 (RFC 3261 §20.22).
    public var maxForwards: Int? {
        get throws(SIPParseError) {
            guard let index = fieldIndex(.maxForwards) else { return nil }
            return try parseField(headers[index]) { value, context throws(SIPSyntaxError) in
                let trimmed = HeaderValueScanner.trim(value)
                guard !trimmed.isEmpty, trimmed.allSatisfy(ASCII.isDigit) else {
                    throw SIPSyntaxError(context, "'\(ASCII.printable(trimmed))' is not a number", offset: trimmed.startIndex - value.startIndex)
                }
                guard trimmed.count <= 5, let number = Int(String(decoding: trimmed, as: UTF8.self)), number <= 255 else {
                    throw SIPSyntaxError(context, "\(ASCII.printable(trimmed, limit: 30)) is more than 255", offset: trimmed.startIndex - value.startIndex)
                }
                return number
            }
        }
    }

    public var contact: ContactValue? {
        get throws(SIPParseError) {
            guard let first = fieldIndex(.contact) else { return nil }
            let wildcard = HeaderValueScanner.trim(headers[first].valueBytes).elementsEqual(CollectionOfOne(UInt8(ascii: "*")))
            if wildcard, !headers[(first + 1)...].contains(where: { $0.kind == .contact }) {
                return .wildcard
            }
            var addresses: [NameAddress] = []
            // By index, every field's addresses parsed into the one array (no array of fields, none per field).
            for index in first..<headers.endIndex where headers[index].kind == .contact {
                let before = addresses.count
                try parseField(headers[index]) { value, context throws(SIPSyntaxError) in
                    try HeaderValueScanner.parseList(value, context: context, into: &addresses) { scanner throws(SIPSyntaxError) in
                        try NameAddress(scanning: &scanner)
                    }
                }
                for position in before..<addresses.count {
                    if let expires = addresses[position].parameter("expires") {
                        _ = try parseField(headers[index]) { _, context throws(SIPSyntaxError) in
                            try DeltaSeconds.parse(Array(expires.utf8)[...], context: context + " expires parameter")
                        }
                    }
                }
            }
            return .addresses(addresses)
        }
    }

    public var route: [NameAddress] {
        get throws(SIPParseError) { try parseAll(.route) { scanner throws(SIPSyntaxError) in try NameAddress(scanning: &scanner) } }
    }

    public var recordRoute: [NameAddress] {
        get throws(SIPParseError) {
            try parseAll(.recordRoute) { scanner throws(SIPSyntaxError) in try NameAddress(scanning: &scanner) }
        }
    }

    /// Content-Length as declared (the parser already checked it frames the body).
    public var contentLength: Int? {
        guard let index = fieldIndex(.contentLength) else { return nil }
        return ASCII.decimal(HeaderValueScanner.trim(headers[index].valueBytes), maxDigits: 18)
    }

    /// Content-Type as written (`application/sdp`).
    public var contentType: String? {
        guard let index = fieldIndex(.contentType) else { return nil }
        return String(decoding: HeaderValueScanner.trim(headers[index].valueBytes), as: UTF8.self)
    }

    /// The media type of the body, lowercased, without parameters.
    public var mediaType: String? {
        guard let contentType else { return nil }
        let base = contentType.split(separator: ";", maxSplits: 1).first.map(String.init) ?? contentType
        return base.filter { !$0.isWhitespace }.lowercased()
    }

    public var expires: UInt32? {
        get throws(SIPParseError) {
            guard let index = fieldIndex(.expires) else { return nil }
            return try parseField(headers[index]) { value, context throws(SIPSyntaxError) in try DeltaSeconds.parse(value, context: context) }
        }
    }

    public var wwwAuthenticate: [AuthChallenge] {
        get throws(SIPParseError) { try challenges(.wwwAuthenticate) }
    }

    public var proxyAuthenticate: [AuthChallenge] {
        get throws(SIPParseError) { try challenges(.proxyAuthenticate) }
    }

    public var authorization: [AuthChallenge] {
        get throws(SIPParseError) { try challenges(.authorization) }
    }

    public var proxyAuthorization: [AuthChallenge] {
        get throws(SIPParseError) { try challenges(.proxyAuthorization) }
    }

    func challenges(_ name: SIPHeaderName) throws(SIPParseError) -> [AuthChallenge] {
        try parseAll(name) { value, context throws(SIPSyntaxError) in try AuthChallenge.parseList(value, context: context) }
    }

    /// Methods from Allow (RFC 3261 §20.5).
    public var allow: [String] { tokenList(.allow) }
    /// Option tags from Supported.
    public var supported: [String] { tokenList(.supported) }
    /// Media ranges from Accept, parameters removed.
    public var accept: [String] {
        tokenList(.accept).map { $0.split(separator: ";").first.map { String($0).trimmingWhitespace() } ?? $0 }
    }
    public var require: [String] { tokenList(.require) }

    /// The elements of comma-separated list headers, trimmed, empty ones dropped.
    func tokenList(_ name: SIPHeaderName) -> [String] {
        var result: [String] = []
        for index in headers.indices where headers[index].kind == name {
            let value = headers[index].valueBytes
            // One pass for the common case (tokens and commas); a quote or a '<' (which may hold commas) sends the
            // field to the list grammar's split instead, dropping what this pass added.
            var folded = false
            func add(_ part: ArraySlice<UInt8>) {
                let trimmed = HeaderValueScanner.trim(part)
                guard !trimmed.isEmpty else { return }
                // A part with a fold in it comes after the LF that set `folded`; the fold reads as one space.
                result.append(folded ? SIPHeaderField.unfolded(trimmed) : CommonToken.string(trimmed))
            }
            let before = result.count
            // Room for as many parts as there can be (one byte and a comma each), so appending never grows the array.
            result.reserveCapacity(before + (value.count + 1) / 2)
            var plain = true
            var start = value.startIndex
            var position = start
            while position < value.endIndex {
                let byte = value[position]
                if byte == ASCII.comma {
                    add(value[start..<position])
                    start = position + 1
                } else if byte == ASCII.quote || byte == ASCII.lessThan {
                    plain = false
                    break
                } else if byte == ASCII.lf {
                    folded = true
                }
                position += 1
            }
            if plain {
                add(value[start..<value.endIndex])
            } else {
                result.removeSubrange(before...)
                folded = value.contains(ASCII.lf)
                for part in (try? HeaderValueScanner.splitList(value, context: headers[index].name)) ?? [value] { add(part) }
            }
        }
        return result
    }

    public var userAgent: String? { self[.userAgent] }
    public var server: String? { self[.server] }

    public var retryAfter: RetryAfter? {
        get throws(SIPParseError) {
            guard let index = fieldIndex(.retryAfter) else { return nil }
            return try parseField(headers[index]) { value, context throws(SIPSyntaxError) in try RetryAfter.parse(value, context: context) }
        }
    }
}

/// The methods and option tags Allow and Supported nearly always list, as string literals: matching a few bytes
/// against them costs less than decoding and validating each element into a new string.
enum CommonToken {
    static func string(_ bytes: ArraySlice<UInt8>) -> String {
        func candidate(_ literal: StaticString, _ string: String) -> String? {
            literal.withUTF8Buffer { literal in
                var offset = 0
                for byte in bytes {
                    guard byte == literal[offset] else { return nil }
                    offset &+= 1
                }
                return string
            }
        }
        let found: String?
        switch (bytes.count, bytes.first ?? 0) {
        case (3, UInt8(ascii: "A")): found = candidate("ACK", "ACK")
        case (3, UInt8(ascii: "B")): found = candidate("BYE", "BYE")
        case (4, UInt8(ascii: "I")): found = candidate("INFO", "INFO")
        case (4, UInt8(ascii: "p")): found = candidate("path", "path")
        case (4, UInt8(ascii: "g")): found = candidate("gruu", "gruu")
        case (5, UInt8(ascii: "P")): found = candidate("PRACK", "PRACK")
        case (5, UInt8(ascii: "R")): found = candidate("REFER", "REFER")
        case (5, UInt8(ascii: "t")): found = candidate("timer", "timer")
        case (6, UInt8(ascii: "I")): found = candidate("INVITE", "INVITE")
        case (6, UInt8(ascii: "C")): found = candidate("CANCEL", "CANCEL")
        case (6, UInt8(ascii: "N")): found = candidate("NOTIFY", "NOTIFY")
        case (6, UInt8(ascii: "U")): found = candidate("UPDATE", "UPDATE")
        case (6, UInt8(ascii: "1")): found = candidate("100rel", "100rel")
        case (7, UInt8(ascii: "O")): found = candidate("OPTIONS", "OPTIONS")
        case (7, UInt8(ascii: "P")): found = candidate("PUBLISH", "PUBLISH")
        case (7, UInt8(ascii: "M")): found = candidate("MESSAGE", "MESSAGE")
        case (8, UInt8(ascii: "R")): found = candidate("REGISTER", "REGISTER")
        case (8, UInt8(ascii: "r")): found = candidate("replaces", "replaces")
        case (8, UInt8(ascii: "o")): found = candidate("outbound", "outbound")
        case (8, UInt8(ascii: "h")): found = candidate("histinfo", "histinfo")
        case (9, UInt8(ascii: "S")): found = candidate("SUBSCRIBE", "SUBSCRIBE")
        case (10, UInt8(ascii: "n")): found = candidate("norefersub", "norefersub")
        case (14, UInt8(ascii: "e")): found = candidate("extended-refer", "extended-refer")
        default: found = nil
        }
        return found ?? String(decoding: bytes, as: UTF8.self)
    }
}
