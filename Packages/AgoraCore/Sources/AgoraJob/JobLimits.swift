/// Every bound on a job description, defined once: the HTTP API, the CLI, the market's
/// decoder and the executor all check against these (Protocol.md §7.4a).
public enum JobLimits {
    /// Largest prompt, in UTF-8 bytes (all messages together).
    public static let maxPromptBytes = 256 * 1024
    /// Most chat messages in one prompt.
    public static let maxMessages = 1_024
    /// Longest role name, in bytes.
    public static let maxRoleBytes = 16
    /// Most prompt tokens given as token ids.
    public static let maxPromptTokens = 65_536
    /// Largest `maxTokens`.
    public static let maxTokens = 32_768
    /// Most stop sequences.
    public static let maxStopSequences = 8
    /// Longest stop sequence, in UTF-8 bytes.
    public static let maxStopBytes = 64
    /// Largest temperature.
    public static let maxTemperature = 5.0
    /// Largest top-k (0 is off).
    public static let maxTopK = 1_000_000
    /// Presence and frequency penalties lie in ±`maxPenalty` (OpenAI's range).
    public static let maxPenalty = 2.0
    /// Most logit-bias entries (OpenAI's limit).
    public static let maxLogitBias = 300
    /// A logit bias lies in ±`maxBias` (OpenAI's range).
    public static let maxBias = 100.0
    /// Most alternatives per token with logprobs (OpenAI's `top_logprobs` limit).
    public static let maxTopLogprobs = 20
    /// Largest grammar, in UTF-8 bytes.
    public static let maxGrammarBytes = 64 * 1024
    /// Largest encoded job description (prompt, grammar and the rest).
    public static let maxEncodedBytes = maxPromptBytes + maxGrammarBytes + 64 * 1024
}
