import AgoraExecutor
import Foundation

/// False rejections over many honest results, and detection rates of tampered ones.
enum CalibrationBenchmark {
    static let prompts = [
        "Why is the sky blue?", "Name three fruits.", "What is the capital of France?", "Give me a tip for sleeping well.",
        "Write one sentence about cats.", "What is 2 plus 2?", "Describe the sea in a few words.", "How do plants grow?",
        "What is a computer?", "Tell me a joke.", "How do I boil an egg?", "What is the moon made of?",
        "Why do birds sing?", "Explain rain to a child.", "What is music?", "Suggest a name for a dog.",
        "What is the largest ocean?", "How does a bicycle work?", "Write a short poem about snow.", "What is gravity?",
        "Give me a synonym for happy.", "What do bees make?", "How many legs does a spider have?", "What is a volcano?",
        "Describe a sunset.", "Why is exercise good?", "What is the speed of light?", "Name a famous painter.",
        "How do fish breathe?", "What is democracy?", "Write a haiku about autumn.", "What are clouds?",
    ]

    static func requests(count: Int, maxTokens: Int, first: Int = 0) -> [GenerationRequest] {
        (first..<first + count).map { i in
            // Every prompt meets every sampler within 6 × 32 results, and any 32 consecutive
            // results cover all six samplers.
            let prompt = prompts[i % prompts.count]
            let variant = (i % prompts.count + i / prompts.count) % 6
            if variant == 0 { return .chat(prompt, parameters: .greedy(maxTokens: maxTokens)) }
            let temps = [0.5, 0.8, 1.0, 1.2, 1.5], ks = [40, 0, 100, 20, 0], ps = [0.95, 1, 0.9, 0.8, 0.98]
            let v = variant - 1
            return .chat(prompt, parameters: SamplingParameters(temperature: temps[v], topK: ks[v], topP: ps[v],
                                                                 seed: UInt64(i) &* 2_654_435_761, maxTokens: maxTokens))
        }
    }

    static func generateAll(_ engine: LlamaEngine, _ rs: [GenerationRequest]) async throws -> [GenerationResult] {
        try await withThrowingTaskGroup(of: (Int, GenerationResult).self) { group in
            for (i, r) in rs.enumerated() { group.addTask { (i, try await engine.generate(r)) } }
            var out = [GenerationResult?](repeating: nil, count: rs.count)
            for try await (i, r) in group { out[i] = r }
            return out.compactMap { $0 }
        }
    }

    static func verifyAll(_ engine: LlamaEngine, _ items: [(GenerationRequest, [Int32])]) async throws -> [VerificationOutcome] {
        try await withThrowingTaskGroup(of: (Int, VerificationOutcome).self) { group in
            for (i, item) in items.enumerated() { group.addTask { (i, try await engine.verify(request: item.0, claimedTokens: item.1)) } }
            var out = [VerificationOutcome?](repeating: nil, count: items.count)
            for try await (i, v) in group { out[i] = v }
            return out.compactMap { $0 }
        }
    }

