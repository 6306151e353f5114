import ArgumentParser
import Foundation
import SystemPackage
import TrunkCore
import TrunkRuntime
import TrunkStore

/// `siptrunk port`: number porting (issue 18; the guide's Number Porting section).
struct PortCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "port",
        abstract: "Port numbers in from another carrier: check, documents, request, lifecycle.",
        discussion: """
            A port request goes waiting_for_signature -> submitted -> in_progress -> completed, or ends canceled or \
            failed. It typically takes 7-14 business days; the target date must be at least 7 days away.
            """,
        subcommands: [Check.self, Document.self, Initiate.self, Letter.self, Sign.self, List.self, Show.self, Cancel.self, Status.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Whether numbers can be ported, their type, and whether the carrier wants a PIN.")
        @Argument(help: "Numbers in E.164 form.") var numbers: [String]
        @Flag(help: "Print one JSON document (GET /v1/sip/port/check).") var json = false
        @OptionGroup var store: StoreOptions

        func run() throws {
            let service = try store.service(.create)
            let results = try runUseCase(json: json) { try service.portCheck(numbers) }
            if json {
                JSONOutput.success(PortCheckResults(results: results))
                return
            }
            for result in results {
                let verdict = result.portable ? "portable" : "not portable: \(result.reason ?? "")"
                print("\(result.phoneNumber.padding(toLength: 16, withPad: " ", startingAt: 0)) \(result.numberType.padding(toLength: 20, withPad: " ", startingAt: 0)) \(result.pinRequired ? "PIN required  " : "no PIN needed ") \(verdict)")
            }
            if results.contains(where: { !$0.portable }) { throw CommandFailure.silent }
        }
    }

    struct PortCheckResults: Encodable { var results: [PortCheck] }

    struct Document: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Upload a proof of ownership: PDF, PNG or JPEG, at most 10 MB.")
        @Argument(help: "The file.") var file: String
        @Flag(help: "Print one JSON document (POST /v1/sip/port/document).") var json = false
        @OptionGroup var store: StoreOptions

        func run() throws {
            let bytes: [UInt8]
            do {
                // One byte past the limit is read, so "too large" is told by size, not by a truncated read.
                bytes = try PrivateFile.read(file, limit: SIPTrunkService.maximumDocumentBytes + 1)
            } catch {
                throw CommandFailure.refused("\(error)")
            }
            let service = try store.service(.create)
            let document = try runUseCase(json: json) { try service.uploadPortDocument(bytes, fileName: FilePath(file).lastComponent?.string ?? "document") }
            if json {
                JSONOutput.success(document)
                return
            }
            print("document \(document.documentSid): \(document.fileName), \(document.mediaType), \(document.size) bytes (SHA-256 \(document.sha256.prefix(16))…)")
        }
    }

    struct Initiate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Request a port (POST /v1/sip/port/initiate) from the API's JSON body.")
        @Option(help: "A JSON file (or - for stdin) holding the API's request body.") var request: String
        @Flag(help: "Print one JSON document.") var json = false
        @OptionGroup var store: StoreOptions

        func run() throws {
            let body = try decodeRequest(PortInitiateRequest.self, from: request)
            let service = try store.service(.create)
            let result = try runUseCase(json: json) { try service.initiatePort(body) }
            if json {
                JSONOutput.success(result)
                return
            }
            print("port request \(result.portRequestId): \(result.status) for \(result.phoneNumbers.joined(separator: ", "))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Port requests, newest first (GET /v1/sip/port).")
        @Flag(help: "Print one JSON document.") var json = false
        @OptionGroup var store: StoreOptions

        func run() throws {
            let service = try store.service(.readOnly)
            let requests = try runUseCase(json: json) { try service.portRequests() }
            if json {
                JSONOutput.success(PortRequests(portRequests: requests))
                return
            }
            if requests.isEmpty { print("no port requests: siptrunk port initiate --request FILE") }
            for request in requests {
                print("\(request.id)  \(request.status.padding(toLength: 22, withPad: " ", startingAt: 0))  target \(request.targetPortDate)  \(request.phoneNumbers.map(\.number).joined(separator: ", "))")
            }
        }
    }

    struct PortRequests: Encodable { var portRequests: [PortRequestView] }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One request with its numbers and history.")
        @Argument(help: "The request's id.") var id: String
        @Flag(help: "Print one JSON document.") var json = false
        @OptionGroup var store: StoreOptions

        func run() throws {
            let service = try store.service(.readOnly)
            let request = try runUseCase(json: json) { try service.portRequest(id: id) }
            if json {
                JSONOutput.success(request)
                return
            }
            PortCommand.show(request)
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a request that has not completed (DELETE /v1/sip/port/{id}).")
        @Argument(help: "The request's id.") var id: String
        @OptionGroup var store: StoreOptions

        func run() throws {
            let service = try store.service(.existing)
            let request = try runUseCase(json: false) { try service.cancelPort(id: id) }
            print("port request \(request.id) canceled")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the carrier's progress: --set in_progress [--foc-date YYYY-MM-DD], --set completed, --set failed --reason TEXT.")
        @Argument(help: "The request's id.") var id: String
        @Option(help: "in_progress, completed or failed.") var set: String
        @Option(help: "The firm order commitment date the carrier gave (YYYY-MM-DD).") var focDate: String?
        @Option(help: "Why the port failed, or a note.") var reason: String?
        @Option(help: "With --set completed: attach the ported numbers to this trunk at once, configured like its numbers.") var attachTrunk: String?
        @OptionGroup var store: StoreOptions

        func run() throws {
            guard let next = PortStatus(rawValue: set), [.inProgress, .completed, .failed].contains(next) else {
                throw ValidationError("--set must be in_progress, completed or failed (the requester cancels with siptrunk port cancel)")
            }
            if attachTrunk != nil && next != .completed { throw ValidationError("--attach-trunk goes with --set completed") }
            var foc: Date?
            if let focDate {
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.dateFormat = "yyyy-MM-dd"
                guard let date = formatter.date(from: focDate) else { throw ValidationError("--foc-date must be YYYY-MM-DD") }
                foc = date
            }
            let service = try store.service(.existing)
            let request = try runUseCase(json: false) { try service.movePort(id: id, to: next, who: "operator", note: reason, focDate: foc) }
            PortCommand.show(request)
            if let attachTrunk {
                let result = try runUseCase(json: false) { try service.attachPortedNumbers(id: id, trunkId: attachTrunk) }
                print("attached to trunk \(attachTrunk): \(result.configured.map(\.phoneNumber).joined(separator: ", "))")
                for failure in result.failed { printError("siptrunk: \(failure.phoneNumber) not attached: \(failure.reason)") }
                if !result.failed.isEmpty { throw CommandFailure.silent }
            }
        }
    }

    static func show(_ request: PortRequestView) {
        print("port request \(request.id): \(request.status)")
        print("  numbers        \(request.phoneNumbers.map { "\($0.number) (\($0.status))" }.joined(separator: ", "))")
        print("  target date    \(request.targetPortDate)" + (request.focDate.map { ", FOC \($0)" } ?? ""))
        print("  representative \(request.authorizedRepEmail)")
        if let reason = request.failureReason { print("  failed because \(reason)") }
        let formatter = ISO8601DateFormatter()
        for event in request.history {
            print("  \(formatter.string(from: event.at))  \(event.from ?? "—") → \(event.to)  by \(event.who ?? "—")\(event.note.map { ": \($0)" } ?? "")")
        }
    }
}

