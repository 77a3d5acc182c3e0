/// What a result says about the runtime that produced it: enough for a validator to know
/// which model, which sampler settings and which arithmetic were involved.
public struct RuntimeFingerprint: Sendable, Equatable, Hashable, Codable {
    /// llama.cpp's version string and pinned source commit, e.g. "0.5.0-dev b1 (0c1e5709…)".
    public var llamaBuild: String
    /// The model id: SHA-256 (hex) of the GGUF file.
    public var modelID: String
    /// `SamplingParameters.canonicalDescription` of the request.
    public var sampling: String
    /// The sampling seed (also inside `sampling`; repeated for convenience).
    public var seed: UInt64
    /// Build and runtime options that change the arithmetic: the CPU features ggml uses
    /// (AVX2, AVX-512, …), whether llamafile's sgemm is compiled in, flash attention,
    /// KV-cache type, thread count.
    public var arithmetic: String

    /// Creates a fingerprint.
    public init(llamaBuild: String, modelID: String, sampling: String, seed: UInt64, arithmetic: String) {
        self.llamaBuild = llamaBuild
        self.modelID = modelID
        self.sampling = sampling
        self.seed = seed
        self.arithmetic = arithmetic
    }
}