    /// Runs the calibration. The validators run at the largest of `tolerances` and the calibrated
    /// tolerance; since a verdict's largest needed margin covers every position, the outcome at
    /// any smaller tolerance `τ` follows from it: rejected iff rejected at the largest, or the
    /// largest needed margin exceeds `τ` (a top-p check at `τ` could only reject more).
    static func run(model: String, count: Int, detectionCount: Int, maxTokens: Int, tolerances: [Double], first: Int) async throws {
        let tolerance = EngineConfiguration.calibratedTolerance
        let sweep = Array(Set(tolerances + [tolerance])).sorted()
        say("## calibration: \(count) honest results (from request \(first)) of \(maxTokens) tokens, tolerances \(sweep) (calibrated \(tolerance)), load average at start \(loadAverage())")
        let started = Date()
        let big = 4 * count + 64
        let batched = try await LlamaEngine.load(EngineConfiguration(modelPath: model, threads: 1, slots: 4, contextPerSlot: 512,
                                                                     queueCapacity: big, tolerance: sweep.last!, measureSpeedAtStart: false))
        let solo = try await LlamaEngine.load(EngineConfiguration(modelPath: model, threads: 2, slots: 1, contextPerSlot: 512,
                                                                  queueCapacity: big, tolerance: sweep.last!, measureSpeedAtStart: false))
        let alone = try await LlamaEngine.load(EngineConfiguration(modelPath: model, threads: 1, slots: 1, contextPerSlot: 512,
                                                                   queueCapacity: big, tolerance: sweep.last!, measureSpeedAtStart: false))
        let rs = requests(count: count, maxTokens: maxTokens, first: first)
        let half = count / 2
        // Half produced batched (4 slots, 1 thread), checked alone on 2 threads; the other half
        // produced alone (1 slot, 1 thread), checked batched on 1 thread. (Producing on 2 threads
        // is left to the tests: on a machine shared with other work, ggml's 2-thread barriers
        // make token-by-token generation there ~20× slower, while a 2-thread prefill is cheap.)
        let producedBatched = try await generateAll(batched, Array(rs[..<half]))
        say("generated \(half) batched in \(f(Date().timeIntervalSince(started), 1)) s")
        var producedSolo: [GenerationResult] = []
        for r in rs[half...] { producedSolo.append(try await alone.generate(r)) }
        say("generated \(count) honest results in \(f(Date().timeIntervalSince(started), 1)) s")
        var verdicts: [VerificationOutcome] = []
        for (i, r) in producedBatched.enumerated() { verdicts.append(try await solo.verify(request: rs[i], claimedTokens: r.tokens)) }
        say("checked \(half) on 2 threads in \(f(Date().timeIntervalSince(started), 1)) s")
        verdicts += try await verifyAll(batched, producedSolo.enumerated().map { (rs[half + $0.offset], $0.element.tokens) })
        solo.shutdown()
        alone.shutdown()
        let honest = producedBatched + producedSolo
        let rejected = verdicts.filter { rejects($0, at: tolerance) }
        let margins = verdicts.map(\.report.largestMargin).sorted()
        let inexact = verdicts.map(\.report.inexactPositions).reduce(0, +)
        let positions = honest.map(\.tokens.count).reduce(0, +)
        let greedyMargins = zip(rs, verdicts).filter { $0.0.parameters.isGreedy }.map(\.1.report.largestMargin)
        say("RESULT honest: \(verdicts.count) checked, \(rejected.count) rejected at tolerance \(tolerance); inexact positions \(inexact) of \(positions); needed margin: max \(f(margins.last ?? 0, 4)), 99.9th pct \(f(margins[min(margins.count - 1, margins.count * 999 / 1000)], 4)), 99th pct \(f(margins[min(margins.count - 1, margins.count * 99 / 100)], 4)), nonzero \(margins.filter { $0 > 0 }.count); greedy max \(f(greedyMargins.max() ?? 0, 4))")
        for v in rejected.prefix(5) { print("  rejected: \(v)") }
        say("RESULT honest rejected by tolerance: " + sweep.map { t in "\(t): \(verdicts.filter { rejects($0, at: t) }.count)" }.joined(separator: ", "))
        say("RESULT honest largest needed margins: \(margins.suffix(10).reversed().map { f($0, 4) })")

        guard detectionCount > 0 else {
            say("calibration took \(f(Date().timeIntervalSince(started), 1)) s; load average at end \(loadAverage())")
            return
        }
        try await detect(batched: batched, requests: rs, honest: honest, count: min(detectionCount, honest.count), model: model,
                         sweep: sweep)
        say("calibration took \(f(Date().timeIntervalSince(started), 1)) s; load average at end \(loadAverage())")
    }

