/// What the HTTP API needs from a node: run a job through the market and describe the
/// models the network serves. `AgoraNode` implements it; the API only shapes HTTP.
public protocol InferenceService: Sendable {
    /// Models the network serves (from peer records), for `GET /v1/models`.
    func models() async -> [ServedModel]
    /// Runs one job to completion. Throws `OpenAIError` for anything the client should see.
    func run(_ job: InferenceJob) async throws -> InferenceOutcome
    /// Runs one job, yielding text pieces as they become available, then the outcome.
    func stream(_ job: InferenceJob) -> AsyncThrowingStream<InferenceStreamEvent, Error>
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

/// A job as the API hands it to the node.
public struct InferenceJob: Sendable {
    /// Chat messages, or a raw prompt.
    public enum Input: Sendable {
        /// Role/content pairs, rendered with the model's chat template by the provider.
        case chat([(role: String, content: String)])
        /// A raw prompt.
        case text(String)
    }

    /// Requested model name or id (nil: the default).
    public var model: String?
    /// The input.
    public var input: Input
    /// Maximum tokens to generate.
    public var maxTokens: Int
    /// Temperature (0 is greedy).
    public var temperature: Double
    /// Nucleus sampling threshold.
    public var topP: Double
    /// Top-k (0: off).
    public var topK: Int
    /// Seed for sampling.
    public var seed: UInt64
    /// Stop sequences.
    public var stop: [String]

    /// Creates a job.
    public init(model: String?, input: Input, maxTokens: Int, temperature: Double, topP: Double, topK: Int,
                seed: UInt64, stop: [String]) {
        self.model = model
        self.input = input
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.seed = seed
        self.stop = stop
    }
}

/// The result of a job as the API reports it.
public struct InferenceOutcome: Sendable {
    /// Generated text.
    public var text: String
    /// `stop` or `length`.
    public var finishReason: String
    /// Prompt tokens.
    public var promptTokens: Int
    /// Generated tokens.
    public var completionTokens: Int
    /// The model name that served it.
    public var model: String
    /// The market's account of the job.
    public var agora: AgoraJobInfo

    /// Creates an outcome.
    public init(text: String, finishReason: String, promptTokens: Int, completionTokens: Int, model: String,
                agora: AgoraJobInfo) {
        self.text = text
        self.finishReason = finishReason
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.model = model
        self.agora = agora
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
    case done(InferenceOutcome)
}
