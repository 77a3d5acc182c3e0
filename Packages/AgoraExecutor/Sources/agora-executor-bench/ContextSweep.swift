import AgoraExecutor
import Foundation

/// Decode speed of engines that differ only in context per slot, against llama-bench, in one
/// invocation: every round runs each side `reps` times in a rotated order. Isolates what the
/// context size costs (llama.cpp's transposed V cache has rows as long as a slot's context
/// when flash attention is off).
enum ContextSweep {
    static func run(model: String, threads: Int, rounds: Int, reps: Int, slots: Int, contexts: [Int]) async throws {
        say("## context sweep (threads \(threads), \(slots) slots, contexts \(contexts), \(rounds) rounds of \(reps) runs per side, load average at start \(loadAverage()))")
        var engines: [LlamaEngine] = []
        for c in contexts {
            engines.append(try await LlamaEngine.load(EngineConfiguration(modelPath: model, threads: threads, slots: slots,
                                                                          contextPerSlot: c, measureSpeedAtStart: false)))
        }
        defer { for e in engines { e.shutdown() } }
        // Side -1 is llama-bench; side i the engine with contexts[i].
        var samples = [Int: [Double]]()
        var sides = [-1] + Array(contexts.indices)
        for round in 0..<rounds {
            for side in sides {
                if side < 0 {
                    samples[side, default: []] += try BaselineTools.llamaBenchSamples(model: model, threads: threads, prompt: 0, gen: 128,
                                                                                       repetitions: reps).samples
                } else {
                    for _ in 0..<reps {
                        samples[side, default: []].append(try await engines[side].measureSpeed(promptTokens: 1, generatedTokens: 129).decodeTokensPerSecond)
                    }
                }
            }
            say("round \(round) done (order \(sides))")
            sides.append(sides.removeFirst())
        }
        let tool = samples[-1] ?? []
        say("RESULT llama-bench -n 128: median \(f(median(tool))) tok/s, best \(f(tool.max() ?? 0))")
        for (i, c) in contexts.enumerated() {
            let s = samples[i] ?? []
            say("RESULT engine \(slots) x \(c) cells: median \(f(median(s))) tok/s, best \(f(s.max() ?? 0)); over llama-bench: median of all runs \(f(median(s) / max(median(tool), 1e-9), 3)), best vs best \(f((s.max() ?? 0) / max(tool.max() ?? 1, 1e-9), 3))")
        }
    }
}
