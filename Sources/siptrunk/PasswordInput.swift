import Foundation
import TrunkStore

/// Passwords given on the command line are visible to every user of the host in `ps` (issue 19): each password
/// option also comes from standard input (`--…-stdin`, first line) or an environment variable, which is preferred.
enum PasswordInput {
    /// The password from, in order: standard input (when `fromStandardInput`), the option, the environment.
    static func resolve(option: String?, fromStandardInput: Bool, environment variable: String, name: String) throws -> String? {
        if fromStandardInput {
            if option != nil { throw CommandFailure.usage("give \(name) either as an option or on standard input, not both") }
            let bytes: [UInt8]
            do {
                bytes = try PrivateFile.readAll(STDIN_FILENO, limit: 4096, name: "the password on standard input")
            } catch {
                throw CommandFailure.usage("\(error)")
            }
            let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let password = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            guard !password.isEmpty else { throw CommandFailure.usage("standard input held no password for \(name)") }
            return password
        }
        if let option { return option }
        return ProcessInfo.processInfo.environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    }
}
