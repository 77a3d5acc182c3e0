import AgoraCrypto

extension Market {
    /// What a member advertises that the market uses (from its signed peer record).
    public struct PeerInfo: Equatable, Sendable {
        /// Node id.
        public var nodeID: PublicKey
        /// Models served.
        public var models: [Digest]
        /// Advertised price per 1,000 tokens.
        public var pricePer1k: UInt64
        /// The arithmetic class (16 bytes) it advertises for each model it runs in one (none for
        /// a model whose checks are not exact). Validators of the provider's class for the
        /// job's model are asked first: their check is exact.
        public var classes: [Digest: [UInt8]]
        /// Whether gossip suspects the peer failed (SWIM's suspect state). Messages still go
        /// to it (it may be alive and answer what it holds), but it is given no new work:
        /// not asked to bid, not awarded, not chosen as a validator.
        public var suspect: Bool

        /// Creates peer info, with a class per model.
        public init(nodeID: PublicKey, models: [Digest], pricePer1k: UInt64, classes: [Digest: [UInt8]], suspect: Bool = false) {
            self.nodeID = nodeID; self.models = models; self.pricePer1k = pricePer1k
            self.classes = classes.filter { !$0.value.isEmpty }
            self.suspect = suspect
        }

        /// Creates peer info whose every model runs in `arithmeticClass` (empty: none).
        public init(nodeID: PublicKey, models: [Digest], pricePer1k: UInt64, arithmeticClass: [UInt8] = [], suspect: Bool = false) {
            self.init(nodeID: nodeID, models: models, pricePer1k: pricePer1k,
                      classes: Dictionary(models.map { ($0, arithmeticClass) }, uniquingKeysWith: { a, _ in a }), suspect: suspect)
        }

        /// The class it advertises for `model` (empty: none).
        public func arithmeticClass(of model: Digest) -> [UInt8] { classes[model] ?? [] }
    }

    /// One model this node serves: its price, measured speed and slots. Each model has its
    /// own engine, so its jobs run beside other models' jobs, `slots` at a time.
    public struct ModelProfile: Equatable, Sendable {
        /// The model id (SHA-256 of the GGUF file).
        public var modelID: Digest
        /// Price per 1,000 generated tokens.
        public var pricePer1k: UInt64
        /// Measured prompt-processing speed, tokens per second.
        public var prefillTokensPerSecond: Double
        /// Measured generation speed, tokens per second.
        public var decodeTokensPerSecond: Double
        /// Jobs of this model the executor runs at once; awarded jobs beyond these wait in
        /// this instance's queue, taken fairly across requesters.
        public var slots: Int
        /// False while the model is being removed: the jobs and checks already held run to
        /// their end, nothing new is bid on or checked (Protocol.md §7.8).
        public var accepting: Bool

        /// A model offer.
        public init(modelID: Digest, pricePer1k: UInt64, prefillTokensPerSecond: Double, decodeTokensPerSecond: Double,
                    slots: Int = 4, accepting: Bool = true) {
            self.modelID = modelID; self.pricePer1k = pricePer1k
            self.prefillTokensPerSecond = prefillTokensPerSecond; self.decodeTokensPerSecond = decodeTokensPerSecond
            self.slots = Swift.max(1, slots); self.accepting = accepting
        }
    }

    /// This node's offer as a provider (and the models it can validate).
    public struct ProviderProfile: Equatable, Sendable {
        /// Models served (and validated), each with its own price, speed and slots.
        public var offers: [ModelProfile]
        /// Most jobs accepted at once over all models (running or waiting).
        public var maxQueue: Int
        /// Checks (as validator) the executor runs at once, beside the jobs.
        public var checkSlots: Int
        /// Most checks held at once (running or waiting); a verify request beyond that gets no
        /// answer, and its requester asks another validator.
        public var maxChecks: Int
        /// How long a bid holds.
        public var bidTTL: Millis
        /// Most job requests remembered while the queue is full (`maxQueue` reached), to be
        /// bid on first come first served as room frees; beyond it a request gets no bid and
        /// its requester asks again.
        public var maxWaitlist: Int = 1_024
        /// What results say about this runtime.
        public var fingerprint: [UInt8]

