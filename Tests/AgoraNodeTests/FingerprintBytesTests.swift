import AgoraExecutor
import AgoraMarket
import Testing
@testable import AgoraNode

/// A result's fingerprint must stay parsable within the record's limit, because the
/// validator chooses an exact or a tolerant check from its arithmetic class.
@Suite("Fingerprint bytes in result records")
struct FingerprintBytesTests {
    static let arithmetic = "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | OPENMP = 1 | REPACK = 1 | flash_attn=off | kv=f16 | n_ubatch=512"

    func fingerprint(sampling: String) -> RuntimeFingerprint {
        RuntimeFingerprint(llamaBuild: "llama.cpp 0.5.0-dev (llama-cpp-python 0.3.36 vendor commit 0c1e57098bba)",
                           modelID: String(repeating: "b1", count: 32), sampling: sampling, seed: 42,
                           arithmetic: Self.arithmetic)
    }

    @Test("a fingerprint round-trips, and one with long stop sequences drops its sampling text but keeps its arithmetic")
    func roundTrip() throws {
        let short = fingerprint(sampling: "greedy max_tokens=64")
        let bytes = ExecutorBridge.fingerprintBytes(short)
        #expect(bytes.count <= Market.Limits.maxFingerprintBytes)
        #expect(ExecutorBridge.runtimeFingerprint(bytes) == short)

        let long = fingerprint(sampling: "t=0.8 stop=[" + String(repeating: "a very long stop sequence ", count: 40) + "]")
        let longBytes = ExecutorBridge.fingerprintBytes(long)
        #expect(longBytes.count <= Market.Limits.maxFingerprintBytes)
        let parsed = try #require(ExecutorBridge.runtimeFingerprint(longBytes))
        #expect(parsed.arithmetic == Self.arithmetic && parsed.modelID == long.modelID && parsed.sampling.isEmpty)
    }

    @Test("bytes that are not a fingerprint give nil (the claim is then checked with the tolerance)")
    func garbage() {
        #expect(ExecutorBridge.runtimeFingerprint([]) == nil)
        #expect(ExecutorBridge.runtimeFingerprint(Array("{\"arithmetic\":".utf8)) == nil)
        #expect(ExecutorBridge.runtimeFingerprint([0xFF, 0x00, 0x7B]) == nil)
    }
}
