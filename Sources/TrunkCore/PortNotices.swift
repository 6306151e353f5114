import Foundation
import TrunkStore

/// Issue 18's notification emails: each status change of a port request queues one email per notification address
/// (and the authorized representative) in the alerts' durable outbox, so the deliverer of a running `siptrunk
/// monitor`, dashboard or `siptrunk serve` sends it through the configured SMTP relay.
extension SIPTrunkService {
    /// Records a status change in the request's history and queues its notices, in the caller's transaction.
    static func recordPortStatus(_ event: PortStatusEvent, request: PortRequest, writer: StoreWriter) throws {
        try writer.insert(event)
        for delivery in portNotices(event, request: request, numbers: try writer.reader.portNumbers(requestId: request.id).map(\.number)) {
            try writer.save(delivery)
        }
    }

    /// The losing carrier's information as the request stored it (the API's snake_case JSON).
    static func carrier(of request: PortRequest) -> PortInitiateRequest.LosingCarrierInformation? {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(PortInitiateRequest.LosingCarrierInformation.self, from: Data(request.losingCarrierInformation.utf8))
    }

    /// A port request of this organisation, or the not-found that names how to list them.
    func ownPortRequest(_ id: String, reader: StoreReader) throws -> PortRequest {
        guard let request = try reader.portRequest(id: id), request.orgId == orgId else {
            throw TrunkError.notFound("no port request '\(id)': siptrunk port list shows them")
        }
        return request
    }

    static func portNotices(_ event: PortStatusEvent, request: PortRequest, numbers: [String]) -> [OutboxDelivery] {
        guard let carrier = carrier(of: request) else { return [] }
        var recipients: [String] = []
        for address in [carrier.authorizedRepresentativeEmail] + (carrier.notificationEmails ?? []) where !recipients.contains(address.lowercased()) {
            recipients.append(address.lowercased())
        }
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.timeZone = TimeZone(identifier: "UTC")
        day.dateFormat = "yyyy-MM-dd"
        let next: String
        switch PortStatus(rawValue: event.status) {
        case .waitingForSignature: next = "The authorized representative signs the Letter of Authorization (siptrunk port sign \(request.id), or the signing link)."
        case .submitted: next = "The losing carrier reviews the request; it typically takes 7–14 business days."
        case .inProgress: next = "The carrier confirmed the port\(request.focDate.map { " for \(day.string(from: $0)) (FOC)" } ?? "")."
        case .completed: next = "The numbers are yours on this deployment: attach them with siptrunk trunks attach."
        case .failed: next = "The port failed\(request.failureReason.map { ": \($0)" } ?? ""). Correct the details and start a new request."
        case .canceled: next = "Nothing more happens with this request."
        case nil: next = ""
        }
        let subject = "[siptrunk] Port request \(request.id): \(event.status.replacingOccurrences(of: "_", with: " "))"
        let text = """
            Port request \(request.id) is now \(event.status)\(event.fromStatus.map { " (was \($0))" } ?? "").

            Numbers:      \(numbers.joined(separator: ", "))
            Target date:  \(day.string(from: request.targetPortDate))
            Changed by:   \(event.who ?? "—")\(event.note.map { "\nNote:         \($0)" } ?? "")

            \(next)
            """
        // One event per recipient (the outbox keeps one delivery per event and channel).
        return recipients.map { address in
            let eventId = "evt_" + UUID().uuidString.lowercased()
            return OutboxDelivery(
                eventId: eventId, channel: "email", alertId: nil, kind: "port.status", recipient: address, subject: subject,
                text: text + "\n\nEvent: \(eventId)\n", payload: "{}", createdAt: event.at)
        }
    }
}

extension SIPTrunkService {
    /// `siptrunk port status ID --set completed --attach-trunk TRUNK`: a completed request's numbers attached to a
    /// trunk at once, each direction configured like the trunk's first number in that direction (endpoint, port,
    /// transport, secure media, authentication mode).
    public func attachPortedNumbers(id: String, trunkId: String) throws(TrunkError) -> AttachResult {
        let (numbers, directions) = try read { reader -> ([String], [AttachRequest.Direction]) in
            _ = try requireEntitlement(reader)
            let request = try ownPortRequest(id, reader: reader)
            guard request.status == PortStatus.completed.rawValue else {
                throw TrunkError.validation([FieldError("status", "\(id) is \(request.status); its numbers are attached once the port completed")])
            }
            guard let trunk = try reader.trunk(id: trunkId), trunk.orgId == orgId else {
                throw TrunkError.notFound("no trunk '\(trunkId)': siptrunk trunks list shows them")
            }
            let configurations = try reader.configurations(trunkId: trunk.id)
            var directions: [AttachRequest.Direction] = []
            for direction in SIPConfiguration.Direction.allCases {
                guard let config = configurations.first(where: { $0.direction == direction }) else { continue }
                let mode = try reader.authentication(configId: config.id)?.mode
                directions.append(AttachRequest.Direction(
                    type: direction.rawValue, authMode: direction == .inbound ? mode?.rawValue : nil, sipEndpoint: config.sipEndpoint,
                    options: direction == .outbound ? .init(port: config.port, transport: config.transport, secureMedia: config.secureMedia) : nil))
            }
            guard !directions.isEmpty else {
                throw TrunkError.validation([FieldError("trunk_id", "trunk \(trunkId) has no number to copy its settings from; attach the numbers with siptrunk trunks attach")])
            }
            return (try reader.portNumbers(requestId: id).map(\.number), directions)
        }
        return try attach(AttachRequest(phoneNumbers: numbers, trunkId: trunkId, directions: directions))
    }
}
