import Testing
@testable import AgoraCrypto

@Suite struct SignatureTests {
    let seed = [UInt8](repeating: 7, count: 32)

    @Test func signAndVerifyRoundTrip() throws {
        let id = try Identity(seed: seed)
        let msg = Array("hello".utf8)
        let sig = id.sign(msg, in: .ledgerEntry)
        #expect(id.publicKey.isValidSignature(sig, for: msg, in: .ledgerEntry))
    }

    @Test func domainSeparationRejectsOtherDomain() throws {
        let id = try Identity(seed: seed)
        let msg = Array("hello".utf8)
        let sig = id.sign(msg, in: .ledgerEntry)
        #expect(!id.publicKey.isValidSignature(sig, for: msg, in: .bid))
    }

    @Test func flippedBitOrOtherKeyRejected() throws {
        let id = try Identity(seed: seed)
        let other = Identity.generate()
        let msg = Array("hello".utf8)
        let sig = id.sign(msg, in: .ledgerEntry)
        var bad = sig.bytes; bad[5] ^= 1
        #expect(!id.publicKey.isValidSignature(try Signature(bytes: bad), for: msg, in: .ledgerEntry))
        #expect(!other.publicKey.isValidSignature(sig, for: msg, in: .ledgerEntry))
        #expect(throws: CryptoError.self) { try other.publicKey.verify(sig, for: msg, in: .ledgerEntry, what: "test") }
    }

    @Test func seedIsDeterministic() throws {
        let a = try Identity(seed: seed), b = try Identity(seed: seed)
        #expect(a.publicKey == b.publicKey)
        #expect(a.x25519PublicKey == b.x25519PublicKey)
        #expect(try a.publicKey.x25519() == a.x25519PublicKey)
    }

    @Test func wrongLengthsAreTypedErrors() {
        #expect(throws: CryptoError.self) { try PublicKey(bytes: [1, 2, 3]) }
        #expect(throws: CryptoError.self) { try Signature(bytes: []) }
        #expect(throws: CryptoError.self) { try Identity(seed: [0]) }
        #expect(throws: CryptoError.self) { try PublicKey(hex: "zz") }
    }

    @Test func sha256KnownAnswer() {
        #expect(SHA256.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash(parts: [Array("a".utf8), Array("bc".utf8)]) == SHA256.hash(Array("abc".utf8)))
    }

    @Test func descriptionNeverShowsSecrets() throws {
        let id = try Identity(seed: seed)
        #expect(!String(describing: id).contains(Hex.encode(seed)))
        #expect(String(describing: id).contains(id.publicKey.short))
    }
}
