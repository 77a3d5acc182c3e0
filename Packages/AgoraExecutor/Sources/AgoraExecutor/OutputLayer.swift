import CLlama
import COutputLayer
import Foundation

/// The model's output layer (lm_head), computed by the engine itself for verification.
///
/// A verification needs logits at every claimed position, where a prompt pass needs them at
/// one; in llama.cpp that output layer (Q8_0, vocabulary × embedding) is a fifth of the work.
/// The engine instead stops each verification decode after the final norm (`result_norm`),
/// takes those hidden rows, and computes the logits with an AVX-512 VNNI kernel
/// (`COutputLayer`) whose every value is bit-identical to ggml's AVX2 dot product: the
/// integer part of each block dot is exact in both, and the float steps (one fused
/// multiply-add per block and lane, then a fixed sum of the eight lanes) are the same.
///
/// It is used only after `selfTest` has compared it bit for bit with llama.cpp's own logits
/// on the loaded model; otherwise llama.cpp computes the logits as before.
/// Owned by the worker thread (the evaluation callback runs on the thread that calls
/// `llama_decode`).
final class OutputLayer: @unchecked Sendable {
    /// What the evaluation callback does during the next `llama_decode`.
    enum Mode {
        /// Nothing (every node runs, at the cost of one check per node).
        case off
        /// Copies the rows of `result_norm`; when `stop`, skips the rest of the graph
        /// (the output layer), and the decode's own logits are not meaningful.
        case capture(stop: Bool)
    }

    /// The output weights as found in the graph (Q8_0, `rows` × `blocks` blocks of 32).
    /// Safety: the model's weights are never written after loading.
    struct Weights: @unchecked Sendable {
        let base: UnsafeRawPointer
        let rows: Int
        let blocks: Int
    }

    var mode: Mode = .off
    /// Hidden rows captured since `beginCapture` (row-major, `embedding` floats each).
    private(set) var captured: [Float] = []
    private(set) var weights: Weights?
    /// Whether verification uses this layer (set by `selfTest`).
    private(set) var enabled = false
    /// Why it is not enabled (for diagnostics), or nil.
    private(set) var disabledReason: String? = "not tested yet"
    let embedding: Int
    let threads: Int

    init(embedding: Int, threads: Int) {
        self.embedding = embedding
        self.threads = max(1, threads)
    }

    /// Starts a capture for the next decode.
    func beginCapture(stop: Bool) {
        captured.removeAll(keepingCapacity: true)
        mode = .capture(stop: stop)
    }

    /// Ends a capture; returns the number of rows captured.
    func endCapture() -> Int {
        mode = .off
        return captured.count / max(1, embedding)
    }

    /// The callback passed to `llama_context_params.cb_eval`; `userData` is an unretained `OutputLayer`.
    static let callback: ggml_backend_sched_eval_callback = { tensor, ask, userData in
        guard let tensor, let userData else { return false }
        let layer = Unmanaged<OutputLayer>.fromOpaque(userData).takeUnretainedValue()
        guard case .capture(let stop) = layer.mode else { return false }
        return layer.observe(tensor, ask: ask, stop: stop)
    }

    private static let nameOffset = MemoryLayout<ggml_tensor>.offset(of: \ggml_tensor.name) ?? 0

    private static func name(of t: UnsafeMutablePointer<ggml_tensor>, is literal: String) -> Bool {
        let p = UnsafeRawPointer(t).advanced(by: nameOffset).assumingMemoryBound(to: CChar.self)
        return strcmp(p, literal) == 0
    }

    private func observe(_ t: UnsafeMutablePointer<ggml_tensor>, ask: Bool, stop: Bool) -> Bool {
        if ask {
            if Self.name(of: t, is: "result_output") { locate(t) }
            return Self.name(of: t, is: "result_norm")
        }
        guard Self.name(of: t, is: "result_norm") else { return true }
        let n = t.pointee
        let rows = Int(n.ne.1)
        guard n.type == GGML_TYPE_F32, Int(n.ne.0) == embedding, Int(n.nb.0) == 4,
              Int(n.nb.1) == embedding * 4, let data = n.data else {
            // Not the layout the kernel reads: let the graph finish and report no rows.
            captured.removeAll()
            mode = .off
            return true
        }
        captured.append(contentsOf: UnsafeBufferPointer(start: data.assumingMemoryBound(to: Float.self),
                                                        count: rows * embedding))
        return !stop
    }

