import AgoraExecutor
import Foundation

/// Engine vs llama.cpp's tools, alternating in one invocation, as ratios.
enum SpeedBenchmark {
    /// Each round measures llama.cpp's tool with `reps` repetitions and the engine `reps`
    /// times (mean of the per-run rates, as llama-bench's `avg_ts`), back to back, so that
    /// the VM's slow spells of a few seconds hit both sides of a ratio alike.
    static func run(model: String, threads: Int, rounds: Int, reps: Int = 3) async throws {
        say("## speed (threads \(threads), \(rounds) alternating rounds of \(reps) repetitions per side, load average at start \(loadAverage()))")
        let engine = try await LlamaEngine.load(EngineConfiguration(modelPath: model, threads: threads, slots: 4,
                                                                    contextPerSlot: 1024, measureSpeedAtStart: true))
        if let s = engine.speed {
            say("self-measurement at start-up: prefill \(f(s.prefillTokensPerSecond)) tok/s, decode \(f(s.decodeTokensPerSecond)) tok/s, took \(f(s.measurementSeconds)) s")
        }
        var pp: [Double] = [], tg: [Double] = [], ppRatio: [Double] = [], tgRatio: [Double] = []
        // Every single run of both sides, for the best-of-all estimate: on a shared VM noise
        // only ever slows a run down, so each side's fastest run is its least disturbed one.
        var ppSamples = (engine: [Double](), tool: [Double]()), tgSamples = (engine: [Double](), tool: [Double]())
        for round in 0..<rounds {
            let (minePP, basePP) = try await pair(model: model, threads: threads, reps: reps, prompt: 512, gen: 0, engineFirst: round % 2 == 1, into: &ppSamples) {
                try await engine.measureSpeed(promptTokens: 512, generatedTokens: 1).prefillTokensPerSecond
            }
            let (mineTG, baseTG) = try await pair(model: model, threads: threads, reps: reps, prompt: 0, gen: 128, engineFirst: round % 2 == 1, into: &tgSamples) {
                try await engine.measureSpeed(promptTokens: 1, generatedTokens: 129).decodeTokensPerSecond
            }
            pp.append(minePP); tg.append(mineTG)
            ppRatio.append(minePP / basePP); tgRatio.append(mineTG / baseTG)
            say("round \(round): prefill 512: engine \(f(minePP)) vs llama-bench \(f(basePP)) tok/s (ratio \(f(ppRatio.last!, 3))); decode 128: engine \(f(mineTG)) vs llama-bench \(f(baseTG)) tok/s (ratio \(f(tgRatio.last!, 3)))")
        }
        say("RESULT prefill ratio (median) \(f(median(ppRatio), 3)), decode ratio (median) \(f(median(tgRatio), 3))")
        let bestPP = (ppSamples.engine.max() ?? 0) / max(ppSamples.tool.max() ?? 1, 1e-9)
        let bestTG = (tgSamples.engine.max() ?? 0) / max(tgSamples.tool.max() ?? 1, 1e-9)
        say("RESULT best of \(ppSamples.engine.count) runs per side: prefill engine \(f(ppSamples.engine.max() ?? 0)) vs llama-bench \(f(ppSamples.tool.max() ?? 0)) tok/s (ratio \(f(bestPP, 3))); decode engine \(f(tgSamples.engine.max() ?? 0)) vs llama-bench \(f(tgSamples.tool.max() ?? 0)) tok/s (ratio \(f(bestTG, 3)))")
        say("RESULT median of all runs: prefill ratio \(f(median(ppSamples.engine) / max(median(ppSamples.tool), 1e-9), 3)), decode ratio \(f(median(tgSamples.engine) / max(median(tgSamples.tool), 1e-9), 3))")

        var concRatio: [Double] = [], totalRatio: [Double] = [], overSingle: [Double] = []
        for round in 0..<rounds {
            // Alternating which side goes first, as for prefill and decode.
            var base4: (tg: Double, total: Double)?
            if round % 2 == 0 { base4 = try BaselineTools.batchedBench(model: model, threads: threads, prompt: 128, gen: 128, parallel: 4) }
            let four = try await engine.measureConcurrent(jobs: 4, promptTokens: 128, generatedTokens: 128)
            let one = try await engine.measureConcurrent(jobs: 1, promptTokens: 128, generatedTokens: 128)
            let tool = try base4 ?? BaselineTools.batchedBench(model: model, threads: threads, prompt: 128, gen: 128, parallel: 4)
            concRatio.append(four.generationTokensPerSecond / tool.tg)
            totalRatio.append(four.totalTokensPerSecond / tool.total)
            overSingle.append(four.generationTokensPerSecond / one.generationTokensPerSecond)
            say("round \(round): 4 jobs: engine generation \(f(four.generationTokensPerSecond)) tok/s vs llama-batched-bench S_TG \(f(tool.tg)) (ratio \(f(concRatio.last!, 3))); all tokens \(f(four.totalTokensPerSecond)) vs S \(f(tool.total)) (ratio \(f(totalRatio.last!, 3))); 1 job \(f(one.generationTokensPerSecond)) tok/s, 4 jobs / 1 job \(f(overSingle.last!, 2))")
        }
        say("RESULT 4 jobs vs batched-bench npl=4: generation ratio \(f(median(concRatio), 3)), total ratio \(f(median(totalRatio), 3)); 4 jobs over 1 job \(f(median(overSingle), 2))x")

        var verifyOverPP: [Double] = [], verifyOverGen: [Double] = []
        var bestVerifySeconds = Double.infinity, bestToolSeconds = Double.infinity
        let request = GenerationRequest(prompt: .text("Once upon a time, in a small village by the sea, there lived"),
                                        parameters: .greedy(maxTokens: 128))
        for round in 0..<rounds {
            let r = try await engine.generate(request)
            let n = r.promptTokens.count + r.tokens.count
            let baseRun = try BaselineTools.llamaBenchSamples(model: model, threads: threads, prompt: n, gen: 0, repetitions: reps)
            let base = baseRun.mean
            bestToolSeconds = min(bestToolSeconds, Double(n) / max(baseRun.samples.max() ?? base, 1e-9))
            var v = try await engine.verify(request: request, claimedTokens: r.tokens, claimedArithmetic: r.fingerprint.arithmetic)
            var seconds = v.report.seconds / Double(reps)
            bestVerifySeconds = min(bestVerifySeconds, v.report.seconds)
            for _ in 1..<max(1, reps) {
                v = try await engine.verify(request: request, claimedTokens: r.tokens, claimedArithmetic: r.fingerprint.arithmetic)
                seconds += v.report.seconds / Double(reps)
                bestVerifySeconds = min(bestVerifySeconds, v.report.seconds)
            }
            let floor = Double(n) / base
            let gen = r.timings.promptSeconds + r.timings.generationSeconds
            verifyOverPP.append(seconds / floor)
            verifyOverGen.append(seconds / gen)
            say("round \(round): verify \(n) tokens (\(r.tokens.count) output, passed \(v.passed), \(v.report.mode)): \(f(seconds, 4)) s; llama-bench pp\(n): \(f(floor, 4)) s (ratio \(f(verifyOverPP.last!, 3))); generation of those \(r.tokens.count) tokens: \(f(gen, 3)) s (ratio \(f(verifyOverGen.last!, 3)))")
        }
        say("RESULT verification / llama-bench prefill of the same tokens \(f(median(verifyOverPP), 3)); verification / generation \(f(median(verifyOverGen), 3))")
        say("RESULT best of all runs: verification \(f(bestVerifySeconds, 4)) s vs llama-bench prefill of the same tokens \(f(bestToolSeconds, 4)) s (ratio \(f(bestVerifySeconds / bestToolSeconds, 3)))")
        say("RESULT peak memory (VmHWM, one engine of 4 slots x 1024 tokens) \(f(peakMemoryMiB(), 1)) MiB; load average at end \(loadAverage())")
        engine.shutdown()
        try await decodeInBenchShape(model: model, threads: threads, rounds: rounds, reps: reps)
    }