extension PortCommand {
    /// `siptrunk port loa ID --output FILE`: the Letter of Authorization as a PDF.
    struct Letter: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "loa", abstract: "Write a request's Letter of Authorization (PDF).")
        @Argument(help: "The request's id.") var id: String
        @Option(help: ArgumentHelp("The PDF file to write (0600).", valueName: "path")) var output: String
        @Flag(help: "Replace an existing file.") var force = false
        @OptionGroup var store: StoreOptions

        func run() throws {
            let service = try store.service(.readOnly)
            let letter = try runUseCase(json: false) { try service.portLetter(id: id) }
            let pdf: [UInt8]
            do {
                pdf = try LetterOfAuthorization.pdf(letter)
                try PrivateFile.write(pdf, to: output, replacing: force)
            } catch {
                throw CommandFailure.refused("\(error)")
            }
            print("wrote the Letter of Authorization of \(id) to \(output) (\(pdf.count) bytes, SHA-256 \(LetterOfAuthorization.sha256(pdf).prefix(16))…)")
        }
    }

    /// `siptrunk port sign ID --name NAME --i-agree`: the representative signs in the terminal.
    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a request's Letter of Authorization in the terminal (read it first: siptrunk port loa ID --output loa.pdf).")
        @Argument(help: "The request's id.") var id: String
        @Option(help: "The authorized representative's full name, as on the request.") var name: String
        @Flag(help: "I have read the Letter of Authorization and agree to it.") var iAgree = false
        @OptionGroup var store: StoreOptions

        func run() throws {
            let service = try store.service(.existing)
            let letter = try runUseCase(json: false) { try service.portLetter(id: id) }
            let digest: String
            do { digest = try LetterOfAuthorization.digest(letter) } catch { throw CommandFailure.refused("\(error)") }
            let user = ProcessInfo.processInfo.environment["USER"] ?? "unknown"
            let signed = try runUseCase(json: false) {
                try service.signPort(id: id, typedName: name, consent: iAgree, from: "terminal of \(user)@\(ProcessIdentity.hostName())", letterSHA256: digest)
            }
            PortCommand.show(signed)
        }
    }
}
