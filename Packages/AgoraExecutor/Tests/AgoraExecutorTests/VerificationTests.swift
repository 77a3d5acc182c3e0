import Foundation
import Testing
@testable import AgoraExecutor

/// A small seeded generator for choosing tampering positions and tokens.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Sampler.splitMix(state &- 0x9E37_79B9_7F4A_7C15)
    }
}

/// Honest results: every sample prompt under greedy decoding and three seeded samplers.
func honestRequests(maxTokens: Int) -> [GenerationRequest] {
    var out: [GenerationRequest] = []
    for (i, prompt) in samplePrompts.enumerated() {
        out.append(.chat(prompt, parameters: .greedy(maxTokens: maxTokens)))
        for s in 0..<3 {
            let p = SamplingParameters(temperature: [0.7, 1.0, 1.3][s], topK: [40, 0, 100][s], topP: [0.95, 1, 0.9][s],
                                       seed: UInt64(1000 + 10 * i + s), maxTokens: maxTokens)
            out.append(.chat(prompt, parameters: p))
        }
    }
    return out
}

/// Generates all `requests` concurrently (so they share batches).
func generateBatched(_ engine: LlamaEngine, _ requests: [GenerationRequest]) async throws -> [GenerationResult] {
    try await withThrowingTaskGroup(of: (Int, GenerationResult).self) { group in
        for (i, r) in requests.enumerated() { group.addTask { (i, try await engine.generate(r)) } }
        var out = [GenerationResult?](repeating: nil, count: requests.count)
        for try await (i, r) in group { out[i] = r }
        return out.compactMap { $0 }
    }
}

extension ExecutorTests {
@Suite("Verification by teacher forcing")
struct VerificationTests {
    @Test("the bootstrap's build is bit-exact: a claim of the engine's own arithmetic is checked exactly, any other with the tolerance")
    func modeFollowsArithmetic() async throws {
        let engine = try await Engines.shared.engine()
        #expect(LlamaBackend.isBitExact, "llama.cpp was built with llamafile's sgemm; scripts/bootstrap builds with GGML_LLAMAFILE=OFF")
        #expect(!engine.arithmetic.contains("n_threads"))
        #expect(engine.isBatchInvariant, "the default model's logits must not depend on batching for exact checks")
        #expect(engine.verificationMode(claimedArithmetic: engine.arithmetic) == .exact)
        #expect(engine.verificationMode(claimedArithmetic: engine.arithmetic + " | AVX512 = 1") == .tolerant(EngineConfiguration.calibratedTolerance))
        #expect(engine.verificationMode(claimedArithmetic: nil) == .tolerant(EngineConfiguration.calibratedTolerance))
        let r = try await engine.generate(.chat("Name three fruits.", parameters: .greedy(maxTokens: 8)))
        #expect(r.fingerprint.arithmetic == engine.arithmetic)
    }

    @Test("honest results pass exactly: produced batched at 1 thread and alone at 2 threads, checked by the other engine")
    func honestResultsPass() async throws {
        let one = try await Engines.shared.engine(threads: 1, slots: 4, queue: 64)
        let two = try await Engines.shared.engine(threads: 2, slots: 4, queue: 64)
        let requests = honestRequests(maxTokens: 12)
        let batched = try await generateBatched(one, requests)
        var solo: [GenerationResult] = []
        for r in requests { solo.append(try await two.generate(r)) }
        var checked = 0, inexact = 0
        var largest = 0.0
        for (i, r) in requests.enumerated() {
            for (result, validator) in [(batched[i], two), (solo[i], one)] {
                let v = try await validator.verify(request: r, claimedTokens: result.tokens,
                                                   claimedArithmetic: result.fingerprint.arithmetic)
                #expect(v.passed, "honest result rejected: \(v) for \(r.parameters.canonicalDescription)")
                #expect(v.report.mode == .exact)
                checked += 1
                inexact += v.report.inexactPositions
                largest = max(largest, v.report.largestMargin)
            }
        }
        // Longer outputs drift further: 8 results of 64 tokens (greedy and seeded, alternating),
        // produced batched at 1 thread and checked alone at 2 threads.
        let long = samplePrompts.enumerated().map { i, prompt in
            GenerationRequest.chat(prompt, parameters: i % 2 == 0 ? .greedy(maxTokens: 64)
                                   : SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95, seed: UInt64(2000 + i), maxTokens: 64))
        }
        var longest = 0.0
        for (r, result) in zip(long, try await generateBatched(one, long)) {
            let v = try await two.verify(request: r, claimedTokens: result.tokens, claimedArithmetic: result.fingerprint.arithmetic)
            #expect(v.passed, "honest 64-token result rejected: \(v) for \(r.parameters.canonicalDescription)")
            #expect(v.report.mode == .exact)
            checked += 1
            inexact += v.report.inexactPositions
            longest = max(longest, v.report.largestMargin)
        }
        print("honest results checked: \(checked), inexact positions: \(inexact), largest margin: \(largest) (12 tokens), \(longest) (64 tokens)")
        #expect(checked == 72)
        // Bit-identical arithmetic: every honest token is exactly the validator's own choice.
        #expect(inexact == 0 && largest == 0 && longest == 0)
    }

