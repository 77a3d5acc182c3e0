import AgoraCrypto
import AgoraExecutor
import AgoraGossip
import AgoraMarket
import Foundation
import Logging

extension NodeRuntime {
    /// The engine set-up of one configured model.
    static func engineConfiguration(_ entry: ModelEntry, config: NodeConfig) -> EngineConfiguration {
        var ec = EngineConfiguration()
        if !entry.path.isEmpty { ec.modelPath = entry.path }
        if config.threads > 0 { ec.threads = config.threads }
        ec.slots = entry.slots ?? config.slots
        ec.contextPerSlot = entry.contextPerSlot ?? config.contextPerSlot
        // The market hands the engine at most `slots` jobs and `checkSlots` checks at once
        // and keeps the rest waiting itself; the engine's own queue only absorbs the overlap.
        ec.queueCapacity = config.queueLimit + checkSlots
        ec.reusesPromptPrefixes = config.promptCache
        // A model served here before advertises its cached speed at once (`SpeedCache`).
        ec.speedCachePath = SpeedCache.defaultPath
        return ec
    }

    /// Loads one model into `host`: its memory estimate is checked against the budget (and
    /// reserved) before any weights are mapped, then the engine loads and measures itself.
    static func load(_ entry: ModelEntry, into host: ModelHost, config: NodeConfig, logger: Logger) async throws(NodeError) -> HostedModel {
        let ec = engineConfiguration(entry, config: config)
        let id: Digest
        let estimate: MemoryEstimate
        do {
            // The header first: a missing or non-GGUF file is named as such before it is hashed.
            estimate = try await LlamaEngine.estimateMemory(ec)
            id = try Digest(bytes: Hex.decode(try ModelFile.modelID(ec.modelPath)))
        } catch {
            throw NodeError(.model, "cannot load the model \(ec.modelPath): \(error)")
        }
        try host.reserve(id, bytes: estimate.total, path: ec.modelPath)
        let engine: LlamaEngine
        do { engine = try await LlamaEngine.load(ec) } catch {
            host.release(id)
            throw NodeError(.model, "cannot load the model \(ec.modelPath): \(error)")
        }
        let model = HostedModel(id: id, engine: engine, pricePer1kTokens: entry.pricePer1kTokens ?? config.pricePer1kTokens,
                                memory: estimate)
        host.insert(model)
        logger.info("model loaded", metadata: [
            "model": "\(engine.model.name)", "id": "\(engine.model.id.prefix(16))", "file": "\(engine.model.fileName)",
            "slots": "\(ec.slots)", "context_per_slot": "\(ec.contextPerSlot)",
            "memory_estimate": "\(ModelHost.format(estimate.total))",
            "prefill_tps": "\(Int(engine.speed?.prefillTokensPerSecond ?? 0))",
            "decode_tps": "\(Int(engine.speed?.decodeTokensPerSecond ?? 0))",
            "verification_output_layer": "\(engine.verificationOutputLayer)",
            "load": "\(engine.loadTimings)",
            "checks": engine.isBatchInvariant ? "exact (batching does not change logits)"
                                              : "tolerant (this model's logits change with batching)"])
        return model
    }

    /// The market offer of the models in `host` (nil when it serves none); `claim` scales the
    /// measured speeds (1 but for the testnet's `Misbehaviour.falseSpeed`).
    static func providerProfile(_ host: ModelHost, config: NodeConfig, claim: Double = 1) -> Market.ProviderProfile? {
        let models = host.models
        guard !models.isEmpty else { return nil }
        let offers = models.map { m in
            Market.ModelProfile(modelID: m.id, pricePer1k: m.pricePer1kTokens,
                                prefillTokensPerSecond: (m.engine.speed?.prefillTokensPerSecond ?? 100) * claim,
                                decodeTokensPerSecond: (m.engine.speed?.decodeTokensPerSecond ?? 20) * claim,
                                slots: m.slots, accepting: !m.removing)
        }
        return Market.ProviderProfile(offers: offers, maxQueue: models.reduce(0) { $0 + $1.slots } + config.queueLimit,
                                      checkSlots: checkSlots)
    }

