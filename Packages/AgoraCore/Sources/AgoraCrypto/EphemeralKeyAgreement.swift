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
