/// Why a runner could not do what was asked, in a sentence a person can act on. Front ends decide how to show it:
/// the CLI exits 2 for `.usage` and 1 for `.refused`, the wizard puts the message on its status line.
public struct RuntimeError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The request itself was wrong (a listen address that is not one, a media address that is not an IP).
        case usage
        /// The request was understood, and the peer, the network or the rules refused it.
        case refused
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public static func usage(_ message: String) -> RuntimeError { RuntimeError(.usage, message) }
    public static func refused(_ message: String) -> RuntimeError { RuntimeError(.refused, message) }

    public var description: String { message }
}
