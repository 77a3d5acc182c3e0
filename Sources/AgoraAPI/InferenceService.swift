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

/// One model the network serves.
public struct ServedModel: Sendable, Codable, Equatable {
    /// The model's name (what clients pass as `model`).
    public let name: String
    /// SHA-256 of the GGUF file, hex.
    public let modelID: String
    /// Context length in tokens.
    public let contextLength: Int
    /// How many live peers serve it.
    public let providers: Int

    enum CodingKeys: String, CodingKey { case name, modelID = "model_id", contextLength = "context_length", providers }

    /// Creates a description.
    public init(name: String, modelID: String, contextLength: Int, providers: Int) {
        self.name = name
        self.modelID = modelID
        self.contextLength = contextLength
        self.providers = providers
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

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id", provider, price, ledgerEntry = "ledger_entry", ledgerSeq = "ledger_seq", verification, attempts,
             timings
    }

    /// The market's account of a completed job.
    public init(_ c: CompletedJob) {
        self.init(jobID: c.jobID, provider: c.provider, price: c.price, ledgerEntry: c.ledgerEntry, ledgerSeq: c.ledgerSeq,
                  verification: c.verification, attempts: c.attempts,
                  timings: c.phases.map { AgoraJobTimings(auctionMs: $0.auction, queueAndPrefillMs: $0.queueAndPrefill,
                                                          generationMs: $0.generation, verificationMs: $0.verification,
                                                          totalMs: $0.total) })
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
