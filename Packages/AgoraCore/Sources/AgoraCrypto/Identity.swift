import CSodium

/// A node identity: an Ed25519 key pair (its public key is the node id) and the X25519
/// key pair derived from it. The secret keys live in `SecureBytes` and are zeroed when
/// the identity is freed; they are never printed (`description` shows the public key).
public struct Identity: Sendable, CustomStringConvertible {
    /// The node id.
    public let publicKey: PublicKey
    /// The derived X25519 public key.
    public let x25519PublicKey: X25519PublicKey
    private let seed: SecureBytes
    private let signingSecret: SecureBytes
    private let x25519Secret: SecureBytes

    /// A fresh random identity.
    public static func generate() -> Identity {
        let seed = SecureBytes(count: 32) { buf in randombytes_buf(buf.baseAddress!, 32) }
        return Identity(seed: seed)
    }

    /// The identity for a 32-byte seed (deterministic; used by tests and the key file).
    public init(seed bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 32 else { throw CryptoError(.invalidLength, "identity seed must be 32 bytes, got \(bytes.count)") }
        self.init(seed: SecureBytes(copying: bytes))
    }

    private init(seed: SecureBytes) {
        Sodium.mustBeReady()
        var pk = [UInt8](repeating: 0, count: 32)
        let sk = SecureBytes(count: 64) { skBuf in
            seed.withUnsafeBytes { s in
                _ = crypto_sign_seed_keypair(&pk, skBuf.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                             s.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        var xpk = [UInt8](repeating: 0, count: 32)
        let xsk = SecureBytes(count: 32) { xBuf in
            sk.withUnsafeBytes { s in
                _ = crypto_sign_ed25519_sk_to_curve25519(xBuf.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                         s.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        xsk.withUnsafeBytes { x in
            _ = crypto_scalarmult_curve25519_base(&xpk, x.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        self.seed = seed
        self.signingSecret = sk
        self.x25519Secret = xsk
        self.publicKey = PublicKey(uncheckedBytes: pk)
        self.x25519PublicKey = X25519PublicKey(unchecked: xpk)
    }

    /// The node id (same as `publicKey`).
    public var nodeID: NodeID { publicKey }

    public var description: String { "Identity(\(publicKey.short))" }

    /// Signs `message` in `domain` with a detached Ed25519 signature.
    public func sign(_ message: [UInt8], in domain: SignatureDomain) -> Signature {
        let signed = domain.signedBytes(message)
        var sig = [UInt8](repeating: 0, count: 64)
        signingSecret.withUnsafeBytes { sk in
            _ = crypto_sign_detached(&sig, nil, signed, UInt64(signed.count), sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return Signature(unchecked: sig)
    }

    /// Lends the 32-byte seed (for writing the key file only).
    func withSeed<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R { seed.withUnsafeBytes(body) }

    /// Lends the X25519 secret key (for box and sealed-box opening, and handshakes).
    public func withX25519Secret<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try x25519Secret.withUnsafeBytes(body)
    }
}

extension PublicKey {
    init(uncheckedBytes: [UInt8]) {
        // Only called with 32 bytes produced by libsodium.
        self = try! PublicKey(bytes: uncheckedBytes)
    }
}
