/// What a node's executor offers: generation, streaming, and teacher-forced verification
/// on one loaded model. `LlamaEngine` is the implementation over llama.cpp.
public protocol InferenceEngine: Sendable {
    /// The loaded model.
    var model: ModelInfo { get }
    /// Measured prefill and decode speed (nil if not measured).
    var speed: SpeedProfile? { get }
    /// Runs one job to completion. Throws `queueFull` at once when the queue is full and
    /// `cancelled` if the calling task is cancelled.
    func generate(_ request: GenerationRequest) async throws(ExecutorError) -> GenerationResult
    /// Streams one job's tokens, then its result. Ending the iteration cancels the job.
    func stream(_ request: GenerationRequest) throws(ExecutorError) -> AsyncThrowingStream<GenerationEvent, any Error>
    /// Re-checks claimed output tokens (and their logprobs, one per token, when the job asks
    /// for them) for `request` in one batched prefill. When `claimedArithmetic` (the result's
    /// `RuntimeFingerprint.arithmetic`) is the engine's own and its build is bit-exact, the
    /// check is exact; otherwise it uses the tolerance.
    func verify(request: GenerationRequest, claimedTokens: [Int32], claimedLogprobs: [TokenLogprob],
                claimedArithmetic: String?) async throws(ExecutorError) -> VerificationOutcome
}

extension InferenceEngine {
    /// Re-checks claimed output tokens with the tolerance, as for a runtime of unknown
    /// arithmetic.
    public func verify(request: GenerationRequest, claimedTokens: [Int32]) async throws(ExecutorError) -> VerificationOutcome {
        try await verify(request: request, claimedTokens: claimedTokens, claimedLogprobs: [], claimedArithmetic: nil)
    }

    /// Re-checks claimed output tokens without logprobs.
    public func verify(request: GenerationRequest, claimedTokens: [Int32],
                       claimedArithmetic: String?) async throws(ExecutorError) -> VerificationOutcome {
        try await verify(request: request, claimedTokens: claimedTokens, claimedLogprobs: [], claimedArithmetic: claimedArithmetic)
    }
}
