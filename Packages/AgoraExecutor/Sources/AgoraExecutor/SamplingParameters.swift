/// How tokens are chosen. `temperature == 0` is greedy decoding (arg-max, ties to the
/// lowest token id); otherwise the engine samples with the Gumbel-max trick, whose noise
/// is a pure function of `(seed, output position, token id)` (see `Sampler`), so that a
/// validator can re-derive every draw and check it by teacher forcing.
public struct SamplingParameters: Sendable, Equatable, Hashable, Codable {
    /// Largest accepted `maxTokens`.
    public static let maxTokensLimit = 32_768
    /// Largest accepted number of stop sequences.
    public static let maxStopSequences = 8
    /// Largest accepted length (UTF-8 bytes) of one stop sequence.
    public static let maxStopLength = 64

    /// Softmax temperature, 0 (greedy) to 5.
    public var temperature: Double
    /// Keep only the `topK` most likely tokens (0 = no limit).
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches `topP` (1 = no limit).
    public var topP: Double
    /// Seed of the sampling noise (ignored by greedy decoding, but still recorded).
    public var seed: UInt64
    /// Most tokens to generate (at least 1).
    public var maxTokens: Int
    /// Generation stops once the output text contains one of these strings.
    public var stop: [String]

    /// Greedy decoding of at most `maxTokens` tokens.
    public static func greedy(maxTokens: Int = 128) -> SamplingParameters {
        SamplingParameters(temperature: 0, topK: 0, topP: 1, seed: 0, maxTokens: maxTokens, stop: [])
    }

    /// Creates parameters; call `validate()` before use (the engine does).
    public init(temperature: Double = 0, topK: Int = 40, topP: Double = 0.95, seed: UInt64 = 0,
                maxTokens: Int = 128, stop: [String] = []) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
        self.maxTokens = maxTokens
        self.stop = stop
    }

    /// Whether these parameters select greedy decoding.
    public var isGreedy: Bool { temperature == 0 }

    /// Throws `invalidParameter` naming the first value out of range.
    public func validate() throws(ExecutorError) {
        guard temperature.isFinite, temperature >= 0, temperature <= 5 else {
            throw ExecutorError(.invalidParameter, "temperature must be between 0 and 5, got \(temperature)")
        }
        guard topK >= 0, topK <= 1_000_000 else {
            throw ExecutorError(.invalidParameter, "top-k must be between 0 (off) and 1000000, got \(topK)")
        }
        guard topP.isFinite, topP > 0, topP <= 1 else {
            throw ExecutorError(.invalidParameter, "top-p must be in (0, 1], got \(topP)")
        }
        guard maxTokens >= 1, maxTokens <= Self.maxTokensLimit else {
            throw ExecutorError(.invalidParameter, "max tokens must be between 1 and \(Self.maxTokensLimit), got \(maxTokens)")
        }
        guard stop.count <= Self.maxStopSequences else {
            throw ExecutorError(.invalidParameter, "at most \(Self.maxStopSequences) stop sequences, got \(stop.count)")
        }
        for s in stop where s.isEmpty || s.utf8.count > Self.maxStopLength {
            throw ExecutorError(.invalidParameter, "a stop sequence must have 1 to \(Self.maxStopLength) bytes, got \(s.utf8.count)")
        }
    }

    /// A canonical one-line description, part of the runtime fingerprint.
    public var canonicalDescription: String {
        let stops = stop.map { $0.debugDescription }.joined(separator: ",")
        return "temp=\(temperature) top_k=\(topK) top_p=\(topP) seed=\(seed) max_tokens=\(maxTokens) stop=[\(stops)] sampler=gumbel-splitmix64-v1"
    }
}
