/// One job inside `LlamaWorker`: its sequence in the batch, its progress and its output.
/// Owned by the worker thread.
struct Slot {
    let job: Job
    let seq: Int32
    let fingerprint: RuntimeFingerprint
    /// Prompt tokens (plus the claimed output, for a verification).
    private let inputs: [Int32]
    private let promptCount: Int
    private let claimedCount: Int
    /// Tokens in the KV cache so far, and tokens handed to the current batch.
    private var fed = 0
    private var scheduled = 0
    private(set) var output: [Int32] = []
    private var text: TextAccumulator
    private var finishReason: FinishReason?
    private var checks: [Sampler.TokenCheck?]
    private var topPOK: [Bool]
    private let admitted = Clock.seconds()
    private var firstTokenAt: Double?
    private var lastTokenAt: Double?
    /// The job's grammar state, when it has one.
    private let grammar: Grammar?
    /// How often each token occurs in the output so far (for penalties).
    private var counts: [Int32: Int] = [:]
    /// Logprobs of the generated tokens, when the job asks for them.
    private var logprobs: [TokenLogprob] = []
    /// The first claimed token the grammar rejects, or the first claimed logprob that differs
    /// (verification only).
    private var grammarFailure: (Int, String)?
    private var logprobFailure: (Int, String)?

    /// One token for the next batch.
    struct Input {
        var token: Int32
        var position: Int
        var wantsLogits: Bool
    }

    /// Prompt tokens whose keys and values the sequence already held (`PrefixCache`).
    let reused: Int

    /// A slot for `job` in sequence `seq`, whose first `reused` prompt tokens are already in
    /// the KV cache.
    init(job: Job, seq: Int32, reused: Int = 0, fingerprint: RuntimeFingerprint, model: LlamaModel) throws(ExecutorError) {
        if job.parameters.grammar.isEmpty {
            grammar = nil
        } else {
            guard let g = Grammar(job.parameters.grammar, model: model) else {
                throw ExecutorError(.invalidParameter, "the job's grammar does not parse (GBNF, root rule `root`)")
            }
            grammar = g
        }
        self.job = job
        self.seq = seq
        var f = fingerprint
        f.sampling = job.parameters.canonicalDescription
        f.seed = job.parameters.seed
        self.fingerprint = f
        promptCount = job.prompt.count
        text = TextAccumulator(stop: job.parameters.stop)
        switch job.kind {
        case .generate:
            inputs = job.prompt
            claimedCount = 0
        case .verify(let claimed, _, _, _):
            inputs = job.prompt + claimed
            claimedCount = claimed.count
        }
        checks = Array(repeating: nil, count: claimedCount)
        topPOK = Array(repeating: true, count: claimedCount)
        self.reused = min(max(0, reused), max(0, promptCount - 1))
        fed = self.reused
    }

    /// The tokens whose keys and values the sequence holds now (positions 0..<count): the
    /// inputs decoded so far and, for a generation, the output tokens fed back.
    var decodedTokens: [Int32] {
        let all = fed <= inputs.count ? inputs : inputs + output
        return Array(all.prefix(fed))
    }

    /// Whether this slot checks a claimed result rather than generating.
    var isVerification: Bool {
        if case .verify = job.kind { return true }
        return false
    }

    /// Whether this is a verification with tokens still to decode.
    var awaitsVerificationDecode: Bool { isVerification && fed < inputs.count }

    /// The tokens this slot adds to the next batch (at most `budget`).
    mutating func nextInputs(budget: Int) -> [Input] {
        guard budget > 0 else { return [] }
        if fed < inputs.count {
            let n = min(inputs.count - fed, budget)
            scheduled = n
            let lastLogit = isVerification ? inputs.count - 2 : promptCount - 1
            return (fed..<(fed + n)).map { k in
                Input(token: inputs[k], position: k, wantsLogits: k >= promptCount - 1 && k <= lastLogit)
            }
        }
        guard !isVerification, finishReason == nil, let last = output.last else { return [] }
        scheduled = 1
        return [Input(token: last, position: fed, wantsLogits: true)]
    }

    /// The batch holding the scheduled tokens was decoded.
    mutating func consumeInputs() {
        fed += scheduled
        scheduled = 0
    }

