import CSodium

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
