/// A part of a parsed value kept as the bytes it was written in and decoded into a `String` when read — or a
/// string we were given. Parsed parts were checked against their grammar, so decoding cannot fail.
///
/// Texts compare and hash by their decoded value, whichever way they are stored.
struct LazyText: Sendable, Hashable {
    enum Decoding: UInt8, Sendable {
        /// The bytes as they are.
        case plain
        /// `%HH` escapes resolved (URI user and password).
        case percent
        /// A quoted-string: quotes removed, quoted-pairs resolved, folds as one space (display names).
        case quoted
        /// Tokens separated by linear whitespace, joined by single spaces (unquoted display names).
        case words
    }

    enum Storage: Sendable {
        case wire(ArraySlice<UInt8>, Decoding)
        case string(String)
    }

    let storage: Storage

    init(_ string: String) {
        storage = .string(string)
    }

    init(wire bytes: ArraySlice<UInt8>, _ decoding: Decoding) {
        storage = .wire(bytes, decoding)
    }

    var string: String {
        switch storage {
        case .string(let string):
            return string
        case .wire(let bytes, .plain):
            return String(decoding: bytes, as: UTF8.self)
        case .wire(let bytes, .percent):
            return PercentEncoding.decodeString(bytes) ?? String(decoding: bytes, as: UTF8.self)
        case .wire(let bytes, .quoted):
            var scanner = HeaderValueScanner(bytes, context: "")
            return (try? scanner.quotedString()) ?? String(decoding: bytes, as: UTF8.self)
        case .wire(let bytes, .words):
            return NameAddress.joinedWords(bytes)
        }
    }

    static func == (lhs: LazyText, rhs: LazyText) -> Bool {
        if case .wire(let left, .plain) = lhs.storage, case .wire(let right, .plain) = rhs.storage {
            return left.elementsEqual(right)
        }
        return lhs.string == rhs.string
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(string)
    }
}
