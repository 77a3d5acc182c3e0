import Testing
@testable import AgoraCrypto

/// Sealing with caller-supplied randomness produces libsodium's formats.
@Suite struct SeededSealingTests {
    let alice = try! Identity(seed: [UInt8](repeating: 1, count: 32))
    let bob = try! Identity(seed: [UInt8](repeating: 2, count: 32))

    @Test func seededSealedBoxOpensWithCryptoBoxSealOpen() throws {
        let seed = [UInt8](repeating: 9, count: 32)
        let a = try SealedBox.seal(Array("prompt".utf8), to: bob.x25519PublicKey, ephemeralSeed: seed)
        let b = try SealedBox.seal(Array("prompt".utf8), to: bob.x25519PublicKey, ephemeralSeed: seed)
        #expect(a == b)                                               // deterministic
        #expect(try SealedBox.open(a, with: bob) == Array("prompt".utf8))
        #expect(throws: CryptoError.self) { try SealedBox.open(a, with: alice) }
        let other = try SealedBox.seal(Array("prompt".utf8), to: bob.x25519PublicKey, ephemeralSeed: [UInt8](repeating: 8, count: 32))
        #expect(other != a)
        #expect(throws: CryptoError.self) { try SealedBox.seal([1], to: bob.x25519PublicKey, ephemeralSeed: [1, 2]) }
    }

    @Test func boxWithNonceOpensWithBoxOpen() throws {
        let nonce = [UInt8](repeating: 4, count: 24)
        let c = try Box.seal(Array("output".utf8), from: alice, to: bob.publicKey, nonce: nonce)
        #expect(Array(c.prefix(24)) == nonce)
        #expect(try Box.open(c, from: alice.publicKey, with: bob) == Array("output".utf8))
        var tampered = c
        tampered[30] ^= 1
        #expect(throws: CryptoError.self) { try Box.open(tampered, from: alice.publicKey, with: bob) }
        #expect(throws: CryptoError.self) { try Box.seal([1], from: alice, to: bob.publicKey, nonce: [0]) }
    }
}
