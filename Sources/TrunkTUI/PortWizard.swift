import Foundation
import TUIKit
import TrunkCore

/// The port-request wizard (issue 18, "Port a number" in the dashboard's Porting view): the numbers and their
/// portability, the losing carrier's details, the proof-of-ownership document, review and signature, then the
/// request's status. Each step's Enter runs its use case; Esc goes back a step (from the first, it closes).
struct PortWizard: Sendable {
    enum Step: Int, CaseIterable {
        case numbers, details, document, sign, done
        var title: String {
            switch self {
            case .numbers: "1 of 4 · Numbers"
            case .details: "2 of 4 · Losing carrier"
            case .document: "3 of 4 · Proof of ownership"
            case .sign: "4 of 4 · Review and sign"
            case .done: "Submitted"
            }
        }
    }

    var step = Step.numbers
    var numbersForm = Form([.init("numbers", "Numbers", .text(TextField(placeholder: "+442079460000, +442079460001")), hint: "E.164, up to 100")])
    var detailsForm: Form
    var documentForm = Form([.init("path", "File", .text(TextField(placeholder: "/path/to/bill.pdf")), hint: "PDF, PNG or JPEG, at most 10 MB; Tab completes")])
    var signForm = Form([
        .init("name", "Full name", .text(TextField(placeholder: "")), hint: "the authorized representative's, as above"),
        .init("consent", "I agree", .toggle(false), hint: "to the Letter of Authorization (siptrunk port loa ID writes it)"),
    ])
    var checks: [PortCheck] = []
    var document: PortDocumentView?
    var request: PortRequestView?
    /// The request once initiated: a refused signature is tried again on it, not on a second request.
    var initiatedId: String?
    var message: (text: String, role: Role)?

    init(today: Date) {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd"
        let target = formatter.string(from: today.addingTimeInterval(10 * 86_400))
        func text(_ key: String, _ label: String, _ value: String = "", hint: String = "") -> Form.Field {
            var field = TextField(placeholder: "")
            field.insert(value)
            return .init(key, label, .text(field), hint: hint)
        }
        detailsForm = Form([
            .init("customer_type", "Customer", .choice(["business", "personal"], selected: 0)),
            text("business_name", "Business name"), text("first_name", "First name", hint: "the authorized representative"),
            text("last_name", "Last name"), text("email", "Email"), text("account_number", "Account number"),
            text("pin", "Account PIN", hint: "when the carrier wants one"), text("street", "Street"), text("city", "City"),
            text("state", "State"), text("zip", "ZIP"), text("country", "Country"),
            text("target_port_date", "Target date", target, hint: "YYYY-MM-DD, 7 days ahead or more"),
        ])
    }

    enum Outcome: Hashable, Sendable { case stay, close, run(Job) }

    mutating func handle(_ key: Key) -> Outcome {
        switch key {
        case .escape:
            message = nil
            switch step {
            case .numbers, .done: return .close
            case .details: step = .numbers
            case .document: step = .details
            case .sign: step = .document
            }
            return .stay
        case .enter, .function(5):
            return advance().map { .run($0) } ?? .stay
        case .tab where step == .document:
            // Tab completes the path from the file system, as a shell does.
            let (completed, candidates) = Self.complete(documentForm.text("path"))
            var field = TextField(placeholder: "/path/to/bill.pdf")
            field.insert(completed)
            documentForm = Form([.init("path", "File", .text(field), hint: "PDF, PNG or JPEG, at most 10 MB; Tab completes")])
            message = candidates.count > 1 ? (candidates.prefix(8).joined(separator: "  ") + (candidates.count > 8 ? "  …" : ""), .dim) : nil
            return .stay
        default:
            switch step {
            case .numbers: _ = numbersForm.handle(key)
            case .details: _ = detailsForm.handle(key)
            case .document: _ = documentForm.handle(key)
            case .sign: _ = signForm.handle(key)
            case .done: break
            }
            return .stay
        }
    }

    mutating func paste(_ text: String) {
        switch step {
        case .numbers: numbersForm.paste(text)
        case .details: detailsForm.paste(text)
        case .document: documentForm.paste(text)
        case .sign: signForm.paste(text)
        case .done: break
        }
    }

    var numbers: [String] { NumberingPlan.numbers(in: numbersForm.text("numbers")) }

