import CSodium

/// ChaCha20-Poly1305 (IETF) with associated data, for the handshake's encrypted identity
/// proofs. Every key it is used with is derived for one message, so the nonce is fixed.
public enum HandshakeAEAD {
    /// Bytes added to the plaintext (the Poly1305 tag).
    public static let overhead = Int(crypto_aead_chacha20poly1305_ietf_abytes())
    private static let zeroNonce = [UInt8](repeating: 0, count: Int(crypto_aead_chacha20poly1305_ietf_npubbytes()))

    /// Encrypts `plaintext` under a single-use 32-byte `key`, authenticating `ad` too.
    public static func seal(_ plaintext: [UInt8], key: SecureBytes, ad: [UInt8]) throws(CryptoError) -> [UInt8] {
        try checkKey(key)
        var out = [UInt8](repeating: 0, count: plaintext.count + overhead)
        var outLen: UInt64 = 0
        key.withUnsafeBytes { k in
            _ = crypto_aead_chacha20poly1305_ietf_encrypt(&out, &outLen, plaintext, UInt64(plaintext.count), ad, UInt64(ad.count),
                                                         nil, zeroNonce, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return out
    }

    /// Decrypts and authenticates; throws `decryptionFailed` on any mismatch.
    public static func open(_ ciphertext: [UInt8], key: SecureBytes, ad: [UInt8]) throws(CryptoError) -> [UInt8] {
        try checkKey(key)
        guard ciphertext.count >= overhead else {
            throw CryptoError(.decryptionFailed, "handshake ciphertext shorter than its \(overhead)-byte tag")
        }
        var out = [UInt8](repeating: 0, count: ciphertext.count - overhead)
        var outLen: UInt64 = 0
        let rc = key.withUnsafeBytes { k in
            crypto_aead_chacha20poly1305_ietf_decrypt(&out, &outLen, nil, ciphertext, UInt64(ciphertext.count), ad, UInt64(ad.count),
                                                      zeroNonce, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard rc == 0 else { throw CryptoError(.decryptionFailed, "handshake ciphertext does not authenticate") }
        return out
    }

    private static func checkKey(_ key: SecureBytes) throws(CryptoError) {
        try Sodium.ready()
        guard key.count == Int(crypto_aead_chacha20poly1305_ietf_keybytes()) else {
            throw CryptoError(.invalidLength, "AEAD key must be 32 bytes, got \(key.count)")
        }
    }
}
