import ArgumentParser
import Foundation
import TrunkCore
import TrunkStore

/// `--db PATH` for every command that uses the database.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp("The database file.", valueName: "path"))
    var path: String?

    @Option(name: .customLong("org"), help: ArgumentHelp("The organisation to act for.", valueName: "id"))
    var orgId: String = Installation.defaultOrgId

    /// Opens the database. Only the commands that create (the wizard, demo, attach, profile set) pass `.create`;
    /// the others refuse a missing file, so a mistyped `--db` is said, not made (issue 19). Read-only commands
    /// pass `.readOnly` and work on a file they cannot write.
    func open(_ access: TrunkDatabase.Access) throws -> TrunkDatabase {
        let resolved = path ?? TrunkDatabase.defaultPath()
        do {
            let store = try TrunkDatabase(path: resolved, access: access)
            for notice in store.notices { printError("siptrunk: \(notice)") }
            if !store.isReadOnly { try Installation.prepare(store, host: HostFacts.current()) }
            return store
        } catch let error as StoreError {
            throw CommandFailure.refused(error.message)
        } catch let error as TrunkError {
            throw CommandFailure.refused(error.description)
        }
    }

    func service(_ access: TrunkDatabase.Access) throws -> SIPTrunkService {
        SIPTrunkService(store: try open(access), orgId: orgId)
    }
}

enum HostFacts {
    /// This host's name and its global addresses (loopback and link-local left out).
    static func current() -> Installation.HostFacts {
        var name = [CChar](repeating: 0, count: 256)
        let hostName = gethostname(&name, name.count) == 0 ? String(cString: name) : "localhost"
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

/// Runs a use case and turns its refusal into exit status 1 with the reasons (as JSON when asked).
func runUseCase<T>(json: Bool, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as TrunkError {
        if json {
            JSONOutput.print(Envelope<String>(data: nil, errors: error.messages.map { .init(error: error.code, message: $0) }))
            throw CommandFailure.silent
        }
        throw CommandFailure.refused(error.messages.joined(separator: "\n  "))
    }
}