    /// A path completed as far as the file system makes it unambiguous (a directory gets its `/`), and the entries it
    /// could still become when there are several. `~/` is the home directory; hidden entries only when asked for.
    static func complete(_ text: String, home: String = NSHomeDirectory()) -> (completed: String, candidates: [String]) {
        let expanded = text.hasPrefix("~/") ? home + text.dropFirst(1) : text
        let slash = expanded.lastIndex(of: "/")
        let directory = slash.map { String(expanded[...$0]) } ?? ""
        let prefix = slash.map { String(expanded[expanded.index(after: $0)...]) } ?? expanded
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? [])
            .filter { $0.hasPrefix(prefix) && (prefix.hasPrefix(".") || !$0.hasPrefix(".")) }
            .sorted()
        guard let first = entries.first else { return (expanded, []) }
        if entries.count == 1 {
            var isDirectory: ObjCBool = false
            let path = directory + first
            let directoryEntry = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            return (path + (directoryEntry ? "/" : ""), [])
        }
        var common = first
        for entry in entries.dropFirst() {
            while !entry.hasPrefix(common) { common.removeLast() }
        }
        return (directory + common, entries)
    }

    /// What Enter asks the use cases for at the current step (nil when the step needs none, or refuses first).
    enum Job: Hashable, Sendable {
        case check([String])
        case upload(path: String)
        /// Initiate the request (unless `initiatedId` already names it), read its letter, sign it.
        case sign(initiatedId: String?, request: PortInitiateRequest, typedName: String)
    }

    /// A job's outcome, fed back to `apply`.
    enum Answer: Hashable, Sendable {
        case checked([PortCheck])
        case uploaded(PortDocumentView)
        case signed(id: String, PortRequestView)
        /// The request may have been initiated before the signature was refused: it is signed again, not re-sent.
        case failed(TrunkError, initiatedId: String?)
    }

    /// Enter: the step's checks, and the job to run when it has one (`PortWizard.run` does the I/O, off the
    /// terminal's thread).
    mutating func advance() -> Job? {
        switch step {
        case .numbers: return .check(numbers)
        case .details:
            step = .document
            message = nil
            return nil
        case .document: return .upload(path: documentForm.text("path").trimmingCharacters(in: .whitespaces))
        case .sign:
            // Nothing is requested until the signature can be given.
            guard signForm.isOn("consent"), !signForm.text("name").trimmingCharacters(in: .whitespaces).isEmpty else {
                message = ("To sign, type your full name and agree (Space on \"I agree\"): the representative must agree to the Letter of Authorization.", .error)
                return nil
            }
            return .sign(initiatedId: initiatedId, request: portRequest(), typedName: signForm.text("name"))
        case .done: return nil
        }
    }

    /// Runs a job against the use cases; `letterDigest` is the Letter of Authorization's SHA-256 (the runtime renders it).
    static func run(_ job: Job, service: SIPTrunkService, letterDigest: (PortLetter) -> String) -> Answer {
        var initiated: String?
        do throws(TrunkError) {
            switch job {
            case .check(let numbers): return .checked(try service.portCheck(numbers))
            case .upload(let path): return .uploaded(try service.uploadPortDocument(path: path))
            case .sign(let existing, let request, let typedName):
                initiated = existing
                let id: String
                if let existing {
                    id = existing
                } else {
                    id = try service.initiatePort(request).portRequestId
                }
                initiated = id
                let letter = try service.portLetter(id: id)
                let signed = try service.signPort(
                    id: id, typedName: typedName, consent: true, from: "terminal (siptrunk dashboard)", letterSHA256: letterDigest(letter))
                return .signed(id: id, signed)
            }
        } catch {
            return .failed(error, initiatedId: initiated)
        }
    }

    mutating func apply(_ answer: Answer) {
        switch answer {
        case .checked(let result):
            checks = result
            let refused = checks.filter { !$0.portable }
            if refused.isEmpty {
                step = .details
                message = ("\(checks.count) portable\(checks.contains { $0.pinRequired } ? "; the carrier wants the account PIN" : "").", .ok)
            } else {
                message = ("Not portable: " + refused.map { "\($0.phoneNumber) — \($0.reason ?? "")" }.joined(separator: "; "), .error)
            }
        case .uploaded(let kept):
            document = kept
            step = .sign
            message = ("Kept \(kept.fileName) as proof of ownership (\(kept.mediaType)).", .ok)
        case .signed(let id, let signed):
            initiatedId = id
            request = signed
            step = .done
            message = ("Port request \(id) signed and submitted.", .ok)
        case .failed(let error, let initiated):
            if let initiated { initiatedId = initiated }
            message = (error.messages.joined(separator: "; "), .error)
            // A refused field goes back to the step that holds it.
            if case .validation(let problems) = error, step == .sign {
                if problems.contains(where: { $0.field.hasPrefix("losing_carrier") || $0.field == "target_port_date" || $0.field == "pin" }) { step = .details }
                if problems.contains(where: { $0.field.hasPrefix("phone_numbers") }) { step = .numbers }
            }
        }
    }

    func portRequest() -> PortInitiateRequest {
        let form = detailsForm
        func value(_ key: String) -> String { form.text(key).trimmingCharacters(in: .whitespaces) }
        let business = value("business_name")
        let pin = value("pin")
        return PortInitiateRequest(
            phoneNumbers: numbers,
            losingCarrierInformation: .init(
                customerType: form.choice("customer_type") ?? "business", businessName: business.isEmpty ? nil : business,
                firstName: value("first_name"), lastName: value("last_name"), accountNumber: value("account_number"),
                authorizedRepresentativeEmail: value("email"), notificationEmails: nil,
                address: .init(street: value("street"), street2: nil, city: value("city"), state: value("state"), zip: value("zip"), country: value("country"))),
            targetPortDate: value("target_port_date"), documents: document.map { [$0.documentSid] } ?? [], pin: pin.isEmpty ? nil : pin)
    }

    /// `formOffset` is the view's scroll memory for the step's form.
    func draw(_ frame: inout Frame, _ rect: Rect, formOffset: inout Int) {
        frame.put("Port a number · \(step.title)", x: rect.x, y: rect.y, role: .title, limit: rect.width)
        let body = Rect(x: rect.x, y: rect.y + 2, width: rect.width, height: rect.height - 2)
        switch step {
        case .numbers:
            numbersForm.draw(in: &frame, rect: Rect(x: body.x, y: body.y, width: body.width, height: 2), labelWidth: 16, offset: &formOffset)
            var y = body.y + 3
            for check in checks where y < body.maxY {
                let verdict = check.portable ? "portable" : "not portable: \(check.reason ?? "")"
                frame.put("\(check.phoneNumber)  \(check.numberType)  \(check.pinRequired ? "PIN required" : "no PIN")  \(verdict)",
                          x: body.x, y: y, role: check.portable ? .ok : .error, limit: body.width)
                y += 1
            }
        case .details:
            detailsForm.draw(in: &frame, rect: body, labelWidth: 16, offset: &formOffset)
        case .document:
            documentForm.draw(in: &frame, rect: Rect(x: body.x, y: body.y, width: body.width, height: 2), labelWidth: 16, offset: &formOffset)
        case .sign:
            let request = portRequest()
            var y = body.y
            for (label, value) in [
                ("Numbers", request.phoneNumbers.joined(separator: ", ")),
                ("Representative", "\(request.losingCarrierInformation.firstName) \(request.losingCarrierInformation.lastName) <\(request.losingCarrierInformation.authorizedRepresentativeEmail)>"),
                ("Account", request.losingCarrierInformation.accountNumber), ("Target date", request.targetPortDate),
                ("Document", document.map { "\($0.fileName) (\($0.mediaType))" } ?? "—"),
            ] {
                let used = frame.put(label.padding(toLength: 16, withPad: " ", startingAt: 0), x: body.x, y: y, role: .strong, limit: body.width)
                frame.put(value, x: body.x + used, y: y, limit: body.width - used)
                y += 1
            }
            signForm.draw(in: &frame, rect: Rect(x: body.x, y: y + 1, width: body.width, height: 3), labelWidth: 16, offset: &formOffset)
        case .done:
            guard let request else { return }
            var y = body.y
            for line in ["Request \(request.id) is \(request.status).", "Numbers: \(request.phoneNumbers.map(\.number).joined(separator: ", "))",
                         "Target date: \(request.targetPortDate)", "The operator records the carrier's progress: siptrunk port status \(request.id) --set in_progress"] {
                frame.put(line, x: body.x, y: y, limit: body.width)
                y += 1
            }
        }
    }
}
