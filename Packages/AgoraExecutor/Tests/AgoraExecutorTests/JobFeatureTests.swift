import Foundation
import Testing
@testable import AgoraExecutor

extension ExecutorTests {
/// Stop sequences, penalties, logit bias, logprobs and grammars (Protocol.md §7.4a): each
/// changes the output, honest results pass the check exactly, and a lie about each is caught.
@Suite("Job features, generated and checked")
struct JobFeatureTests {
    static func check(_ engine: LlamaEngine, _ request: GenerationRequest, _ tokens: [Int32],
                      _ logprobs: [TokenLogprob] = []) async throws -> VerificationOutcome {
        try await engine.verify(request: request, claimedTokens: tokens, claimedLogprobs: logprobs,
                                claimedArithmetic: engine.arithmetic)
    }

    @Test("a stop sequence ends the output; a result that runs past it, or is cut before it, fails")
    func stopPointIsChecked() async throws {
        let engine = try await Engines.shared.engine()
        let free = try await engine.generate(.chat("List three colours, one per line.", parameters: .greedy(maxTokens: 24)))
        #expect(free.text.contains("\n"), "the model should write several lines: \(free.text.debugDescription)")
        var p = SamplingParameters.greedy(maxTokens: 24)
        p.stop = ["\n"]
        let request = GenerationRequest.chat("List three colours, one per line.", parameters: p)
        let stopped = try await engine.generate(request)
        #expect(stopped.finishReason == .stopSequence && !stopped.text.contains("\n"))
        #expect(try await Self.check(engine, request, stopped.tokens).passed)
        // Past the stop point: the free run's longer output under the same job.
        let longer = Array(free.tokens.prefix(stopped.tokens.count + 2))
        #expect(longer.count > stopped.tokens.count)
        let past = try await Self.check(engine, request, longer)
        #expect(!past.passed, "an output continuing after its stop sequence must fail")
        // Before it: a prefix without the stop sequence and below max tokens.
        if stopped.tokens.count > 1 {
            #expect(!(try await Self.check(engine, request, Array(stopped.tokens.dropLast()))).passed)
        }
    }

    @Test("logit bias and penalties change the output; honest results pass exactly, the unbiased output fails")
    func biasAndPenalties() async throws {
        let engine = try await Engines.shared.engine()
        let plain = GenerationRequest.chat("Repeat the word blue ten times.", parameters: .greedy(maxTokens: 16))
        let base = try await engine.generate(plain)
        let first = base.tokens[0]
        var biased = plain
        biased.parameters.logitBias = [LogitBias(token: first, bias: -100)]
        let b = try await engine.generate(biased)
        #expect(b.tokens[0] != first, "a −100 bias bans the token")
        #expect(try await Self.check(engine, biased, b.tokens).passed)
        #expect(!(try await Self.check(engine, biased, base.tokens)).passed, "the unbiased output is not the biased job's")
        let repetitive = GenerationRequest(prompt: .text("blue, blue, blue, blue, blue, blue,"), parameters: .greedy(maxTokens: 16))
        let rep = try await engine.generate(repetitive)
        #expect(Set(rep.tokens).count < rep.tokens.count, "the model repeats itself: \(rep.text.debugDescription)")
        var penalised = repetitive
        penalised.parameters.frequencyPenalty = 2
        penalised.parameters.presencePenalty = 2
        let pen = try await engine.generate(penalised)
        #expect(pen.tokens != rep.tokens, "penalties of 2 change a repetitive output")
        #expect(try await Self.check(engine, penalised, pen.tokens).passed)
        #expect(!(try await Self.check(engine, penalised, rep.tokens)).passed)
        // Sampled, with both: still exact.
        var sampled = penalised
        sampled.parameters.temperature = 1.1
        sampled.parameters.seed = 99
        sampled.parameters.logitBias = [LogitBias(token: 30, bias: 3.5)]
        let s = try await engine.generate(sampled)
        #expect(try await Self.check(engine, sampled, s.tokens).passed)
    }

    @Test("logprobs come with every token, are normalised, and altered values fail the check")
    func logprobs() async throws {
        let engine = try await Engines.shared.engine()
        var p = SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95, seed: 5, maxTokens: 12)
        p.topLogprobs = 5
        let request = GenerationRequest.chat("Name a fruit.", parameters: p)
        let r = try await engine.generate(request)
        #expect(r.logprobs.count == r.tokens.count)
        for (t, lp) in zip(r.tokens, r.logprobs) {
            #expect(lp.top.count == 5)
            #expect(lp.logprob <= 0 && lp.top[0].logprob >= lp.logprob)
            #expect(zip(lp.top, lp.top.dropFirst()).allSatisfy { $0.logprob >= $1.logprob })
            #expect(lp.top.map(\.logprob).map { exp(Double($0)) }.reduce(0, +) <= 1.0001)
            if let same = lp.top.first(where: { $0.token == t }) { #expect(same.logprob == lp.logprob) }
        }
        #expect(try await Self.check(engine, request, r.tokens, r.logprobs).passed)
        var altered = r.logprobs
        altered[altered.count / 2].logprob += 0.01
        let bad = try await Self.check(engine, request, r.tokens, altered)
        #expect(!bad.passed)
        var swapped = r.logprobs
        swapped[0].top.swapAt(0, 1)
        #expect(!(try await Self.check(engine, request, r.tokens, swapped)).passed)
        #expect(!(try await Self.check(engine, request, r.tokens, Array(r.logprobs.dropLast()))).passed, "one logprob per token")
        #expect(!(try await Self.check(engine, request, r.tokens)).passed, "the job asks for logprobs")
    }

    @Test("a grammar constrains the output; the check applies the same mask; output outside it fails")
    func grammar() async throws {
        let engine = try await Engines.shared.engine()
        var p = SamplingParameters.greedy(maxTokens: 40)
        p.grammar = #"""
        root ::= "{" ws "\"colour\":" ws colour ws "," ws "\"count\":" ws [0-9] ws "}"
        colour ::= "\"red\"" | "\"green\"" | "\"blue\""
        ws ::= [ \t\n]?
        """#
        let request = GenerationRequest.chat("Pick a colour and a digit.", parameters: p)
        let r = try await engine.generate(request)
        #expect(r.finishReason == .endOfGeneration, "a complete grammar allows only the end: \(r.text.debugDescription)")
        let object = try JSONSerialization.jsonObject(with: Data(r.text.utf8)) as? [String: Any]
        #expect(["red", "green", "blue"].contains(object?["colour"] as? String ?? ""))
        #expect(try await Self.check(engine, request, r.tokens).passed)
        // Sampled under the grammar: still exact.
        var hot = request
        hot.parameters.temperature = 1.5
        hot.parameters.seed = 3
        let h = try await engine.generate(hot)
        #expect(try JSONSerialization.jsonObject(with: Data(h.text.utf8)) is [String: Any])
        #expect(try await Self.check(engine, hot, h.tokens).passed)
        // The same job's unconstrained output is outside the grammar.
        var free = request
        free.parameters.grammar = ""
        let f = try await engine.generate(free)
        let outside = try await Self.check(engine, request, f.tokens)
        #expect(!outside.passed)
        if case .fail(_, let reason, _) = outside { #expect(reason.contains("grammar") || reason.contains("not the token")) }
        // A grammar that does not parse is a typed error, not a crash.
        var broken = request
        broken.parameters.grammar = "root ::= ("
        await expectError(.invalidParameter) { try await engine.generate(broken) }
    }
}
}
