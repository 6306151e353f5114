/// DNS answers as values (RFC 2782 SRV, RFC 3403 NAPTR) and DNS failures. The look-ups themselves live in
/// SIPNetwork; the engine sees them through `SIPResolver`.

/// An SRV record (RFC 2782).
public struct SRVRecord: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var priority: Int
    public var weight: Int
    public var port: Int
    public var target: String

    public init(name: String, priority: Int, weight: Int, port: Int, target: String) {
        self.name = name
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }

    public var description: String { "\(name) \(priority) \(weight) \(port) \(target)." }

    /// RFC 2782 order: lowest priority first; within a priority, a weighted random permutation (zero weights
    /// get a small chance, as the RFC asks).
    public static func ordered<Generator: RandomNumberGenerator>(_ records: [SRVRecord], using generator: inout Generator) -> [SRVRecord] {
        var result: [SRVRecord] = []
        for priority in Set(records.map(\.priority)).sorted() {
            var group = records.filter { $0.priority == priority }.sorted { $0.weight < $1.weight }
            while !group.isEmpty {
                let total = group.reduce(0) { $0 + $1.weight + 1 }
                var pick = Int(generator.next() % UInt64(total))
                let index = group.firstIndex { record in
                    if pick < record.weight + 1 { return true }
                    pick -= record.weight + 1
                    return false
                } ?? 0
                result.append(group.remove(at: index))
            }
        }
        return result
    }
}

/// DNS failures, as the probe and discovery classify them.
public enum DNSError: Error, Sendable, Hashable, CustomStringConvertible {
    case nxdomain(String)
    case noRecords(String)
    case timeout(String)
    /// The server answered REFUSED (or SERVFAIL), or nothing listens on its port.
    case refused(String)
    case other(String)

    public var description: String {
        switch self {
        case .nxdomain(let name): return "\(name) does not exist (NXDOMAIN)"
        case .noRecords(let name): return "\(name) exists but has no records of that type"
        case .timeout(let server): return "the DNS server \(server) did not answer"
        case .refused(let server): return "the DNS server \(server) refused the query"
        case .other(let detail): return detail
        }
    }
}

/// A NAPTR record (RFC 3403) as RFC 3263 §4.1 uses it: `SIP+D2U`, `SIP+D2T`, `SIPS+D2T` services pointing at
/// SRV names.
public struct NAPTRRecord: Sendable, Hashable, CustomStringConvertible {
    public var order: Int
    public var preference: Int
    public var flags: String
    public var service: String
    public var replacement: String

    public init(order: Int, preference: Int, flags: String, service: String, replacement: String) {
        self.order = order
        self.preference = preference
        self.flags = flags
        self.service = service
        self.replacement = replacement
    }

    /// The transport a SIP NAPTR service names, if it is one RFC 3263 defines and we speak.
    public var transport: SIPTransport? {
        switch service.uppercased() {
        case "SIP+D2U": .udp
        case "SIP+D2T": .tcp
        case "SIPS+D2T": .tls
        default: nil
        }
    }

    public var description: String { "\(order) \(preference) \"\(flags)\" \"\(service)\" \(replacement)." }

    /// RFC 3403 §4.1 order: lowest order, then lowest preference.
    public static func ordered(_ records: [NAPTRRecord]) -> [NAPTRRecord] {
        records.sorted { ($0.order, $0.preference) < ($1.order, $1.preference) }
    }
}
