/// `CSeq = 1*DIGIT LWS Method` (RFC 3261 §20.16). The number must be below 2^31 (§8.1.1.5).
public struct CSeq: Sendable, Hashable, CustomStringConvertible {
    public var sequence: UInt32
    public var method: SIPMethod

    public init(_ sequence: UInt32, _ method: SIPMethod) {
        self.sequence = sequence
        self.method = method
    }

    public var description: String { "\(sequence) \(method.rawValue)" }

    static func parse(_ value: ArraySlice<UInt8>, context: String = "CSeq") throws(SIPSyntaxError) -> CSeq {
        var scanner = HeaderValueScanner(value, context: context)
        scanner.skipLWS()
        let start = scanner.index
        while let byte = scanner.peek, ASCII.isDigit(byte) { scanner.index += 1 }
        let digits = scanner.bytes[start..<scanner.index]
        guard !digits.isEmpty else { throw scanner.error("expected a sequence number") }
        var number: UInt64 = 0
        for digit in digits {
            number = number * 10 + UInt64(digit - 0x30)
            guard number < 1 << 31 else {
                throw scanner.error("sequence number \(ASCII.printable(digits, limit: 30)) is not below 2^31 (RFC 3261 §8.1.1.5)", at: start)
            }
        }
        let beforeMethod = scanner.index
        scanner.skipLWS()
        guard scanner.index > beforeMethod else { throw scanner.error("expected whitespace between the number and the method") }
        let method = try scanner.requireToken("the method")
        scanner.skipLWS()
        if let byte = scanner.peek { throw scanner.error("unexpected '\(ASCII.printable([byte]))' after the method") }
        return CSeq(UInt32(number), SIPMethod(method))
    }
}

/// `Retry-After = delta-seconds [ comment ] *( SEMI retry-param )` (RFC 3261 §20.33).
public struct RetryAfter: Sendable, Hashable {
    public var seconds: UInt32
    public var comment: String?
    /// The `duration` parameter, in seconds.
    public var duration: UInt32?
    public var parameters: [SIPURI.Parameter]

    static func parse(_ value: ArraySlice<UInt8>, context: String = "Retry-After") throws(SIPSyntaxError) -> RetryAfter {
        var scanner = HeaderValueScanner(value, context: context)
        scanner.skipLWS()
        let seconds = try DeltaSeconds.parse(&scanner)
        scanner.skipLWS()
        var comment: String?
        if scanner.peek == UInt8(ascii: "(") {
            let start = scanner.index
            var depth = 0
            while let byte = scanner.peek {
                scanner.index += 1
                if byte == UInt8(ascii: "(") { depth += 1 }
                if byte == UInt8(ascii: ")") {
                    depth -= 1
                    if depth == 0 { break }
                }
            }
            guard depth == 0 else { throw scanner.error("unterminated comment", at: start) }
            comment = String(decoding: scanner.bytes[(start + 1)..<(scanner.index - 1)], as: UTF8.self)
        }
        let parameters = try scanner.parameters()
        scanner.skipLWS()
        if let byte = scanner.peek { throw scanner.error("unexpected '\(ASCII.printable([byte]))'") }
        var duration: UInt32?
        if let text = SIPURI.Parameter.find("duration", in: parameters) {
            var inner = HeaderValueScanner(Array(text.utf8)[...], context: context + " duration")
            duration = try DeltaSeconds.parse(&inner)
        }
        return RetryAfter(seconds: seconds, comment: comment, duration: duration, parameters: parameters)
    }
}

/// `delta-seconds = 1*DIGIT`, at most 2^32-1 (RFC 3261 §20.19 and §20.33).
enum DeltaSeconds {
    static func parse(_ scanner: inout HeaderValueScanner) throws(SIPSyntaxError) -> UInt32 {
        let start = scanner.index
        while let byte = scanner.peek, ASCII.isDigit(byte) { scanner.index += 1 }
        let digits = scanner.bytes[start..<scanner.index]
        guard !digits.isEmpty else { throw scanner.error("expected a number of seconds") }
        var value: UInt64 = 0
        for digit in digits {
            value = value * 10 + UInt64(digit - 0x30)
            guard value <= UInt64(UInt32.max) else {
                throw scanner.error("\(ASCII.printable(digits, limit: 30)) seconds is more than 2^32-1", at: start)
            }
        }
        return UInt32(value)
    }

    static func parse(_ value: ArraySlice<UInt8>, context: String) throws(SIPSyntaxError) -> UInt32 {
        var scanner = HeaderValueScanner(value, context: context)
        scanner.skipLWS()
        let result = try parse(&scanner)
        scanner.skipLWS()
        if let byte = scanner.peek { throw scanner.error("unexpected '\(ASCII.printable([byte]))' after the number") }
        return result
    }
}

/// The value of a Contact header: `*` (REGISTER removes all bindings) or addresses.
public enum ContactValue: Sendable, Hashable {
    case wildcard
    case addresses([NameAddress])
}
