import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import SIPCore
import TrunkCore

/// One route of the API as the OpenAPI document names it (`/v1/sip/calls/{call_id}/trace`).
public struct APIRoute: Hashable, Sendable, CustomStringConvertible {
    public var method: String
    public var path: String
    /// False for the routes anyone may read (`/healthz`, the OpenAPI document).
    public var authenticated: Bool

    public var description: String { "\(method) \(path)" }

    /// The path in Hummingbird's form (`:call_id`).
    var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : part
        }.joined(separator: "/")
    }

    /// Whether a request path matches this route's template.
    func matches(_ requestPath: String) -> Bool {
        let template = path.split(separator: "/", omittingEmptySubsequences: false)
        let parts = requestPath.split(separator: "/", omittingEmptySubsequences: false)
        guard template.count == parts.count else { return false }
        return zip(template, parts).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }
}

/// The handlers: each decodes and checks its input, calls one TrunkCore use case or starts one job, and answers
/// in the envelope. No rule lives here that the CLI or the TUI does not share.
struct Handlers: Sendable {
    let settings: APIServer.Settings
    let board: JobBoard

    /// Every route the server answers, in the order of the guide's API reference.
    static let routes: [APIRoute] = [
        APIRoute(method: "GET", path: "/v1/sip", authenticated: true),
        APIRoute(method: "POST", path: "/v1/sip/attach", authenticated: true),
        APIRoute(method: "POST", path: "/v1/sip/update", authenticated: true),
        APIRoute(method: "POST", path: "/v1/sip/detach", authenticated: true),
        APIRoute(method: "GET", path: "/v1/sip/numbers", authenticated: true),
        APIRoute(method: "POST", path: "/v1/sip/parse-destination", authenticated: true),
        APIRoute(method: "POST", path: "/v1/sip/discover", authenticated: true),
        APIRoute(method: "GET", path: "/v1/sip/discover/status", authenticated: true),
        APIRoute(method: "POST", path: "/v1/sip/test-call", authenticated: true),
        APIRoute(method: "GET", path: "/v1/sip/test-call/status", authenticated: true),
        APIRoute(method: "GET", path: "/v1/sip/firewall-ips", authenticated: true),
        APIRoute(method: "GET", path: "/v1/sip/outbound-setup", authenticated: true),
        APIRoute(method: "GET", path: "/v1/sip/status", authenticated: true),
        APIRoute(method: "GET", path: "/v1/sip/calls", authenticated: true),
        APIRoute(method: "GET", path: "/v1/sip/calls/{call_id}/trace", authenticated: true),
        APIRoute(method: "GET", path: "/v1/sip/config", authenticated: true),
        APIRoute(method: "PATCH", path: "/v1/sip/config", authenticated: true),
        APIRoute(method: "GET", path: "/v1/sip/port/check", authenticated: true),
        APIRoute(method: "POST", path: "/v1/sip/port/document", authenticated: true),
        APIRoute(method: "POST", path: "/v1/sip/port/initiate", authenticated: true),
        APIRoute(method: "GET", path: "/v1/sip/port", authenticated: true),
        APIRoute(method: "DELETE", path: "/v1/sip/port/{id}", authenticated: true),
        APIRoute(method: "GET", path: "/v1/sip/port/sign/{token}", authenticated: false),
        APIRoute(method: "GET", path: "/v1/sip/port/sign/{token}/loa.pdf", authenticated: false),
        APIRoute(method: "POST", path: "/v1/sip/port/sign/{token}", authenticated: false),
        APIRoute(method: "GET", path: "/healthz", authenticated: false),
        APIRoute(method: "GET", path: "/v1/openapi.json", authenticated: false),
    ]

    func register(on router: Router<APIContext>) {
        for route in Self.routes {
            let method = HTTPRequest.Method(route.method) ?? .get
            router.on(RouterPath(route.routerPath), method: method) { request, context in
                try await self.handle(route, request: request, context: context)
            }
        }
    }

