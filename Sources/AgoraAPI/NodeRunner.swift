import AgoraNode
import Foundation
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle

/// Composes and runs a node process: the node (gossip, market, executor, ledger) and the
/// HTTP API as swift-service-lifecycle services, stopped in reverse order on SIGINT/SIGTERM.
public enum NodeRunner {
    /// Runs a node until SIGINT/SIGTERM. `misbehaviour` is set only by the testnet's
    /// `agora-byzantine` executable; `agora node` never passes one.
    public static func run(dataDirectory: DataDirectory, config: NodeConfig, misbehaviour: Misbehaviour? = nil) async throws {
        let lock = try dataDirectory.lock()
        defer { lock.release() }
        if config.httpPort > 0, !NodeConfig.isLoopback(config.apiHost), APIKeyring(path: dataDirectory.apiKeysPath).isEmpty {
            throw NodeError(.configuration, "the HTTP API would listen on \(config.apiHost), beyond loopback, and this node has no API key: anyone reaching it could spend its credits. Create one with `agora keys create --data-dir \(dataDirectory.path)`, or keep apiHost at 127.0.0.1")
        }
        let level = ProcessInfo.processInfo.environment["AGORA_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "agora.node")

        if let misbehaviour {
            logger.warning(misbehaviour.liesAboutResults ? "BYZANTINE TEST NODE: this provider lies about its results"
                                                         : "BYZANTINE TEST NODE: this node attacks the protocol",
                           metadata: ["mode": "\(misbehaviour.rawValue)"])
        }
        let node = try await NodeRuntime.start(dataDirectory: dataDirectory, config: config, misbehaviour: misbehaviour,
                                               logger: logger)
        var services: [any Service] = [NodeService(node: node)]
        if misbehaviour == .flood { services.append(FloodService(node: node, logger: logger)) }
        if config.httpPort > 0 {
            let keyring = APIKeyring(path: dataDirectory.apiKeysPath)
            let api = APIServer(host: config.apiHost, port: config.httpPort, inference: NodeInferenceService(node: node),
                                status: NodeStatus(node: node), metrics: registry, models: NodeStatus(node: node), keyring: keyring,
                                logger: Logger(label: "agora.api"))
            let keyed = !NodeConfig.isLoopback(config.apiHost) || !keyring.isEmpty
            services.append(api.application { port in
                logger.info("HTTP API listening", metadata: ["url": "http://\(config.apiHost):\(port)",
                                                            "api_keys": "\(keyed ? "required" : "not required (loopback, no keys)")"])
            })
        }
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let e as IOError where e.errnoCode == EADDRINUSE {
            await node.shutdown()
            throw NodeError(.portInUse, "cannot serve the HTTP API on \(config.apiHost):\(config.httpPort): the port is in use")
        } catch {
            await node.shutdown()
            throw error
        }
    }
}

/// The node as a service: runs until shutdown is requested, then leaves the cluster and
/// closes the ledger cleanly.
public struct NodeService: Service {
    let node: NodeRuntime

    public func run() async throws {
        try? await gracefulShutdown()
        await node.shutdown()
    }
}
