import Foundation
import Testing
@testable import AgoraExecutor

extension ExecutorTests {
@Suite("Generation on the real model")
struct GenerationTests {
    @Test("a fixed chat prompt gives fluent English")
    func fluentEnglish() async throws {
        let engine = try await Engines.shared.engine()
        let r = try await engine.generate(.chat("Why is the sky blue?", parameters: .greedy(maxTokens: 40)))
        let words = r.text.split(whereSeparator: { !$0.isLetter }).map { $0.lowercased() }
        #expect(words.count >= 20, "too few words: \(r.text)")
        let common: Set<String> = ["the", "is", "of", "a", "and", "to", "in", "sky", "blue", "light", "sun", "sunlight", "atmosphere"]
        #expect(words.filter { common.contains($0) }.count >= 6, "not English enough: \(r.text)")
        #expect(r.text.unicodeScalars.allSatisfy { $0.isASCII }, "\(r.text)")
        #expect(r.tokens.count == 40 && r.finishReason == .maxTokens)
        #expect(r.fingerprint.modelID == engine.model.id)
        #expect(r.fingerprint.arithmetic == engine.arithmetic)
        #expect(engine.detokenize(r.tokens) == r.text)
    }

    @Test("model metadata: name, context length, chat template, id")
    func metadata() async throws {
        let engine = try await Engines.shared.engine()
        #expect(engine.model.id == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
        #expect(engine.model.trainingContextLength == 8192)
        #expect(engine.model.vocabularySize == 49152)
        #expect(engine.model.chatTemplate?.contains("<|im_start|>") == true)
        #expect(engine.model.quantisation == "Q4_1")
        let text = try engine.applyChatTemplate([ChatMessage(role: "user", content: "Hi")])
        #expect(text.hasSuffix("<|im_start|>assistant\n"))
        let tokens = try engine.tokenize("Hello world")
        #expect(engine.detokenize(tokens) == "Hello world")
    }

    @Test("greedy and seeded runs repeat exactly, with 1 and with 2 threads")
    func determinism() async throws {
        let one = try await Engines.shared.engine(threads: 1)
        let two = try await Engines.shared.engine(threads: 2)
        let requests = [
            GenerationRequest.chat("Name three fruits.", parameters: .greedy(maxTokens: 24)),
            GenerationRequest.chat("Write one sentence about cats.",
                                   parameters: SamplingParameters(temperature: 0.9, topK: 40, topP: 0.95, seed: 42, maxTokens: 24)),
        ]
        for request in requests {
            let a = try await one.generate(request)
            let b = try await one.generate(request)
            let c = try await two.generate(request)
            #expect(a.tokens == b.tokens)
            #expect(a.tokens == c.tokens, "1 vs 2 threads differ for \(request.parameters.canonicalDescription)")
        }
        var p = requests[1].parameters
        let base = try await one.generate(GenerationRequest(prompt: requests[1].prompt, parameters: p))
        p.seed = 43
        let other = try await one.generate(GenerationRequest(prompt: requests[1].prompt, parameters: p))
        #expect(base.tokens != other.tokens, "a different seed should sample differently")
    }

    @Test("streaming yields every token, then the result")
    func streaming() async throws {
        let engine = try await Engines.shared.engine()
        var tokens: [Int32] = []
        var text = ""
        var final: GenerationResult?
        for try await event in try engine.stream(.chat("Name three fruits.", parameters: .greedy(maxTokens: 16))) {
            switch event {
            case .token(let t): tokens.append(t.id); text += t.text
            case .finished(let r): final = r
            }
        }
        let r = try #require(final)
        #expect(r.tokens == tokens)
        #expect(r.text == text)
    }

    @Test("stop sequences end the output before them")
    func stopSequence() async throws {
        let engine = try await Engines.shared.engine()
        let free = try await engine.generate(.chat("Why is the sky blue?", parameters: .greedy(maxTokens: 24)))
        let words = free.text.split(separator: " ")
        let stopWord = String(words[3])
        var p = SamplingParameters.greedy(maxTokens: 24)
        p.stop = [stopWord]
        let stopped = try await engine.generate(.chat("Why is the sky blue?", parameters: p))
        #expect(stopped.finishReason == .stopSequence)
        #expect(!stopped.text.contains(stopWord))
        #expect(free.text.hasPrefix(stopped.text))
    }

    @Test("the engine measures its own speed at start-up")
    func selfMeasurement() async throws {
        let engine = try await LlamaEngine.load(EngineConfiguration(threads: 1, slots: 1, contextPerSlot: 512))
        let speed = try #require(engine.speed)
        #expect(speed.prefillTokensPerSecond > speed.decodeTokensPerSecond)
        #expect(speed.decodeTokensPerSecond > 0.5)
        #expect(speed.measurementSeconds < 30)
    }

    @Test("the step profile counts every llama_decode and the engine's own time, then resets")
    func stepProfile() async throws {
        let engine = try await LlamaEngine.load(EngineConfiguration(threads: 1, slots: 1, contextPerSlot: 256,
                                                                    measureSpeedAtStart: false))
        defer { engine.shutdown() }
        let r = try await engine.generate(GenerationRequest(prompt: .text("Once upon a time"), parameters: .greedy(maxTokens: 12)))
        let p = engine.takeStepProfile()
        // The prefill step gives the first token; every later token is one decode step.
        #expect(p.steps == r.tokens.count)
        #expect(p.decodeSeconds > 0 && p.engineSeconds > 0)
        #expect(p.engineShare < 0.5, "the engine's own work took \(p.engineSeconds) s against \(p.decodeSeconds) s in llama_decode")
        #expect(engine.takeStepProfile() == StepProfile())
    }
}
}
