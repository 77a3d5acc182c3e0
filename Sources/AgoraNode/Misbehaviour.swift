import AgoraExecutor

/// A way a node can misbehave, for testing that the network withstands it: most lie about
/// a job's result (validators must catch them); the others attack the protocol around honest
/// results (`liesAboutResults` false). Only the `agora-byzantine` executable (the testnet's
/// byzantine nodes) can set one: `agora node` refuses a configuration that names it. A lying
/// provider still signs, proves and delivers its result as an honest one would; only the
/// output is wrong.
public enum Misbehaviour: String, Sendable, Codable, CaseIterable {
    /// Generate as if the job had no stop sequences: the output runs past its stop point.
    case ignoreStop = "ignore-stop"
    /// Return logprobs 0.25 higher than the model's.
    case alterLogprobs = "alter-logprobs"
    /// Generate as if the job had no grammar: the output may leave it.
    case ignoreGrammar = "ignore-grammar"
    /// Replace the middle generated token with another one (text to match).
    case alterToken = "alter-token"
    /// Return only the first half of the generated tokens, as if generation had stopped.
    case truncate = "truncate"
    /// Sample at temperature 1 (a cheaper, different generation) and claim the job's own
    /// sampling.
    case resample = "resample"
    /// Bid like anyone, take awards, and never deliver (the job "runs" until it is cancelled).
    case neverDeliver = "never-deliver"
    /// Advertise and bid with ten times the measured speed, to win awards with estimates it
    /// cannot keep (its results are honest; requesters learn what its estimates are worth).
    case falseSpeed = "false-speed"
    /// Resend messages received from peers, unchanged (replays) and with one byte of their
    /// signature changed (forgeries), to their senders and to other peers.
    case replay = "replay"
    /// Keep 32 jobs of its own open at all times (a requester flooding the network).
    case flood = "flood"
    /// Serve another model's file under the id of the model it claims (the file's cached
    /// `<file>.sha256` forged to that id): every result is the other model's.
    case substituteModel = "substitute-model"
    /// Serve a cheaper quantisation of the model it claims (Q4_0 re-quantised from the claimed
    /// file) under the claimed model's id, the same way as `substituteModel`.
    case substituteQuantisation = "substitute-quantisation"
    /// Serve honestly, and fail every result it is asked to check (a validator that lies to
    /// take honest providers out of the market).
    case lyingValidator = "lying-validator"

    /// Whether this mode's results are wrong (validators must catch them); false for the
    /// modes that attack the protocol around honest results.
    public var liesAboutResults: Bool {
        switch self {
        case .ignoreStop, .alterLogprobs, .ignoreGrammar, .alterToken, .truncate, .resample, .neverDeliver, .substituteModel,
             .substituteQuantisation:
            return true
        case .falseSpeed, .replay, .flood, .lyingValidator: return false
        }
    }

    /// Whether this node serves another file than the one it claims (its checks of others'
    /// results run on that file too, so its verdicts say nothing).
    public var substitutesWeights: Bool { self == .substituteModel || self == .substituteQuantisation }

    /// The factor this node applies to its measured speeds in its peer record and its bids.
    public var speedClaim: Double { self == .falseSpeed ? 10 : 1 }

    /// The job this provider really runs instead of `request`.
    func run(_ request: GenerationRequest) -> GenerationRequest {
        var r = request
        switch self {
        case .ignoreStop: r.parameters.stop = []
        case .ignoreGrammar: r.parameters.grammar = ""
        case .resample:
            r.parameters.temperature = 1
            r.parameters.seed = r.parameters.seed &+ 0x5EED
        case .alterLogprobs, .alterToken, .truncate, .neverDeliver, .falseSpeed, .replay, .flood, .substituteModel,
             .substituteQuantisation, .lyingValidator: break
        }
        return r
    }

    /// The tokens it returns for the ones it generated (nil: unchanged); `vocabulary` is
    /// the model's size, so a replaced token is still a real one.
    func tamper(_ tokens: [Int32], vocabulary: Int32) -> [Int32]? {
        switch self {
        case .alterToken:
            guard !tokens.isEmpty, vocabulary > 1 else { return nil }
            var t = tokens
            let i = t.count / 2
            t[i] = (t[i] + 1 + Int32(i % 7)) % vocabulary
            return t
        case .truncate:
            guard tokens.count >= 2 else { return nil }
            return Array(tokens.prefix(tokens.count / 2))
        case .ignoreStop, .alterLogprobs, .ignoreGrammar, .resample, .neverDeliver, .falseSpeed, .replay, .flood, .substituteModel,
             .substituteQuantisation, .lyingValidator:
            return nil
        }
    }

    /// The output it returns for what it ran.
    func report(_ logprobs: [TokenLogprob]) -> [TokenLogprob] {
        guard self == .alterLogprobs else { return logprobs }
        return logprobs.map { var l = $0; l.logprob += 0.25; return l }
    }
}
