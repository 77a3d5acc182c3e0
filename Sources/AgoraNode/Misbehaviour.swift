import AgoraExecutor

/// A way a provider can lie about a job, for testing that validators catch it (config.json
/// key `misbehaviour`; never set on a real node). The provider still signs, proves and
/// delivers its result as an honest one would; only the output is wrong.
public enum Misbehaviour: String, Sendable, Codable {
    /// Generate as if the job had no stop sequences: the output runs past its stop point.
    case ignoreStop = "ignore-stop"
    /// Return logprobs 0.25 higher than the model's.
    case alterLogprobs = "alter-logprobs"
    /// Generate as if the job had no grammar: the output may leave it.
    case ignoreGrammar = "ignore-grammar"

    /// The job this provider really runs instead of `request`.
    func run(_ request: GenerationRequest) -> GenerationRequest {
        var r = request
        switch self {
        case .ignoreStop: r.parameters.stop = []
        case .ignoreGrammar: r.parameters.grammar = ""
        case .alterLogprobs: break
        }
        return r
    }

    /// The output it returns for what it ran.
    func report(_ logprobs: [TokenLogprob]) -> [TokenLogprob] {
        guard self == .alterLogprobs else { return logprobs }
        return logprobs.map { var l = $0; l.logprob += 0.25; return l }
    }
}
