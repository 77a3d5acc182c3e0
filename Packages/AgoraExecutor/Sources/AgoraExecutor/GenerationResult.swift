/// Why generation stopped.
public enum FinishReason: String, Sendable, Equatable, Codable {
    /// The model produced an end-of-generation token (included in the token ids).
    case endOfGeneration
    /// The output text reached one of the stop sequences (the text ends before it).
    case stopSequence
    /// `maxTokens` tokens were produced.
    case maxTokens
    /// The caller cancelled the job.
    case cancelled
}

/// One generated token as it is streamed.
public struct GeneratedToken: Sendable, Equatable {
    /// Position in the output (0 = first generated token).
    public var index: Int
    /// The token id.
    public var id: Int32
    /// The text this token completes (may be empty while a multi-byte character is split
    /// over several tokens, and for end-of-generation tokens).
    public var text: String
}

/// Wall-clock timings of one job, measured by the engine.
public struct GenerationTimings: Sendable, Equatable, Codable {
    /// Prompt tokens evaluated.
    public var promptTokens: Int
    /// Of those, tokens whose keys and values were already in the KV cache (`PrefixCache`).
    public var cachedPromptTokens: Int = 0
    /// Tokens generated.
    public var generatedTokens: Int
    /// Seconds from the job's admission to its first generated token (queueing excluded).
    public var promptSeconds: Double
    /// Seconds from the first to the last generated token.
    public var generationSeconds: Double
    /// Seconds the job waited in the queue before a slot took it.
    public var queueSeconds: Double
}

/// The result of a generation job.
public struct GenerationResult: Sendable, Equatable {
    /// The prompt's token ids, as evaluated.
    public var promptTokens: [Int32]
    /// The generated token ids (including a final end-of-generation token, if any).
    public var tokens: [Int32]
    /// The generated text (without end-of-generation tokens and stop sequences).
    public var text: String
    /// Why generation stopped.
    public var finishReason: FinishReason
    /// What produced this result.
    public var fingerprint: RuntimeFingerprint
    /// How long it took.
    public var timings: GenerationTimings
    /// Each generated token's logprobs, when the job asks for them (else empty).
    public var logprobs: [TokenLogprob] = []
}

/// What a token stream yields: tokens, then one final result.
public enum GenerationEvent: Sendable {
    /// A token was generated.
    case token(GeneratedToken)
    /// The job finished; no more events follow.
    case finished(GenerationResult)
}
