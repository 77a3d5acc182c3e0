import AgoraCrypto
import AgoraExecutor
import AgoraGossip
import AgoraLedger
import AgoraLedgerStore
import AgoraMarket
import AgoraWire
import Logging

/// The market shell: owns this node's `Market.Instance` and carries out its directives with
/// the real parts — encrypted sessions to peers, the llama.cpp engine, the SQLite ledger —
/// feeding every outcome back as an event. Requesters wait on `submit`.
actor MarketShell {
    private(set) var instance: Market.Instance
    let identity: Identity
    /// The engines of the models this node serves (by model id).
    let models: ModelHost
    let ledger: LedgerStore
    let sessions: SessionPool
    let logger: Logger
    private(set) var addresses: [NodeID: Gossip.Address] = [:]
    /// Checkpoints seen of other ledgers, and the ledgers caught equivocating.
    var modelNames: [Digest: String] = [:]
    var waiting: [Market.JobID: CheckedContinuation<CompletedJob, any Error>] = [:]
    var running: [Market.JobKey: (run: UInt64, task: Task<Void, Never>)] = [:]
    var runCounter: UInt64 = 0
    /// When the market told the executor to stop each cancelled run, until the run has stopped.
    var stopRequested: [Market.JobKey: UInt64] = [:]
    /// Streaming clients of jobs this node requested.
    var streams: [Market.JobID: @Sendable (String) -> Void] = [:]
    var journal = JobJournal()
    /// How long a job may wait and run before it fails (its market deadline).
    private let jobTimeout: UInt64
    /// Most jobs this node's users may have open at once; one more is refused (429).
    private let maxOpenJobs: Int
    /// How this provider lies (tests of validators only).
    let misbehaviour: Misbehaviour?
    /// Messages received, kept to resend (`Misbehaviour.replay` only; the last 64).
    var replayable: [(envelope: Envelope, from: NodeID)] = []
    /// Each member's status at the last membership change (to tell who came back).
    private var statuses: [NodeID: Gossip.Member.Status] = [:]
    /// Other ledgers' entries that counted here, kept for restarts (nil: not kept).
    private var observed: ObservedFacts?
    /// Awards sent and jobs ended, kept for restarts (nil: not kept).
    private var awards: AwardJournal?
    /// The journal's open jobs at start, until `reconcile()` takes them.
    private var unsettled: [Market.JournalRecord] = []

    init(identity: Identity, models: ModelHost, ledger: LedgerStore, sessions: SessionPool, settings: Market.Settings,
         jobTimeout: UInt64 = 600_000, maxOpenJobs: Int = 4_096, misbehaviour: Misbehaviour? = nil, logger: Logger) {
        self.jobTimeout = jobTimeout
        self.misbehaviour = misbehaviour
        self.maxOpenJobs = maxOpenJobs
        self.identity = identity
        self.models = models
        self.ledger = ledger
        self.sessions = sessions
        self.logger = logger
        instance = Market.Instance(identity: identity, settings: settings, verifier: LedgerProofChecker(),
                                   randomSeed: SecureRandom.bytes(32))
        for m in models.models { modelNames[m.id] = m.name }
    }

    /// Rebuilds balances and reputation after a restart: every entry of this node's own
    /// ledger (receipts, attestations, evidence) and every remembered entry of other ledgers
    /// (`observed`) is counted again, as when it first was; from then on, new facts of other
    /// ledgers are remembered there. Returns how many own and observed entries counted.
    func restore(observed facts: ObservedFacts) throws(LedgerStoreError) -> (own: Int, observed: Int) {
        var own = 0, counted = 0
        var next: UInt64 = 0
        while true {
            let batch = try ledger.database.entries(from: next, limit: 1_024)
            for e in batch where instance.restore(ownEntry: e.kind.rawValue, body: e.body) { own += 1 }
            guard let last = batch.last, batch.count == 1_024 else { break }
            next = last.seq + 1
        }
        for proof in facts.all() where instance.restore(observed: proof) { counted += 1 }
        observed = facts
        return (own, counted)
    }

    /// Takes the job journal: the jobs it says were open when this node stopped are kept for
    /// `reconcile()`, the file is compacted to them, and new records go to it from now on.
    /// Returns how many jobs were open.
    func open(journal file: AwardJournal) -> Int {
        let open = Market.JournalRecord.open(file.all()).values.sorted { $0.jobID < $1.jobID }
        do { try file.rewrite(open) } catch {
            logger.warning("cannot compact the job journal", metadata: ["path": "\(file.path)", "error": "\(error)"])
        }
        awards = file
        unsettled = open
        return open.count
    }

    /// Settles the jobs that were open when this node stopped (their providers are told;
    /// results they had delivered are checked and paid once). Call once membership is known:
    /// the cancels need addresses (a provider that appears later is asked when it joins).
    func reconcile() async {
        let records = unsettled
        unsettled = []
        guard !records.isEmpty else { return }
        await perform(instance.reconcile(records, now: NodeClock.unixMillis()))
    }

    /// Answers a peer's consistency question about this node's ledger from the stored tree.
    private func proveConsistency(_ q: Ledger.ConsistencyRequest, to peer: PublicKey) async {
        let answer: Ledger.ConsistencyAnswer
        do {
            let proof = try ledger.database.consistencyProof(from: q.size1, to: q.size2)
            answer = Ledger.ConsistencyAnswer(prefixRoot: try ledger.database.root(size: q.size1), proof: proof)
        } catch {
            logger.info("consistency request not answered", metadata: [
                "peer": "\(peer.short)", "sizes": "\(q.size1)→\(q.size2)", "error": "\(error)"])
            return
        }
        NodeMetrics.consistencyProofsServed.increment()
        await send(Envelope(type: .consistencyProof, payload: answer.wireBytes), to: peer)
    }

    // MARK: inputs

    /// The class each offered model runs in.
    static func classes(_ offers: [Gossip.ModelOffer]) -> [Digest: [UInt8]] {
        Dictionary(offers.map { ($0.modelID, $0.arithmeticClass) }, uniquingKeysWith: { a, _ in a })
    }

    /// Takes the live members (and their records) as the market's peer table.
    func updateMembers(_ members: [Gossip.Member], selfRecord: Gossip.PeerRecord) {
        var peers: [Market.PeerInfo] = []
        var addrs: [NodeID: Gossip.Address] = [:]
        for m in members where m.status.isLive {
            addrs[m.nodeID] = m.address
            for offer in m.record.capabilities.models { modelNames[offer.modelID] = offer.name }
            let models = m.record.capabilities.models
            guard !models.isEmpty else { continue }
            peers.append(Market.PeerInfo(nodeID: m.nodeID, models: models.map(\.modelID),
                                         pricePer1k: models.map(\.pricePer1kTokens).min() ?? 0,
                                         classes: Self.classes(models), suspect: m.status == .suspect))
        }
        // This node may win its own job.
        if !selfRecord.capabilities.models.isEmpty {
            peers.append(Market.PeerInfo(nodeID: identity.publicKey, models: selfRecord.capabilities.models.map(\.modelID),
                                         pricePer1k: selfRecord.capabilities.models.map(\.pricePer1kTokens).min() ?? 0,
                                         classes: Self.classes(selfRecord.capabilities.models)))
        }
        // A member that was live and is now dead (or gone) will not answer: work waiting on
        // it moves on at once, without penalty (a crash is not dishonesty).
        let gone = addresses.keys.filter { addrs[$0] == nil }
        // A member new, or back from suspect or dead, may have missed gossip: it is sent the
        // warnings (failing attestations, evidence) this node holds.
        let back = members.filter { $0.status == .alive && statuses[$0.nodeID] != .alive }.map(\.nodeID)
        statuses = Dictionary(members.map { ($0.nodeID, $0.status) }, uniquingKeysWith: { a, _ in a })
        addresses = addrs
        instance.updatePeers(peers.sorted { $0.nodeID < $1.nodeID })
        for peer in gone { Task { await self.handle(.unreachable(peer)) } }
        for peer in back { Task { await self.handle(.peerJoined(peer)) } }
    }

    /// An envelope from a peer's session (or from this node to itself).
    func receive(_ envelope: Envelope, from peer: NodeID) async {
        if misbehaviour == .replay, peer != identity.publicKey { await replay(after: envelope, from: peer) }
        await perform(instance.receive(envelope, from: peer, now: NodeClock.unixMillis()))
    }

    /// Submits a job as requester and waits for its verified, paid result. The job waits
    /// for capacity (re-auctioned until its deadline); cancelling the calling task cancels
    /// it everywhere, unpaid.
    func submit(_ job: NodeJob, modelID: Digest, promptTokens: Int, maxPricePer1k: UInt64,
                onText: (@Sendable (String) -> Void)? = nil) async throws -> CompletedJob {
        guard waiting.count < maxOpenJobs else {
            throw NodeError(.overloaded, "\(waiting.count) jobs are already waiting on this node; retry later")
        }
        let now = NodeClock.unixMillis()
        let submission = Market.JobSubmission(
            modelID: modelID, request: job.request, promptTokens: UInt32(promptTokens), maxPrice: maxPricePer1k,
            deadline: now + jobTimeout, verificationLevel: job.verificationLevel, stream: onText != nil)
        switch instance.submit(submission, now: now) {
        case .failure(let rejection):
            throw NodeError(.job, "the market refused the job: \(rejection)")
        case .success(let submitted):
            NodeMetrics.jobsSubmitted.increment()
            let id = submitted.jobID
            if let onText { streams[id] = onText }
            journal.record(JobRecord(jobID: id.hex, role: "requester", state: "bidding", requester: identity.publicKey.hex,
                                     provider: nil, price: nil, latencyMs: nil, verification: "pending", attempts: 0,
                                     createdUnixMs: Int64(now)))
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { c in
                    waiting[id] = c
                    Task { await self.perform(submitted.directives) }
                }
            } onCancel: {
                Task { await self.cancel(id) }
            }
        }
    }

    /// Cancels a job this node requested (its client went away): the provider is told to
    /// stop, nothing is paid, and the waiting caller gets `cancelled`.
    func cancel(_ id: Market.JobID) async {
        guard waiting[id] != nil else { return }
        let now = NodeClock.unixMillis()
        logger.info("job cancelled: its client went away", metadata: ["job": "\(id.hex.prefix(16))", "at_ms": "\(now)"])
        await perform(instance.cancel(id, now: now))
    }

    // MARK: the models offered

    /// Replaces the provider offer (a model added or removed at runtime).
    func updateProvider(_ profile: Market.ProviderProfile?) async {
        for m in models.models { modelNames[m.id] = m.name }
        await perform(instance.updateProvider(profile, now: NodeClock.unixMillis()))
    }

    /// Stops taking new jobs and checks of `model`; what is held goes on.
    func retire(_ model: Digest) { _ = instance.retire(model: model, now: NodeClock.unixMillis()) }

    /// Jobs and checks of `model` held here.
    func heldWork(_ model: Digest) -> Int { instance.heldWork(model: model) }

    /// Name of a known model.
    func modelName(_ id: Digest) -> String? { modelNames[id] }

    // MARK: directives

    private func perform(_ directives: [Market.Directive]) async {
        for d in directives {
            switch d {
            case .send(let to, let envelope):
                await send(envelope, to: to)
            case .gossip(let envelope):
                for peer in addresses.keys.sorted() { await send(envelope, to: peer) }
            case .schedule(let timer, let at):
                let delay = at > NodeClock.unixMillis() ? at - NodeClock.unixMillis() : 0
                Task {
                    try? await Task.sleep(for: .milliseconds(Int64(delay)))
                    await self.fire(timer)
                }
            case .runJob(let spec):
                runJob(spec)
            case .cancelJob(let key):
                guard let run = running.removeValue(forKey: key) else { break }
                stopRequested[key] = NodeClock.unixMillis()
                run.task.cancel()
                journal.update(key.jobID.hex, role: "provider") { $0.state = "cancelled" }
            case .verify(let spec):
                verify(spec)
            case .appendLedger(let append):
                appendLedger(append)
            case .notify(let n):
                notify(n)
            case .rejected(let rejection, let from):
                NodeMetrics.marketRejections.increment()
                logger.info("market input rejected", metadata: ["from": "\(from?.short ?? "self")", "reason": "\(rejection)"])
            case .remember(let proof):
                observed?.append(proof)
            case .proveConsistency(let to, let request):
                await proveConsistency(request, to: to)
            case .journal(let record):
                awards?.append(record)
            }
        }
    }

    private func fire(_ timer: Market.Timer) async {
        await perform(instance.timerFired(timer, now: NodeClock.unixMillis()))
    }

    func send(_ envelope: Envelope, to peer: NodeID) async {
        if peer == identity.publicKey {
            Task { await self.receive(envelope, from: peer) }
            return
        }
        guard let address = addresses[peer] else {
            logger.info("no address for peer", metadata: ["peer": "\(peer.short)"])
            Task { await self.handle(.unreachable(peer)) }
            return
        }
        do {
            try await sessions.send(envelope, to: peer, host: address.host, port: Int(address.port))
        } catch {
            logger.info("send failed", metadata: ["peer": "\(peer.short)", "type": "\(envelope.type)", "error": "\(error)"])
            // Work waiting on the peer (an award, a check) moves on now, not at its timeout.
            Task { await self.handle(.unreachable(peer)) }
        }
    }

    func handle(_ event: Market.Event) async {
        await perform(instance.handle(event, now: NodeClock.unixMillis()))
    }

    /// Cancels every job this node is waiting for (shutdown).
    func cancelAll() async {
        for id in waiting.keys.sorted() {
            await perform(instance.cancel(id, now: NodeClock.unixMillis()))
        }
    }
}
