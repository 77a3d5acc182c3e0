import CLlama
import Foundation

extension LlamaWorker {
    /// Decodes slot `i`'s verification alone, stopping the graph after the final norm, and
    /// checks each claimed token against logits from `outputLayer`.
    func verificationStep(_ i: Int) {
        guard var s = slots[i] else { return }
        let started = DispatchTime.now().uptimeNanoseconds
        var decodeNanos: UInt64 = 0
        batch.n_tokens = 0
        var positions: [Int] = []
        // At most a micro-batch a step: llama.cpp keeps an output row (vocabulary × 4 bytes)
        // for every position that wants logits in a decode, for the context's lifetime, so
        // a whole long verification in one decode would grow it by up to a context's worth
        // (MemoryEstimate). A micro-batch is what llama.cpp computes at once anyway: the
        // decode splits into the same micro-batches as before, with the same results.
        for item in s.nextInputs(budget: min(Int(batchCapacity), Self.microBatch)) {
            batch.add(token: item.token, position: item.position, seq: s.seq, wantsLogits: item.wantsLogits)
            if item.wantsLogits { positions.append(item.position) }
        }
        slots[i] = s
        guard batch.n_tokens > 0 else { return }
        defer { record(started: started, decodeNanos: decodeNanos, checking: 1) }
        outputLayer.beginCapture(stop: true)
        let decodeStart = DispatchTime.now().uptimeNanoseconds
        let status = ComputeThread.decode(context, batch)
        decodeNanos = DispatchTime.now().uptimeNanoseconds - decodeStart
        let captured = outputLayer.endCapture()
        guard status == 0 else {
            finish(i, .failure(ExecutorError(.decodeFailed, "llama_decode returned \(status) for a verification of \(batch.n_tokens) tokens (1 = no room in the KV cache)")), s)
            return
        }
        guard captured == positions.count else {
            finish(i, .failure(ExecutorError(.decodeFailed, "the verification decode gave \(captured) hidden rows for \(positions.count) claimed positions")), s)
            return
        }
        s.consumeInputs()
        guard !positions.isEmpty else {
            // A step of prompt tokens only (a prompt longer than a micro-batch): nothing to check yet.
            slots[i] = s
            return
        }
        if s.checksGreedily {
            // A greedy check needs only each position's arg-max and the claimed logit.
            let claimed = positions.map { s.claimedToken(after: $0) }
            guard let sums = outputLayer.argmax(rows: 0, count: positions.count, claimed: claimed) else {
                finish(i, .failure(ExecutorError(.decodeFailed, "the engine's output layer could not compute \(positions.count) positions (out of memory?)")), s)
                return
            }
            for (k, m) in sums.enumerated() {
                s.receiveGreedy(position: positions[k], best: m.best, bestLogit: m.bestLogit, claimedLogit: m.claimedLogit)
            }
            if let result = s.finishedResult(model: model) { finish(i, result, s) } else { slots[i] = s }
            return
        }
        let vocab = model.info.vocabularySize
        let chunk = min(Self.outputChunk, max(1, positions.count))
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunk * vocab)
        defer { buffer.deallocate() }
        for c0 in stride(from: 0, to: positions.count, by: chunk) {
            let n = min(chunk, positions.count - c0)
            guard outputLayer.logits(rows: c0, count: n, into: buffer) else {
                finish(i, .failure(ExecutorError(.decodeFailed, "the engine's output layer could not compute \(n) positions (out of memory?)")), s)
                return
            }
            for k in 0..<n {
                s.receive(logits: UnsafeBufferPointer(rebasing: buffer[(k * vocab)..<((k + 1) * vocab)]),
                          position: positions[c0 + k], model: model)
            }
        }
        if let result = s.finishedResult(model: model) {
            finish(i, result, s)
        } else {
            slots[i] = s
        }
    }
}
