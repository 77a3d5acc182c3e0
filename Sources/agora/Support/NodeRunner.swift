import AgoraAPI
import AgoraNode
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// Composes and runs a node process: the node (gossip, market, executor, ledger) and the
/// HTTP API as swift-service-lifecycle services, stopped in reverse order on SIGINT/SIGTERM.
enum NodeRunner {
    static func run(dataDirectory: DataDirectory, config: NodeConfig) async throws {
        let lock = try dataDirectory.lock()
        defer { lock.release() }
        let level = ProcessInfo.processInfo.environment["AGORA_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "agora.node")

        let node = try await NodeRuntime.start(dataDirectory: dataDirectory, config: config, logger: logger)
        var services: [any Service] = [NodeService(node: node)]
        if config.httpPort > 0 {
            let api = APIServer(host: config.host, port: config.httpPort, inference: NodeInferenceService(node: node),
                                status: NodeStatus(node: node), metrics: registry, logger: Logger(label: "agora.api"))
            services.append(api.application { port in
                logger.info("HTTP API listening", metadata: ["url": "http://\(config.host):\(port)"])
            })
        }
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            await node.shutdown()
            let text = "\(error)"
            if text.contains("Address already in use") || text.contains("EADDRINUSE") {
                throw NodeError(.portInUse, "cannot serve the HTTP API on \(config.host):\(config.httpPort): the port is in use")
            }
            throw error
        }
    }
}

/// The node as a service: runs until shutdown is requested, then leaves the cluster and
/// closes the ledger cleanly.
struct NodeService: Service {
    let node: NodeRuntime

    func run() async throws {
        try? await gracefulShutdown()
        await node.shutdown()
    }
}
