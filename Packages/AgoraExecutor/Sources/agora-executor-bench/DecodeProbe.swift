import AgoraExecutor
import CLlama
import Foundation

/// Where a decode step's time goes: the same 128 single-token `llama_decode` calls through the
/// raw C API in a context shaped as llama-bench's (one sequence, 128 cells) and as the
/// engine's (4 sequences of 1,024 cells each, per-sequence streams), with and without the
/// engine's per-step arg-max, alternating in one process.
enum DecodeProbe {
    struct Shape {
        var name: String; var nCtx: UInt32; var nBatch: UInt32; var seqs: UInt32; var unified: Bool; var argmax: Bool
        /// Run the loop on a dedicated `Thread` (as the engine's worker) rather than the task's thread.
        var ownThread = false
        /// Capacity of the `llama_batch` (the engine's holds a whole context).
        var batchCapacity: Int32 = 1
    }

    /// `shapes` picks the raw loops: `all`, the first N (`1`: llama-bench's shape only), or a
    /// comma-separated list of indices into the table in `rawShapes`.
    static func run(model path: String, threads: Int, rounds: Int, shapes: String) async throws {
        // The engine and llama-bench beside the raw loops, alternating, to tell the engine's own
        // per-step cost from the process and the machine.
        let engine = try await LlamaEngine.load(EngineConfiguration(modelPath: path, threads: threads, slots: 4,
                                                                    contextPerSlot: 1024, measureSpeedAtStart: false))
        var engineRates: [Double] = [], toolRates: [Double] = [], engineShares: [Double] = []
        _ = engine.takeStepProfile()
        let raw = try await rawShapes(model: path, threads: threads, rounds: rounds, limit: shapes) {
            toolRates += try BaselineTools.llamaBenchSamples(model: path, threads: threads, prompt: 0, gen: 128, repetitions: 1).samples
        } engineRun: {
            engineRates.append(try await engine.measureSpeed(promptTokens: 1, generatedTokens: 129).decodeTokensPerSecond)
            let p = engine.takeStepProfile()
            engineShares.append(p.engineShare)
            say("engine \(f(engineRates.last!)) tok/s: \(p.steps) steps, \(f(p.decodeSeconds / Double(max(p.steps, 1)) * 1e6, 0)) µs in llama_decode and \(f(p.engineSeconds / Double(max(p.steps, 1)) * 1e6, 1)) µs of the engine's own work per step")
        }
        let base = median(raw[0])
        say("RESULT llama-bench -n 128 (own process): median \(f(median(toolRates))) tok/s, best \(f(toolRates.max() ?? 0)); ratio to the raw loop \(f(median(toolRates) / base, 3))")
        say("RESULT LlamaEngine decode: median \(f(median(engineRates))) tok/s, best \(f(engineRates.max() ?? 0)); ratio to the raw loop \(f(median(engineRates) / base, 3)), to llama-bench \(f(median(engineRates) / median(toolRates), 3))")
        say("RESULT engine's own work per decode step (sampling, detokenising, bookkeeping): median \(f(median(engineShares) * 100, 2)) % of the worker thread's busy time")
        engine.shutdown()
    }