    @Test("tampered results fail the exact check: a replaced token, truncation, extension, another prompt, a slightly altered prompt")
    func tamperedResultsFail() async throws {
        let engine = try await Engines.shared.engine(threads: 1, slots: 4, queue: 64)
        let own = engine.arithmetic
        // Two of the four samplers per prompt, alternating (all samplers, all prompts): 16 results x 4 tamperings.
        let requests = honestRequests(maxTokens: 12).enumerated().filter { ($0.offset / 4 + $0.offset) % 2 == 0 }.map(\.element)
        let results = try await generateBatched(engine, requests)
        var rng = SplitMix64(state: 7)
        for (i, r) in requests.enumerated() {
            let honest = results[i].tokens
            // One token replaced by a random other token.
            var replaced = honest
            let at = Int.random(in: 0..<honest.count, using: &rng)
            var t = honest[at]
            while t == honest[at] { t = Int32.random(in: 0..<Int32(engine.model.vocabularySize), using: &rng) }
            replaced[at] = t
            let v1 = try await engine.verify(request: r, claimedTokens: replaced, claimedArithmetic: own)
            #expect(!v1.passed, "replaced token at \(at) passed")
            if case .fail(let position, _, _) = v1 { #expect(position <= at) }
            // Truncated.
            if honest.count > 1 {
                let v2 = try await engine.verify(request: r, claimedTokens: Array(honest.dropLast()), claimedArithmetic: own)
                #expect(!v2.passed, "truncated output passed")
            }
            // Extended.
            let v3 = try await engine.verify(request: r, claimedTokens: honest + [honest[0]], claimedArithmetic: own)
            #expect(!v3.passed, "extended output passed")
            // Another prompt.
            var other = r
            other.prompt = .chat([ChatMessage(role: "user", content: samplePrompts[(i / 2 + 3) % samplePrompts.count])])
            let v4 = try await engine.verify(request: other, claimedTokens: honest, claimedArithmetic: own)
            #expect(!v4.passed, "output for another prompt passed")
        }
        // A slightly altered prompt. Where the altered prompt's own output is the same, the claim is
        // correct and must pass; where it differs, the exact check must catch it. (The tolerant
        // check, between different arithmetic, catches only some: BENCHMARKS.md.)
        let altered = requests.map { r in
            guard case .chat(let m) = r.prompt else { return r }
            return GenerationRequest(prompt: .chat([ChatMessage(role: "user", content: m[0].content + " Answer briefly.")]),
                                     parameters: r.parameters)
        }
        let truth = try await generateBatched(engine, altered)
        var differing = 0, caught = 0
        for (i, r) in altered.enumerated() {
            let v = try await engine.verify(request: r, claimedTokens: results[i].tokens, claimedArithmetic: own)
            if truth[i].tokens == results[i].tokens {
                #expect(v.passed, "an output identical to the altered prompt's own output was rejected: \(v)")
            } else {
                differing += 1
                if !v.passed { caught += 1 }
            }
        }
        print("slightly altered prompt: \(altered.count - differing) outputs identical (all passed), \(caught) of \(differing) differing detected")
        #expect(caught == differing)
    }

    @Test("out-of-vocabulary and empty claims fail without decoding garbage")
    func malformedClaims() async throws {
        let engine = try await Engines.shared.engine()
        let r = GenerationRequest.chat("Name three fruits.", parameters: .greedy(maxTokens: 8))
        let honest = try await engine.generate(r)
        let empty = try await engine.verify(request: r, claimedTokens: [])
        #expect(!empty.passed)
        var bad = honest.tokens
        bad[2] = 1_000_000
        guard case .fail(let position, _, _) = try await engine.verify(request: r, claimedTokens: bad) else {
            Issue.record("out-of-vocabulary token passed"); return
        }
        #expect(position == 2)
        let negative = try await engine.verify(request: r, claimedTokens: [-5])
        #expect(!negative.passed)
    }

    @Test("a saved result round-trips through its file and verifies")
    func savedResult() async throws {
        let engine = try await Engines.shared.engine()
        let request = GenerationRequest.chat("What is the capital of France?",
                                             parameters: SamplingParameters(temperature: 0.8, seed: 5, maxTokens: 10))
        let result = try await engine.generate(request)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/result.json"
        try SavedResult(request: request, result: result).save(to: path)
        let loaded = try SavedResult.load(from: path)
        #expect(loaded.tokens == result.tokens)
        #expect(loaded.request == request)
        #expect(try await loaded.verify(on: engine).passed)
        var forged = loaded
        forged.tokens[0] = forged.tokens[0] == 13 ? 14 : 13
        #expect(!(try await forged.verify(on: engine).passed))
    }
}
}