    /// Detection of tampering, on the first `n` honest results (checked by `batched`).
    static func detect(batched: LlamaEngine, requests rs: [GenerationRequest], honest: [GenerationResult], count n: Int,
                       model: String, sweep: [Double]) async throws {
        var rng = BenchRandom(state: 0xA60_2A)
        let vocab = Int32(batched.model.vocabularySize)
        var cases: [(String, [(GenerationRequest, [Int32])])] = [("one token replaced by a random token", []),
            ("output truncated (1..3 tokens dropped)", []), ("output extended by one token", [])]
        var replacedPrompt: [(GenerationRequest, [Int32])] = [], alteredPrompt: [(GenerationRequest, [Int32])] = []
        for i in 0..<n {
            let r = rs[i], t = honest[i].tokens
            var replaced = t
            let at = Int.random(in: 0..<t.count, using: &rng)
            repeat { replaced[at] = Int32.random(in: 0..<vocab, using: &rng) } while replaced[at] == t[at]
            cases[0].1.append((r, replaced))
            if t.count > 1 { cases[1].1.append((r, Array(t.dropLast(Int.random(in: 1...min(3, t.count - 1), using: &rng))))) }
            cases[2].1.append((r, t + [Int32.random(in: 0..<vocab, using: &rng)]))
            var other = r
            other.prompt = .chat([ChatMessage(role: "user", content: prompts[(i + 7) % prompts.count])])
            replacedPrompt.append((other, t))
            var altered = r
            if case .chat(let m) = r.prompt {
                altered.prompt = .chat([ChatMessage(role: "user", content: m[0].content + " Answer briefly.")])
            }
            alteredPrompt.append((altered, t))
        }
        for (name, items) in cases {
            let vs = try await verifyAll(batched, items)
            let caught = vs.filter { rejects($0, at: EngineConfiguration.calibratedTolerance) }.count
            say("RESULT detection \(name): \(caught) / \(vs.count) = \(f(100 * Double(caught) / Double(max(1, vs.count)), 1)) %; by tolerance " + sweep.map { t in "\(t): \(vs.filter { rejects($0, at: t) }.count)" }.joined(separator: ", "))
        }
        // A claim under another prompt is only wrong when the honest output of that prompt differs
        // from the claimed tokens; an identical one is a correct result with nothing to detect.
        for (name, items) in [("prompt replaced by another prompt", replacedPrompt),
                              ("prompt altered slightly (\" Answer briefly.\" appended)", alteredPrompt)] {
            let truth = try await generateAll(batched, items.map(\.0)).map(\.tokens)
            let vs = try await verifyAll(batched, items)
            report("detection \(name)", claims: items.map(\.1), truth: truth, verdicts: vs, sweep: sweep)
        }

        // Another quantisation of the same model, derived with llama.cpp's quantiser; the files
        // are kept under the cache directory (never in git) and reused by later runs.
        let cache = ProcessInfo.processInfo.environment["AGORA_CACHE"] ?? (NSHomeDirectory() + "/.cache/agora")
        let dir = cache + "/requantised"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, q) in [("Q8_0", ModelFile.Quantisation.q8_0), ("Q4_0", .q4_0), ("Q5_1", .q5_1)] {
            let path = dir + "/\((model as NSString).lastPathComponent)-requantised-\(name).gguf"
            if !FileManager.default.fileExists(atPath: path) {
                try ModelFile.requantize(model, to: path + ".partial", as: q, threads: 2)
                try FileManager.default.moveItem(atPath: path + ".partial", toPath: path)
            }
            let other = try await LlamaEngine.load(EngineConfiguration(modelPath: path, threads: 1, slots: 4, contextPerSlot: 512,
                                                                       queueCapacity: 4 * n + 64, measureSpeedAtStart: false))
            let theirs = try await generateAll(other, Array(rs[..<n])).map(\.tokens)
            other.shutdown()
            let vs = try await verifyAll(batched, (0..<n).map { (rs[$0], theirs[$0]) })
            report("detection another quantisation (\(name) re-quantised from the Q4_1 file)", claims: theirs,
                   truth: Array(honest[..<n]).map(\.tokens), verdicts: vs, sweep: sweep)
        }
    }

    /// Prints detection over the claims that differ from the true output, and how many were identical.
    static func report(_ name: String, claims: [[Int32]], truth: [[Int32]], verdicts: [VerificationOutcome], sweep: [Double]) {
        let tolerance = EngineConfiguration.calibratedTolerance
        let differing = claims.indices.filter { claims[$0] != truth[$0] }
        let identical = claims.count - differing.count
        let caught = differing.filter { rejects(verdicts[$0], at: tolerance) }
        let missed = differing.filter { !rejects(verdicts[$0], at: tolerance) }
        let identicalRejected = claims.indices.filter { claims[$0] == truth[$0] && rejects(verdicts[$0], at: tolerance) }.count
        // A differing claim every token of which is the validator's own choice is one an honest run
        // could have produced (the true output itself came from a run with near-tie flips).
        let validatorsOwn = differing.filter { verdicts[$0].report.inexactPositions == 0 }.count
        let smallest = differing.map { verdicts[$0].report.largestMargin }.min() ?? 0
        say("RESULT \(name): \(claims.count) claims, \(identical) identical to the true output (correct, nothing to detect; \(identicalRejected) of them rejected); differing \(differing.count), of which \(validatorsOwn) exactly the validator's own output; detected \(caught.count) / \(differing.count) differing = \(f(100 * Double(caught.count) / Double(max(1, differing.count)), 1)) %; smallest needed margin among differing \(f(smallest, 3)); missed margins \(missed.map { f(verdicts[$0].report.largestMargin, 3) }); differing detected by tolerance " + sweep.map { t in "\(t): \(differing.filter { rejects(verdicts[$0], at: t) }.count)" }.joined(separator: ", "))
    }

    /// Whether a verdict reached at a tolerance ≥ `t` rejects at `t`.
    static func rejects(_ v: VerificationOutcome, at t: Double) -> Bool { !v.passed || v.report.largestMargin > t }
}

/// SplitMix64, so that the tampering positions and tokens are the same in every run.
struct BenchRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
