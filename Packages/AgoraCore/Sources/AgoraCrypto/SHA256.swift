import CSodium

/// A SHA-256 digest (32 bytes).
public struct Digest: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// Wraps 32 bytes; throws on any other length.
    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 32 else { throw CryptoError(.invalidLength, "digest must be 32 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// The all-zero digest (the "previous hash" of a ledger's first entry).
    public static let zero = Digest(unchecked: [UInt8](repeating: 0, count: 32))

    /// Lowercase hex.
    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    public static func < (a: Digest, b: Digest) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

/// SHA-256 (libsodium's `crypto_hash_sha256`).
public enum SHA256 {
    /// Hashes one byte string.
    public static func hash(_ data: some ContiguousBytes) -> Digest {
        Sodium.mustBeReady()
        var out = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBytes { d in
            _ = crypto_hash_sha256(&out, d.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(d.count))
        }
        return Digest(unchecked: out)
    }

    /// Hashes the concatenation of several byte strings without copying them together.
    public static func hash(parts: [[UInt8]]) -> Digest {
        Sodium.mustBeReady()
        var state = crypto_hash_sha256_state()
        crypto_hash_sha256_init(&state)
        for p in parts { _ = crypto_hash_sha256_update(&state, p, UInt64(p.count)) }
        var out = [UInt8](repeating: 0, count: 32)
        crypto_hash_sha256_final(&state, &out)
        return Digest(unchecked: out)
    }
}

/// Byte containers that can lend their contiguous storage.
public protocol ContiguousBytes {
    /// Calls `body` with the bytes.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}
extension Array: ContiguousBytes where Element == UInt8 {}
extension ArraySlice: ContiguousBytes where Element == UInt8 {}
