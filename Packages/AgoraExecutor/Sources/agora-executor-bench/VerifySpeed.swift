import AgoraExecutor
import Foundation

/// Verification time against llama-bench's prompt pass over the same tokens, for the engine
/// with its own output layer and for the same engine letting llama.cpp compute the logits
/// (the previous path, as the in-invocation baseline). Each round runs the three sides in a
/// rotated order, `reps` times each.
enum VerifySpeed {
    static func run(model: String, threads: Int, rounds: Int, reps: Int, outputTokens: Int,
                    kernel: OutputLayerKernel) async throws {
        say("## verify-speed (threads \(threads), \(rounds) rounds x \(reps) runs per side, \(outputTokens) output tokens, load average at start \(loadAverage()))")
        let own = try await LlamaEngine.load(EngineConfiguration(modelPath: model, threads: threads, slots: 4,
                                                                 contextPerSlot: 1024, measureSpeedAtStart: false,
                                                                 outputLayerKernel: kernel))
        let llama = try await LlamaEngine.load(EngineConfiguration(modelPath: model, threads: threads, slots: 4,
                                                                   contextPerSlot: 1024, measureSpeedAtStart: false,
                                                                   ownOutputLayer: false))
        defer { own.shutdown(); llama.shutdown() }
        say("output layer: \(own.verificationOutputLayer); baseline: \(llama.verificationOutputLayer)")
        let request = GenerationRequest(prompt: .text("Once upon a time, in a small village by the sea, there lived"),
                                        parameters: .greedy(maxTokens: outputTokens))
        let r = try await own.generate(request)
        let n = r.promptTokens.count + r.tokens.count
        let gen = r.timings.promptSeconds + r.timings.generationSeconds
        say("claim: \(r.promptTokens.count) prompt + \(r.tokens.count) output tokens, generated in \(f(gen, 3)) s")
        var samples: [String: [Double]] = ["own": [], "llama": [], "tool": []]
        var decodeShare: [Double] = [], ownShare: [Double] = []
        var ownRatio: [Double] = [], llamaRatio: [Double] = [], ownOverLlama: [Double] = []
        for round in 0..<rounds {
            var mean: [String: Double] = [:]
            let order = [["tool", "own", "llama"], ["own", "llama", "tool"], ["llama", "tool", "own"]][round % 3]
            for side in order {
                if side == "tool" {
                    let run = try BaselineTools.llamaBenchSamples(model: model, threads: threads, prompt: n, gen: 0, repetitions: reps)
                    let secs = run.samples.map { Double(n) / $0 }
                    samples["tool", default: []] += secs
                    mean["tool"] = Double(n) / run.mean
                    continue
                }
                let engine = side == "own" ? own : llama
                var total = 0.0
                for _ in 0..<reps {
                    _ = engine.takeStepProfile()
                    let v = try await engine.verify(request: request, claimedTokens: r.tokens, claimedArithmetic: r.fingerprint.arithmetic)
                    if side == "own" {
                        let p = engine.takeStepProfile()
                        decodeShare.append(p.decodeSeconds / v.report.seconds)
                        ownShare.append(p.engineSeconds / v.report.seconds)
                    }
                    guard v.passed else { throw BenchError("the honest claim failed verification on the \(side) side: \(v)") }
                    samples[side, default: []].append(v.report.seconds)
                    total += v.report.seconds
                }
                mean[side] = total / Double(reps)
            }
            let tool = mean["tool"] ?? 1, o = mean["own"] ?? 0, l = mean["llama"] ?? 0
            ownRatio.append(o / tool); llamaRatio.append(l / tool); ownOverLlama.append(o / l)
            say("round \(round) (\(order.joined(separator: ", "))): llama-bench pp\(n) \(f(tool, 4)) s; engine, own output layer \(f(o, 4)) s (ratio \(f(ownRatio.last!, 3))); engine, llama.cpp's output layer \(f(l, 4)) s (ratio \(f(llamaRatio.last!, 3)))")
        }
        let best = { (k: String) in samples[k]?.min() ?? .nan }
        let med = { (k: String) in median(samples[k] ?? []) }
        say("RESULT verification / llama-bench pp\(n), median of round ratios: own output layer \(f(median(ownRatio), 3)), llama.cpp's \(f(median(llamaRatio), 3)); own / llama.cpp's \(f(median(ownOverLlama), 3))")
        say("RESULT best of \(samples["own"]?.count ?? 0) runs per side: own \(f(best("own"), 4)) s, llama.cpp's \(f(best("llama"), 4)) s, llama-bench \(f(best("tool"), 4)) s (ratios \(f(best("own") / best("tool"), 3)), \(f(best("llama") / best("tool"), 3)))")
        say("RESULT own side's time: llama_decode (stopped after the final norm) \(f(median(decodeShare) * 100, 1)) %, output layer and checks \(f(median(ownShare) * 100, 1)) % (medians)")
        try await callbackCost(own: own, llama: llama, rounds: rounds, reps: reps)
        say("RESULT median of all runs: own \(f(med("own") / med("tool"), 3)), llama.cpp's \(f(med("llama") / med("tool"), 3)); verification (own) / generation \(f(med("own") / gen, 3))")
    }

    /// What the evaluation callback (set on every context that may use its own output layer,
    /// and called once per graph node) costs a decode step: the same engines' decode speed,
    /// alternating which goes first.
    static func callbackCost(own: LlamaEngine, llama: LlamaEngine, rounds: Int, reps: Int) async throws {
        var ratios: [Double] = []
        var best = (own: 0.0, llama: 0.0)
        for round in 0..<rounds {
            var rate = (own: 0.0, llama: 0.0)
            for side in round % 2 == 0 ? ["own", "llama"] : ["llama", "own"] {
                for _ in 0..<reps {
                    let r = try await (side == "own" ? own : llama).measureSpeed(promptTokens: 1, generatedTokens: 129).decodeTokensPerSecond
                    if side == "own" { rate.own += r / Double(reps); best.own = max(best.own, r) } else { rate.llama += r / Double(reps); best.llama = max(best.llama, r) }
                }
            }
            ratios.append(rate.own / rate.llama)
        }
        say("RESULT decode 128 with the evaluation callback set vs without: median of round ratios \(f(median(ratios), 3)); best \(f(best.own)) vs \(f(best.llama)) tok/s (ratio \(f(best.own / best.llama, 3)))")
    }
}