    /// Logits for `position` arrived: sample the next token, or check a claimed one.
    mutating func receive(logits raw: UnsafeBufferPointer<Float>, position: Int, model: LlamaModel) {
        let p = job.parameters
        guard p.adjustsLogits else { return receiveAdjusted(logits: raw, position: position, model: model) }
        let adjusted = Sampler.adjusted(raw, p, counts: counts)
        adjusted.withUnsafeBufferPointer { receiveAdjusted(logits: $0, position: position, model: model) }
    }

    /// `receive` after Protocol.md §7.4a step 1.
    private mutating func receiveAdjusted(logits: UnsafeBufferPointer<Float>, position: Int, model: LlamaModel) {
        let index = position - (promptCount - 1)
        let p = job.parameters
        switch job.kind {
        case .verify(_, _, let mode, let claimedLogprobs):
            let claimed = inputs[position + 1]
            counts[claimed, default: 0] += 1
            if let k = p.topLogprobs, logprobFailure == nil, index < claimedLogprobs.count {
                let mine = Sampler.logprob(logits, token: claimed, top: k, piece: { model.piece($0) })
                if let why = Sampler.logprobMismatch(claimed: claimedLogprobs[index], computed: mine, logits: logits,
                                                     exact: mode == .exact, tolerance: mode.tolerance) {
                    logprobFailure = (index, "the logprobs claimed at output position \(index) are not the model's: \(why)")
                }
            }
            guard let grammar else {
                checks[index] = Sampler.check(logits, p, position: index, claimed: claimed)
                topPOK[index] = Sampler.topPAllows(logits, p, claimed: claimed, delta: mode.tolerance)
                return
            }
            guard grammarFailure == nil else { return }
            guard grammar.allows(claimed) else {
                grammarFailure = (index, "token \(claimed) at output position \(index) is not allowed by the job's grammar")
                return
            }
            if mode == .exact {
                let choice = Sampler.choose(logits, p, position: index, grammar: grammar)
                checks[index] = Sampler.TokenCheck(neededMargin: choice == claimed ? 0 : .infinity, exact: choice == claimed)
            } else {
                let mask = grammar.allowedMask()
                let masked = logits.enumerated().map { mask[$0.offset] ? $0.element : -Float.infinity }
                checks[index] = masked.withUnsafeBufferPointer { Sampler.check($0, p, position: index, claimed: claimed) }
            }
            if !model.isEndOfGeneration(claimed) { grammar.accept(claimed) }
        case .generate(let onToken, let ignoreEOG):
            let chosen: Int32?
            if let grammar { chosen = Sampler.choose(logits, p, position: index, grammar: grammar) } else {
                chosen = Sampler.choose(logits, p, position: index)
            }
            let now = Clock.seconds()
            if firstTokenAt == nil { firstTokenAt = now }
            lastTokenAt = now
            guard let token = chosen else {
                // The grammar allows nothing more (it cannot continue): the output ends here.
                finishReason = .endOfGeneration
                onToken?(GeneratedToken(index: index, id: -1, text: text.flush()))
                return
            }
            output.append(token)
            counts[token, default: 0] += 1
            if let k = p.topLogprobs { logprobs.append(Sampler.logprob(logits, token: token, top: k, piece: { model.piece($0) })) }
            let eog = model.isEndOfGeneration(token)
            if let grammar, !eog { grammar.accept(token) }
            let piece = eog ? "" : text.append(model.piece(token))
            if eog && !ignoreEOG {
                finishReason = .endOfGeneration
            } else if text.stopAt != nil {
                finishReason = .stopSequence
            } else if output.count >= p.maxTokens {
                finishReason = .maxTokens
            }
            let tail = finishReason != nil ? text.flush() : ""
            onToken?(GeneratedToken(index: index, id: token, text: piece + tail))
        }
    }

    /// Whether this job's claims are checked from arg-maxes alone (greedy verification).
    var checksGreedily: Bool {
        let p = job.parameters
        return isVerification && p.isGreedy && !p.adjustsLogits && p.grammar.isEmpty && p.topLogprobs == nil
    }

    /// The claimed token after `position` (verification only).
    func claimedToken(after position: Int) -> Int32 { inputs[position + 1] }

