import AgoraCrypto
import AgoraExecutor
import AgoraGossip
import AgoraLedger
import AgoraLedgerStore
import AgoraMarket
import AgoraNet
import AgoraWire
import Foundation
import Logging
import Synchronization

/// One running node: identity, ledger, executor, gossip and market shells over real
/// sockets. `start` brings it up; `shutdown` leaves the cluster and closes everything in
/// reverse order, with every acknowledged ledger entry already durable.
public final class NodeRuntime: Sendable {
    /// The node's identity (its public key is the node id).
    public let identity: Identity
    /// Its configuration.
    public let config: NodeConfig
    /// When it started.
    public let startedAt: Date
    let ledger: LedgerStore
    /// The models served, each with its engine.
    let models: ModelHost
    let sessions: SessionPool
    let transport: DatagramTransport
    let gossip: GossipShell
    let market: MarketShell
    let logger: Logger
    let stopping = StopFlag()

    /// The node id.
    public var nodeID: NodeID { identity.publicKey }
    /// The advertised address.
    public var address: String { "\(config.host):\(config.port)" }

    private init(identity: Identity, config: NodeConfig, ledger: LedgerStore, models: ModelHost, sessions: SessionPool,
                 transport: DatagramTransport, gossip: GossipShell, market: MarketShell, logger: Logger) {
        self.identity = identity
        self.config = config
        self.startedAt = Date()
        self.ledger = ledger
        self.models = models
        self.sessions = sessions
        self.transport = transport
        self.gossip = gossip
        self.market = market
        self.logger = logger
    }

    /// Opens the data directory's identity and ledger, loads the model (if serving), binds
    /// the gossip and session ports and joins the bootstrap peers.
    public static func start(dataDirectory: DataDirectory, config: NodeConfig, misbehaviour: Misbehaviour? = nil,
                             logger: Logger) async throws -> NodeRuntime {
        let identity: Identity
        do { identity = try IdentityFile.load(from: dataDirectory.identityPath) } catch {
            throw NodeError(.dataDirectory, "\(error). Run `agora init --data-dir \(dataDirectory.path)` first.")
        }
        let ledger: LedgerStore
        do { ledger = try LedgerStore.open(path: dataDirectory.ledgerPath, identity: identity) } catch {
            throw NodeError(.dataDirectory, "cannot open the ledger: \(error)")
        }
        let sessions = SessionPool(identity: identity, logger: logger)
        let transport: DatagramTransport
        do { transport = try await DatagramTransport.bind(host: config.host, port: config.port) } catch {
            await ledger.close()
            throw NodeError(.portInUse, "port \(config.host):\(config.port) (UDP, gossip) is in use or cannot be bound: \(error)")
        }
        do {
            _ = try await sessions.listen(host: config.host, port: config.port)
        } catch {
            await transport.close()
            await ledger.close()
            throw error
        }
        let models = ModelHost(budget: config.memoryBudget)
        if config.serve {
            for entry in config.modelEntries {
                do { _ = try await Self.load(entry, into: models, config: config, logger: logger) } catch {
                    models.shutdownAll()
                    await sessions.close()
                    await transport.close()
                    await ledger.close()
                    throw error
                }
            }
        }
        let selfAddress = Gossip.Address(host: config.host, port: UInt16(config.port))
        let gossip = try GossipShell(identity: identity, address: selfAddress,
                                     capabilities: capabilities(models, config: config, queue: 0,
                                                                claim: misbehaviour?.speedClaim ?? 1),
                                     transport: transport, sessions: sessions, logger: logger)
        var settings = Market.Settings()
        settings.spotCheckRate = config.spotCheckRate
        settings.checkPolicy = config.requireExactChecks ? .exactRequired : .exactPreferred
        settings.provider = providerProfile(models, config: config, claim: misbehaviour?.speedClaim ?? 1)
        let market = MarketShell(identity: identity, models: models, ledger: ledger, sessions: sessions, settings: settings,
                                 jobTimeout: UInt64(config.jobTimeout) * 1000, maxOpenJobs: config.maxOpenJobs,
                                 misbehaviour: misbehaviour, logger: logger)
        // Balances and reputation are facts of the ledgers: a restart counts them again.
        do {
            let restored = try await market.restore(observed: ObservedFacts(path: dataDirectory.observedPath))
            let unsettled = await market.open(journal: AwardJournal(path: dataDirectory.journalPath, durable: true))
            if unsettled > 0 {
                logger.info("jobs open at the last stop will be settled with their providers", metadata: ["jobs": "\(unsettled)"])
            }
            if restored.own + restored.observed > 0 {
                let balance = await market.instance.state.reputation.balance(of: identity.publicKey)
                logger.info("balances and reputation restored", metadata: [
                    "own_entries": "\(restored.own)", "observed_entries": "\(restored.observed)",
                    "balance": "\(balance)"])
            }
        } catch {
            models.shutdownAll()
            await sessions.close()
            await transport.close()
            await ledger.close()
            throw NodeError(.dataDirectory, "cannot read the ledger to restore balances and reputation: \(error)")
        }
        let node = NodeRuntime(identity: identity, config: config, ledger: ledger, models: models, sessions: sessions,
                               transport: transport, gossip: gossip, market: market, logger: logger)
        await sessions.setRouter { envelope, session in await node.route(envelope, session: session) }
        await gossip.onMembershipChange { [market, gossip] members in
            await market.updateMembers(members, selfRecord: await gossip.record)
        }
        await market.updateMembers([], selfRecord: await gossip.record)
        Task { await gossip.receiveDatagrams() }
        Task { [weak node] in await node?.advertiseQueueDepth() }
        let bootstrap = config.bootstrap.compactMap(NodeConfig.parseAddress).map {
            Gossip.Address(host: $0.host, port: UInt16($0.port))
        }
        await gossip.join(bootstrap)
        // Jobs open at the last stop are settled once the members (and their addresses) are known.
        Task { [market] in
            try? await Task.sleep(for: .seconds(3))
            await market.reconcile()
        }
        logger.info("node started", metadata: ["node": "\(identity.publicKey.hex)", "address": "\(selfAddress)",
                                                "bootstrap": "\(config.bootstrap)"])
        return node
    }

