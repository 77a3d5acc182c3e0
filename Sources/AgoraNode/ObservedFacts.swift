import AgoraMarket
import AgoraWire
import Foundation

/// Entries of other nodes' ledgers that counted here (receipts paying this node,
/// attestations), each with the checkpoint and proof that verify it, kept in the data
/// directory so that a restart rebuilds balances and reputation from them and from the
/// node's own ledger instead of resetting them. Append-only records of a 4-byte big-endian
/// length and an `EntryProof`'s wire bytes, mode 0600; a torn last record (a crash while
/// writing) and records that do not decode are skipped when read.
struct ObservedFacts {
    /// The file.
    let path: String
    /// The largest record read back (an entry, its checkpoint and an inclusion proof are a few KiB).
    static let maxRecord = 1 << 20

    /// Appends `proof`. Best effort: a fact that cannot be written is only not restored.
    func append(_ proof: Market.EntryProof) {
        let bytes = proof.wireBytes
        guard bytes.count <= Self.maxRecord else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let n = UInt32(bytes.count)
        let record = [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + bytes
        // One write of the whole record: with O_APPEND, records of concurrent writers never interleave.
        _ = record.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Every record that decodes, in the order written.
    func all() -> [Market.EntryProof] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let bytes = [UInt8](data)
        var out: [Market.EntryProof] = []
        var at = 0
        while bytes.count - at >= 4 {
            let n = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            guard n <= Self.maxRecord, bytes.count - at - 4 >= n else { break }
            if let proof = try? Market.EntryProof(wireBytes: Array(bytes[(at + 4)..<(at + 4 + n)])) { out.append(proof) }
            at += 4 + n
        }
        return out
    }
}
