import CSodium

/// An Ed25519 public key. A node's public key is its **node id**.
public struct PublicKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 32 key bytes.
    public let bytes: [UInt8]

    /// Wraps 32 bytes; throws on any other length.
    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 32 else {
            throw CryptoError(.invalidLength, "Ed25519 public key must be 32 bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// Parses lowercase or uppercase hex.
    public init(hex: String) throws(CryptoError) {
        try self.init(bytes: Hex.decode(hex))
    }

    /// Lowercase hex of the 32 bytes.
    public var hex: String { Hex.encode(bytes) }
    /// A short display form: the first 8 hex digits.
    public var short: String { String(hex.prefix(8)) }
    public var description: String { short }

    /// Checks a detached signature over `message` in `domain`.
    ///
    /// Goes through `VerificationKeyCache.shared`: a key seen more than once is checked
    /// with its precomputed `VerificationKeyTable` (about twice as fast), any other with
    /// libsodium. The decision is libsodium's `crypto_sign_verify_detached`'s either way.
    public func isValidSignature(_ signature: Signature, for message: [UInt8], in domain: SignatureDomain) -> Bool {
        Sodium.mustBeReady()
        return VerificationKeyCache.shared.isValidSignature(signature, for: message, in: domain, by: self)
    }

    /// Checks a detached signature with libsodium's `crypto_sign_verify_detached` only,
    /// never the table cache: the reference the fast path is tested and benchmarked against.
    public func isValidSignatureByLibsodium(_ signature: Signature, for message: [UInt8],
                                            in domain: SignatureDomain) -> Bool {
        isValidSignatureByLibsodium(signature, forSignedBytes: domain.signedBytes(message))
    }

    /// libsodium's check over bytes that already carry their domain prefix.
    func isValidSignatureByLibsodium(_ signature: Signature, forSignedBytes signed: [UInt8]) -> Bool {
        Sodium.mustBeReady()
        return crypto_sign_verify_detached(signature.bytes, signed, UInt64(signed.count), bytes) == 0
    }

    /// Like `isValidSignature` but throws a `badSignature` error naming `what`.
    public func verify(_ signature: Signature, for message: [UInt8], in domain: SignatureDomain,
                       what: @autoclosure () -> String) throws(CryptoError) {
        guard isValidSignature(signature, for: message, in: domain) else {
            throw CryptoError(.badSignature, "\(what()): signature does not verify under key \(short) in domain \(domain)")
        }
    }

    /// The X25519 public key derived from this Ed25519 key, for sealing data to its owner.
    public func x25519() throws(CryptoError) -> X25519PublicKey {
        Sodium.mustBeReady()
        var out = [UInt8](repeating: 0, count: 32)
        guard crypto_sign_ed25519_pk_to_curve25519(&out, bytes) == 0 else {
            throw CryptoError(.invalidKey, "key \(short) is not a valid Ed25519 point")
        }
        return X25519PublicKey(unchecked: out)
    }

    public static func < (a: PublicKey, b: PublicKey) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

/// A node id is its Ed25519 public key.
public typealias NodeID = PublicKey

/// A detached Ed25519 signature (64 bytes).
public struct Signature: Hashable, Sendable {
    /// The 64 signature bytes.
    public let bytes: [UInt8]

    /// Wraps 64 bytes; throws on any other length.
    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 64 else { throw CryptoError(.invalidLength, "signature must be 64 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }
}

/// An X25519 public key (32 bytes), the encryption side of an identity.
public struct X25519PublicKey: Hashable, Sendable {
    /// The 32 key bytes.
    public let bytes: [UInt8]

    /// Wraps 32 bytes; throws on any other length.
    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 32 else { throw CryptoError(.invalidLength, "X25519 key must be 32 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }
}
