import Testing
@testable import AgoraCrypto

@Suite struct SecretStreamTests {
    private func key(_ byte: UInt8) -> SecureBytes { SecureBytes(copying: [UInt8](repeating: byte, count: 32)) }

    @Test func recordsRoundTripInOrderAndFinalEndsTheStream() throws {
        let tx = try SecretStream.Sender(key: key(9))
        let rx = try SecretStream.Receiver(key: key(9), header: tx.header)
        let messages: [[UInt8]] = [[], Array("hello".utf8), SecureRandom.bytes(70_000)]
        let sealed = messages.map { tx.seal($0) }
        #expect(sealed.map(\.count) == messages.map { $0.count + SecretStream.overhead })
        for (m, c) in zip(messages, sealed) {
            #expect(try rx.open(c) == SecretStream.Record(plaintext: m, isFinal: false))
        }
        let last = tx.seal(Array("bye".utf8), final: true)
        #expect(try rx.open(last) == SecretStream.Record(plaintext: Array("bye".utf8), isFinal: true))
        #expect(rx.isFinished)
        #expect(throws: CryptoError(.decryptionFailed, "record after the final record of the stream")) {
            try rx.open(tx.seal([1]))
        }
    }

    @Test func tamperedRecordFailsAndSoDoesEveryFlippedBit() throws {
        let tx = try SecretStream.Sender(key: key(1))
        let c = tx.seal(Array("authenticated".utf8))
        for i in c.indices {
            var bad = c; bad[i] ^= 0x01
            let rx = try SecretStream.Receiver(key: key(1), header: tx.header)
            #expect(throws: CryptoError.self) { try rx.open(bad) }
        }
        let rx = try SecretStream.Receiver(key: key(1), header: tx.header)
        #expect(try rx.open(c).plaintext == Array("authenticated".utf8))
    }

    @Test func replayedReorderedOrDroppedRecordsFail() throws {
        let tx = try SecretStream.Sender(key: key(2))
        let a = tx.seal([1]), b = tx.seal([2]), c = tx.seal([3])

        let replay = try SecretStream.Receiver(key: key(2), header: tx.header)
        #expect(try replay.open(a).plaintext == [1])
        #expect(throws: CryptoError.self) { try replay.open(a) }

        let reorder = try SecretStream.Receiver(key: key(2), header: tx.header)
        #expect(throws: CryptoError.self) { try reorder.open(b) }

        let drop = try SecretStream.Receiver(key: key(2), header: tx.header)
        #expect(try drop.open(a).plaintext == [1])
        #expect(throws: CryptoError.self) { try drop.open(c) }
    }

    @Test func wrongKeyHeaderOrShortInputsAreTypedErrors() throws {
        let tx = try SecretStream.Sender(key: key(3))
        let c = tx.seal([7, 7])
        let other = try SecretStream.Receiver(key: key(4), header: tx.header)
        #expect(throws: CryptoError.self) { try other.open(c) }
        #expect(throws: CryptoError.self) { try SecretStream.Receiver(key: key(3), header: [1, 2, 3]) }
        #expect(throws: CryptoError.self) { try SecretStream.Sender(key: SecureBytes(copying: [1, 2])) }
        let rx = try SecretStream.Receiver(key: key(3), header: tx.header)
        #expect(throws: CryptoError.self) { try rx.open([0, 1, 2]) }
        #expect(try rx.open(c).plaintext == [7, 7])
    }

    @Test func twoSendersUnderOneKeyUseDifferentHeaders() throws {
        #expect(try SecretStream.Sender(key: key(5)).header != SecretStream.Sender(key: key(5)).header)
    }
}

@Suite struct EphemeralKeyAgreementTests {
    @Test func bothSidesDeriveTheSameSecret() throws {
        let a = EphemeralKeyPair.generate(), b = EphemeralKeyPair.generate()
        let ab = try a.sharedSecret(with: b.publicKey), ba = try b.sharedSecret(with: a.publicKey)
        #expect(ab.withUnsafeBytes { Array($0) } == ba.withUnsafeBytes { Array($0) })
        #expect(a.publicKey != b.publicKey)
    }

    @Test func fixedSecretGivesRFC7748PublicKey() throws {
        // RFC 7748 §6.1: Alice's private key and public key.
        let alice = try EphemeralKeyPair(secret: Hex.decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
        #expect(Hex.encode(alice.publicKey.bytes) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        let bob = try X25519PublicKey(bytes: Hex.decode("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"))
        let shared = try alice.sharedSecret(with: bob)
        #expect(Hex.encode(shared.withUnsafeBytes { Array($0) }) == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
    }

    @Test func lowOrderPeerKeyIsRejected() throws {
        let zero = try X25519PublicKey(bytes: [UInt8](repeating: 0, count: 32))
        #expect(throws: CryptoError.self) { try EphemeralKeyPair.generate().sharedSecret(with: zero) }
        #expect(throws: CryptoError.self) { try EphemeralKeyPair(secret: [1]) }
    }

    @Test func keyedHashIsBlake2bAndChecksKeyLength() throws {
        // BLAKE2b-256 keyed with 32 zero bytes over "abc": checked against Python's
        // hashlib.blake2b(b"abc", key=bytes(32), digest_size=32).
        let k = SecureBytes(copying: [UInt8](repeating: 0, count: 32))
        let out = try KeyedHash.derive(key: k, parts: [Array("a".utf8), Array("bc".utf8)])
        #expect(Hex.encode(out.withUnsafeBytes { Array($0) }) == "bad705ff155af631f38dc6cafdda827a31595c802f3ff585c10691c58944d89b")
        #expect(throws: CryptoError.self) { try KeyedHash.derive(key: SecureBytes(copying: [1]), parts: []) }
    }

    @Test func handshakeAEADAuthenticatesCiphertextAndAssociatedData() throws {
        let k = SecureBytes(copying: [UInt8](repeating: 6, count: 32))
        let c = try HandshakeAEAD.seal(Array("identity".utf8), key: k, ad: [1, 2, 3])
        #expect(c.count == 8 + HandshakeAEAD.overhead)
        #expect(try HandshakeAEAD.open(c, key: k, ad: [1, 2, 3]) == Array("identity".utf8))
        #expect(throws: CryptoError.self) { try HandshakeAEAD.open(c, key: k, ad: [1, 2, 4]) }
        var bad = c; bad[0] ^= 1
        #expect(throws: CryptoError.self) { try HandshakeAEAD.open(bad, key: k, ad: [1, 2, 3]) }
        #expect(throws: CryptoError.self) { try HandshakeAEAD.open([1], key: k, ad: []) }
    }
}
