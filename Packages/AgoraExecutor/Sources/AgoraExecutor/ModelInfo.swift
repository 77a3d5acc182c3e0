/// What the engine knows about its loaded model.
public struct ModelInfo: Sendable, Equatable {
    /// The GGUF file's path.
    public var path: String
    /// SHA-256 (hex) of the file: the model id on the network.
    public var id: String
    /// The model's name on the network: its file name without `.gguf`.
    public var name: String
    /// Training context length (`<arch>.context_length`).
    public var trainingContextLength: Int
    /// Context length available to one job in this engine.
    public var contextLength: Int
    /// Vocabulary size.
    public var vocabularySize: Int
    /// The chat template (Jinja text) stored in the file, if any.
    public var chatTemplate: String?
    /// Parameter count.
    public var parameterCount: UInt64
    /// Quantisation, e.g. "Q4_1".
    public var quantisation: String
    /// File size in bytes.
    public var fileSize: UInt64
}

/// The engine's own measured speed on its loaded model, for bids.
public struct SpeedProfile: Sendable, Equatable, Codable {
    /// Prompt processing (prefill), tokens per second.
    public var prefillTokensPerSecond: Double
    /// Generation (one token at a time, one job), tokens per second.
    public var decodeTokensPerSecond: Double
    /// Threads used.
    public var threads: Int
    /// Seconds the measurement took.
    public var measurementSeconds: Double
}
