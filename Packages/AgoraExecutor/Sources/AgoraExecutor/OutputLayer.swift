import CLlama
import COutputLayer
import Foundation

/// The model's output layer (lm_head), computed by the engine itself for verification.
///
/// A verification needs logits at every claimed position, where a prompt pass needs them at
/// one; in llama.cpp that output layer (Q8_0, vocabulary × embedding) is a fifth of the work.
/// The engine instead stops each verification decode after the final norm (`result_norm`),
/// takes those hidden rows, and computes the logits with an AVX-512 VNNI or AVX2 kernel
/// (`COutputLayer`) whose every value is bit-identical to ggml's AVX2 dot product: the
/// integer part of each block dot is exact in both, and the float steps (one fused
/// multiply-add per block and lane, then a fixed sum of the eight lanes) are the same.
///
/// It is used only after `selfTest` has compared it bit for bit with llama.cpp's own logits
/// on the loaded model; otherwise llama.cpp computes the logits as before.
/// Owned by the worker thread (the evaluation callback runs on the thread that calls
/// `llama_decode`).
final class OutputLayer: @unchecked Sendable {
    /// The output weights as found in the graph (Q8_0, `rows` × `blocks` blocks of 32).
    /// Safety: the model's weights are never written after loading.
    struct Weights: @unchecked Sendable {
        let base: UnsafeRawPointer
        let rows: Int
        let blocks: Int
    }

    /// The C side of the capture (`output_capture.c`), passed to llama.cpp as the callback's
    /// user data; nil only when it could not be allocated.
    let capture: OpaquePointer?
    /// Rows captured by the last `endCapture`.
    private var capturedRows = 0
    private(set) var weights: Weights?
    /// Whether verification uses this layer (set by `selfTest`).
    private(set) var enabled = false
    /// Why it is not enabled (for diagnostics), or nil.
    private(set) var disabledReason: String? = "not tested yet"
    let embedding: Int
    let threads: Int
    /// The C kernel in use (`AGORA_KERNEL_…`).
    let kernel: Int32

    init(embedding: Int, threads: Int, kernel: OutputLayerKernel) {
        self.embedding = embedding
        self.threads = max(1, threads)
        self.kernel = kernel.cKernel
        capture = agora_output_capture_new(Int64(embedding))
    }

    deinit { agora_output_capture_free(capture) }

    /// The callback for `llama_context_params.cb_eval`, with `capture` as its user data.
    static let callback: ggml_backend_sched_eval_callback = agora_output_capture_callback

    /// Starts a capture for the next decode; with `stop`, the graph ends at the final norm.
    func beginCapture(stop: Bool) {
        guard let capture else { return }
        agora_output_capture_begin(capture, stop)
    }

    /// Ends a capture; returns the number of rows captured (-1 when they could not be read).
    func endCapture() -> Int {
        guard let capture else { return -1 }
        capturedRows = Int(agora_output_capture_end(capture))
        if weights == nil {
            var rows: Int64 = 0, blocks: Int64 = 0
            if let base = agora_output_capture_weights(capture, &rows, &blocks) {
                weights = Weights(base: base, rows: Int(rows), blocks: Int(blocks))
            }
        }
        return capturedRows
    }

    /// Captured rows `first ..< first + count`, quantised as ggml quantises a matrix
    /// product's activations; nil when nothing is captured or the range is out of bounds.
    private func quantisedRows(_ first: Int, _ count: Int, blocks: Int) -> [agora_block_q8_0]? {
        guard count > 0, first >= 0, first + count <= capturedRows, let capture,
              let rows = agora_output_capture_rows(capture) else { return nil }
        var quantised = [agora_block_q8_0](repeating: agora_block_q8_0(), count: count * blocks)
        agora_q8_0_quantize(rows + first * embedding, Int64(count), Int64(embedding), &quantised)
        return quantised
    }

    /// Parts the vocabulary is split into: one per thread, each at least 4,096 rows.
    private func partCount(_ w: Weights) -> Int { min(threads, max(1, w.rows / 4096)) }

