import Foundation
import Testing
@testable import AgoraExecutor

/// Which sequence a job takes and how much of its prompt it reuses (no model).
@Suite("Prefix cache: choosing a sequence")
struct PrefixCacheChoiceTests {
    @Test("the free sequence sharing the longest prefix wins; the last prompt token is never reused")
    func longestPrefixWins() {
        var cache = PrefixCache(sequences: 3)
        cache.set(0, to: [1, 2, 3])
        cache.set(1, to: [1, 2, 3, 4, 5, 6])
        cache.set(2, to: [9])
        #expect(cache.choose(for: [1, 2, 3, 4, 7], among: [0, 1, 2])! == (1, 4))
        // Sequence 1 is busy: the next best free one.
        #expect(cache.choose(for: [1, 2, 3, 4, 7], among: [0, 2])! == (0, 3))
        // The whole prompt is held: all but its last token are reused.
        #expect(cache.choose(for: [1, 2, 3], among: [0])! == (0, 2))
        #expect(cache.choose(for: [1], among: [0])! == (0, 0))
        #expect(cache.choose(for: [5], among: []) == nil)
    }

    @Test("ties go to the sequence holding least, so a long prefix stays for the job that needs it")
    func tiesKeepLongPrefixes() {
        var cache = PrefixCache(sequences: 3)
        cache.set(0, to: [1, 2, 3, 4, 5, 6, 7, 8])
        cache.set(1, to: [1, 2, 9])
        #expect(cache.choose(for: [1, 2, 5], among: [0, 1, 2])! == (1, 2))
        #expect(cache.choose(for: [7, 7], among: [0, 1, 2])! == (2, 0))
        cache.truncate(0, to: 2)
        #expect(cache.tokens(of: 0) == [1, 2])
        cache.clear(0)
        #expect(cache.tokens(of: 0).isEmpty)
    }
}

extension ExecutorTests {
/// On the real model: jobs started from a kept prefix compute the same bits as jobs computed
/// from scratch, whether the prefix was kept by a generation or by a check, and honest
/// results still pass exact checks.
@Suite("Prefix cache on the real model")
struct PrefixCacheTests {
    /// Seeded sampling with logprobs: any difference in a logit shows in the floats.
    static func request(_ text: String, history: [ChatMessage] = []) -> GenerationRequest {
        GenerationRequest(prompt: .chat(history + [ChatMessage(role: "user", content: text)]),
                          parameters: SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95, seed: 7, maxTokens: 20,
                                                         topLogprobs: 3))
    }

    @Test("reused prefixes give bit-identical results and exact checks pass")
    func reuseIsExact() async throws {
        let cached = try await LlamaEngine.load(EngineConfiguration(
            threads: 1, slots: 2, contextPerSlot: 1024, queueCapacity: 8, measureSpeedAtStart: false))
        let fresh = try await LlamaEngine.load(EngineConfiguration(
            threads: 1, slots: 2, contextPerSlot: 1024, queueCapacity: 8, measureSpeedAtStart: false,
            reusesPromptPrefixes: false))
        defer { cached.shutdown(); fresh.shutdown() }

        var reusedSomewhere = false
        var previous: (GenerationRequest, GenerationResult)?
        for (k, text) in samplePrompts.prefix(5).enumerated() {
            // Every other request continues the previous conversation: it shares the previous
            // prompt and output, not only the chat template's system prompt.
            var history: [ChatMessage] = []
            if k % 2 == 1, let (r, g) = previous, case .chat(let messages) = r.prompt {
                history = messages + [ChatMessage(role: "assistant", content: g.text)]
            }
            let request = Self.request(text, history: history)
            let a = try await cached.generate(request)
            let b = try await fresh.generate(request)
            #expect(b.timings.cachedPromptTokens == 0)
            if a.timings.cachedPromptTokens > 0 { reusedSomewhere = true }
            #expect(a.tokens == b.tokens, "request \(k): a reused prefix changed the output")
            #expect(a.logprobs == b.logprobs, "request \(k): a reused prefix changed the logprobs")
            // The check runs on the engine whose sequences hold this and earlier jobs' tokens.
            let v = try await cached.verify(request: request, claimedTokens: a.tokens, claimedLogprobs: a.logprobs,
                                            claimedArithmetic: cached.arithmetic)
            #expect(v.passed, "request \(k): an honest result failed its check on a reused prefix: \(v)")
            // A lie is still caught when the check starts from a kept prefix.
            var altered = a.tokens
            altered[altered.count / 2] = altered[altered.count / 2] == 42 ? 43 : 42
            let w = try await cached.verify(request: request, claimedTokens: altered, claimedLogprobs: [],
                                            claimedArithmetic: cached.arithmetic)
            #expect(!w.passed, "request \(k): an altered token passed a check on a reused prefix")
            previous = (request, a)
        }
        #expect(reusedSomewhere, "no job reused a prefix: every chat shares the template's system prompt")
    }

    @Test("a conversation's next turn reuses its earlier prompt and output")
    func nextTurnReusesTheConversation() async throws {
        let engine = try await LlamaEngine.load(EngineConfiguration(
            threads: 1, slots: 1, contextPerSlot: 1024, queueCapacity: 8, measureSpeedAtStart: false))
        defer { engine.shutdown() }
        let first = Self.request("Name three fruits.")
        let a = try await engine.generate(first)
        guard case .chat(let messages) = first.prompt else { return }
        let second = Self.request("Which one is the sweetest?",
                                  history: messages + [ChatMessage(role: "assistant", content: a.text)])
        let b = try await engine.generate(second)
        // All of the first prompt is kept, and the output as far as the template renders it alike.
        #expect(b.timings.cachedPromptTokens >= a.promptTokens.count, "\(b.timings)")
        #expect(b.timings.cachedPromptTokens < b.promptTokens.count)
    }
}
}