    /// Decode with the engine in llama-bench's own context shape for `-n 128` (one sequence,
    /// 256 cells), against llama-bench, alternating as above: the like-for-like measure of the
    /// engine's cost. Run last, after the peak-memory reading, since it loads a second engine.
    static func decodeInBenchShape(model: String, threads: Int, rounds: Int, reps: Int) async throws {
        let engine = try await LlamaEngine.load(EngineConfiguration(modelPath: model, threads: threads, slots: 1,
                                                                    contextPerSlot: 256, measureSpeedAtStart: false))
        defer { engine.shutdown() }
        var samples = (engine: [Double](), tool: [Double]())
        var ratios: [Double] = []
        for round in 0..<rounds {
            let (mine, base) = try await pair(model: model, threads: threads, reps: reps, prompt: 0, gen: 128,
                                              engineFirst: round % 2 == 1, into: &samples) {
                try await engine.measureSpeed(promptTokens: 1, generatedTokens: 129).decodeTokensPerSecond
            }
            ratios.append(mine / base)
            say("round \(round): decode 128, engine of 1 slot x 256 cells \(f(mine)) vs llama-bench \(f(base)) tok/s (ratio \(f(ratios.last!, 3)))")
        }
        let best = (samples.engine.max() ?? 0) / max(samples.tool.max() ?? 1, 1e-9)
        say("RESULT decode in llama-bench's context shape (1 x 256 cells): median of round ratios \(f(median(ratios), 3)); best of \(samples.engine.count) runs per side \(f(samples.engine.max() ?? 0)) vs \(f(samples.tool.max() ?? 0)) tok/s (ratio \(f(best, 3))); median of all runs \(f(median(samples.engine) / max(median(samples.tool), 1e-9), 3))")
    }

    /// One side-by-side measurement: llama-bench with `reps` repetitions and `engineRate`
    /// `reps` times, the engine first when `engineFirst` (rounds alternate, so that neither
    /// side always runs in the other's wake); records every run and returns both means.
    static func pair(model: String, threads: Int, reps: Int, prompt: Int, gen: Int, engineFirst: Bool,
                     into samples: inout (engine: [Double], tool: [Double]),
                     engineRate: () async throws -> Double) async throws -> (engine: Double, tool: Double) {
        var mine = 0.0
        func engineRuns() async throws {
            for _ in 0..<reps {
                let r = try await engineRate()
                samples.engine.append(r)
                mine += r / Double(reps)
            }
        }
        if engineFirst { try await engineRuns() }
        let run = try BaselineTools.llamaBenchSamples(model: model, threads: threads, prompt: prompt, gen: gen, repetitions: reps)
        samples.tool += run.samples
        if !engineFirst { try await engineRuns() }
        return (mine, run.mean)
    }
}