    /// What the peer record says: every model taking work, each with the arithmetic class it
    /// runs in when checks of it between nodes of that class are exact (a bit-exact llama.cpp
    /// build, a batch-invariant model: the portable class, shared by every CPU kind, for a
    /// model its definition covers; the CPU's own for others), and the queue.
    static func capabilities(_ host: ModelHost, config: NodeConfig, queue: Int, claim: Double = 1) -> Gossip.Capabilities {
        let offers = host.serving.map { m -> Gossip.ModelOffer in
            let exact = m.engine.verificationMode(claimedArithmetic: m.engine.arithmetic) == .exact
            return Gossip.ModelOffer(
                modelID: m.id, name: String(m.name.prefix(Gossip.ModelOffer.maxName)),
                contextLength: UInt32(m.engine.model.contextLength),
                prefillMilliTokensPerSecond: UInt64((m.engine.speed?.prefillTokensPerSecond ?? 0) * claim * 1000),
                decodeMilliTokensPerSecond: UInt64((m.engine.speed?.decodeTokensPerSecond ?? 0) * claim * 1000),
                pricePer1kTokens: m.pricePer1kTokens,
                arithmeticClass: exact ? Gossip.Capabilities.arithmeticClass(of: m.engine.arithmetic) : [])
        }
        return Gossip.Capabilities(models: offers, queueDepth: UInt32(queue))
    }

    /// Tells the market and the network what this node serves now.
    func publishModels() async {
        let claim = market.misbehaviour?.speedClaim ?? 1
        await market.updateProvider(Self.providerProfile(models, config: config, claim: claim))
        await gossip.update(capabilities: Self.capabilities(models, config: config, queue: await market.queueDepth, claim: claim))
    }

    /// Loads a model at runtime and offers it: it is in this node's signed peer record at
    /// once, and on every peer within a gossip round or two.
    public func addModel(_ entry: ModelEntry) async throws(NodeError) -> HostedModel {
        guard config.serve else { throw NodeError(.configuration, "this node does not serve jobs (serve is false)") }
        guard models.models.count < ModelEntry.maxModels else {
            throw NodeError(.configuration, "this node already serves \(ModelEntry.maxModels) models, the most a peer record holds")
        }
        try entry.validate()
        let model = try await Self.load(entry, into: models, config: config, logger: logger)
        await publishModels()
        return model
    }

    /// Removes a model: it leaves the peer record at once and takes nothing new; the jobs and
    /// checks it holds run to their end, then its engine is unloaded (in the background).
    public func removeModel(_ name: String) async throws(NodeError) -> HostedModel {
        guard let model = models.find(name) else {
            let here = models.models.map(\.name)
            throw NodeError(.modelNotFound, "this node does not serve \"\(name)\" (\(here.isEmpty ? "it serves no model" : "it serves " + here.joined(separator: ", ")))")
        }
        guard models.markRemoving(model.id) else { throw NodeError(.modelNotFound, "\(model.name) is already being removed") }
        await market.retire(model.id)
        await publishModels()
        logger.info("model retiring: its held work finishes first", metadata: ["model": "\(model.name)"])
        Task { await self.unloadWhenIdle(model) }
        return model
    }

    /// Waits until the market holds no work of `model`, then drops it from the offer and
    /// shuts its engine down.
    private func unloadWhenIdle(_ model: HostedModel) async {
        let started = Date()
        while !stopping.value, await market.heldWork(model.id) > 0 {
            try? await Task.sleep(for: .milliseconds(100))
        }
        _ = models.remove(model.id)
        await publishModels()
        model.engine.shutdown()
        logger.info("model removed", metadata: ["model": "\(model.name)",
                                                 "waited_ms": "\(Int(Date().timeIntervalSince(started) * 1000))"])
    }

    /// The network's models as this node sees them now.
    public func modelCatalog() async -> ModelCatalog {
        let live = await gossip.members.filter { $0.status.isLive }.map(\.record)
        let local = models.serving
        return ModelCatalog(records: live, selfRecord: await gossip.record, localOrder: local.map(\.id),
                            localAliases: Dictionary(local.map { ($0.id, $0.engine.model.aliases) }, uniquingKeysWith: { a, _ in a }),
                            aliases: config.aliases)
    }

    /// The models this node holds (those being removed included).
    public var hostedModels: [HostedModel] { models.models }
}
