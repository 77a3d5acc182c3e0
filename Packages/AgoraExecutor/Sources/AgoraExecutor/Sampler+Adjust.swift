import AgoraJob
import Foundation

/// Protocol.md §7.4a steps 1, 3 and 5: logit adjustments, the grammar's choice and logprobs.
extension Sampler {
    /// Step 1: `logits` with biases added and penalties for the tokens generated so far
    /// (`counts[token]` times) subtracted, in single precision, in that order.
    static func adjusted(_ logits: UnsafeBufferPointer<Float>, _ p: SamplingParameters, counts: [Int32: Int]) -> [Float] {
        var out = Array(logits)
        for b in p.logitBias where Int(b.token) < out.count { out[Int(b.token)] += Float(b.bias) }
        let presence = Float(p.presencePenalty), frequency = Float(p.frequencyPenalty)
        if presence != 0 || frequency != 0 {
            for (token, c) in counts where c > 0 && Int(token) < out.count {
                out[Int(token)] -= presence + Float(c) * frequency
            }
        }
        return out
    }

    /// The score by which sampling ranks `token` at `position`: `L + T·g`, or `L` when greedy.
    static func score(_ logits: UnsafeBufferPointer<Float>, _ p: SamplingParameters, position: Int, token: Int32) -> Double {
        let l = Double(logits[Int(token)])
        return p.isGreedy ? l : l + p.temperature * gumbel(seed: p.seed, position: position, token: token)
    }

    /// Step 3: the choice under a grammar. The highest-scoring kept token the grammar allows;
    /// if none, the highest-scoring allowed token of the whole vocabulary (nil if the grammar
    /// allows nothing).
    static func choose(_ logits: UnsafeBufferPointer<Float>, _ p: SamplingParameters, position: Int,
                       grammar: Grammar) -> Int32? {
        func better(_ a: Int32, _ sa: Double, than b: Int32, _ sb: Double) -> Bool { sa > sb || (sa == sb && a < b) }
        if p.isGreedy {
            let best = argmax(logits)
            if grammar.allows(best) { return best }
        } else {
            let kept = keptTokens(logits, p)
            var order = kept.map { ($0, score(logits, p, position: position, token: $0)) }
            order.sort { better($0.0, $0.1, than: $1.0, $1.1) }
            if let first = order.first(where: { grammar.allows($0.0) }) { return first.0 }
        }
        let mask = grammar.allowedMask()
        var best: Int32?
        var bestScore = -Double.infinity
        for i in 0..<logits.count where mask[i] {
            let s = score(logits, p, position: position, token: Int32(i))
            if let b = best, !better(Int32(i), s, than: b, bestScore) { continue }
            best = Int32(i); bestScore = s
        }
        return best
    }

    /// `log Σ exp(L_k)` in double precision.
    static func logNormalizer(_ logits: UnsafeBufferPointer<Float>) -> Double {
        let maxLogit = Double(logits.max() ?? 0)
        var sum = 0.0
        for l in logits { sum += exp(Double(l) - maxLogit) }
        return maxLogit + log(sum)
    }

    /// Step 5: `token`'s log probability under `logits` and the `k` most likely tokens, each
    /// with its text as `piece` spells it.
    static func logprob(_ logits: UnsafeBufferPointer<Float>, token: Int32, top k: Int,
                        piece: (Int32) -> [UInt8]) -> TokenLogprob {
        let logZ = logNormalizer(logits)
        func lp(_ t: Int32) -> Float { Float(Double(logits[Int(t)]) - logZ) }
        let top = k > 0 ? ranked(logits, floor: -.infinity, limit: k) : []
        func text(_ t: Int32) -> [UInt8] { Array(piece(t).prefix(TokenLogprob.maxTokenBytes)) }
        return TokenLogprob(logprob: lp(token), bytes: text(token),
                            top: top.map { TokenLogprob.Alternative(token: $0, logprob: lp($0), bytes: text($0)) })
    }
}

extension Sampler {
    /// Why `claimed` logprobs are not the model's (`computed` from the same `logits`), or nil.
    /// Exact checks want every value and alternative bit for bit; tolerant ones want each
    /// claimed value within `2·tolerance` of the validator's for the same token.
    static func logprobMismatch(claimed: TokenLogprob, computed: TokenLogprob, logits: UnsafeBufferPointer<Float>,
                                exact: Bool, tolerance: Double) -> String? {
        guard claimed.top.count == computed.top.count else {
            return "\(claimed.top.count) alternatives where the job asks for \(computed.top.count)"
        }
        if claimed.bytes != computed.bytes { return "the token's text is not the vocabulary's" }
        if exact {
            if claimed.logprob.bitPattern != computed.logprob.bitPattern {
                return "logprob \(claimed.logprob), the model gives \(computed.logprob)"
            }
            for (a, b) in zip(claimed.top, computed.top) where a.token != b.token || a.logprob.bitPattern != b.logprob.bitPattern {
                return "alternative \(a.token) (\(a.logprob)), the model gives \(b.token) (\(b.logprob))"
            }
            return nil
        }
        let bound = 2 * tolerance
        if !(abs(Double(claimed.logprob) - Double(computed.logprob)) <= bound) {
            return "logprob \(claimed.logprob), the model gives \(computed.logprob)"
        }
        let logZ = logNormalizer(logits)
        for a in claimed.top {
            guard a.token >= 0, Int(a.token) < logits.count else { return "alternative \(a.token) is outside the vocabulary" }
            let mine = Double(logits[Int(a.token)]) - logZ
            if !(abs(Double(a.logprob) - mine) <= bound) { return "alternative \(a.token) (\(a.logprob)), the model gives \(mine)" }
            if let same = computed.top.first(where: { $0.token == a.token }), same.bytes != a.bytes {
                return "alternative \(a.token)'s text is not the vocabulary's"
            }
        }
        return nil
    }
}
