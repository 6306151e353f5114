import CAres
import Foundation
import SIPCore

/// A/AAAA, SRV and NAPTR look-ups through c-ares, against the system's name servers or one given as `host:port`.
///
/// Blocking and not thread-safe: use one resolver per thread (discovery runs it off the event loop).
public final class DNSResolver {
    private var channel: ares_channel?
    public let serverDescription: String

    /// - Parameter server: `127.0.0.1:5353` or `[::1]:53`; nil uses the system's resolv.conf.
    public init(server: String? = nil, timeout: Duration = .seconds(2), tries: Int = 2) throws {
        struct Once { static let initialised: Int32 = ares_library_init(ARES_LIB_INIT_ALL) }
        guard Once.initialised == ARES_SUCCESS else { throw DNSError.other("c-ares failed to initialise") }
        var options = ares_options()
        options.timeout = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        options.tries = Int32(tries)
        let status = ares_init_options(&channel, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES)
        guard status == ARES_SUCCESS else { throw DNSError.other("c-ares: \(String(cString: ares_strerror(status)))") }
        if let server {
            let status = ares_set_servers_ports_csv(channel, server)
            guard status == ARES_SUCCESS else {
                ares_destroy(channel)
                throw DNSError.other("'\(server)' is not a DNS server address (host:port)")
            }
            serverDescription = server
        } else {
            serverDescription = "the system resolver"
        }
    }

    deinit { ares_destroy(channel) }

    /// Result of one query, filled by the c-ares callback.
    final class Answer {
        var status: Int32 = -1
        var bytes: [UInt8] = []
    }

    /// Sends one query and waits for its answer (ns_c_in class).
    func query(_ name: String, type: Int32) throws(DNSError) -> [UInt8] {
        let answer = Answer()
        let context = Unmanaged.passRetained(answer)
        ares_query(channel, name, Int32(ns_c_in.rawValue), type, { argument, status, _, buffer, length in
            guard let argument else { return }
            let answer = Unmanaged<Answer>.fromOpaque(argument).takeRetainedValue()
            answer.status = status
            if let buffer, length > 0 { answer.bytes = Array(UnsafeBufferPointer(start: buffer, count: Int(length))) }
        }, context.toOpaque())
        drive()
        switch answer.status {
        case ARES_SUCCESS: return answer.bytes
        case ARES_ENOTFOUND: throw .nxdomain(name)
        case ARES_ENODATA: throw .noRecords(name)
        case ARES_ETIMEOUT: throw .timeout(serverDescription)
        // c-ares reports a REFUSED (or SERVFAIL) answer from every server, and a server port that is closed, this way:
        // the server answered, so it is not a timeout (issue 14).
        case ARES_ECONNREFUSED, ARES_EREFUSED: throw .refused(serverDescription)
        default: throw .other("looking up \(name): \(String(cString: ares_strerror(answer.status)))")
        }
    }

