import Foundation
import Testing
@testable import AgoraExecutor

/// A model whose logits change with batching (Qwen2.5-Coder-0.5B Q4_K_M: K-quant kernels
/// differ with the number of rows) is detected at load, and its results are checked with the
/// tolerance: honest results generated batched pass. Runs when `scripts/fetch-other-model qwen`
/// has fetched the model (not part of the default bootstrap). Nested in `ExecutorTests` like
/// every suite that loads a model, so that it never runs beside another (memory is measured).
extension ExecutorTests {
@Suite("Batch invariance of a second model")
struct BatchInvarianceTests {
    static let qwen = (ProcessInfo.processInfo.environment["AGORA_OTHER_MODEL_DIR"]
        ?? NSHomeDirectory() + "/.cache/agora/other-model") + "/Qwen2.5-Coder-0.5B-Instruct.Q4_K_M.gguf"

    @Test(.enabled(if: FileManager.default.fileExists(atPath: qwen)))
    func aBatchVariantModelIsCheckedWithTheTolerance() async throws {
        let engine = try await LlamaEngine.load(EngineConfiguration(
            modelPath: Self.qwen, threads: 1, slots: 4, contextPerSlot: 512, queueCapacity: 16, measureSpeedAtStart: false))
        defer { engine.shutdown() }
        #expect(!engine.isBatchInvariant)
        // Decoded the way a validator checks (31 tokens in one batch), its logits already differ
        // from generation's: ggml's tiled K-quant products take batches of 8 rows or more.
        #expect(!engine.worker.checkShapeInvariant)
        let smol = try await Engines.shared.engine()
        #expect(smol.worker.checkShapeInvariant && smol.isBatchInvariant)
        #expect(engine.verificationMode(claimedArithmetic: engine.arithmetic) != .exact)
        let requests = (0..<4).map { i in
            GenerationRequest.chat("Say a word.", parameters: SamplingParameters(temperature: 1.0, topK: 0, topP: 1, seed: UInt64(i),
                                                                                 maxTokens: 8))
        }
        let results = try await generateBatched(engine, requests)
        for (r, g) in zip(requests, results) {
            let v = try await engine.verify(request: r, claimedTokens: g.tokens, claimedArithmetic: engine.arithmetic)
            #expect(v.passed, "an honest batched result was rejected: \(v)")
        }
    }
}
}