    /// Checks the executor runs at once beside its jobs.
    static let checkSlots = 2

    /// Keeps the peer record's queue depth live: re-signed and gossiped when the work held
    /// here changed, at most once a second, until the node stops. Also brings the executor's
    /// busy time (generating, checking) to the metrics once a second.
    func advertiseQueueDepth() async {
        var advertised = 0
        var busy = BusyTime()
        while !Task.isCancelled, !stopping.value {
            try? await Task.sleep(for: .seconds(1))
            let now = models.busyTime()
            // Counters only grow (Prometheus traps on a negative step): busy time is the host's
            // total over every engine it ever held, so it never falls, and a step is never < 0.
            NodeMetrics.generatingSeconds.increment(by: max(0, now.generatingSeconds - busy.generatingSeconds))
            NodeMetrics.checkingSeconds.increment(by: max(0, now.checkingSeconds - busy.checkingSeconds))
            busy = now
            let depth = await market.queueDepth
            guard depth != advertised else { continue }
            advertised = depth
            await gossip.update(capabilities: Self.capabilities(models, config: config, queue: depth,
                                                                claim: market.misbehaviour?.speedClaim ?? 1))
        }
    }

    /// Dispatches an envelope from a session: push-pull to gossip, the rest to the market.
    func route(_ envelope: Envelope, session: Session) async {
        switch envelope.type {
        case .pushPull:
            let from = session.remoteAddress.map { Gossip.Address(host: $0.host, port: UInt16(clamping: $0.port)) }
                ?? Gossip.Address(host: "0.0.0.0", port: 0)
            if let reply = await gossip.receivePushPull(envelope.payload, from: from) {
                try? await session.send(Envelope(type: .pushPull, payload: reply))
            }
        case .ping:
            let from = session.remoteAddress.map { Gossip.Address(host: $0.host, port: UInt16(clamping: $0.port)) }
                ?? Gossip.Address(host: "0.0.0.0", port: 0)
            if let ack = await gossip.receiveStreamPing(envelope, from: from) {
                try? await session.send(ack)
            }
        case .jobRequest, .bid, .award, .result, .cancel, .verifyRequest, .attestation, .decline, .receipt, .streamPiece, .evidence, .reconcileInput,
             .consistencyRequest, .consistencyProof:
            await market.receive(envelope, from: session.remoteNodeID)
        default:
            NodeMetrics.sessionErrors.increment()
            logger.debug("unexpected message type on a session", metadata: ["type": "\(envelope.type)",
                                                                           "peer": "\(session.remoteNodeID.short)"])
        }
    }

