import Foundation
import Testing
@testable import AgoraExecutor

/// The portable exact mode as the bootstrap builds it: the build reports the definition it
/// follows, the default model (every op covered) gets the CPU-independent class, and a model
/// with ops the patches do not define keeps this CPU's own class.
extension ExecutorTests {
@Suite("Portable exact mode")
struct PortableExactTests {
    @Test func theDefaultModelGetsThePortableClass() async throws {
        #expect(PortableExact.buildVersion == 2, "scripts/bootstrap builds llama.cpp with scripts/patches/portable-*.patch")
        #expect(PortableExact.covers(path: modelPath))
        let engine = try await Engines.shared.engine()
        #expect(engine.arithmetic == "portable-exact v2 | flash_attn=off | kv=f16 | n_ubatch=512")
        #expect(!engine.arithmetic.contains("AVX"))
        #expect(engine.verificationMode(claimedArithmetic: engine.arithmetic) == .exact)
        // A claim of this CPU's native class is another class: checked with the tolerance.
        #expect(engine.verificationMode(claimedArithmetic: LlamaWorker.nativeArithmetic) != .exact)
    }

    @Test func aModelWithUncoveredOpsKeepsTheNativeClass() throws {
        if FileManager.default.fileExists(atPath: BatchInvarianceTests.qwen) {
            #expect(!PortableExact.covers(path: BatchInvarianceTests.qwen))   // qwen2, Q4_K/Q6_K
        }
        #expect(!PortableExact.covers(path: "/nonexistent.gguf"))
        #expect(LlamaWorker.nativeArithmetic.contains("AVX2"))
    }
}
}
