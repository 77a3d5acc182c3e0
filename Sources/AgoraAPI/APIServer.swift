import AgoraNode
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// The node's HTTP server: OpenAI-compatible routes, node API, metrics and dashboard.
public struct APIServer: Sendable {
    let host: String
    let port: Int
    let inference: any InferenceService
    let status: any NodeStatusService
    let models: (any ModelAdminService)?
    let metrics: PrometheusCollectorRegistry?
    let keyring: APIKeyring?
    let logger: Logger

    /// Creates a server bound to `host:port` (port 0 picks a free port); `models`, when given,
    /// serves `/api/models` (adding and removing models at runtime). With a `keyring`,
    /// requests need one of its keys whenever it holds any, and always when `host` is not
    /// loopback; a server beyond loopback without a keyring is refused at `application`.
    public init(host: String, port: Int, inference: any InferenceService, status: any NodeStatusService,
                metrics: PrometheusCollectorRegistry?, models: (any ModelAdminService)? = nil, keyring: APIKeyring? = nil,
                logger: Logger) {
        self.models = models
        self.host = host
        self.port = port
        self.keyring = keyring
        self.inference = inference
        self.status = status
        self.metrics = metrics
        self.logger = logger
    }

    /// The router, for in-process tests.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: OpenAIErrorMiddleware())
        if let keyring {
            router.add(middleware: APIKeyMiddleware(keyring: keyring, alwaysRequired: !NodeConfig.isLoopback(host)))
        }
        OpenAIRoutes<BasicRequestContext>(service: inference).register(on: router)
        NodeRoutes<BasicRequestContext>(status: status, metrics: metrics).register(on: router)
        if let models { ModelRoutes<BasicRequestContext>(admin: models, inference: inference).register(on: router) }
        return router
    }

    /// The Hummingbird application as a swift-service-lifecycle service. `onReady` gets the bound port.
    public func application(onReady: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol & Service {
        Application(router: router(),
                    configuration: .init(address: .hostname(host, port: port), serverName: "agora"),
                    onServerRunning: { channel in await onReady(channel.localAddress?.port ?? 0) },
                    logger: logger)
    }
}