    /// Submits a job to the network and waits for its verified result. `onText`, if given,
    /// receives the provider's output as it is generated: an unverified preview that the
    /// verified result's text always starts with when nothing went wrong.
    public func submit(_ job: NodeJob, onText: (@Sendable (String) -> Void)? = nil) async throws -> CompletedJob {
        let model = try await modelCatalog().resolve(job.model)
        // Validators are other nodes serving the same model id: with too few, the job could
        // never be checked (a job this node serves itself needs none).
        let others = model.nodes - (model.servedHere ? 1 : 0)
        if !model.servedHere, others < Int(job.verificationLevel) + 1 {
            throw NodeError(.tooFewValidators, "\(model.name) is served by \(others) node\(others == 1 ? "" : "s"); verification level \(job.verificationLevel) needs \(Int(job.verificationLevel) + 1) (one to run a job, \(job.verificationLevel) to check it)")
        }
        // A node that requires exact checks needs a provider and its validators in one class.
        if config.requireExactChecks, !model.servedHere, job.verificationLevel > 0,
           model.largestExactGroup < Int(job.verificationLevel) + 1 {
            throw NodeError(.tooFewValidators, "\(model.name) is served by \(model.largestExactGroup == 0 ? "no nodes" : "at most \(model.largestExactGroup) node\(model.largestExactGroup == 1 ? "" : "s")") of one arithmetic class; with requireExactChecks, verification level \(job.verificationLevel) needs \(Int(job.verificationLevel) + 1) (one to run a job, \(job.verificationLevel) to check it exactly)")
        }
        var promptTokens = 0
        if let engine = models.engine(for: model.id), let tokens = try? engine.promptTokens(job.request.prompt) {
            promptTokens = tokens.count
        }
        if promptTokens == 0 { promptTokens = max(1, job.request.prompt.byteCount / 4) }
        // Refused at once when no node serving the model could hold it (not queued).
        let largest = model.contextRange.upperBound
        if largest > 0, promptTokens + job.request.parameters.maxTokens > largest {
            throw NodeError(.contextExceeded, "the prompt (\(promptTokens) tokens) plus max_tokens (\(job.request.parameters.maxTokens)) exceed the largest context any node serving \(model.name) takes (\(largest) tokens)")
        }
        return try await market.submit(job, modelID: model.id, promptTokens: promptTokens, maxPricePer1k: 1_000, onText: onText)
    }

    /// Leaves the cluster, lets running jobs finish their ledger writes, then closes sessions,
    /// sockets, the engine and the ledger (folding its WAL).
    public func shutdown() async {
        // Once only: a second call (the service group stopping the node, then the runner
        // cleaning up after a failed HTTP bind) must not close the ledger twice.
        guard stopping.setOnce() else { return }
        logger.info("shutting down")
        await market.cancelAll()
        await gossip.leave()
        await sessions.close()
        await transport.close()
        models.shutdownAll()
        await ledger.close()
        logger.info("stopped")
    }
}

/// A flag set once when a node starts shutting down (read by its background loops).
final class StopFlag: Sendable {
    private let state = Mutex(false)

    /// Whether shutdown began.
    var value: Bool { state.withLock { $0 } }

    /// Sets the flag.
    func set(_ v: Bool) { state.withLock { $0 = v } }

    /// Sets the flag; true for the caller that set it first.
    func setOnce() -> Bool {
        state.withLock { set in
            defer { set = true }
            return !set
        }
    }
}