    func handle(_ route: APIRoute, request: Request, context: APIContext) async throws -> Response {
        let service = settings.service(orgId: context.identity?.orgId ?? Installation.defaultOrgId)
        let query = request.uri.queryParameters
        func required(_ name: String) throws -> String {
            guard let value = query.get(name), !value.isEmpty else { throw APIFailure.invalid(name, "is required (?\(name)=...)") }
            return value
        }
        switch route.description {
        case "GET /healthz":
            return try APIJSON.response(["status": "ok"])
        case "GET /v1/openapi.json":
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.bytes)))
        case "GET /v1/sip":
            let number = try required("phone_number")
            return try APIJSON.response(try await blocking { try service.configuration(number: number) })
        case "POST /v1/sip/attach":
            let body = try await decode(AttachRequest.self, request, context)
            let result = try await blocking { try service.attach(body) }
            // Nothing configured: the request is refused as a whole (400), each number's reason an error.
            if result.configured.isEmpty, !result.failed.isEmpty {
                var failure = APIFailure(.badRequest, "invalid_request", "no number was configured")
                failure.items = result.failed.map { .init(error: "invalid_request", message: $0.reason, field: "phone_numbers") }
                throw failure
            }
            return try APIJSON.response(result)
        case "POST /v1/sip/update":
            let body = try await decode(UpdateRequest.self, request, context)
            let result = try await blocking { try service.update(number: body.phoneNumber, with: body.updates) }
            return try APIJSON.response(UpdateResponse(registerPasswordForPbx: result.registerPasswordForPbx))
        case "POST /v1/sip/detach":
            let body = try await decode(DetachRequest.self, request, context)
            if let name = body.service, name != "sip" { throw APIFailure.invalid("service", "\"\(name)\" is not a service here; the only one is sip") }
            let removed = try await blocking { try service.detach(number: body.phoneNumber, directions: body.directions) }
            return try APIJSON.response(DetachResponse(phoneNumber: body.phoneNumber, detached: removed))
        case "GET /v1/sip/numbers":
            return try APIJSON.literalResponse(NumbersResponse(numbers: try await blocking { try service.numbers() }))
        case "POST /v1/sip/parse-destination":
            let body = try await decode(ParseDestinationRequest.self, request, context)
            do {
                return try APIJSON.response(DestinationView(try Destination(parsing: body.destination)))
            } catch let error as Destination.Problem {
                throw APIFailure(.badRequest, "invalid_destination", "destination: \(error.message)", field: "destination")
            }
        case "POST /v1/sip/discover":
            let body = try await decode(DiscoverRequest.self, request, context)
            let destination = try body.destination()
            if IPAddress.isIPv4(destination.host) || IPAddress.isIPv6(destination.host), let reason = settings.addressGuard.refusal(destination.host) {
                throw APIFailure(.badRequest, "address_not_allowed", "host: \(reason)", field: "host")
            }
            try await blocking { try service.checkDiscoveryAllowed() }
            return try APIJSON.response(try board.startDiscovery(destination, service: service))
        case "GET /v1/sip/discover/status":
            let id = try required("discovery_id")
            guard let report = board.discovery(id: id, orgId: service.orgId) else {
                throw APIFailure(.notFound, "not_found", "no discovery '\(id)': results are kept 10 minutes after a discovery finishes")
            }
            return try APIJSON.response(report)
        case "POST /v1/sip/test-call":
            let body = try await decode(TestCallRequest.self, request, context)
            let number: E164Number
            do {
                number = try E164Number(parsing: body.phoneNumber)
            } catch {
                throw APIFailure.invalid("phone_number", "\"\(body.phoneNumber)\" is not a valid E.164 number: \(error)")
            }
            let board = self.board
            let callID = try await blocking { try board.startTestCall(number, service: service) }
            return try APIJSON.response(TestCallStarted(callId: callID, message: "test call to \(number.value) started; poll GET /v1/sip/test-call/status?call_id=\(callID)"))
        case "GET /v1/sip/test-call/status":
            let id = try required("call_id")
            let live = board.testCall(id: id, orgId: service.orgId)
            if let live, !live.finished { return try APIJSON.response(TestCallStatusView(live.report, trace: [])) }
            if let stored = try await blocking({ try service.testCallStatus(callId: id) }), stored.report.status != "queued" || live == nil {
                return try APIJSON.response(TestCallStatusView(stored.report, trace: stored.trace))
            }
            if let live { return try APIJSON.response(TestCallStatusView(live.report, trace: [])) }
            throw APIFailure(.notFound, "not_found", "no test call '\(id)'")
        case "GET /v1/sip/firewall-ips":
            let region = query.get("region")
            return try APIJSON.response(try await blocking { try service.firewall(region: region) })
        case "GET /v1/sip/outbound-setup":
            let number = try required("phone_number")
            let region = query.get("region")
            return try APIJSON.response(try await blocking { try service.outboundSetup(number: number, region: region) })
        case "GET /v1/sip/status":
            let number = try required("phone_number")
            return try APIJSON.response(try await blocking { try service.status(number: number) })
        case "GET /v1/sip/calls":
            let number = try required("phone_number")
            var limit = SIPTrunkService.callLogPageSize
            if let text = query.get("limit") {
                guard let value = Int(text) else { throw APIFailure.invalid("limit", "must be an integer from 1 to \(SIPTrunkService.maximumCallsPageSize)") }
                limit = value
            }
            let before = query.get("before").flatMap { $0.isEmpty ? nil : $0 }
            let pageSize = limit
            return try APIJSON.response(try await blocking { try service.calls(number: number, limit: pageSize, before: before) })
        case "GET /v1/sip/calls/{call_id}/trace":
            guard let callID = context.parameters.get("call_id"), !callID.isEmpty else { throw APIFailure.invalid("call_id", "is required") }
            return try APIJSON.response(CallTraceResponse(callId: callID, messages: try await blocking { try service.callTrace(callId: callID) }))
        case "GET /v1/sip/config":
            let number = try required("phone_number")
            let direction = query.get("direction") ?? "outbound"
            return try APIJSON.response(try await blocking { try service.advancedConfig(number: number, direction: direction) })
        case "PATCH /v1/sip/config":
            let body = try await decode(AdvancedConfigPatch.self, request, context)
            return try APIJSON.response(try await blocking { try service.updateAdvancedConfig(body) })
        case "GET /v1/sip/port/check":
            // phone_numbers[]=A&phone_numbers[]=B, phone_numbers=A&phone_numbers=B, or phone_numbers=A,B.
            let numbers = (query.getAll("phone_numbers[]") + query.getAll("phone_numbers")).flatMap { $0.split(separator: ",").map(String.init) }
            return try APIJSON.response(PortCheckResponse(results: try await blocking { try service.portCheck(numbers) }))
        case "POST /v1/sip/port/document":
            let upload = try await PortUpload.read(request, context)
            return try APIJSON.response(try await blocking { try service.uploadPortDocument(upload.bytes, fileName: upload.fileName) })
        case "POST /v1/sip/port/initiate":
            let body = try await decode(PortInitiateRequest.self, request, context)
            var initiated = try await blocking { try service.initiatePort(body) }
            // The representative signs on this server's page; the link is unguessable and works for 7 days.
            let requestId = initiated.portRequestId
            let token = try await blocking { try service.newSignatureToken(id: requestId) }
            initiated.signatureUrl = SigningPage.url(request, token: token)
            return try APIJSON.response(initiated)
        case "GET /v1/sip/port/sign/{token}", "GET /v1/sip/port/sign/{token}/loa.pdf", "POST /v1/sip/port/sign/{token}":
            return try await SigningPage(settings: settings).handle(route, request: request, context: context)
        case "GET /v1/sip/port":
            return try APIJSON.response(PortListResponse(portRequests: try await blocking { try service.portRequests() }))
        case "DELETE /v1/sip/port/{id}":
            guard let id = context.parameters.get("id"), !id.isEmpty else { throw APIFailure.invalid("id", "is required") }
            let canceled = try await blocking { try service.cancelPort(id: id) }
            return try APIJSON.response(PortCanceled(canceled: true, portRequest: canceled))
        default:
            throw APIFailure(.notFound, "not_found", "no route \(route)")
        }
    }

    /// The body as the request type, strictly (TrunkCore's `RequestDecoding`): JSON only, within the size limit.
    func decode<T: Codable & Sendable>(_ type: T.Type, _ request: Request, _ context: APIContext) async throws -> T {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            throw APIFailure(
                .unsupportedMediaType, "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json (got \(contentType.isEmpty ? "none" : "'\(TerminalSafeText.escaped(contentType))'"))")
        }
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let bytes = buffer.readableBytesView
        do {
            return try RequestDecoding.decode(T.self, from: bytes)
        } catch {
            throw APIFailure(error)
        }
    }

    /// A use case off Swift's cooperative threads: SQLite may wait for another process's write lock.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}

