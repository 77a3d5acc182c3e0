import AgoraMarket
import AgoraExecutor

/// A job as a node's user (the HTTP API, the CLI) submits it: which model, the job
/// description (the one type that travels to the executor), and how much checking it wants.
public struct NodeJob: Sendable {
    /// Model name or hex model id; nil picks the network's default.
    public var model: String?
    /// The job description: prompt, sampling, max tokens, stop, grammar, logprobs.
    public var request: GenerationRequest
    /// Validators that must re-check the result before it is paid (0: proof only).
    public var verificationLevel: UInt8

    /// Creates a job.
    public init(model: String?, request: GenerationRequest, verificationLevel: UInt8) {
        self.model = model
        self.request = request
        self.verificationLevel = verificationLevel
    }
}

/// A completed job, as the requester saw it.
public struct CompletedJob: Sendable {
    /// Job id, hex.
    public var jobID: String
    /// Generated text (decrypted at the requester).
    public var text: String
    /// Generated tokens.
    public var completionTokens: Int
    /// Prompt tokens (the provider's count, or the estimate made when submitted).
    public var promptTokens: Int
    /// `stop` or `length`.
    public var finishReason: String
    /// The model's name.
    public var model: String
    /// The model id (SHA-256 of its GGUF file), hex: the one the provider's ledger entry names.
    public var modelID: String = ""
    /// Provider node id, hex.
    public var provider: String
    /// Credits paid.
    public var price: UInt64
    /// The provider's ledger entry for the result: hash (hex) and sequence number.
    public var ledgerEntry: String
    /// Sequence number of that entry.
    public var ledgerSeq: UInt64
    /// How the result was checked.
    public var verification: String
    /// Awards made before this one completed (failover).
    public var attempts: Int
    /// Where the job's time went (the market's timeline of it).
    public var phases: Market.JobTimeline.Phases?
    /// Each output token's logprobs, when the job asked for them (checked with the tokens).
    public var logprobs: [TokenLogprob] = []
    /// Validators whose passing attestation the job was paid on (node ids, hex).
    public var validators: [String] = []
}

/// A job this node took part in, for `/api/jobs` and the dashboard.
public struct JobRecord: Sendable {
    public var jobID: String
    public var role: String
    public var state: String
    public var requester: String
    public var provider: String?
    public var price: UInt64?
    public var latencyMs: Double?
    public var verification: String
    public var attempts: Int
    public var createdUnixMs: Int64
}