        /// A profile with one offer per model.
        public init(offers: [ModelProfile], maxQueue: Int = 4, checkSlots: Int = 2, maxChecks: Int = 256,
                    bidTTL: Millis = 5_000, fingerprint: [UInt8] = []) {
            self.offers = offers
            self.maxQueue = maxQueue; self.checkSlots = Swift.max(1, checkSlots)
            self.maxChecks = Swift.max(1, maxChecks); self.bidTTL = bidTTL; self.fingerprint = fingerprint
        }

        /// A profile offering every model in `models` at the same price, speed and slots
        /// (`slots` defaults to `maxQueue`).
        public init(models: [Digest], pricePer1k: UInt64, prefillTokensPerSecond: Double, decodeTokensPerSecond: Double,
                    maxQueue: Int = 4, slots: Int? = nil, checkSlots: Int = 2, maxChecks: Int = 256,
                    bidTTL: Millis = 5_000, fingerprint: [UInt8] = []) {
            self.init(offers: models.map {
                ModelProfile(modelID: $0, pricePer1k: pricePer1k, prefillTokensPerSecond: prefillTokensPerSecond,
                             decodeTokensPerSecond: decodeTokensPerSecond, slots: slots ?? maxQueue)
            }, maxQueue: maxQueue, checkSlots: checkSlots, maxChecks: maxChecks, bidTTL: bidTTL, fingerprint: fingerprint)
        }

        /// Models served and accepting new work.
        public var models: [Digest] { offers.filter(\.accepting).map(\.modelID) }

        /// The offer for `model` (accepting or not).
        public func offer(_ model: Digest) -> ModelProfile? { offers.first { $0.modelID == model } }

        /// The offer for `model` if it takes new jobs and checks.
        public func accepting(_ model: Digest) -> ModelProfile? { offer(model).flatMap { $0.accepting ? $0 : nil } }
    }

    /// How a requester ranks bids: lower cost wins. `cost = priceWeight·price/maxPrice +
    /// timeWeight·eta/min(deadline − now, timeScale) + reputationWeight·(1 − reputation)`;
    /// bids from providers below `minReputation` with a failed attestation against them are
    /// never awarded (one below it only for missed deadlines still is, ranked by its cost, so
    /// it can earn its standing back).
    public struct ScoringPolicy: Equatable, Sendable {
        /// Weight of the normalised price.
        public var priceWeight: Double = 1
        /// Weight of the normalised completion estimate.
        public var timeWeight: Double = 1
        /// Completion estimates are normalised by the time left before the deadline, but by
        /// no more than this (so a long deadline still prefers a short queue).
        public var timeScale: Millis = 30_000
        /// Weight of the reputation shortfall: a bid's estimate counts
        /// `1 + reputationWeight·(1 − score)` times over.
        public var reputationWeight: Double = 3
        /// Providers below this reputation get no award.
        public var minReputation: Double = 0.3

        /// The default policy.
        public init() {}
    }

    /// Weights of ledger facts in a provider's reputation: `(prior + good) / (prior + good
    /// + bad + priorBad)` with `good = completed + passWeight·passes` and `bad =
    /// timeoutWeight·timeouts + failWeight·fails`. Evidence excludes a node outright.
    public struct ReputationPolicy: Equatable, Sendable {
        /// Pseudo-count of good outcomes a new node starts with.
        public var prior: Double = 2
        /// Pseudo-count of bad outcomes a new node starts with.
        public var priorBad: Double = 1
        /// Weight of a passing attestation.
        public var passWeight: Double = 2
        /// Weight of a missed deadline.
        public var timeoutWeight: Double = 3
        /// Weight of a failed attestation (heavy).
        public var failWeight: Double = 100

        /// The default policy.
        public init() {}
    }

