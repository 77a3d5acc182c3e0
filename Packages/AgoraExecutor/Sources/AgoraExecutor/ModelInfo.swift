/// What the engine knows about its loaded model.
public struct ModelInfo: Sendable, Equatable {
    /// The GGUF file's path.
    public var path: String
    /// SHA-256 (hex) of the file: the model id on the network.
    public var id: String
    /// The name on the network: readable, built from the file's GGUF metadata in Ollama's
    /// style (`smollm2:135m-instruct-q4_1`; see `ModelName`).
    public var name: String
    /// Shorter names a user may type for it, most specific first, all lowercase
    /// (`smollm2:135m-instruct`, `smollm2:135m`, `smollm2`, `smollm2-135m-instruct.q4_1`).
    public var aliases: [String]
    /// The file's name without `.gguf` (`SmolLM2-135M-Instruct.Q4_1`).
    public var fileName: String
    /// The architecture (`general.architecture`: "llama", "qwen2").
    public var architecture: String
    /// `general.name`, if the file has one (it often names only the base model).
    public var metadataName: String?
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
    /// Quantisation, e.g. "Q4_1", "Q4_K_M".
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
