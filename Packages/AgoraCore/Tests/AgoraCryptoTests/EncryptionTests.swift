import Testing
@testable import AgoraCrypto

@Suite struct EncryptionTests {
    @Test func sealedBoxOpensOnlyForRecipient() throws {
        let alice = Identity.generate(), bob = Identity.generate()
        let ct = try SealedBox.seal(Array("secret prompt".utf8), to: bob.publicKey)
        #expect(try SealedBox.open(ct, with: bob) == Array("secret prompt".utf8))
        #expect(throws: CryptoError.self) { try SealedBox.open(ct, with: alice) }
        var tampered = ct; tampered[tampered.count - 1] ^= 1
        #expect(throws: CryptoError.self) { try SealedBox.open(tampered, with: bob) }
        #expect(throws: CryptoError.self) { try SealedBox.open([1, 2, 3], with: bob) }
    }

    @Test func boxAuthenticatesSender() throws {
        let alice = Identity.generate(), bob = Identity.generate(), eve = Identity.generate()
        let ct = try Box.seal(Array("output".utf8), from: alice, to: bob.publicKey)
        #expect(try Box.open(ct, from: alice.publicKey, with: bob) == Array("output".utf8))
        #expect(throws: CryptoError.self) { try Box.open(ct, from: eve.publicKey, with: bob) }
    }

    @Test func randomBytesDiffer() {
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
        #expect(SecureRandom.bytes(0).isEmpty)
    }

    @Test func base64AndHexRoundTrip() throws {
        let b: [UInt8] = [0, 1, 2, 250, 255]
        #expect(try Base64.decode(Base64.encode(b)) == b)
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(throws: CryptoError.self) { try Base64.decode("Zm9v!mFy") }
        #expect(try Hex.decode(Hex.encode(b)) == b)
        #expect(throws: CryptoError.self) { try Hex.decode("abc") }
    }
}
