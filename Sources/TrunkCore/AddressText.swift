import SIPCore
/// The addresses stored with traced messages: `udp:192.0.2.1:5060` and `tls:[2001:db8::1]:5061` as the engine
/// writes them (`PeerAddress`), or plain `host:port` / `[v6]:port`.
public enum AddressText {
    /// Host (brackets removed) and port, or nil when there is no port.
    public static func split(_ address: String) -> (host: String, port: Int)? {
        var text = Substring(address)
        for transport in ["udp:", "tcp:", "tls:", "ws:", "wss:"] where text.lowercased().hasPrefix(transport) {
            text = text.dropFirst(transport.count)
            break
        }
        if text.hasPrefix("["), let end = text.firstIndex(of: "]") {
            let rest = text[text.index(after: end)...]
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()) else { return nil }
            return (String(text[text.index(after: text.startIndex)..<end]), port)
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        let host = text[..<colon]
        // A bare IPv6 address without brackets has no port to split off.
        guard !host.contains(":") else { return nil }
        return (String(host), port)
    }

    /// `host` or `host:port`, an IPv6 address in brackets (`[2001:db8::1]:5061`): how an endpoint is shown and
    /// parsed back everywhere.
    public static func join(host: String, port: Int?) -> String {
        let reference = IPAddress.reference(host)
        return port.map { "\(reference):\($0)" } ?? reference
    }

    /// The host as shown to people: `192.0.2.1`, `[2001:db8::1]`, or the text itself when it has no port.
    public static func host(of address: String) -> String {
        guard let (host, _) = split(address) else { return address }
        return host.contains(":") ? "[\(host)]" : host
    }
}