    /// Runs c-ares's sockets with poll(2) until no query is outstanding.
    private func drive() {
        let maximum = Int(siptrunk_ares_getsock_max())
        var sockets = [ares_socket_t](repeating: -1, count: maximum)
        while true {
            let bits = ares_getsock(channel, &sockets, Int32(maximum))
            var polls: [pollfd] = []
            for index in 0..<maximum {
                var events: Int16 = 0
                if siptrunk_ares_readable(bits, Int32(index)) != 0 { events |= Int16(POLLIN) }
                if siptrunk_ares_writable(bits, Int32(index)) != 0 { events |= Int16(POLLOUT) }
                if events != 0 { polls.append(pollfd(fd: sockets[index], events: events, revents: 0)) }
            }
            if polls.isEmpty { return }
            var maxWait = timeval(tv_sec: 1, tv_usec: 0)
            var wait = timeval()
            let next = ares_timeout(channel, &maxWait, &wait)
            let milliseconds = next.map { Int32($0.pointee.tv_sec * 1000 + Int($0.pointee.tv_usec) / 1000) } ?? 1000
            _ = poll(&polls, nfds_t(polls.count), milliseconds)
            var anyReady = false
            for entry in polls where entry.revents != 0 {
                anyReady = true
                let readable = entry.revents & Int16(POLLIN | POLLERR | POLLHUP) != 0 ? entry.fd : ARES_SOCKET_BAD
                let writable = entry.revents & Int16(POLLOUT) != 0 ? entry.fd : ARES_SOCKET_BAD
                ares_process_fd(channel, readable, writable)
            }
            if !anyReady { ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD) }
        }
    }

    /// SRV records of `name` (`_sip._udp.example.com`), in RFC 2782 order.
    public func srv(_ name: String) throws(DNSError) -> [SRVRecord] {
        let bytes = try query(name, type: Int32(ns_t_srv.rawValue))
        var reply: UnsafeMutablePointer<ares_srv_reply>?
        let status = bytes.withUnsafeBufferPointer { ares_parse_srv_reply($0.baseAddress, Int32($0.count), &reply) }
        guard status == ARES_SUCCESS else {
            if status == ARES_ENODATA { throw .noRecords(name) }
            throw .other("the SRV answer for \(name) is malformed: \(String(cString: ares_strerror(status)))")
        }
        defer { ares_free_data(reply) }
        var records: [SRVRecord] = []
        var cursor = reply
        while let entry = cursor {
            records.append(
                SRVRecord(
                    name: name, priority: Int(entry.pointee.priority), weight: Int(entry.pointee.weight),
                    port: Int(entry.pointee.port), target: String(cString: entry.pointee.host)))
            cursor = entry.pointee.next
        }
        var generator = SystemRandomNumberGenerator()
        return SRVRecord.ordered(records, using: &generator)
    }

    /// NAPTR records of `domain`, ordered by order then preference (RFC 3403).
    public func naptr(_ domain: String) throws(DNSError) -> [NAPTRRecord] {
        let bytes = try query(domain, type: Int32(ns_t_naptr.rawValue))
        var reply: UnsafeMutablePointer<ares_naptr_reply>?
        let status = bytes.withUnsafeBufferPointer { ares_parse_naptr_reply($0.baseAddress, Int32($0.count), &reply) }
        guard status == ARES_SUCCESS else {
            if status == ARES_ENODATA { throw .noRecords(domain) }
            throw .other("the NAPTR answer for \(domain) is malformed: \(String(cString: ares_strerror(status)))")
        }
        defer { ares_free_data(reply) }
        var records: [NAPTRRecord] = []
        var cursor = reply
        while let entry = cursor {
            records.append(
                NAPTRRecord(
                    order: Int(entry.pointee.order), preference: Int(entry.pointee.preference),
                    flags: String(cString: entry.pointee.flags), service: String(cString: entry.pointee.service),
                    replacement: String(cString: entry.pointee.replacement)))
            cursor = entry.pointee.next
        }
        return NAPTRRecord.ordered(records)
    }

    /// IPv4 then IPv6 addresses of `host`. NXDOMAIN only when neither family exists.
    public func addresses(_ host: String) throws(DNSError) -> [String] {
        if IPAddress.isIPv4(host) || IPAddress.isIPv6(host) { return [host] }
        var result: [String] = []
        var failures: [DNSError] = []
        for (type, family) in [(Int32(ns_t_a.rawValue), AF_INET), (Int32(ns_t_aaaa.rawValue), AF_INET6)] {
            do {
                let bytes = try query(host, type: type)
                result += Self.parseAddresses(bytes, family: family)
            } catch {
                failures.append(error)
            }
        }
        if result.isEmpty {
            if let timeout = failures.first(where: { if case .timeout = $0 { return true } else { return false } }) { throw timeout }
            if let refused = failures.first(where: { if case .refused = $0 { return true } else { return false } }) { throw refused }
            if failures.contains(.nxdomain(host)) { throw .nxdomain(host) }
            throw .noRecords(host)
        }
        return result
    }

    static func parseAddresses(_ bytes: [UInt8], family: Int32) -> [String] {
        var output: [String] = []
        var buffer = [CChar](repeating: 0, count: 64)
        if family == AF_INET {
            var entries = [ares_addrttl](repeating: ares_addrttl(), count: 32)
            var count: Int32 = 32
            let status = bytes.withUnsafeBufferPointer { ares_parse_a_reply($0.baseAddress, Int32($0.count), nil, &entries, &count) }
            guard status == ARES_SUCCESS else { return [] }
            for index in 0..<Int(count) {
                var address = entries[index].ipaddr
                if inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count)) != nil { output.append(String(cString: buffer)) }
            }
        } else {
            var entries = [ares_addr6ttl](repeating: ares_addr6ttl(), count: 32)
            var count: Int32 = 32
            let status = bytes.withUnsafeBufferPointer { ares_parse_aaaa_reply($0.baseAddress, Int32($0.count), nil, &entries, &count) }
            guard status == ARES_SUCCESS else { return [] }
            for index in 0..<Int(count) {
                var address = entries[index].ip6addr
                if inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil { output.append(String(cString: buffer)) }
            }
        }
        return output
    }
}
