import AgoraCrypto
import AgoraWire

// Fixed-size crypto fields in the market's encodings.

extension WireWriter {
    /// Appends a 32-byte public key.
    mutating func key(_ k: PublicKey) { raw(k.bytes) }
    /// Appends a 32-byte digest.
    mutating func digest(_ d: Digest) { raw(d.bytes) }
    /// Appends a 64-byte signature.
    mutating func signature(_ s: Signature) { raw(s.bytes) }
}

extension WireReader {
    /// Reads a 32-byte public key.
    mutating func key(_ field: String) throws(WireError) -> PublicKey {
        let at = offset
        let b = try raw(32, field)
        do { return try PublicKey(bytes: b) } catch { throw WireError(.invalidValue, "\(field): \(error)", offset: at) }
    }
    /// Reads a 32-byte digest.
    mutating func digest(_ field: String) throws(WireError) -> Digest {
        let at = offset
        let b = try raw(32, field)
        do { return try Digest(bytes: b) } catch { throw WireError(.invalidValue, "\(field): \(error)", offset: at) }
    }
    /// Reads a 64-byte signature.
    mutating func signature(_ field: String) throws(WireError) -> Signature {
        let at = offset
        let b = try raw(64, field)
        do { return try Signature(bytes: b) } catch { throw WireError(.invalidValue, "\(field): \(error)", offset: at) }
    }
    /// Reads a varint that must fit in `UInt32`.
    mutating func varint32(_ field: String, max: UInt32 = .max) throws(WireError) -> UInt32 {
        UInt32(try varint(field, max: UInt64(max)))
    }
}
