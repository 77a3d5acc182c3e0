import CSodium

/// A one-use X25519 key pair for a session handshake. The secret lives in `SecureBytes`
/// and is dropped with the handshake, giving the session forward secrecy.
public struct EphemeralKeyPair: Sendable {
    /// The public half, sent to the peer.
    public let publicKey: X25519PublicKey
    private let secret: SecureBytes

    /// A fresh random key pair.
    public static func generate() -> EphemeralKeyPair {
        Sodium.mustBeReady()
        let secret = SecureBytes(count: 32) { buf in randombytes_buf(buf.baseAddress!, 32) }
        return EphemeralKeyPair(secret: secret)
    }

    /// The key pair for a fixed 32-byte secret scalar (test vectors only: a handshake
    /// must use `generate()`).
    public init(secret bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 32 else { throw CryptoError(.invalidLength, "X25519 secret must be 32 bytes, got \(bytes.count)") }
        self.init(secret: SecureBytes(copying: bytes))
    }

    private init(secret: SecureBytes) {
        Sodium.mustBeReady()
        var pk = [UInt8](repeating: 0, count: 32)
        secret.withUnsafeBytes { s in
            _ = crypto_scalarmult_curve25519_base(&pk, s.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        self.secret = secret
        self.publicKey = X25519PublicKey(unchecked: pk)
    }

    /// The X25519 shared secret with `peer` (`crypto_scalarmult`). Throws `invalidKey` when
    /// the peer's key is a low-order point (the result would be all zeros).
    public func sharedSecret(with peer: X25519PublicKey) throws(CryptoError) -> SecureBytes {
        var rc: Int32 = 0
        let shared = SecureBytes(count: 32) { out in
            secret.withUnsafeBytes { s in
                rc = crypto_scalarmult_curve25519(out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                  s.baseAddress!.assumingMemoryBound(to: UInt8.self), peer.bytes)
            }
        }
        guard rc == 0 else { throw CryptoError(.invalidKey, "peer ephemeral key is a low-order X25519 point") }
        return shared
    }
}

/// Keyed BLAKE2b-256 (`crypto_generichash` with a key), the key-derivation function of
/// the session handshake: `derive(key: k, parts: [a, b])` is BLAKE2b-256 keyed with `k`
/// over `a ‖ b`.
public enum KeyedHash {
    /// Output length in bytes.
    public static let outputBytes = 32

    /// Derives 32 secret bytes from `key` (16–64 bytes) and the concatenation of `parts`
    /// (public inputs: labels and transcript hashes).
    public static func derive(key: SecureBytes, parts: [[UInt8]]) throws(CryptoError) -> SecureBytes {
        try Sodium.ready()
        guard key.count >= Int(crypto_generichash_keybytes_min()), key.count <= Int(crypto_generichash_keybytes_max()) else {
            throw CryptoError(.invalidLength, "BLAKE2b key must be 16–64 bytes, got \(key.count)")
        }
        let message = parts.flatMap { $0 }   // public inputs (labels, transcript hashes)
        return SecureBytes(count: outputBytes) { out in
            key.withUnsafeBytes { k in
                _ = crypto_generichash(out.baseAddress!.assumingMemoryBound(to: UInt8.self), outputBytes,
                                       message, UInt64(message.count), k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count)
            }
        }
    }
}

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
