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

    /// Every Via hop, top first (all Via fields, each possibly holding several hops).
    public var via: [Via] {
        get throws(SIPParseError) { try parseAll(.via) { value, context throws(SIPSyntaxError) in try Via.parseList(value, context: context) } }
    }

    /// The top Via, which identifies the transaction (RFC 3261 §17.1.3).
    public var topVia: Via? {
        get throws(SIPParseError) {
            guard let field = field(.via) else { return nil }
            return try parseField(field) { value, context throws(SIPSyntaxError) in
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
        guard let field = field(name) else { return nil }
        return try parseField(field) { value, context throws(SIPSyntaxError) in try NameAddress.parse(value, context: context) }
    }

    /// Call-ID, trimmed. RFC 3261 §20.8: `word [ "@" word ]`.
    public var callID: String? {
        guard let field = field(.callID) else { return nil }
        return String(decoding: HeaderValueScanner.trim(field.valueBytes), as: UTF8.self)
    }

    public var cseq: CSeq? {
        get throws(SIPParseError) {
            guard let field = field(.cseq) else { return nil }
            return try parseField(field) { value, context throws(SIPSyntaxError) in try CSeq.parse(value, context: context) }
        }
    }

    /// Max-Forwards, 0 to 255 (RFC 3261 §20.22).
    public var maxForwards: Int? {
        get throws(SIPParseError) {
            guard let field = field(.maxForwards) else { return nil }
            return try parseField(field) { value, context throws(SIPSyntaxError) in
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
            let fields = fields(.contact)
            guard !fields.isEmpty else { return nil }
            if fields.count == 1, HeaderValueScanner.trim(fields[0].valueBytes).elementsEqual([UInt8(ascii: "*")]) {
                return .wildcard
            }
            var addresses: [NameAddress] = []
            for field in fields {
                let parsed = try parseField(field) { value, context throws(SIPSyntaxError) in
                    try NameAddress.parseList(value, context: context)
                }
                for address in parsed {
                    if let expires = address.parameter("expires") {
                        _ = try parseField(field) { _, context throws(SIPSyntaxError) in
                            try DeltaSeconds.parse(Array(expires.utf8)[...], context: context + " expires parameter")
                        }
                    }
                }
                addresses += parsed
            }
            return .addresses(addresses)
        }
    }

    public var route: [NameAddress] {
        get throws(SIPParseError) { try parseAll(.route) { value, context throws(SIPSyntaxError) in try NameAddress.parseList(value, context: context) } }
    }

    public var recordRoute: [NameAddress] {
        get throws(SIPParseError) {
            try parseAll(.recordRoute) { value, context throws(SIPSyntaxError) in try NameAddress.parseList(value, context: context) }
        }
    }

    /// Content-Length as declared (the parser already checked it frames the body).
    public var contentLength: Int? {
        guard let field = field(.contentLength) else { return nil }
        return ASCII.decimal(HeaderValueScanner.trim(field.valueBytes), maxDigits: 18)
    }

    /// Content-Type as written (`application/sdp`).
    public var contentType: String? {
        field(.contentType).map { String(decoding: HeaderValueScanner.trim($0.valueBytes), as: UTF8.self) }
    }

    /// The media type of the body, lowercased, without parameters.
    public var mediaType: String? {
        guard let contentType else { return nil }
        let base = contentType.split(separator: ";", maxSplits: 1).first.map(String.init) ?? contentType
        return base.filter { !$0.isWhitespace }.lowercased()
    }

    public var expires: UInt32? {
        get throws(SIPParseError) {
            guard let field = field(.expires) else { return nil }
            return try parseField(field) { value, context throws(SIPSyntaxError) in try DeltaSeconds.parse(value, context: context) }
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
                result.append(folded ? SIPHeaderField.unfolded(trimmed) : String(decoding: trimmed, as: UTF8.self))
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
            guard let field = field(.retryAfter) else { return nil }
            return try parseField(field) { value, context throws(SIPSyntaxError) in try RetryAfter.parse(value, context: context) }
        }
    }
}
