import Foundation

/// Token choice and its teacher-forced check, as pure functions of one row of logits.
///
/// Sampling (version `gumbel-splitmix64-v1`), for temperature `T > 0`:
/// 1. candidates are the tokens whose logit is within `40·T` of the largest (the rest have
///    probability below e⁻⁴⁰ relative to the best);
/// 2. they are sorted by logit, descending (ties: lower id first) and cut to `topK` (0 = off);
/// 3. with probabilities `softmax(logit / T)` over what is left, the shortest prefix whose
///    cumulative probability reaches `topP` is kept (at least one token);
/// 4. the chosen token maximises `logit + T · g(seed, position, id)` over the kept tokens,
///    where `g` is Gumbel noise drawn from a counter-based hash (`gumbel`). By the Gumbel-max
///    trick this samples the softmax distribution; and since every draw is a pure function of
///    the seed, a validator can re-derive it.
/// For `T = 0` the choice is the arg-max (ties: lower id).
///
/// The check of a claimed token `c` against a validator's logits `L` computes the smallest
/// tolerance `δ` (in logit units) under which `c` is explained: a token `j` with
/// `L_j > L_c + δ` would have been kept whenever `c` was, so `c` needs
/// `L_c + T·g_c ≥ L_j + T·g_j − δ`; hence `δ ≥ min(L_j − L_c, s_j − s_c)` for every
/// `j` above `c`, and with `topK = k`, `δ ≥ L_(k) − L_c` (the k-th largest logit).
/// For greedy decoding this is `max L − L_c`.
public enum Sampler {
    /// Tokens whose logit is more than `candidateWindow · T` below the best are never sampled.
    static let candidateWindow: Float = 40

    /// Gumbel noise for `(seed, position, token)`: SplitMix64 over the three, mapped to a
    /// uniform `u` in (0, 1), then `−log(−log u)`.
    public static func gumbel(seed: UInt64, position: Int, token: Int32) -> Double {
        -log(-log(uniform(seed: seed, position: position, token: token)))
    }

    /// The uniform draw `u` in (0, 1) behind `gumbel(seed:position:token:)`.
    @inline(__always)
    static func uniform(seed: UInt64, position: Int, token: Int32) -> Double {
        var x = splitMix(seed ^ 0x6167_6F72_615F_7631)  // "agora_v1"
        x = splitMix(x ^ UInt64(truncatingIfNeeded: position))
        x = splitMix(x ^ UInt64(UInt32(bitPattern: token)))
        return (Double(x >> 11) + 0.5) * 0x1p-53
    }

    @inline(__always)
    static func splitMix(_ v: UInt64) -> UInt64 {
        var z = v &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Chooses the token at output `position` from `logits`.
    public static func choose(_ logits: UnsafeBufferPointer<Float>, _ p: SamplingParameters, position: Int) -> Int32 {
        if p.isGreedy { return argmax(logits) }
        if p.topK <= 0 && p.topP >= 1 { return gumbelMax(logits, p, position: position) }
        let kept = keptTokens(logits, p)
        let t = p.temperature
        var best = kept[0], bestScore = -Double.infinity
        for id in kept {
            let s = Double(logits[Int(id)]) + t * gumbel(seed: p.seed, position: position, token: id)
            if s > bestScore || (s == bestScore && id < best) { best = id; bestScore = s }
        }
        return best
    }

    /// Step 4 over every candidate (steps 2 and 3 cut nothing when `topK` is 0 and `topP` 1),
    /// without sorting them: the choice maximises the score with ties to the lower id, which
    /// no order changes. Most candidates are passed over on their hash alone: one whose logit
    /// is more than `skipGap·T` below the best score so far can only win with Gumbel noise
    /// above `skipGap`, which needs `u > e^(−e^(−skipGap))` (0.98168…); for `u ≤ skipU` its
    /// noise is at most −log(−log 0.98) = 3.902… < `skipGap`, and its score stays below the best.
    /// So the result is the same as scoring every candidate (`SamplerTests`), at a fiftieth of
    /// the logarithms.
    static func gumbelMax(_ logits: UnsafeBufferPointer<Float>, _ p: SamplingParameters, position: Int) -> Int32 {
        let t = p.temperature
        let top = argmax(logits)
        let floor = logits[Int(top)] - candidateWindow * Float(t)
        var best = top
        var bestScore = Double(logits[Int(top)]) + t * gumbel(seed: p.seed, position: position, token: top)
        for i in 0..<logits.count where logits[i] >= floor && i != Int(top) {
            let id = Int32(i), l = Double(logits[i])
            if (bestScore - l) > skipGap * t && uniform(seed: p.seed, position: position, token: id) <= skipU { continue }
            let s = l + t * gumbel(seed: p.seed, position: position, token: id)
            if s > bestScore || (s == bestScore && id < best) { best = id; bestScore = s }
        }
        return best
    }

    /// A candidate this far below the best score (in units of `T`) is passed over when its
    /// uniform draw is at most `skipU` (see `gumbelMax`).
    static let skipGap = 4.0
    static let skipU = 0.98

    /// The arg-max of `logits` (ties: lower id).
    static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        var bestValue = -Float.infinity
        for i in 0..<logits.count where logits[i] > bestValue { best = i; bestValue = logits[i] }
        return Int32(best)
    }