// MARK: Request and response bodies of the routes that have no TrunkCore type of their own

/// `POST /v1/sip/update`.
struct UpdateRequest: Codable, Sendable {
    var phoneNumber: String
    var updates: AttachRequest.Direction
}

struct UpdateResponse: Encodable, Sendable {
    var registerPasswordForPbx: String?
    enum CodingKeys: String, CodingKey { case registerPasswordForPbx }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(registerPasswordForPbx, forKey: .registerPasswordForPbx)
    }
}

/// `POST /v1/sip/detach`.
struct DetachRequest: Codable, Sendable {
    var phoneNumber: String
    var directions: [String]?
    var service: String?
}

struct DetachResponse: Encodable, Sendable {
    var phoneNumber: String
    var detached: [String]
}

struct NumbersResponse: Encodable, Sendable {
    var numbers: [NumberSummary]
}

struct ParseDestinationRequest: Codable, Sendable {
    var destination: String
}

/// `POST /v1/sip/discover`: the host and, optionally, the port and transport to try.
struct DiscoverRequest: Codable, Sendable {
    var host: String
    var port: Int?
    var transport: String?

    func destination() throws -> Destination {
        var destination: Destination
        do {
            destination = try Destination(parsing: host)
        } catch {
            throw APIFailure(.badRequest, "invalid_destination", "host: \(error.message)", field: "host")
        }
        if let port {
            guard (1...65535).contains(port) else { throw APIFailure.invalid("port", "must be from 1 to 65535") }
            destination.port = port
        }
        if let transport {
            guard let chosen = SIPTransport(rawValue: transport.lowercased()) else {
                throw APIFailure.invalid("transport", "\"\(transport)\" is not udp, tcp or tls")
            }
            destination.transport = chosen
        }
        return destination
    }
}

struct TestCallRequest: Codable, Sendable {
    var phoneNumber: String
}

struct TestCallStarted: Encodable, Sendable {
    var callId: String
    var message: String
}

/// `GET /v1/sip/test-call/status`: the report and the call's SIP trace once it is stored.
struct TestCallStatusView: Encodable, Sendable {
    var report: TestCallReport
    var trace: [TraceMessageView]

    init(_ report: TestCallReport, trace: [TraceMessageView]) {
        self.report = report
        self.trace = trace
    }

    enum CodingKeys: String, CodingKey { case trace }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(trace, forKey: .trace)
    }
}

struct PortCheckResponse: Encodable, Sendable {
    var results: [PortCheck]
}

struct PortListResponse: Encodable, Sendable {
    var portRequests: [PortRequestView]
}

struct PortCanceled: Encodable, Sendable {
    var canceled: Bool
    var portRequest: PortRequestView
}

struct CallTraceResponse: Encodable, Sendable {
    var callId: String
    var messages: [TraceMessageView]
}