    /// How a requester has the results of its verified jobs (verification level ≥ 1) checked.
    ///
    /// A validator's check is exact (bit-identical tokens) only when it shares the provider's
    /// arithmetic class (`PeerInfo.arithmeticClass`); across classes it falls back to a
    /// tolerance that misses most subtle tampering (docs/cross-class.md: different classes
    /// never agree bit for bit). Level-0 jobs (spot checks only) ignore the policy.
    public enum CheckPolicy: String, Equatable, Sendable, CaseIterable {
        /// A bid is awarded only if at least `verificationLevel` eligible validators (serving
        /// the model, not suspect, not excluded, not this node) advertise the provider's own
        /// non-empty class, and only those validators are asked. Other bids wait, as a busy
        /// provider's do (no penalty: being unverifiable is not dishonesty); a job that finds
        /// no such provider before its deadline fails with `FailureReason.noExactValidator`.
        /// A result from a provider whose advertised class changed since its award is
        /// rejected (`Rejection.Reason.classChanged`). Self-served jobs are not checked at all.
        case exactRequired
        /// A bid from a provider that validators of its class can check exactly (as above) is
        /// preferred: others are awarded only in a round where no such provider bid (a rare or
        /// missing class buys no tolerant check while an exact one is at hand). Validators of the
        /// provider's class are asked first; any other validator is asked when none is
        /// available (a tolerant check).
        case exactPreferred
    }

    /// Everything configurable about an instance. Defaults suit a LAN testnet.
    public struct Settings: Equatable, Sendable {
        /// Peers asked per solicitation round.
        public var bidFanout = 4
        /// How long a round collects bids at most.
        public var bidWindow: Millis = 250
        /// Award before the window ends once this many acceptable bids are in, or once every
        /// peer asked in the round has bid (0: always wait for the window). Keeps the market's
        /// latency near one round trip when providers are quick to bid.
        public var earlyAwardBids = 3
        /// A round without an acceptable bid is followed by another, each waiting twice as
        /// long as the one before, up to this; a job waits like this until its deadline
        /// (busy providers decline to bid; being busy is not a failure).
        public var maxBidWindow: Millis = 2_000
        /// A provider forgets a waitlisted request (one that found its queue full) its
        /// requester has not asked again for this long: the job found room elsewhere or ended.
        public var waitlistStale: Millis = 10_000
        /// An award's `completeBy` is `now + max(minAwardTimeout, eta × awardTimeoutFactor)`
        /// (capped at the job deadline).
        public var awardTimeoutFactor = 2.0
        /// Lower bound of an award's time allowance.
        public var minAwardTimeout: Millis = 2_000
        /// A provider that streamed output within this long of its `completeBy` is making
        /// progress: its award is extended (to its last progress plus this) instead of
        /// timing out, until the job's deadline.
        public var progressStall: Millis = 10_000
        /// How long a validator has to attest before another one is asked as well (the first
        /// one's attestation still counts when it comes).
        public var validationTimeout: Millis = 20_000
        /// Share of results (at verification level 0) sent to a validator at random.
        public var spotCheckRate = 0.05
        /// How verified jobs (level ≥ 1) are checked. `.exactRequired` closes the door a
        /// provider advertising a class nobody else has would otherwise use (only tolerant
        /// checks); it is not the default yet because classes are advertised per node, not per
        /// model: a model whose logits change with batching (K-quants here) is never checked
        /// exactly, and under `.exactRequired` its verified jobs could not run at all. A node
        /// opts in with `requireExactChecks` (NodeConfig).
        public var checkPolicy: CheckPolicy = .exactPreferred
        /// Bid ranking.
        public var scoring = ScoringPolicy()
        /// Reputation weights.
        public var reputation = ReputationPolicy()
        /// Credits every node starts with (testnet grant; accounting, not a currency).
        public var initialGrant: UInt64 = 1_000_000
        /// This node's provider offer (nil: it neither bids nor validates).
        public var provider: ProviderProfile?
        /// How long closed jobs are remembered after their deadline (for replay detection);
        /// `Instance.prune(now:)` forgets older ones. Requests past their deadline are refused
        /// anyway, so a forgotten job cannot be replayed into a new one.
        public var retention: Millis = 3_600_000

        /// Default settings.
        public init() {}
    }
}
