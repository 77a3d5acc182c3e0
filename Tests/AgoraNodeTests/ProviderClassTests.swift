import AgoraCrypto
import AgoraExecutor
import AgoraGossip
import AgoraWire
import Testing
@testable import AgoraMarket
@testable import AgoraNode

/// A validator of the class the provider advertises checks exactly, whatever arithmetic the
/// result's fingerprint names: naming an arithmetic nobody shares buys no tolerance.
@Suite("Validator's check follows the provider's advertised class")
struct ProviderClassTests {
    static let own = "CPU : SSE3 = 1 | AVX2 = 1 | flash_attn=off | kv=f16 | n_ubatch=512"
    static let other = "CPU : NEON = 1 | flash_attn=off | kv=f16 | n_ubatch=512"

    func spec(fingerprintArithmetic: String, providerClass: [UInt8]) -> Market.VerificationSpec {
        let f = RuntimeFingerprint(llamaBuild: "b", modelID: String(repeating: "ab", count: 32), sampling: "greedy", seed: 0,
                                   arithmetic: fingerprintArithmetic)
        return Market.VerificationSpec(ticket: SHA256.hash([1]), modelID: SHA256.hash([2]), request: .chat("hi"),
                                       tokens: [], text: [], fingerprint: ExecutorBridge.fingerprintBytes(f),
                                       providerClass: providerClass)
    }

    @Test func advertisedOwnClassMakesTheCheckExactDespiteTheFingerprint() {
        let s = spec(fingerprintArithmetic: Self.other, providerClass: Gossip.Capabilities.arithmeticClass(of: Self.own))
        #expect(ExecutorBridge.claimedArithmetic(s, ownArithmetic: Self.own) == Self.own)
    }

    @Test func otherOrNoAdvertisedClassFallsBackToTheFingerprint() {
        let s1 = spec(fingerprintArithmetic: Self.other, providerClass: Gossip.Capabilities.arithmeticClass(of: Self.other))
        #expect(ExecutorBridge.claimedArithmetic(s1, ownArithmetic: Self.own) == Self.other)
        let s2 = spec(fingerprintArithmetic: Self.own, providerClass: [])
        #expect(ExecutorBridge.claimedArithmetic(s2, ownArithmetic: Self.own) == Self.own)
        let s3 = spec(fingerprintArithmetic: Self.other, providerClass: [])
        #expect(ExecutorBridge.claimedArithmetic(s3, ownArithmetic: Self.own) == Self.other)
    }
}
