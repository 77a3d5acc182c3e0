import AgoraNode
/// What the HTTP API needs from a node: run a job through the market and describe the
/// models the network serves. `AgoraNode` implements it; the API only shapes HTTP. Jobs go
/// in as the node's own `NodeJob` and come back as its `CompletedJob`: the API keeps no copy.
public protocol InferenceService: Sendable {
    /// Models the network serves (from peer records), for `GET /v1/models`.
    func models() async -> [ServedModel]
    /// Validators the node's jobs ask for (the node's configured verification level).
    var verificationLevel: UInt8 { get }
    /// Runs one job to completion. Throws `OpenAIError` for anything the client should see.
    func run(_ job: NodeJob) async throws -> CompletedJob
    /// Runs one job, yielding text pieces as they become available, then the outcome.
    func stream(_ job: NodeJob) -> AsyncThrowingStream<InferenceStreamEvent, Error>
}

/// One model the network serves (the `agora` object of each `GET /v1/models` entry).
public struct ServedModel: Sendable, Codable, Equatable {
    /// The model's name (what clients pass as `model`).
    public let name: String
    /// SHA-256 of the GGUF file, hex.
    public let modelID: String
    /// Other names that reach it (`smollm2:135m-instruct`, `smollm2`, configured aliases).
    public let aliases: [String]
    /// The largest context a serving node takes, tokens.
    public let contextLength: Int
    /// The smallest context a serving node takes, tokens.
    public let contextLengthMin: Int
    /// How many live nodes serve it.
    public let providers: Int
    /// Lowest and highest asking price, credits per 1,000 tokens.
    public let priceMin: UInt64
    public let priceMax: UInt64
    /// Fastest advertised generation speed, tokens per second.
    public let decodeTokensPerSecond: Double
    /// Whether the node answering serves it itself.
    public let servedHere: Bool

    enum CodingKeys: String, CodingKey {
        case name, modelID = "model_id", aliases, contextLength = "context_length", contextLengthMin = "context_length_min",
             providers, priceMin = "price_min", priceMax = "price_max", decodeTokensPerSecond = "decode_tokens_per_second",
             servedHere = "served_here"
    }

    /// Creates a description.
    public init(name: String, modelID: String, aliases: [String] = [], contextLength: Int, contextLengthMin: Int? = nil,
                providers: Int, priceMin: UInt64 = 0, priceMax: UInt64 = 0, decodeTokensPerSecond: Double = 0,
                servedHere: Bool = false) {
        self.name = name
        self.modelID = modelID
        self.aliases = aliases
        self.contextLength = contextLength
        self.contextLengthMin = contextLengthMin ?? contextLength
        self.providers = providers
        self.priceMin = priceMin
        self.priceMax = priceMax
        self.decodeTokensPerSecond = decodeTokensPerSecond
        self.servedHere = servedHere
    }

    /// Whether a client's `model` value names this model: its name, an alias or its id, ignoring case.
    public func answers(to requested: String) -> Bool {
        let r = requested.lowercased()
        return name.lowercased() == r || aliases.contains(r) || modelID == r
    }
}

/// Where a completed job's time went, in milliseconds on the requester's clock: the auction
/// (until the award), the provider's queue and prompt prefill (until its first output), the
/// generation (until its result, with the provider's ledger append and the network), and the
/// verification (until the job was paid).
public struct AgoraJobTimings: Sendable, Codable, Equatable {
    public var auctionMs: UInt64
    public var queueAndPrefillMs: UInt64
    public var generationMs: UInt64
    public var verificationMs: UInt64
    public var totalMs: UInt64

    enum CodingKeys: String, CodingKey {
        case auctionMs = "auction_ms", queueAndPrefillMs = "queue_and_prefill_ms", generationMs = "generation_ms",
             verificationMs = "verification_ms", totalMs = "total_ms"
    }

    /// Creates the timings.
    public init(auctionMs: UInt64, queueAndPrefillMs: UInt64, generationMs: UInt64, verificationMs: UInt64, totalMs: UInt64) {
        self.auctionMs = auctionMs; self.queueAndPrefillMs = queueAndPrefillMs; self.generationMs = generationMs
        self.verificationMs = verificationMs; self.totalMs = totalMs
    }
}

/// The `agora` object every completion response carries.
public struct AgoraJobInfo: Sendable, Codable, Equatable {
    /// Job id, hex.
    public var jobID: String
    /// Provider node id, hex.
    public var provider: String
    /// Credits paid.
    public var price: UInt64
    /// Hash of the provider's ledger entry for this result, hex.
    public var ledgerEntry: String
    /// Sequence number of that entry in the provider's ledger.
    public var ledgerSeq: UInt64
    /// `proof-verified`, `attested`, `attestation-failed`, …
    public var verification: String
    /// Providers that were tried before this one (failover).
    public var attempts: Int
    /// Where the job's time went.
    public var timings: AgoraJobTimings?
    /// The model id the provider's ledger entry names (SHA-256 of the GGUF file), hex.
    public var modelID: String?
    /// Validators whose passing attestation (of that model id) the job was paid on, hex.
    public var validators: [String]?

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id", provider, price, ledgerEntry = "ledger_entry", ledgerSeq = "ledger_seq", verification, attempts,
             timings, modelID = "model_id", validators
    }

    /// The market's account of a completed job.
    public init(_ c: CompletedJob) {
        self.init(jobID: c.jobID, provider: c.provider, price: c.price, ledgerEntry: c.ledgerEntry, ledgerSeq: c.ledgerSeq,
                  verification: c.verification, attempts: c.attempts,
                  timings: c.phases.map { AgoraJobTimings(auctionMs: $0.auction, queueAndPrefillMs: $0.queueAndPrefill,
                                                          generationMs: $0.generation, verificationMs: $0.verification,
                                                          totalMs: $0.total) })
        modelID = c.modelID.isEmpty ? nil : c.modelID
        validators = c.validators
    }

    /// Creates the object.
    public init(jobID: String, provider: String, price: UInt64, ledgerEntry: String, ledgerSeq: UInt64,
                verification: String, attempts: Int, timings: AgoraJobTimings? = nil) {
        self.timings = timings
        self.jobID = jobID
        self.provider = provider
        self.price = price
        self.ledgerEntry = ledgerEntry
        self.ledgerSeq = ledgerSeq
        self.verification = verification
        self.attempts = attempts
    }
}

/// A step of a streamed job.
public enum InferenceStreamEvent: Sendable {
    /// More text.
    case text(String)
    /// The job finished.
    case done(CompletedJob)
}
