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

    /// Checks every item; `claimedArithmetic` is what each claim says it was computed with
    /// (the engine's own class makes the check exact, nil makes it tolerant).
    static func verifyAll(_ engine: LlamaEngine, _ items: [(GenerationRequest, [Int32])],
                          claimedArithmetic: String?) async throws -> [VerificationOutcome] {
        try await withThrowingTaskGroup(of: (Int, VerificationOutcome).self) { group in
            for (i, item) in items.enumerated() {
                group.addTask { (i, try await engine.verify(request: item.0, claimedTokens: item.1, claimedArithmetic: claimedArithmetic)) }
            }
            var out = [VerificationOutcome?](repeating: nil, count: items.count)
            for try await (i, v) in group { out[i] = v }
            return out.compactMap { $0 }
        }
    }

    /// Verdicts of one set of claims in both modes: exact (the claim names the validator's own
    /// arithmetic class, as every result of this build does) and tolerant (a claim from another
    /// class), the latter at the largest tolerance of the sweep.
    struct Verdicts {
        var exact: [VerificationOutcome]
        var tolerant: [VerificationOutcome]
    }

    static func verifyBoth(_ engine: LlamaEngine, _ items: [(GenerationRequest, [Int32])]) async throws -> Verdicts {
        Verdicts(exact: try await verifyAll(engine, items, claimedArithmetic: engine.arithmetic),
                 tolerant: try await verifyAll(engine, items, claimedArithmetic: nil))
    }

    /// Runs the calibration. Honest results are checked in the mode their fingerprint selects
    /// (exact on a bit-exact build). Tolerant validators run at the largest of `tolerances`;
    /// since a verdict's largest needed margin covers every position, the outcome at any
    /// smaller tolerance `τ` follows from it: rejected iff rejected at the largest, or the
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
        say("arithmetic class: \(batched.arithmetic); exact verification between equal classes: \(batched.verificationMode(claimedArithmetic: batched.arithmetic) == .exact)")
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
        for (i, r) in producedBatched.enumerated() {
            verdicts.append(try await solo.verify(request: rs[i], claimedTokens: r.tokens, claimedArithmetic: r.fingerprint.arithmetic))
        }
        say("checked \(half) on 2 threads in \(f(Date().timeIntervalSince(started), 1)) s")
        for (i, r) in producedSolo.enumerated() {
            verdicts += try await verifyAll(batched, [(rs[half + i], r.tokens)], claimedArithmetic: r.fingerprint.arithmetic)
        }
        solo.shutdown()
        alone.shutdown()
        let honest = producedBatched + producedSolo
        let modes = Dictionary(grouping: verdicts, by: { $0.report.mode.description }).mapValues(\.count)
        let rejected = verdicts.filter { !$0.passed }
        let margins = verdicts.map(\.report.largestMargin).sorted()
        let inexact = verdicts.map(\.report.inexactPositions).reduce(0, +)
        let positions = honest.map(\.tokens.count).reduce(0, +)
        let greedyMargins = zip(rs, verdicts).filter { $0.0.parameters.isGreedy }.map(\.1.report.largestMargin)
        say("RESULT honest: \(verdicts.count) checked (modes \(modes)), \(rejected.count) rejected; inexact positions \(inexact) of \(positions); needed margin: max \(f(margins.last ?? 0, 4)), 99.9th pct \(f(margins[min(margins.count - 1, margins.count * 999 / 1000)], 4)), 99th pct \(f(margins[min(margins.count - 1, margins.count * 99 / 100)], 4)), nonzero \(margins.filter { $0 > 0 }.count); greedy max \(f(greedyMargins.max() ?? 0, 4))")
        for v in rejected.prefix(5) { print("  rejected: \(v)") }
        say("RESULT honest that a tolerant check would reject, by tolerance: " + sweep.map { t in "\(t): \(verdicts.filter { rejects($0, at: t) }.count)" }.joined(separator: ", "))
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
            let vs = try await verifyBoth(batched, items)
            let caught = vs.exact.filter { !$0.passed }.count
            say("RESULT detection \(name): exact \(caught) / \(items.count) = \(f(100 * Double(caught) / Double(max(1, items.count)), 1)) %; tolerant, by tolerance " + sweep.map { t in "\(t): \(vs.tolerant.filter { rejects($0, at: t) }.count)" }.joined(separator: ", "))
        }
        // A claim under another prompt is only wrong when the honest output of that prompt differs
        // from the claimed tokens; an identical one is a correct result with nothing to detect.
        for (name, items) in [("prompt replaced by another prompt", replacedPrompt),
                              ("prompt altered slightly (\" Answer briefly.\" appended)", alteredPrompt)] {
            let truth = try await generateAll(batched, items.map(\.0)).map(\.tokens)
            let vs = try await verifyBoth(batched, items)
            report("detection \(name)", claims: items.map(\.1), truth: truth, verdicts: vs, sweep: sweep)
        }

        // Another quantisation of the same model, derived with llama.cpp's quantiser; the files
        // are kept under the cache directory (never in git) and reused by later runs.
        let cache = ProcessInfo.processInfo.environment["AGORA_CACHE"] ?? (NSHomeDirectory() + "/.cache/agora")
        let truth = Array(honest[..<n]).map(\.tokens)
        for q in [ModelFile.Quantisation.q8_0, .q4_0, .q5_1] {
            let name = q.name
            let path = try ModelFile.requantisedCopy(of: model, as: q, threads: 2)
            let other = try await LlamaEngine.load(EngineConfiguration(modelPath: path, threads: 1, slots: 4, contextPerSlot: 512,
                                                                       queueCapacity: 4 * n + 64, measureSpeedAtStart: false))
            let theirs = try await generateAll(other, Array(rs[..<n])).map(\.tokens)
            other.shutdown()
            let vs = try await verifyBoth(batched, (0..<n).map { (rs[$0], theirs[$0]) })
            report("detection another quantisation (\(name) re-quantised from the Q4_1 file)", claims: theirs, truth: truth,
                   verdicts: vs, sweep: sweep)
        }
        try await detectOtherModel(batched: batched, requests: Array(rs[..<n]), truth: truth, cache: cache, sweep: sweep)
    }

    /// Another model (`scripts/fetch-other-model`, or `$AGORA_OTHER_MODEL`) answers the same
    /// requests; its text, re-tokenised with the claimed model's vocabulary (and ended with its
    /// end-of-generation token when the other model stopped), is claimed as the claimed model's.
    static func detectOtherModel(batched: LlamaEngine, requests rs: [GenerationRequest], truth: [[Int32]], cache: String,
                                 sweep: [Double]) async throws {
        let path = ProcessInfo.processInfo.environment["AGORA_OTHER_MODEL"]
            ?? cache + "/other-model/Qwen2.5-Coder-0.5B-Instruct.Q4_K_M.gguf"
        guard FileManager.default.fileExists(atPath: path) else {
            say("RESULT detection another model: skipped, \(path) is missing (run scripts/fetch-other-model)")
            return
        }
        let other = try await LlamaEngine.load(EngineConfiguration(modelPath: path, threads: 1, slots: 4, contextPerSlot: 512,
                                                                   queueCapacity: 4 * rs.count + 64, measureSpeedAtStart: false))
        let theirs = try await generateAll(other, rs)
        other.shutdown()
        let eog = try batched.tokenize("<|im_end|>", parseSpecial: true)
        var claims: [[Int32]] = []
        for (r, g) in zip(rs, theirs) {
            var t = try batched.tokenize(g.text)
            if g.finishReason == .endOfGeneration, eog.count == 1 { t += eog }
            if t.isEmpty { t = eog }
            claims.append(Array(t.prefix(r.parameters.maxTokens)))
        }
        let vs = try await verifyBoth(batched, zip(rs, claims).map { ($0, $1) })
        report("detection another model (\(other.model.name), \((path as NSString).lastPathComponent), text re-tokenised)",
               claims: claims, truth: truth, verdicts: vs, sweep: sweep)
    }

    /// Prints detection over the claims that differ from the true output, and how many were identical.
    static func report(_ name: String, claims: [[Int32]], truth: [[Int32]], verdicts: Verdicts, sweep: [Double]) {
        let differing = claims.indices.filter { claims[$0] != truth[$0] }
        let identical = claims.count - differing.count
        let caught = differing.filter { !verdicts.exact[$0].passed }
        let identicalRejected = claims.indices.filter { claims[$0] == truth[$0] && !verdicts.exact[$0].passed }.count
        let tolerant = verdicts.tolerant
        let smallest = differing.map { tolerant[$0].report.largestMargin }.min() ?? 0
        let t0 = EngineConfiguration.calibratedTolerance
        let missed = differing.filter { !rejects(tolerant[$0], at: t0) }
        say("RESULT \(name): \(claims.count) claims, \(identical) identical to the true output (correct, nothing to detect; \(identicalRejected) of them rejected); differing \(differing.count); exact check detected \(caught.count) / \(differing.count) = \(f(100 * Double(caught.count) / Double(max(1, differing.count)), 1)) %; tolerant check: smallest needed margin among differing \(f(smallest, 3)), missed at \(t0): \(missed.count), differing detected by tolerance " + sweep.map { t in "\(t): \(differing.filter { rejects(tolerant[$0], at: t) }.count)" }.joined(separator: ", "))
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
