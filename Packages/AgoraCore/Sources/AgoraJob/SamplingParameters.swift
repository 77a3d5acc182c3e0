/// A bias added to one token's logit before sampling (OpenAI's `logit_bias`).
public struct LogitBias: Sendable, Equatable, Hashable, Codable {
    /// The token id.
    public var token: Int32
    /// Added to the token's logit, in ±`JobLimits.maxBias` (−100 bans, +100 forces).
    public var bias: Double

    /// Creates a bias.
    public init(token: Int32, bias: Double) {
        self.token = token
        self.bias = bias
    }
}

/// How tokens are chosen. `temperature == 0` is greedy decoding (arg-max, ties to the
/// lowest token id); otherwise the engine samples with the Gumbel-max trick, whose noise
/// is a pure function of `(seed, output position, token id)` (see the executor's `Sampler`),
/// so that a validator can re-derive every draw and check it by teacher forcing.
///
/// Before a choice the logits are adjusted (`logitBias`, then `presencePenalty` and
/// `frequencyPenalty` over the tokens generated so far); a `grammar` then limits the choice
/// to tokens the grammar allows. All of it is part of the signed job, so a validator applies
/// the same rules and the check stays exact.
public struct SamplingParameters: Sendable, Equatable, Hashable, Codable {
    /// Largest accepted `maxTokens` (`JobLimits.maxTokens`).
    public static let maxTokensLimit = JobLimits.maxTokens
    /// Largest accepted number of stop sequences.
    public static let maxStopSequences = JobLimits.maxStopSequences
    /// Largest accepted length (UTF-8 bytes) of one stop sequence.
    public static let maxStopLength = JobLimits.maxStopBytes

    /// Softmax temperature, 0 (greedy) to 5; carried in thousandths.
    public var temperature: Double
    /// Keep only the `topK` most likely tokens (0 = no limit).
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches `topP` (1 = no limit).
    public var topP: Double
    /// Seed of the sampling noise (ignored by greedy decoding, but still recorded).
    public var seed: UInt64
    /// Most tokens to generate (at least 1).
    public var maxTokens: Int
    /// Generation stops once the output text contains one of these strings; the output ends
    /// with the token that completed it (the text returned stops before the sequence).
    public var stop: [String]
    /// Subtracted from the logit of every token already generated (OpenAI's `presence_penalty`).
    public var presencePenalty: Double
    /// Subtracted from a token's logit once per time it was generated (`frequency_penalty`).
    public var frequencyPenalty: Double
    /// Added to single tokens' logits, sorted by token id, one entry per token.
    public var logitBias: [LogitBias]
    /// nil: no log probabilities; else each output token's log probability and this many
    /// most likely alternatives (0…20).
    public var topLogprobs: Int?
    /// A GBNF grammar (root rule `root`) the output must match; empty for none.
    public var grammar: String

    /// Greedy decoding of at most `maxTokens` tokens.
    public static func greedy(maxTokens: Int = 128) -> SamplingParameters {
        SamplingParameters(temperature: 0, topK: 0, topP: 1, seed: 0, maxTokens: maxTokens, stop: [])
    }

    /// Creates parameters; call `validate()` before use (the engine does).
    public init(temperature: Double = 0, topK: Int = 40, topP: Double = 0.95, seed: UInt64 = 0,
                maxTokens: Int = 128, stop: [String] = [], presencePenalty: Double = 0, frequencyPenalty: Double = 0,
                logitBias: [LogitBias] = [], topLogprobs: Int? = nil, grammar: String = "") {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
        self.maxTokens = maxTokens
        self.stop = stop
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.logitBias = logitBias
        self.topLogprobs = topLogprobs
        self.grammar = grammar
    }

    /// Whether these parameters select greedy decoding.
    public var isGreedy: Bool { temperature == 0 }

    /// Whether logits are adjusted before a choice (bias or penalties).
    public var adjustsLogits: Bool { !logitBias.isEmpty || presencePenalty != 0 || frequencyPenalty != 0 }

