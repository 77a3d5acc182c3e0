import CLlama

/// What a worker measures about its model before it serves: whether the engine's own output
/// layer matches llama.cpp's, and whether batching changes a sequence's logits.
extension LlamaWorker {
    /// Decodes a fixed text with logits at every position, captures the final norm on the
    /// way, and enables `layer` only if its logits equal llama.cpp's bit for bit.
    static func testOutputLayer(_ layer: OutputLayer, context: OpaquePointer, batch: inout llama_batch,
                                        model: LlamaModel) {
        let text = "Agora checks its own output layer against llama.cpp's before it verifies anything."
        guard let tokens = try? model.tokenize(text, addSpecial: true, parseSpecial: false), !tokens.isEmpty,
              tokens.count <= 64 else { return }
        batch.n_tokens = 0
        for (k, t) in tokens.enumerated() { batch.add(token: t, position: k, seq: 0, wantsLogits: true) }
        layer.beginCapture(stop: false)
        let status = ComputeThread.decode(context, batch)
        let rows = layer.endCapture()
        if status == 0 {
            layer.selfTest(rows: rows) { r in llama_get_logits_ith(context, Int32(r)).map { UnsafePointer($0) } }
        }
        _ = llama_memory_seq_rm(llama_get_memory(context), 0, -1, -1)
    }

    /// Decodes one token of a sequence alone, then the same token while up to three other
    /// sequences decode beside it in the same step, and compares its logits bit for bit. Some
    /// quantisations (e.g. K-quants, whose CPU kernels differ with the number of rows) give a
    /// sequence slightly different logits when others share its step; results of such a model
    /// are then checked with the tolerance, never exactly, so an honest provider that batched
    /// its jobs is not rejected.
    static func testBatchInvariance(context: OpaquePointer, batch: inout llama_batch, model: LlamaModel,
                                            sequences: Int) -> Bool {
        let others = min(3, sequences - 1)
        guard others > 0,
              let prompt = try? model.tokenize("The quick brown fox jumps over the lazy dog.", addSpecial: true, parseSpecial: false),
              let filler = try? model.tokenize("Agora checks that batching does not change a result.", addSpecial: true, parseSpecial: false),
              !prompt.isEmpty, !filler.isEmpty, prompt.count + filler.count < 128 else { return true }
        let memory = llama_get_memory(context)
        let vocab = model.info.vocabularySize
        func clear() { for s in 0...others { _ = llama_memory_seq_rm(memory, Int32(s), -1, -1) } }
        func logits(companions: Int) -> [Float]? {
            clear()
            batch.n_tokens = 0
            for (k, t) in prompt.enumerated() { batch.add(token: t, position: k, seq: 0, wantsLogits: false) }
            for s in 0..<companions {
                for (k, t) in filler.enumerated() { batch.add(token: t, position: k, seq: Int32(s + 1), wantsLogits: false) }
            }
            guard ComputeThread.decode(context, batch) == 0 else { return nil }
            batch.n_tokens = 0
            let row = batch.add(token: prompt[prompt.count - 1], position: prompt.count, seq: 0, wantsLogits: true)
            for s in 0..<companions {
                batch.add(token: filler[(s + 1) % filler.count], position: filler.count, seq: Int32(s + 1), wantsLogits: true)
            }
            guard ComputeThread.decode(context, batch) == 0, let p = llama_get_logits_ith(context, row) else { return nil }
            return Array(UnsafeBufferPointer(start: p, count: vocab))
        }
        defer { clear() }
        guard let alone = logits(companions: 0) else { return true }
        for n in 1...others {
            guard let shared = logits(companions: n) else { return true }
            if !zip(alone, shared).allSatisfy({ $0.bitPattern == $1.bitPattern }) { return false }
        }
        return true
    }
}

extension LlamaWorker {
    /// Decodes a text the way a provider generates it (a prefill, then one token at a time)
    /// and the way a validator checks it (every token in one batch, logits at each output
    /// position), and compares the logits bit for bit. ggml switches some kernels with the
    /// number of rows in a batch (its tiled K-quant products from 8 rows, repacked layouts in
    /// groups of 4), and a model whose logits change with that shape cannot be checked
    /// exactly; the companions probe of `testBatchInvariance` alone never reaches 8 rows.
    static func testCheckShapeInvariance(context: OpaquePointer, batch: inout llama_batch, model: LlamaModel) -> Bool {
        let text = "A validator decodes the prompt and the output in one batch; the provider decoded the output one token at a time."
        guard let tokens = try? model.tokenize(text, addSpecial: true, parseSpecial: false), tokens.count >= 24 else { return true }
        let all = Array(tokens.prefix(32))
        let prefill = all.count / 2
        let memory = llama_get_memory(context)
        let vocab = model.info.vocabularySize
        defer { _ = llama_memory_seq_rm(memory, 0, -1, -1) }
        // As generated: the prompt in one batch, then each later token alone.
        _ = llama_memory_seq_rm(memory, 0, -1, -1)
        var generated: [[Float]] = []
        batch.n_tokens = 0
        for k in 0..<prefill { batch.add(token: all[k], position: k, seq: 0, wantsLogits: k == prefill - 1) }
        guard ComputeThread.decode(context, batch) == 0, let first = llama_get_logits_ith(context, Int32(prefill - 1)) else { return true }
        generated.append(Array(UnsafeBufferPointer(start: first, count: vocab)))
        for k in prefill..<(all.count - 1) {
            batch.n_tokens = 0
            batch.add(token: all[k], position: k, seq: 0, wantsLogits: true)
            guard ComputeThread.decode(context, batch) == 0, let p = llama_get_logits_ith(context, 0) else { return true }
            generated.append(Array(UnsafeBufferPointer(start: p, count: vocab)))
        }
        // As checked: everything in one batch.
        _ = llama_memory_seq_rm(memory, 0, -1, -1)
        batch.n_tokens = 0
        for k in 0..<(all.count - 1) { batch.add(token: all[k], position: k, seq: 0, wantsLogits: k >= prefill - 1) }
        guard ComputeThread.decode(context, batch) == 0 else { return true }
        for (i, k) in ((prefill - 1)..<(all.count - 1)).enumerated() {
            guard let p = llama_get_logits_ith(context, Int32(k)) else { return true }
            if !zip(generated[i], UnsafeBufferPointer(start: p, count: vocab)).allSatisfy({ $0.bitPattern == $1.bitPattern }) {
                return false
            }
        }
        return true
    }
}
