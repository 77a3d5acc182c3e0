/// What each of a worker's sequences holds in the KV cache after its job ended, so that the
/// next job whose prompt shares a prefix with it starts after that prefix (llama.cpp's
/// server does the same with `cache_prompt`). Every chat request shares its template's
/// system prompt; a conversation shares its earlier turns; a validator checking a result
/// shares the prompt with the jobs it ran itself.
///
/// Reuse is exact: keys and values of a token depend only on the tokens before it, never on
/// the batch that computed them (the build and context settings that make checks exact make
/// this so too; `LlamaWorker.batchInvariant`), so a job started from a kept prefix computes
/// the same bits as one computed from scratch. `PrefixCacheTests` checks it on the model.
struct PrefixCache {
    /// The tokens at positions 0..<count of each sequence.
    private var held: [[Int32]]

    init(sequences: Int) { held = Array(repeating: [], count: sequences) }

    /// Tokens sequence `seq` holds.
    func tokens(of seq: Int) -> [Int32] { held[seq] }

    /// Among `free` sequences, the one that shares the longest prefix with `prompt`, and how
    /// many of its tokens a job may reuse: never the whole prompt, since the last prompt
    /// token is decoded again for the logits that choose (or check) the first output token.
    /// Ties go to the sequence holding the fewest tokens, so longer prefixes stay for others.
    func choose(for prompt: [Int32], among free: [Int]) -> (seq: Int, reuse: Int)? {
        var best: (seq: Int, reuse: Int, held: Int)?
        for s in free {
            let reuse = min(Self.commonPrefix(held[s], prompt), max(0, prompt.count - 1))
            if let b = best, reuse < b.reuse || (reuse == b.reuse && held[s].count >= b.held) { continue }
            best = (s, reuse, held[s].count)
        }
        return best.map { ($0.seq, $0.reuse) }
    }

    /// Sequence `seq` now holds `tokens` (positions 0..<count).
    mutating func set(_ seq: Int, to tokens: [Int32]) { held[seq] = tokens }

    /// Sequence `seq` keeps only its first `count` tokens.
    mutating func truncate(_ seq: Int, to count: Int) { held[seq] = Array(held[seq].prefix(count)) }

    /// Sequence `seq` holds nothing (its cells were cleared, or their content is unknown).
    mutating func clear(_ seq: Int) { held[seq] = [] }

    static func commonPrefix(_ a: [Int32], _ b: [Int32]) -> Int {
        var n = 0
        let limit = min(a.count, b.count)
        while n < limit, a[n] == b[n] { n += 1 }
        return n
    }
}