    /// Steps 1–3: the kept tokens, most likely first.
    static func keptTokens(_ logits: UnsafeBufferPointer<Float>, _ p: SamplingParameters) -> [Int32] {
        let maxLogit = logits.max() ?? 0
        var cands = ranked(logits, floor: maxLogit - candidateWindow * Float(p.temperature), limit: p.topK)
        if p.topP < 1 {
            let t = p.temperature
            let weights = cands.map { exp((Double(logits[Int($0)]) - Double(maxLogit)) / t) }
            let total = weights.reduce(0, +)
            var cumulative = 0.0
            var keep = 0
            while keep < cands.count {
                cumulative += weights[keep] / total
                keep += 1
                if cumulative >= p.topP { break }
            }
            cands.removeLast(cands.count - keep)
        }
        return cands
    }

    /// Tokens with logit ≥ `floor`, most likely first (ties: lower id first), at most `limit`
    /// of them (0 = all). Keeps a sorted top list instead of sorting the whole vocabulary.
    static func ranked(_ logits: UnsafeBufferPointer<Float>, floor: Float, limit: Int) -> [Int32] {
        @inline(__always) func before(_ a: Int32, _ b: Int32) -> Bool {
            let la = logits[Int(a)], lb = logits[Int(b)]
            return la != lb ? la > lb : a < b
        }
        if limit <= 0 || limit > 256 {
            var all: [Int32] = []
            for i in 0..<logits.count where logits[i] >= floor { all.append(Int32(i)) }
            all.sort(by: before)
            if limit > 0, all.count > limit { all.removeLast(all.count - limit) }
            return all
        }
        var top: [Int32] = []
        top.reserveCapacity(limit + 1)
        for i in 0..<logits.count where logits[i] >= floor {
            let id = Int32(i)
            if top.count == limit, let last = top.last, !before(id, last) { continue }
            var lo = 0, hi = top.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if before(top[mid], id) { lo = mid + 1 } else { hi = mid }
            }
            top.insert(id, at: lo)
            if top.count > limit { top.removeLast() }
        }
        return top
    }

    /// The result of checking one claimed token.
    public struct TokenCheck: Sendable, Equatable {
        /// The smallest tolerance (logit units) under which the claimed token is explained
        /// (0 when it is the validator's own choice); infinite for an impossible token.
        public var neededMargin: Double
        /// Whether the claimed token is exactly the validator's own choice.
        public var exact: Bool
    }

    /// Checks `claimed` at output `position` against the validator's `logits`.
    public static func check(_ logits: UnsafeBufferPointer<Float>, _ p: SamplingParameters, position: Int,
                             claimed: Int32) -> TokenCheck {
        guard claimed >= 0, Int(claimed) < logits.count else { return TokenCheck(neededMargin: .infinity, exact: false) }
        let lc = Double(logits[Int(claimed)])
        if p.isGreedy {
            // One pass: the arg-max also gives the largest logit.
            let best = argmax(logits)
            return greedyCheck(best: best, bestLogit: logits[Int(best)], claimed: claimed, claimedLogit: logits[Int(claimed)])
        }
        let exact = choose(logits, p, position: position) == claimed
        let t = p.temperature
        let sc = lc + t * gumbel(seed: p.seed, position: position, token: claimed)
        var needed = 0.0
        for j in 0..<logits.count {
            let lj = Double(logits[j])
            guard lj - lc > needed else { continue }  // cannot raise `needed`
            let sj = lj + t * gumbel(seed: p.seed, position: position, token: Int32(j))
            needed = max(needed, min(lj - lc, sj - sc))
        }
        if p.topK > 0 {
            let top = ranked(logits, floor: -.infinity, limit: p.topK)
            if top.count == p.topK { needed = max(needed, Double(logits[Int(top[p.topK - 1])]) - lc) }
        }
        // Outside the candidate window nothing is ever sampled.
        let maxLogit = Double(logits.max() ?? 0)
        needed = max(needed, maxLogit - Double(candidateWindow) * t - lc)
        return TokenCheck(neededMargin: needed, exact: exact)
    }

    /// The check of a greedy claim from the arg-max `best` (ties: lower id), its logit and the
    /// claimed token's logit: what `check` computes for `T = 0`.
    public static func greedyCheck(best: Int32, bestLogit: Float, claimed: Int32, claimedLogit: Float) -> TokenCheck {
        guard !claimedLogit.isNaN else { return TokenCheck(neededMargin: .infinity, exact: false) }
        return TokenCheck(neededMargin: max(0, Double(bestLogit) - Double(claimedLogit)), exact: best == claimed)
    }

    /// Whether a top-p cut can explain `claimed` under tolerance `delta`: the probability
    /// mass of the tokens certainly above it (logit more than `delta` higher) must stay
    /// below `topP · e^(2δ/T)`, the most that logit errors of `δ` can shift it.
    static func topPAllows(_ logits: UnsafeBufferPointer<Float>, _ p: SamplingParameters, claimed: Int32,
                           delta: Double) -> Bool {
        guard !p.isGreedy, p.topP < 1, claimed >= 0, Int(claimed) < logits.count else { return true }
        let bound = p.topP * exp(2 * delta / p.temperature)
        if bound >= 1 { return true }
        let t = p.temperature
        let maxLogit = Double(logits.max() ?? 0)
        let lc = Double(logits[Int(claimed)])
        let floor = Float(maxLogit - Double(candidateWindow) * t)
        let sorted = ranked(logits, floor: floor, limit: p.topK).map { Double(logits[Int($0)]) }
        let weights = sorted.map { exp(($0 - maxLogit) / t) }
        let total = weights.reduce(0, +)
        var mass = 0.0
        for (l, w) in zip(sorted, weights) where l > lc + delta { mass += w / total }
        return mass < bound
    }
}
