import CEd25519

/// One Ed25519 public key's precomputed verification table (about 30 KB).
///
/// The table holds `(j+1)·256^i·(−A)` for the key `A` (32 rows of 8 affine multiples),
/// so a check computes `[s]B + [h](−A)` in a single radix-16 comb pass over this table
/// and libsodium's table for the base point, with no per-check point decoding and none of
/// the ~253 doublings of libsodium's sliding-window method: about twice as fast, for a
/// one-off build cost of roughly two verifications.
///
/// The accept/reject decision is the same as libsodium 1.0.18's
/// `crypto_sign_verify_detached` for every input (the same canonical-`s`, small-order-`R`,
/// canonical and small-order key checks, the same challenge hash, the same comparison of
/// `R`'s encoding); the differential tests in `AgoraCryptoTests` hold it to that. The code
/// is variable-time, which is fine because keys, signatures and messages are all public.
///
/// Most callers never see this type: `PublicKey.isValidSignature` goes through
/// `VerificationKeyCache.shared`, which builds tables for keys it meets more than once.
public final class VerificationKeyTable: @unchecked Sendable {
    // Safety: `table` is written only by `agora_ed25519_key_table_new` in `init` and only
    // read afterwards (`agora_ed25519_key_table_verify` is safe from many threads at
    // once); it is freed in `deinit`, when no caller can hold this object any more.
    private let table: OpaquePointer

    /// The key this table checks signatures for.
    public let key: PublicKey

    /// Builds the table for `key`. Returns `nil` only if memory runs out. A key libsodium
    /// would reject (not canonical, of small order, not on the curve) still gets a
    /// table, one that rejects every signature (`isUsable` is false).
    public init?(key: PublicKey) {
        Sodium.mustBeReady()
        guard let table = agora_ed25519_key_table_new(key.bytes) else { return nil }
        self.table = table
        self.key = key
    }

    deinit { agora_ed25519_key_table_free(table) }

    /// Whether the key passed libsodium's key checks; if not, every signature is rejected.
    public var isUsable: Bool { agora_ed25519_key_table_is_usable(table) != 0 }

    /// Checks a detached signature over `message` in `domain`, with exactly the decision of
    /// `PublicKey.isValidSignatureByLibsodium(_:for:in:)`.
    public func isValidSignature(_ signature: Signature, for message: [UInt8], in domain: SignatureDomain) -> Bool {
        isValidSignature(signature, forSignedBytes: domain.signedBytes(message))
    }

    /// Checks a detached signature over bytes that already carry their domain prefix.
    func isValidSignature(_ signature: Signature, forSignedBytes signed: [UInt8]) -> Bool {
        // `Signature` always holds 64 bytes (its initialisers check the length).
        agora_ed25519_key_table_verify(table, signature.bytes, signed, UInt64(signed.count)) == 0
    }
}
