import Hummingbird
import TrunkCore

/// The request context: Hummingbird's core storage, the API's body limit, and who the key speaks for.
struct APIContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware for every `/v1/sip` route.
    var identity: APIKeyService.Identity?

    /// The client's address (the signing page records it).
    var remoteAddress: String?

    init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// 2 MiB: the largest request (100 numbers with every option) is under 100 KiB.
    var maxUploadSize: Int { APIServer.maximumBodyBytes }
}
