import AgoraAPI
import AgoraNode
import ArgumentParser
import Foundation

/// `agora node`: runs a node (gossip, market, executor, ledger, HTTP API) until SIGINT/SIGTERM.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a node: contribute compute, serve the HTTP API, keep the ledger.")

    @Option(name: .long, help: "Data directory (identity, ledger, config.json).")
    var dataDir: String = DataDirectory.defaultPath

    @Option(name: .long, help: "Address to bind and advertise.") var host: String?
    @Option(name: .long, help: "Gossip (UDP) and session (TCP) port.") var port: Int?
    @Option(name: .long, help: "HTTP API port (0 disables).") var httpPort: Int?
    @Option(name: .long, help: "Address the HTTP API binds (default 127.0.0.1; beyond loopback it needs API keys: agora keys create).")
    var apiHost: String?
    @Option(name: .long, parsing: .upToNextOption, help: "Peers to join through (host:port).") var join: [String] = []
    @Option(name: .long, help: "GGUF model to serve; repeat to serve several (default: the bootstrap's model).")
    var model: [String] = []
    @Option(name: .long, help: "Most memory the models may take (weights and KV caches), e.g. 4G; a model that would not fit is refused.")
    var memory: String?
    @Option(name: .long, help: "A name users may ask for, as ALIAS=MODEL (repeatable), e.g. coder=qwen2.5-coder:0.5b-instruct-q4_k_m.")
    var alias: [String] = []
    @Option(name: .long, help: "llama.cpp threads (0: one per core).") var threads: Int?
    @Option(name: .long, help: "Parallel job slots.") var slots: Int?
    @Option(name: .long, help: "Context per slot in tokens: the largest job taken (default 2048; smaller decodes faster).") var context: Int?
    @Option(name: .long, help: "Asking price in credits per 1,000 tokens.") var price: UInt64?
    @Flag(name: .long, help: "Do not serve jobs (requester and validator only).") var noServe = false

    func run() async throws {
        let dir = DataDirectory(path: dataDir)
        var config = try NodeConfig.load(from: dir)
        if let host { config.host = host }
        if let port { config.port = port }
        if let httpPort { config.httpPort = httpPort }
        if let apiHost { config.apiHost = apiHost }
        if !join.isEmpty { config.bootstrap = join }
        if !model.isEmpty { config.models = model.map { ModelEntry(path: $0) } }
        if let memory { config.memory = memory }
        for a in alias {
            let parts = a.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--alias \(a): expected ALIAS=MODEL")
            }
            config.aliases[parts[0]] = parts[1]
        }
        if let threads { config.threads = threads }
        if let slots { config.slots = slots }
        if let context { config.contextPerSlot = context }
        if let price { config.pricePer1kTokens = price }
        if noServe { config.serve = false }
        do {
            try config.validate()
            try await NodeRunner.run(dataDirectory: dir, config: config)
        } catch let e as NodeError {
            throw ValidationError(e.description)
        }
    }
}
