import Foundation
import Testing
@testable import AgoraExecutor

extension ExecutorTests {
@Suite("Bad input gives typed errors, never a crash")
struct BadInputTests {
    func load(_ path: String) async throws -> LlamaEngine {
        try await LlamaEngine.load(EngineConfiguration(modelPath: path, threads: 1, slots: 1, contextPerSlot: 256, measureSpeedAtStart: false))
    }

    @Test("a missing model file")
    func missingFile() async throws {
        await expectError(.modelNotFound) { try await load("/nonexistent/model.gguf") }
    }

    @Test("a file that is not GGUF, an empty file, a directory")
    func notGGUF() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = dir + "/notes.gguf"
        try "hello, I am not a model".write(toFile: text, atomically: true, encoding: .utf8)
        await expectError(.notGGUF) { try await load(text) }
        let empty = dir + "/empty.gguf"
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        await expectError(.notGGUF) { try await load(empty) }
        await expectError(.notGGUF) { try await load(dir) }
        var header = Data("GGUF".utf8)
        header.append(contentsOf: [9, 0, 0, 0] + [UInt8](repeating: 0, count: 16))
        let badVersion = dir + "/v9.gguf"
        try header.write(to: URL(fileURLWithPath: badVersion))
        await expectError(.notGGUF) { try await load(badVersion) }
    }

    @Test("a truncated model file")
    func truncated() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let handle = try #require(FileHandle(forReadingAtPath: modelPath))
        let head = try handle.read(upToCount: 8 << 20) ?? Data()
        try handle.close()
        let path = dir + "/truncated.gguf"
        try head.write(to: URL(fileURLWithPath: path))
        await expectError(.modelLoadFailed) { try await load(path) }
    }

    @Test("out-of-range engine settings")
    func badConfiguration() async throws {
        for c in [EngineConfiguration(threads: 0), EngineConfiguration(slots: 0), EngineConfiguration(contextPerSlot: 1),
                  EngineConfiguration(tolerance: -1), EngineConfiguration(tolerance: .nan)] {
            await expectError(.invalidParameter) { try await LlamaEngine.load(c) }
        }
    }

    @Test("out-of-range sampling parameters, a prompt longer than the context; the engine keeps serving")
    func badRequests() async throws {
        let engine = try await Engines.shared.engine(threads: 1, slots: 2, queue: 4, context: 256)
        let bad: [SamplingParameters] = [
            SamplingParameters(temperature: -1), SamplingParameters(temperature: .nan), SamplingParameters(temperature: 99),
            SamplingParameters(topK: -3), SamplingParameters(topP: 0), SamplingParameters(topP: 1.5),
            SamplingParameters(maxTokens: 0), SamplingParameters(maxTokens: 1_000_000),
            SamplingParameters(stop: [""]), SamplingParameters(stop: Array(repeating: "x", count: 20)),
        ]
        for p in bad {
            await expectError(.invalidParameter) { try await engine.generate(.chat("Hi", parameters: p)) }
            await expectError(.invalidParameter) { try await engine.verify(request: .chat("Hi", parameters: p), claimedTokens: [1]) }
        }
        let long = String(repeating: "many words here ", count: 200)
        await expectError(.contextExceeded) { try await engine.generate(.chat(long, parameters: .greedy(maxTokens: 8))) }
        await expectError(.contextExceeded) { try await engine.generate(.chat("Hi", parameters: .greedy(maxTokens: 300))) }
        // An empty prompt breaks a rule of the job description itself (JobLimits).
        await expectError(.invalidParameter) { try await engine.generate(GenerationRequest(prompt: .tokens([]))) }
        await expectError(.tokenizeFailed) { try await engine.generate(GenerationRequest(prompt: .tokens([1, 99_999_999]))) }
        await expectError(.invalidParameter) { try await engine.generate(GenerationRequest(prompt: .text(""))) }
        await expectError(.invalidParameter) { try await engine.generate(GenerationRequest(prompt: .chat([]))) }
        await expectError(.invalidParameter) {
            try await engine.generate(GenerationRequest(prompt: .chat([ChatMessage(role: "wizard", content: "hi")])))
        }
        let ok = try await engine.generate(.chat("Name three fruits.", parameters: .greedy(maxTokens: 4)))
        #expect(ok.tokens.count == 4)
    }

    @Test("malformed saved results and a result for another model")
    func badSavedResults() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        await expectError(.invalidResult) { try SavedResult.load(from: dir + "/missing.json") }
        let junk = dir + "/junk.json"
        try "{\"format\": 3}".write(toFile: junk, atomically: true, encoding: .utf8)
        await expectError(.invalidResult) { try SavedResult.load(from: junk) }
        let engine = try await Engines.shared.engine()
        let request = GenerationRequest.chat("Name three fruits.", parameters: .greedy(maxTokens: 4))
        var saved = SavedResult(request: request, result: try await engine.generate(request))
        saved.format = "other/v9"
        let wrongFormat = dir + "/wrong.json"
        try saved.save(to: wrongFormat)
        await expectError(.invalidResult) { try SavedResult.load(from: wrongFormat) }
        saved.format = SavedResult.formatTag
        saved.modelID = String(repeating: "ab", count: 32)
        await expectError(.invalidResult) { try await saved.verify(on: engine) }
    }
}
}
