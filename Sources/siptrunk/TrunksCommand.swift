import ArgumentParser
import Foundation
import SIPCore
import TrunkAPI
import TrunkCore
import TrunkStore

/// `siptrunk trunks attach|update|detach|show|list`.
struct TrunksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trunks",
        abstract: "Attach numbers to trunks, change, show and detach them.",
        subcommands: [Attach.self, Update.self, Detach.self, Show.self, List.self]
    )

    /// The flags that describe one direction (`directions[]` of the API).
    struct DirectionOptions: ParsableArguments {
        @Option(name: .customLong("direction"), help: "inbound or outbound (repeat for both).")
        var directions: [String] = []

        @Option(name: .customLong("endpoint"), help: "The SIP server for outbound calls, e.g. sip:pbx.example.com:5061;transport=tls")
        var sipEndpoint: String?

        @Option(help: "Port, when the endpoint does not give one.")
        var port: Int?

        @Option(help: "udp, tcp or tls, when the endpoint does not give one.")
        var transport: String?

        @Option(name: .customLong("auth"), help: "ip (default) or register.")
        var authMode: String?

        @Option(help: "Username the PBX registers with (auth register).")
        var registerUsername: String?

        @Option(help: "Password for the PBX to register with, at least 8 characters; without it one is derived. Visible in ps: prefer --register-password-stdin or SIPTRUNK_REGISTER_PASSWORD.")
        var registerPassword: String?

        @Flag(help: "Read --register-password from the first line of standard input.")
        var registerPasswordStdin = false

        @Option(help: "Username for digest challenges from your PBX on outbound calls.")
        var sipUsername: String?

        @Option(help: "Password for digest challenges from your PBX on outbound calls. Visible in ps: prefer --sip-password-stdin or SIPTRUNK_SIP_PASSWORD.")
        var sipPassword: String?

        @Flag(help: "Read --sip-password from the first line of standard input.")
        var sipPasswordStdin = false

        @Option(name: .customLong("header"), help: "A custom header KEY=VALUE (repeatable).")
        var headers: [String] = []

        @Flag(inversion: .prefixedNo, help: "Require SRTP for media.")
        var secureMedia = true

        func requestDirections() throws -> [AttachRequest.Direction] {
            if registerPasswordStdin, sipPasswordStdin { throw ValidationError("only one password can come from standard input") }
            let registerPassword = try PasswordInput.resolve(
                option: registerPassword, fromStandardInput: registerPasswordStdin, environment: "SIPTRUNK_REGISTER_PASSWORD", name: "--register-password")
            let sipPassword = try PasswordInput.resolve(
                option: sipPassword, fromStandardInput: sipPasswordStdin, environment: "SIPTRUNK_SIP_PASSWORD", name: "--sip-password")
            let chosen = directions.isEmpty ? [sipEndpoint == nil ? "inbound" : "outbound"] : directions
            var custom: [CustomHeader] = []
            for header in headers {
                guard let equals = header.firstIndex(of: "=") else {
                    throw ValidationError("--header '\(header)' must be KEY=VALUE")
                }
                custom.append(CustomHeader(key: String(header[..<equals]), value: String(header[header.index(after: equals)...])))
            }
            return chosen.map { type in
                AttachRequest.Direction(
                    type: type, authMode: type == "inbound" ? authMode : (authMode == "register" ? authMode : nil),
                    registerAuth: (registerUsername != nil || registerPassword != nil) && type == "inbound"
                        ? .init(username: registerUsername, password: registerPassword) : nil,
                    sipEndpoint: type == "outbound" ? sipEndpoint : nil,
                    headers: custom.isEmpty ? nil : .init(direction: type, headers: custom),
                    options: .init(port: port, transport: transport, secureMedia: secureMedia, sipUsername: sipUsername, sipPassword: sipPassword))
            }
        }
    }

    struct Attach: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attach SIP configuration to numbers (POST /v1/sip/attach).",
            discussion: """
                Up to 100 E.164 numbers at once; numbers that cannot be configured are listed with the reason and the \
                others are configured. With --auth register the password to configure in the PBX is shown once.
                Examples:
                  siptrunk trunks attach +14155550123 --endpoint tls://pbx.example.com
                  siptrunk trunks attach +14155550123 +14155550124 --direction inbound --auth register
                  siptrunk trunks attach --request attach.json     (the API's JSON body)
                """)

        @Argument(help: "Numbers in E.164 form.")
        var numbers: [String] = []

        @Option(name: .customLong("trunk"), help: "The trunk to attach to (created when new; a new id when omitted).")
        var trunkId: String?

        @Option(help: "A JSON file (or - for stdin) holding the API's request body instead of flags.")
        var request: String?

        @OptionGroup var direction: DirectionOptions
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let body: AttachRequest
            if let request {
                body = try decodeRequest(AttachRequest.self, from: request)
            } else {
                guard !numbers.isEmpty else { throw ValidationError("give at least one number, e.g. +14155550123") }
                body = AttachRequest(phoneNumbers: numbers, trunkId: trunkId, directions: try direction.requestDirections())
            }
            let service = try store.service(.create)
            let result = try runUseCase(json: json) { try service.attach(body) }
            if json {
                JSONOutput.success(result)
            } else {
                print("Trunk \(result.trunkId)")
                for item in result.configured { print("  configured  \(item.phoneNumber)  \(item.directions.joined(separator: ", "))") }
                for item in result.failed { print("  failed      \(item.phoneNumber)  \(item.reason)") }
                if let password = result.registerPasswordForPbx {
                    print("\nRegistration password for your PBX (shown once; configure it as the trunk's secret):\n  \(password)")
                }
            }
            // Exit 1 when any number failed (issue 14): a script must not take a partial attach for success. The
            // JSON still lists both parts, and the numbers that were configured stay configured.
            if !result.failed.isEmpty {
                if !json, !result.configured.isEmpty {
                    printError("siptrunk: \(result.failed.count) of \(result.failed.count + result.configured.count) numbers were not configured (listed above)")
                }
                throw CommandFailure.silent
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change one direction of a number (POST /v1/sip/update).")

        @Argument(help: "The number, in E.164 form.") var number: String
        @OptionGroup var direction: DirectionOptions
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let directions = try direction.requestDirections()
            guard directions.count == 1, let update = directions.first else {
                throw ValidationError("update changes one direction: give --direction inbound or --direction outbound")
            }
            let service = try store.service(.existing)
            let result = try runUseCase(json: json) { try service.update(number: number, with: update) }
            if json {
                JSONOutput.success(UpdateResult(registerPasswordForPbx: result.registerPasswordForPbx))
            } else {
                for item in result.configured { print("updated  \(item.phoneNumber)  \(item.directions.joined(separator: ", "))") }
                if let password = result.registerPasswordForPbx { print("\nRegistration password for your PBX:\n  \(password)") }
            }
        }
    }

    struct UpdateResult: Encodable {
        var registerPasswordForPbx: String?
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(registerPasswordForPbx, forKey: .registerPasswordForPbx)
        }
        enum CodingKeys: String, CodingKey { case registerPasswordForPbx }
    }

    struct Detach: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a number's SIP configuration (POST /v1/sip/detach).")

        @Argument(help: "The number, in E.164 form.") var number: String
        @Option(name: .customLong("direction"), help: "inbound or outbound; all directions when omitted.")
        var directions: [String] = []
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let service = try store.service(.existing)
            let removed = try runUseCase(json: json) { try service.detach(number: number, directions: directions.isEmpty ? nil : directions) }
            if json {
                JSONOutput.success(["detached": removed])
            } else {
                print("detached \(number): \(removed.joined(separator: ", "))")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a number's SIP configuration, credentials redacted (GET /v1/sip).")

        @Argument(help: "The number, in E.164 form.") var number: String
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let service = try store.service(.readOnly)
            let configuration = try runUseCase(json: json) { try service.configuration(number: number) }
            if json {
                JSONOutput.success(configuration)
                return
            }
            for view in [configuration.inbound, configuration.outbound].compactMap({ $0 }) {
                print("\(view.direction.capitalized) (\(view.id), trunk \(view.trunkId))")
                print("  endpoint      \(view.sipEndpoint ?? "-")")
                print("  port          \(view.options.port.map(String.init) ?? "- (discovery decides)")")
                print("  transport     \(view.options.transport ?? "- (discovery decides)")")
                print("  secure media  \(view.options.secureMedia ? "SRTP required" : "off")")
                print("  auth          \(view.authMode)" + (view.registerUsername.map { " (username \($0))" } ?? ""))
                if let user = view.options.sipUsername { print("  sip user      \(user), password \(view.options.sipPassword ?? "none")") }
                for header in view.headers.headers { print("  header        \(header.key): \(header.value)") }
                if !view.failoverEndpoints.isEmpty { print("  failover      \(view.failoverEndpoints.joined(separator: ", "))") }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List trunks and their numbers.")

        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            let service = try store.service(.readOnly)
            let trunks = try runUseCase(json: json) { try service.trunks() }
            if json {
                JSONOutput.success(["trunks": trunks])
                return
            }
            if trunks.isEmpty { print("No trunks yet. Attach numbers with `siptrunk trunks attach`.") }
            for trunk in trunks {
                print("\(trunk.id)  \(trunk.provider ?? "other")  \(trunk.numbers.count) number(s)")
                for number in trunk.numbers { print("  \(number)") }
            }
        }
    }
}

/// The largest API request body, as the HTTP API's limit.
let maximumRequestBytes = APIServer.maximumBodyBytes

/// Reads and decodes an API request body from a file or standard input.
func decodeRequest<T: Codable>(_ type: T.Type, from path: String) throws -> T {
    // Bounded like the API's request body (2 MiB): standard input of any size is refused, not held (issue 19).
    let data: Data
    do {
        data = Data(
            path == "-"
                ? try PrivateFile.readAll(STDIN_FILENO, limit: maximumRequestBytes, name: "the request on standard input")
                : try PrivateFile.read(path, limit: maximumRequestBytes))
    } catch {
        throw CommandFailure.usage("\(error)")
    }
    // The API's strict decoding (issue 17): a misspelt or unknown field is refused, not ignored.
    do {
        return try RequestDecoding.decode(T.self, from: data)
    } catch {
        throw CommandFailure.refused("the request is refused:\n  " + error.messages.joined(separator: "\n  "))
    }
}
