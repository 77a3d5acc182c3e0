import AgoraExecutor
import Foundation

/// Two models in one process (issue [3/5], must-show 3): the resident memory with both loaded
/// against the sum of their weights and KV caches, and each engine's speed against
/// llama-bench on the same model while the other engine stays loaded, alternating in one
/// invocation as `SpeedBenchmark` does.
enum ModelsBenchmark {
    static func run(models: [String], threads: Int, rounds: Int, reps: Int) async throws {
        say("## two models in one process (threads \(threads), \(rounds) alternating rounds of \(reps) repetitions per side, load average at start \(loadAverage()))")
        let before = residentMiB()
        var engines: [LlamaEngine] = []
        for path in models {
            let e = try await LlamaEngine.load(EngineConfiguration(modelPath: path, threads: threads, slots: 4, contextPerSlot: 1024,
                                                                   measureSpeedAtStart: false))
            // One short job each, so the weights and buffers a job touches are resident.
            _ = try await e.generate(GenerationRequest(prompt: .text("The weather today is"), parameters: .greedy(maxTokens: 8)))
            engines.append(e)
        }
        let rss = residentMiB() - before
        let parts = engines.map { e in (e.model.name, e.memoryEstimate) }
        let weightsKV = parts.reduce(0.0) { $0 + Double($1.1.weightBytes + $1.1.kvCacheBytes) / 1_048_576 }
        let estimate = parts.reduce(0.0) { $0 + Double($1.1.total) / 1_048_576 }
        for (name, m) in parts {
            say("\(name): weights \(f(Double(m.weightBytes) / 1_048_576, 1)) MiB, KV cache \(f(Double(m.kvCacheBytes) / 1_048_576, 1)) MiB (4 slots x 1024), estimate \(f(Double(m.total) / 1_048_576, 1)) MiB")
        }
        say("RESULT resident memory of both engines (VmRSS after - before loading) \(f(rss, 1)) MiB; weights + KV caches \(f(weightsKV, 1)) MiB (ratio \(f(rss / weightsKV, 3))); the engines' estimates \(f(estimate, 1)) MiB (ratio \(f(rss / estimate, 3)))")
        for (i, engine) in engines.enumerated() {
            let path = models[i]
            var pp = (engine: [Double](), tool: [Double]()), tg = (engine: [Double](), tool: [Double]())
            var ppRatio: [Double] = [], tgRatio: [Double] = []
            // Decode in llama-bench's own context shape (1 sequence of 256 cells), as in `speed`.
            let shaped = try await LlamaEngine.load(EngineConfiguration(modelPath: path, threads: threads, slots: 1, contextPerSlot: 256,
                                                                        measureSpeedAtStart: false))
            for round in 0..<rounds {
                let (minePP, basePP) = try await SpeedBenchmark.pair(model: path, threads: threads, reps: reps, prompt: 512, gen: 0,
                                                                     engineFirst: round % 2 == 1, into: &pp) {
                    try await engine.measureSpeed(promptTokens: 512, generatedTokens: 1).prefillTokensPerSecond
                }
                let (mineTG, baseTG) = try await SpeedBenchmark.pair(model: path, threads: threads, reps: reps, prompt: 0, gen: 128,
                                                                     engineFirst: round % 2 == 1, into: &tg) {
                    try await shaped.measureSpeed(promptTokens: 1, generatedTokens: 129).decodeTokensPerSecond
                }
                ppRatio.append(minePP / basePP); tgRatio.append(mineTG / baseTG)
                say("\(engine.model.name) round \(round): prefill 512 \(f(minePP)) vs llama-bench \(f(basePP)) tok/s (\(f(ppRatio.last ?? 0, 3))); decode 128 \(f(mineTG)) vs \(f(baseTG)) tok/s (\(f(tgRatio.last ?? 0, 3)))")
            }
            shaped.shutdown()
            let bestPP = (pp.engine.max() ?? 0) / max(pp.tool.max() ?? 1, 1e-9)
            let bestTG = (tg.engine.max() ?? 0) / max(tg.tool.max() ?? 1, 1e-9)
            say("RESULT \(engine.model.name), the other model loaded: prefill 512 median ratio \(f(median(ppRatio), 3)) (best vs best \(f(bestPP, 3))), decode 128 median ratio \(f(median(tgRatio), 3)) (best vs best \(f(bestTG, 3)))")
        }
        for e in engines { e.shutdown() }
        engines.removeAll()
        // Decode alone last: the same engine shape with no other engine in the process.
        for path in models {
            let shaped = try await LlamaEngine.load(EngineConfiguration(modelPath: path, threads: threads, slots: 1, contextPerSlot: 256,
                                                                        measureSpeedAtStart: false))
            var tg = (engine: [Double](), tool: [Double]())
            let (mine, base) = try await SpeedBenchmark.pair(model: path, threads: threads, reps: reps, prompt: 0, gen: 128,
                                                             engineFirst: false, into: &tg) {
                try await shaped.measureSpeed(promptTokens: 1, generatedTokens: 129).decodeTokensPerSecond
            }
            say("\(shaped.model.name) alone: decode 128 \(f(mine)) vs llama-bench \(f(base)) tok/s (\(f(mine / base, 3)))")
            shaped.shutdown()
        }
    }

    /// The process's resident set, MiB.
    static func residentMiB() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }
}