    static func rawShapes(model path: String, threads: Int, rounds: Int, limit: String, tool: () throws -> Void,
                          engineRun: () async throws -> Void) async throws -> [[Double]] {
        var mp = llama_model_default_params()
        mp.n_gpu_layers = 0
        guard let model = llama_model_load_from_file(path, mp) else { throw BenchError("cannot load \(path)") }
        defer { llama_model_free(model) }
        let vocab = llama_model_get_vocab(model)
        let nVocab = Int(llama_vocab_n_tokens(vocab))
        let allShapes = [
            Shape(name: "llama-bench shape (1 seq, 128 cells)", nCtx: 128, nBatch: 2048, seqs: 1, unified: true, argmax: false),
            Shape(name: "engine shape (4 seqs x 1024, streams)", nCtx: 4096, nBatch: 4096, seqs: 4, unified: false, argmax: false),
            Shape(name: "engine shape + arg-max per step", nCtx: 4096, nBatch: 4096, seqs: 4, unified: false, argmax: true),
            Shape(name: "1 seq, 512 cells", nCtx: 512, nBatch: 512, seqs: 1, unified: true, argmax: false),
            Shape(name: "1 seq, 1024 cells", nCtx: 1024, nBatch: 1024, seqs: 1, unified: true, argmax: false),
            Shape(name: "1 seq, 4096 cells", nCtx: 4096, nBatch: 4096, seqs: 1, unified: true, argmax: false),
            Shape(name: "4 seqs x 1024, unified cache", nCtx: 4096, nBatch: 4096, seqs: 4, unified: true, argmax: false),
            Shape(name: "llama-bench shape on a dedicated Thread", nCtx: 128, nBatch: 2048, seqs: 1, unified: true, argmax: false, ownThread: true),
            Shape(name: "engine shape, 4096-token batch", nCtx: 4096, nBatch: 4096, seqs: 4, unified: false, argmax: true, batchCapacity: 4096),
            Shape(name: "4 seqs x 256, streams", nCtx: 1024, nBatch: 1024, seqs: 4, unified: false, argmax: false),
            Shape(name: "2 seqs x 1024, streams", nCtx: 2048, nBatch: 2048, seqs: 2, unified: false, argmax: false),
            Shape(name: "1 seq, 1280 cells (V row stride 2.5 KiB)", nCtx: 1280, nBatch: 1280, seqs: 1, unified: true, argmax: false),
            Shape(name: "1 seq, 4352 cells (V row stride 8.5 KiB)", nCtx: 4352, nBatch: 4352, seqs: 1, unified: true, argmax: false),
            Shape(name: "4 seqs x 1280, streams", nCtx: 5120, nBatch: 5120, seqs: 4, unified: false, argmax: false),
            Shape(name: "4 seqs x 512, streams", nCtx: 2048, nBatch: 2048, seqs: 4, unified: false, argmax: false),
            Shape(name: "4 seqs x 2048, streams (the node's default)", nCtx: 8192, nBatch: 8192, seqs: 4, unified: false, argmax: false),
            Shape(name: "engine shape, 4096-token batch, dedicated Thread", nCtx: 4096, nBatch: 4096, seqs: 4, unified: false, argmax: true, ownThread: true, batchCapacity: 4096),
        ]
        let picked: [Int]
        if limit.contains(",") {
            picked = limit.split(separator: ",").compactMap { Int($0) }.filter { allShapes.indices.contains($0) }
        } else {
            picked = Array(allShapes.indices.prefix(Int(limit) ?? allShapes.count))
        }
        let shapes = picked.isEmpty ? allShapes : picked.map { allShapes[$0] }
        var rates = Array(repeating: [Double](), count: shapes.count)
        let order = Array(shapes.indices)
        var generator = BenchRandom(state: 0x5eed)
        say("## decode probe (threads \(threads), \(rounds) rounds, 128 single-token decodes per run)")
        // Each round runs llama-bench, the engine and every raw shape once, in a new seeded
        // order, so that no row always follows the same one (index -1: llama-bench, -2: engine).
        var runs = [-1, -2] + order
        for _ in 0..<rounds {
            runs.shuffle(using: &generator)
            for k in runs {
                if k == -1 { try tool(); continue }
                if k == -2 { try await engineRun(); continue }
                let s = shapes[k]
                if s.ownThread {
                    let box = ResultBox()
                    let done = DispatchSemaphore(value: 0)
                    let h = Handles(model: model, vocab: vocab)
                    let t = Thread { box.value = Result { try measure(s, model: h.model, vocab: h.vocab, nVocab: nVocab, threads: threads) }; done.signal() }
                    t.stackSize = 8 << 20
                    t.start()
                    done.wait()
                    rates[k].append(try box.value.get())
                } else {
                    rates[k].append(try measure(s, model: model, vocab: vocab, nVocab: nVocab, threads: threads))
                }
            }
        }
        for (k, s) in shapes.enumerated() {
            say("RESULT raw loop, \(s.name): median \(f(median(rates[k]))) tok/s, best \(f(rates[k].max() ?? 0)) tok/s; ratio to llama-bench shape median \(f(median(rates[k]) / median(rates[0]), 3)), best \(f((rates[k].max() ?? 0) / (rates[0].max() ?? 1), 3))")
        }
        return rates
    }

    /// The model's handles, handed to one thread at a time.
    struct Handles: @unchecked Sendable { let model: OpaquePointer; let vocab: OpaquePointer? }
    final class ResultBox: @unchecked Sendable { var value: Result<Double, Error> = .failure(BenchError("not run")) }

    /// 128 single-token decodes in a fresh context of shape `s` after a warm-up run of the
    /// same length (as llama-bench does); returns tokens per second of the measured run.
    static func measure(_ s: Shape, model: OpaquePointer, vocab: OpaquePointer?, nVocab: Int, threads: Int) throws -> Double {
        var cp = llama_context_default_params()
        cp.n_ctx = s.nCtx; cp.n_batch = s.nBatch; cp.n_ubatch = 512; cp.n_seq_max = s.seqs
        cp.kv_unified = s.unified; cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED
        cp.n_threads = Int32(threads); cp.n_threads_batch = Int32(threads); cp.no_perf = true
        guard let ctx = llama_init_from_model(model, cp) else { throw BenchError("no context for \(s.name)") }
        var batch = llama_batch_init(s.batchCapacity, 0, 1)
        defer { llama_batch_free(batch); llama_free(ctx) }
        func decode(_ token: Int32, _ pos: Int32) throws -> Int32 {
            batch.n_tokens = 1
            batch.token[0] = token; batch.pos[0] = pos; batch.n_seq_id[0] = 1
            batch.seq_id[0]![0] = 0; batch.logits[0] = 1
            guard llama_decode(ctx, batch) == 0 else { throw BenchError("llama_decode failed") }
            guard s.argmax, let p = llama_get_logits_ith(ctx, 0) else { return (token &* 7919 &+ 13) % Int32(nVocab) }
            var best = 0; var bestValue = -Float.infinity
            for i in 0..<nVocab where p[i] > bestValue { best = i; bestValue = p[i] }
            return Int32(best)
        }
        var rate = 0.0
        for measured in [false, true] {
            _ = llama_memory_seq_rm(llama_get_memory(ctx), 0, -1, -1)
            var t = try decode(llama_vocab_bos(vocab), 0)
            let start = DispatchTime.now().uptimeNanoseconds
            for pos in 1...128 { t = try decode(t, Int32(pos)) }
            let secs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if measured { rate = 128 / secs }
        }
        return rate
    }
}