    /// Records the output weights from the `result_output` node (a matrix product of the
    /// weights and `result_norm`), if they are a plain host-memory Q8_0 matrix.
    private func locate(_ t: UnsafeMutablePointer<ggml_tensor>) {
        guard weights == nil, t.pointee.op == GGML_OP_MUL_MAT, let w = t.pointee.src.0 else { return }
        let n = w.pointee
        guard n.type == GGML_TYPE_Q8_0, Int(n.ne.0) == embedding, embedding % 32 == 0,
              Int(n.nb.1) == (embedding / 32) * MemoryLayout<agora_block_q8_0>.stride,
              n.ne.2 == 1, n.ne.3 == 1, let data = n.data,
              let buffer = n.buffer, ggml_backend_buffer_is_host(buffer) else { return }
        weights = Weights(base: UnsafeRawPointer(data), rows: Int(n.ne.1), blocks: embedding / 32)
    }

    /// Logits of captured rows `first ..< first + count`, row-major into `out`
    /// (`count × weights.rows` floats). Splits the vocabulary across `threads`.
    func logits(rows first: Int, count: Int, into out: UnsafeMutableBufferPointer<Float>) {
        guard let w = weights, count > 0 else { return }
        precondition(out.count >= count * w.rows && (first + count) * embedding <= captured.count)
        var quantised = [agora_block_q8_0](repeating: agora_block_q8_0(), count: count * w.blocks)
        captured.withUnsafeBufferPointer { h in
            agora_q8_0_quantize(h.baseAddress! + first * embedding, Int64(count), Int64(embedding), &quantised)
        }
        let wp = w.base.assumingMemoryBound(to: agora_block_q8_0.self)
        let outBase = out.baseAddress!
        let parts = min(threads, max(1, w.rows / 4096))
        quantised.withUnsafeBufferPointer { hq in
            let hp = hq.baseAddress!
            if parts == 1 {
                _ = agora_q8_0_logits(wp, 0, Int64(w.rows), Int64(w.blocks), hp, Int64(count), outBase, Int64(w.rows), 1)
                return
            }
            let step = (w.rows / parts + 63) / 64 * 64
            let p = UnsafeSendable(out: outBase, h: hp, w: wp)
            let rows = w.rows, blocks = w.blocks
            DispatchQueue.concurrentPerform(iterations: parts) { i in
                let lo = i * step, hi = min(rows, lo + step)
                guard lo < hi else { return }
                _ = agora_q8_0_logits(p.w, Int64(lo), Int64(hi), Int64(blocks), p.h, Int64(count),
                                      p.out, Int64(rows), 1)
            }
        }
    }

    /// Compares this layer's logits with llama.cpp's for the rows captured in the decode that
    /// just ran (`logitsOf(i)` = llama.cpp's logits for captured row `i`); enables the layer
    /// only when every value is bit-identical.
    func selfTest(rows: Int, logitsOf: (Int) -> UnsafePointer<Float>?) {
        enabled = false
        guard agora_output_layer_fast_available() != 0 else { disabledReason = "the CPU has no AVX-512 VNNI"; return }
        guard LlamaBackend.systemInfo.contains("AVX2 = 1") else { disabledReason = "ggml was not built for AVX2"; return }
        guard let w = weights else { disabledReason = "the output weights are not a host-memory Q8_0 matrix"; return }
        guard rows > 0, captured.count == rows * embedding else { disabledReason = "the final norm was not captured"; return }
        var mine = [Float](repeating: 0, count: rows * w.rows)
        mine.withUnsafeMutableBufferPointer { logits(rows: 0, count: rows, into: $0) }
        for r in 0..<rows {
            guard let theirs = logitsOf(r) else { disabledReason = "llama.cpp gave no logits for row \(r)"; return }
            let same = mine.withUnsafeBufferPointer { memcmp($0.baseAddress! + r * w.rows, theirs, w.rows * 4) == 0 }
            guard same else { disabledReason = "its logits differ from llama.cpp's at row \(r)"; return }
        }
        enabled = true
        disabledReason = nil
    }

    /// Pointers handed to `concurrentPerform`'s workers, which write disjoint columns.
    private struct UnsafeSendable: @unchecked Sendable {
        let out: UnsafeMutablePointer<Float>
        let h: UnsafePointer<agora_block_q8_0>
        let w: UnsafePointer<agora_block_q8_0>
    }
}
