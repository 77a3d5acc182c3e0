import AgoraWire
import Testing
@testable import AgoraJob

/// The job description's canonical encoding (Protocol.md §7.4a).
struct GenerationRequestWireTests {
    static let full = GenerationRequest(
        prompt: .chat([ChatMessage(role: "system", content: "Answer in JSON."), ChatMessage(role: "user", content: "hello")]),
        parameters: SamplingParameters(temperature: 0.7, topK: 40, topP: 0.9, seed: 42, maxTokens: 64, stop: ["\n", "END"],
                                       presencePenalty: 0.5, frequencyPenalty: -0.25,
                                       logitBias: [LogitBias(token: 7, bias: -100), LogitBias(token: 300, bias: 2.5)],
                                       topLogprobs: 5, grammar: "root ::= \"{\" \"}\""))

    @Test func everyFieldSurvivesTheWire() throws {
        let decoded = try GenerationRequest(wireBytes: Self.full.wireBytes)
        #expect(decoded == Self.full)
        #expect(decoded.wireBytes == Self.full.wireBytes)
    }

    @Test func textAndTokenPromptsRoundTrip() throws {
        for prompt in [Prompt.text("Once upon"), .tokens([1, 2, 3, 49151])] {
            let r = GenerationRequest(prompt: prompt, parameters: .greedy(maxTokens: 8))
            #expect(try GenerationRequest(wireBytes: r.wireBytes) == r)
        }
    }

    @Test func realValuesTravelInFixedPoint() throws {
        var r = Self.full
        r.parameters.temperature = 0.12345
        r.parameters.topP = 0.3333333
        let c = try r.canonicalized()
        #expect(c.parameters.temperature == 0.123)
        #expect(c.parameters.topP == 0.333333)
        #expect(try c.canonicalized() == c)
    }

    @Test func withoutLogprobsTheFieldIsZero() {
        let r = GenerationRequest.chat("hi", parameters: .greedy(maxTokens: 4))
        let bytes = r.wireBytes
        // ... ‖ logprobs u8 ‖ grammar (empty: one zero byte)
        #expect(Array(bytes.suffix(2)) == [0, 0])
    }

    @Test func malformedInputIsRefusedWithATypedError() {
        let good = Self.full.wireBytes
        // Unknown version.
        var bad = good; bad[0] = 2
        #expect(throws: WireError.self) { try GenerationRequest(wireBytes: bad) }
        // Every truncation fails; nothing crashes.
        for n in 0..<good.count {
            #expect(throws: WireError.self) { try GenerationRequest(wireBytes: Array(good.prefix(n))) }
        }
        // Trailing bytes.
        #expect(throws: WireError.self) { try GenerationRequest(wireBytes: good + [0]) }
        // An unknown role.
        let role = GenerationRequest(prompt: .chat([ChatMessage(role: "wizard", content: "x")]), parameters: .greedy())
        #expect(throws: WireError.self) { try GenerationRequest(wireBytes: role.wireBytes) }
        // Out-of-range values are refused by the decoder, not clamped.
        var hot = Self.full; hot.parameters.temperature = 9
        #expect(throws: WireError.self) { try GenerationRequest(wireBytes: hot.wireBytes) }
        var unsorted = Self.full; unsorted.parameters.logitBias.reverse()
        #expect(throws: WireError.self) { try GenerationRequest(wireBytes: unsorted.wireBytes) }
    }

    @Test func validationNamesTheParameter() {
        var r = Self.full
        r.parameters.maxTokens = JobLimits.maxTokens + 1
        #expect(throws: JobInputError("max_tokens", "max_tokens must be between 1 and \(JobLimits.maxTokens), got \(JobLimits.maxTokens + 1)")) {
            try r.validate()
        }
        r = Self.full
        r.parameters.stop = Array(repeating: "x", count: JobLimits.maxStopSequences + 1)
        #expect(performing: { try r.validate() }, throws: { ($0 as? JobInputError)?.parameter == "stop" })
        r = Self.full
        r.parameters.topLogprobs = 21
        #expect(performing: { try r.validate() }, throws: { ($0 as? JobInputError)?.parameter == "top_logprobs" })
    }
}