    /// A greedy verification's check at `position`, from the arg-max of the logits there, its
    /// logit and the claimed token's logit (NaN when the claimed token is outside the vocabulary).
    mutating func receiveGreedy(position: Int, best: Int32, bestLogit: Float, claimedLogit: Float) {
        let index = position - (promptCount - 1)
        let claimed = inputs[position + 1]
        checks[index] = Sampler.greedyCheck(best: best, bestLogit: bestLogit, claimed: claimed, claimedLogit: claimedLogit)
    }

    private func timings() -> GenerationTimings {
        let first = firstTokenAt ?? Clock.seconds()
        return GenerationTimings(
            promptTokens: promptCount, cachedPromptTokens: reused, generatedTokens: output.count,
            promptSeconds: first - admitted, generationSeconds: (lastTokenAt ?? first) - first,
            queueSeconds: admitted - job.submitted)
    }

    private func result(_ reason: FinishReason) -> GenerationResult {
        GenerationResult(promptTokens: job.prompt, tokens: output, text: text.text, finishReason: reason,
                         fingerprint: fingerprint, timings: timings(), logprobs: logprobs)
    }

    /// The outcome of a job stopped by its caller.
    func cancelledResult(model: LlamaModel) -> Result<Job.Output, ExecutorError> {
        if isVerification { return .failure(ExecutorError(.cancelled, "the verification was cancelled")) }
        return .success(.generated(result(.cancelled)))
    }

    /// The job's outcome once it is complete, else nil.
    func finishedResult(model: LlamaModel) -> Result<Job.Output, ExecutorError>? {
        switch job.kind {
        case .generate:
            guard let reason = finishReason else { return nil }
            return .success(.generated(result(reason)))
        case .verify(let claimed, let forced, let mode, _):
            guard fed == inputs.count else { return nil }
            return .success(.verified(verdict(claimed: claimed, forced: forced, model: model, mode: mode)))
        }
    }

    private func verdict(claimed: [Int32], forced: (position: Int, reason: String)?, model: LlamaModel,
                         mode: VerificationMode) -> VerificationOutcome {
        let tolerance = mode.tolerance
        let done = checks.compactMap { $0 }
        let report = VerificationReport(
            evaluatedTokens: inputs.count,
            largestMargin: done.map(\.neededMargin).max() ?? 0,
            inexactPositions: done.filter { !$0.exact }.count,
            mode: mode, seconds: Clock.seconds() - admitted)
        var failures: [(Int, String)] = []
        if let forced { failures.append(forced) }
        if let grammarFailure { failures.append(grammarFailure) }
        if let logprobFailure { failures.append(logprobFailure) }
        for (i, c) in checks.enumerated() {
            guard let c else { continue }
            if mode == .exact, !c.exact {
                failures.append((i, "token \(claimed[i]) at output position \(i) is not the token this model computes there; provider and validator share arithmetic, so the check is exact"))
                break
            }
            if c.neededMargin > tolerance {
                let margin = c.neededMargin.isFinite ? String(format: "%.3f", c.neededMargin) : "∞"
                failures.append((i, "token \(claimed[i]) at output position \(i) is not explained by the model: it needs a margin of \(margin) logits, the tolerance is \(tolerance)"))
                break
            }
            if !topPOK[i] {
                failures.append((i, "token \(claimed[i]) at output position \(i) lies outside top-p \(job.parameters.topP)"))
                break
            }
        }
        var acc = TextAccumulator(stop: job.parameters.stop)
        var endedAt: Int?
        for (i, t) in claimed.enumerated() {
            if model.isEndOfGeneration(t) { endedAt = i; break }
            _ = acc.append(model.piece(t))
            if acc.stopAt != nil { endedAt = i; break }
        }
        if let e = endedAt, e < claimed.count - 1 {
            failures.append((e + 1, "the output continues after it ended (end-of-generation or stop sequence at position \(e))"))
        }
        if endedAt == nil, forced == nil, claimed.count < job.parameters.maxTokens {
            failures.append((claimed.count, "the output stops after \(claimed.count) tokens without an end-of-generation token, a stop sequence or reaching max tokens \(job.parameters.maxTokens) (truncated?)"))
        }
        guard let first = failures.min(by: { $0.0 < $1.0 }) else { return .pass(report) }
        return .fail(position: first.0, reason: first.1, report: report)
    }
}