    /// Runs `work(part, rows)` over the vocabulary split into up to `threads` ranges of whole
    /// 64-row tiles, in increasing row order; true when every part returned 0.
    private func overParts(_ w: Weights, _ work: @escaping @Sendable (Int, Range<Int>) -> Int32) -> (parts: Int, ok: Bool) {
        let parts = partCount(w)
        let step = (w.rows / parts + 63) / 64 * 64
        let rows = w.rows
        let failures = Failures()
        let run: @Sendable (Int) -> Void = { i in
            let lo = min(rows, i * step), hi = min(rows, lo + step)
            if work(i, lo..<hi) != 0 { failures.record() }
        }
        if parts == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: run) }
        return (parts, !failures.any)
    }

    /// Logits of captured rows `first ..< first + count`, row-major into `out`
    /// (`count × weights.rows` floats). False when they could not be computed (out of memory).
    func logits(rows first: Int, count: Int, into out: UnsafeMutableBufferPointer<Float>) -> Bool {
        guard let w = weights, out.count >= count * w.rows, let hq = quantisedRows(first, count, blocks: w.blocks) else { return false }
        let k = kernel
        return hq.withUnsafeBufferPointer { h in
            let p = Pointers(w: w.base.assumingMemoryBound(to: agora_block_q8_0.self), h: h.baseAddress!, out: out.baseAddress!)
            return overParts(w) { _, r in
                r.isEmpty ? 0 : agora_q8_0_logits(p.w, Int64(r.lowerBound), Int64(r.upperBound), Int64(w.blocks), p.h,
                                                  Int64(count), p.out, Int64(w.rows), k)
            }.ok
        }
    }

    /// One position's greedy summary: the arg-max of its logits (ties: lower id), that logit,
    /// and the logit of the claimed token (NaN when the claim is outside the vocabulary).
    struct ArgMax {
        var best: Int32
        var bestLogit: Float
        var claimedLogit: Float
    }

    /// The arg-max summaries of captured rows `first ..< first + count` against `claimed`
    /// (one token per row), without storing any logits; nil when they could not be computed.
    func argmax(rows first: Int, count: Int, claimed: [Int32]) -> [ArgMax]? {
        guard let w = weights, claimed.count == count, let hq = quantisedRows(first, count, blocks: w.blocks) else { return nil }
        let k = kernel
        let parts = partCount(w)
        // One result array per part; parts cover increasing row ranges.
        var bestRow = [Int32](repeating: -1, count: parts * count)
        var bestLogit = [Float](repeating: -.infinity, count: parts * count)
        var claimedLogit = [Float](repeating: .nan, count: count)
        let ok = hq.withUnsafeBufferPointer { h in
            claimed.withUnsafeBufferPointer { c in
                bestRow.withUnsafeMutableBufferPointer { br in
                    bestLogit.withUnsafeMutableBufferPointer { bv in
                        claimedLogit.withUnsafeMutableBufferPointer { cv in
                            let p = ArgMaxPointers(w: w.base.assumingMemoryBound(to: agora_block_q8_0.self), h: h.baseAddress!,
                                                   claimed: c.baseAddress!, bestRow: br.baseAddress!,
                                                   bestLogit: bv.baseAddress!, claimedLogit: cv.baseAddress!)
                            // Each part writes its own results, and claimed logits only of rows in its range.
                            return overParts(w) { i, r in
                                r.isEmpty ? 0 : agora_q8_0_argmax(p.w, Int64(r.lowerBound), Int64(r.upperBound), Int64(w.blocks), p.h,
                                                                  Int64(count), p.claimed, p.bestRow + i * count,
                                                                  p.bestLogit + i * count, p.claimedLogit, k)
                            }.ok
                        }
                    }
                }
            }
        }
        guard ok else { return nil }
        return (0..<count).map { k in
            var m = ArgMax(best: bestRow[k], bestLogit: bestLogit[k], claimedLogit: claimedLogit[k])
            for part in 1..<parts where bestLogit[part * count + k] > m.bestLogit {
                // Later parts hold higher rows, so only a strictly larger logit replaces the best.
                m.best = bestRow[part * count + k]
                m.bestLogit = bestLogit[part * count + k]
            }
            return m
        }
    }

    /// Compares this layer's logits with llama.cpp's for the rows captured in the decode that
    /// just ran (`logitsOf(i)` = llama.cpp's logits for captured row `i`); enables the layer
    /// only when every value is bit-identical.
    func selfTest(rows: Int, logitsOf: (Int) -> UnsafePointer<Float>?) {
        enabled = false
        guard kernel != Int32(AGORA_KERNEL_REFERENCE) else { disabledReason = "the CPU has neither AVX2 nor AVX-512 VNNI"; return }
        guard LlamaBackend.systemInfo.contains("AVX2 = 1") else { disabledReason = "ggml was not built for AVX2"; return }
        guard let w = weights else { disabledReason = "the output weights are not a host-memory Q8_0 matrix"; return }
        guard rows > 0, capturedRows == rows else { disabledReason = "the final norm was not captured"; return }
        var mine = [Float](repeating: 0, count: rows * w.rows)
        guard mine.withUnsafeMutableBufferPointer({ logits(rows: 0, count: rows, into: $0) }) else {
            disabledReason = "its logits could not be computed (out of memory)"
            return
        }
        for r in 0..<rows {
            guard let theirs = logitsOf(r) else { disabledReason = "llama.cpp gave no logits for row \(r)"; return }
            let same = mine.withUnsafeBufferPointer { memcmp($0.baseAddress! + r * w.rows, theirs, w.rows * 4) == 0 }
            guard same else { disabledReason = "its logits differ from llama.cpp's at row \(r)"; return }
        }
        enabled = true
        disabledReason = nil
    }

    /// Pointers handed to `concurrentPerform`'s workers for `argmax`; each writes its own
    /// part's results, and claimed logits only for rows in its own range.
    private struct ArgMaxPointers: @unchecked Sendable {
        let w: UnsafePointer<agora_block_q8_0>
        let h: UnsafePointer<agora_block_q8_0>
        let claimed: UnsafePointer<Int32>
        let bestRow: UnsafeMutablePointer<Int32>
        let bestLogit: UnsafeMutablePointer<Float>
        let claimedLogit: UnsafeMutablePointer<Float>
    }

    /// Pointers handed to `concurrentPerform`'s workers for `logits`, which write disjoint columns.
    private struct Pointers: @unchecked Sendable {
        let w: UnsafePointer<agora_block_q8_0>
        let h: UnsafePointer<agora_block_q8_0>
        let out: UnsafeMutablePointer<Float>
    }

    /// Whether any part of a split computation failed.
    private final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func record() { lock.lock(); count += 1; lock.unlock() }
        var any: Bool { lock.lock(); defer { lock.unlock() }; return count > 0 }
    }
}
