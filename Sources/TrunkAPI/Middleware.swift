import Foundation
import Hummingbird
import Crypto
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SIPCore
import TrunkCore

/// One log line per request (swift-log): method, path, status, duration, and the key's public id — never the key.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                // The path as sent is untrusted text: escaped before it reaches a terminal or a log file.
                "path": .string(TerminalSafeText.escaped(String(request.uri.path.prefix(256)))),
                "status": .stringConvertible(response.status.code),
                "ms": .string(String(format: "%.2f", milliseconds)),
                "key": .string(AuthenticationMiddleware.keyId(request) ?? "-"),
            ])
        return response
    }
}

/// Every failure as the envelope: the use cases' refusals, Hummingbird's own (404, 413), 405 with `Allow` for a
/// path that exists under another method, and 500 for anything unexpected (logged, not shown).
struct ErrorEnvelopeMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let failure as APIFailure {
            return APIJSON.failure(failure)
        } catch let error as TrunkError {
            if case .store(let store) = error { logger.error("store: \(store.message)") }
            return APIJSON.failure(APIFailure(error))
        } catch let error as HTTPError {
            return APIJSON.failure(Self.failure(error, request: request))
        } catch is NIOTooManyBytesError {
            return APIJSON.failure(Self.failure(HTTPError(.contentTooLarge), request: request))
        } catch {
            logger.error("unexpected error: \(error)")
            return APIJSON.failure(APIFailure(.internalServerError, "internal_error", "the server failed to answer; the error is in its log"))
        }
    }

    static func failure(_ error: HTTPError, request: Request) -> APIFailure {
        switch error.status {
        case .notFound:
            let path = request.uri.path
            // A literal path (`/v1/sip/port/check`) is its own routes', not a template's (`/v1/sip/port/{id}`).
            let matching = Handlers.routes.filter { $0.matches(path) }
            let literal = matching.filter { $0.path == path }
            let methods = (literal.isEmpty ? matching : literal).map(\.method)
            if !methods.isEmpty {
                return APIFailure(
                    .methodNotAllowed, "method_not_allowed", "\(request.method.rawValue) is not allowed on this path; use \(methods.joined(separator: " or "))",
                    headers: [.allow: methods.joined(separator: ", ")])
            }
            return APIFailure(.notFound, "not_found", "no such endpoint: \(TerminalSafeText.escaped(String(path.prefix(200)))); GET /v1/openapi.json lists them")
        case .contentTooLarge:
            return APIFailure(.contentTooLarge, "request_too_large", "the body is larger than \(APIServer.maximumBodyBytes) bytes")
        default:
            return APIFailure(error.status, "http_error", error.body ?? error.status.reasonPhrase)
        }
    }
}

/// `Authorization: Bearer KEY` (or the guide's plain `authorization: KEY`) on every `/v1/sip` route: 401 without a
/// valid key, 403 when the key's organisation lacks the SIP entitlement.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let keys: APIKeyService
    /// Valid keys seen in the last two seconds (a revocation or a lost entitlement takes effect within that): the
    /// database is not read for every request at thousands of requests a second.
    let recent = IdentityCache(lifetime: 2)

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Handlers.routes.contains(where: { !$0.authenticated && $0.matches(path) }) {
            return try await next(request, context)
        }
        guard let presented = Self.presentedKey(request) else {
            throw APIFailure(
                .unauthorized, "unauthorized", "send your API key as Authorization: Bearer KEY (create one with `siptrunk api-key create --name NAME`)",
                headers: [.wwwAuthenticate: "Bearer"])
        }
        let keys = self.keys
        var identity = recent.identity(for: presented)
        if identity == nil {
            identity = try await NIOThreadPool.singleton.runIfActive { try keys.authenticate(presented) }
            if let identity { recent.remember(identity, for: presented) }
        }
        guard let identity else {
            throw APIFailure(.unauthorized, "unauthorized", "the API key is not valid or was revoked", headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])
        }
        guard identity.sipEntitled else { throw APIFailure(TrunkError.notEntitled(orgId: identity.orgId)) }
        var context = context
        context.identity = identity
        return try await next(request, context)
    }

    static func presentedKey(_ request: Request) -> String? {
        guard let value = request.headers[.authorization]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.lowercased().hasPrefix("bearer ") { return String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
        return value
    }

    /// The key's public id (`stk_<id>_…`) for the log; nothing when it does not look like a key.
    static func keyId(_ request: Request) -> String? {
        guard let key = presentedKey(request) else { return nil }
        let parts = key.split(separator: "_", maxSplits: 2)
        guard parts.count == 3, parts[0] == "stk", parts[1].count == 12, parts[1].allSatisfy(\.isHexDigit) else { return "malformed" }
        return String(parts[1])
    }
}

/// Identities of keys recently checked against the database, by the key's SHA-256 (the key itself is not kept).
final class IdentityCache: Sendable {
    let lifetime: TimeInterval
    private let entries = NIOLockedValueBox([[UInt8]: (APIKeyService.Identity, Date)]())

    init(lifetime: TimeInterval) {
        self.lifetime = lifetime
    }

    func identity(for key: String) -> APIKeyService.Identity? {
        let digest = Array(SHA256.hash(data: Array(key.utf8)))
        return entries.withLockedValue { entries in
            guard let (identity, at) = entries[digest], Date().timeIntervalSince(at) < lifetime else { return nil }
            return identity
        }
    }

    func remember(_ identity: APIKeyService.Identity, for key: String) {
        let digest = Array(SHA256.hash(data: Array(key.utf8)))
        entries.withLockedValue { entries in
            if entries.count >= 1024 { entries.removeAll(keepingCapacity: true) }
            entries[digest] = (identity, Date())
        }
    }
}
