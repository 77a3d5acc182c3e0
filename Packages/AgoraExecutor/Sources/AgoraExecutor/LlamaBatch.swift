import CLlama

extension llama_batch {
    /// Appends one token of sequence `seq` at `position`; returns its row in the batch.
    /// The caller keeps `n_tokens` below the capacity the batch was created with.
    @discardableResult
    mutating func add(token: Int32, position: Int, seq: Int32, wantsLogits: Bool) -> Int32 {
        let k = Int(n_tokens)
        self.token[k] = token
        pos[k] = Int32(position)
        n_seq_id[k] = 1
        seq_id[k]![0] = seq
        logits[k] = wantsLogits ? 1 : 0
        n_tokens += 1
        return Int32(k)
    }
}