    /// Throws the first value out of range, naming the OpenAI parameter.
    public func validate() throws(JobInputError) {
        guard temperature.isFinite, temperature >= 0, temperature <= JobLimits.maxTemperature else {
            throw JobInputError("temperature", "temperature must be between 0 and \(JobLimits.maxTemperature), got \(temperature)")
        }
        guard topK >= 0, topK <= JobLimits.maxTopK else {
            throw JobInputError("top_k", "top_k must be between 0 (off) and \(JobLimits.maxTopK), got \(topK)")
        }
        guard topP.isFinite, topP > 0, topP <= 1 else {
            throw JobInputError("top_p", "top_p must be in (0, 1], got \(topP)")
        }
        guard maxTokens >= 1, maxTokens <= JobLimits.maxTokens else {
            throw JobInputError("max_tokens", "max_tokens must be between 1 and \(JobLimits.maxTokens), got \(maxTokens)")
        }
        guard stop.count <= JobLimits.maxStopSequences else {
            throw JobInputError("stop", "at most \(JobLimits.maxStopSequences) stop sequences, got \(stop.count)")
        }
        for s in stop where s.isEmpty || s.utf8.count > JobLimits.maxStopBytes {
            throw JobInputError("stop", "a stop sequence must have 1 to \(JobLimits.maxStopBytes) bytes, got \(s.utf8.count)")
        }
        for (name, v) in [("presence_penalty", presencePenalty), ("frequency_penalty", frequencyPenalty)]
        where !(v.isFinite && abs(v) <= JobLimits.maxPenalty) {
            throw JobInputError(name, "\(name) must be between -\(JobLimits.maxPenalty) and \(JobLimits.maxPenalty), got \(v)")
        }
        guard logitBias.count <= JobLimits.maxLogitBias else {
            throw JobInputError("logit_bias", "at most \(JobLimits.maxLogitBias) logit_bias entries, got \(logitBias.count)")
        }
        var previous: Int32 = -1
        for b in logitBias {
            guard b.token > previous else {
                throw JobInputError("logit_bias", "logit_bias entries must be sorted by token id, each token once (token \(b.token))")
            }
            guard b.bias.isFinite, abs(b.bias) <= JobLimits.maxBias else {
                throw JobInputError("logit_bias", "a logit_bias value must be between -\(Int(JobLimits.maxBias)) and \(Int(JobLimits.maxBias)), got \(b.bias) for token \(b.token)")
            }
            previous = b.token
        }
        if let k = topLogprobs, !(0...JobLimits.maxTopLogprobs).contains(k) {
            throw JobInputError("top_logprobs", "top_logprobs must be between 0 and \(JobLimits.maxTopLogprobs), got \(k)")
        }
        guard grammar.utf8.count <= JobLimits.maxGrammarBytes else {
            throw JobInputError("response_format", "the grammar has \(grammar.utf8.count) bytes; the limit is \(JobLimits.maxGrammarBytes)")
        }
    }

    /// A canonical one-line description, part of the runtime fingerprint. Parameters at their
    /// defaults are left out, so older descriptions stay the same.
    public var canonicalDescription: String {
        let stops = stop.map { $0.debugDescription }.joined(separator: ",")
        var s = "temp=\(temperature) top_k=\(topK) top_p=\(topP) seed=\(seed) max_tokens=\(maxTokens) stop=[\(stops)] sampler=gumbel-splitmix64-v1"
        if presencePenalty != 0 { s += " presence_penalty=\(presencePenalty)" }
        if frequencyPenalty != 0 { s += " frequency_penalty=\(frequencyPenalty)" }
        if !logitBias.isEmpty { s += " logit_bias=\(logitBias.count)" }
        if let k = topLogprobs { s += " logprobs=\(k)" }
        if !grammar.isEmpty { s += " grammar=\(grammar.utf8.count)B" }
        return s
    }
}
