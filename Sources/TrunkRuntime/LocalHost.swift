import Foundation
import TrunkCore

/// What this host knows about itself for the deployment profile's first region: its name and its global addresses.
public enum LocalHost {
    /// This host's name and its global addresses (loopback and link-local left out).
    public static func facts() -> Installation.HostFacts {
        let hostName = ProcessIdentity.hostName()
        var ipv4: [String] = []
        var ipv6: [String] = []
        var list: UnsafeMutablePointer<ifaddrs>?
        if getifaddrs(&list) == 0, let first = list {
            var cursor: UnsafeMutablePointer<ifaddrs>? = first
            while let entry = cursor {
                defer { cursor = entry.pointee.ifa_next }
                guard let address = entry.pointee.ifa_addr else { continue }
                var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                let family = Int32(address.pointee.sa_family)
                let length = family == AF_INET ? socklen_t(MemoryLayout<sockaddr_in>.size) : socklen_t(MemoryLayout<sockaddr_in6>.size)
                guard family == AF_INET || family == AF_INET6,
                    getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0
                else { continue }
                let text = String(cString: host)
                if family == AF_INET, !text.hasPrefix("127.") { ipv4.append(text) }
                if family == AF_INET6, text != "::1", !text.lowercased().hasPrefix("fe80") { ipv6.append(text) }
            }
            freeifaddrs(first)
        }
        return Installation.HostFacts(hostName: hostName, ipv4: ipv4, ipv6: ipv6)
    }
}
