import AgoraMarket
import AgoraWire
import Foundation

/// An append-only file of wire-encoded records kept in the data directory across restarts:
/// each record is a 4-byte big-endian length and the record's wire bytes; mode 0600. A torn
/// last record (a crash while writing) and records that do not decode are skipped when read.
struct RecordFile<Record: WireCodable> {
    /// The file.
    let path: String
    /// Whether each append reaches the disk before `append` returns (`fdatasync`): for
    /// records whose order against other writes matters after a power loss, not only a crash.
    var durable = false
    /// The largest record read back.
    static var maxRecord: Int { 1 << 20 }

    /// Appends `record`. Best effort: a record that cannot be written is only not read back.
    func append(_ record: Record) {
        let bytes = record.wireBytes
        guard bytes.count <= Self.maxRecord else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let framed = Self.frame(bytes)
        // One write of the whole record: with O_APPEND, records of concurrent writers never interleave.
        _ = framed.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if durable { _ = fdatasync(fd) }
    }

    /// Every record that decodes, in the order written.
    func all() -> [Record] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let bytes = [UInt8](data)
        var out: [Record] = []
        var at = 0
        while bytes.count - at >= 4 {
            let n = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            guard n <= Self.maxRecord, bytes.count - at - 4 >= n else { break }
            if let r = try? Record(wireBytes: Array(bytes[(at + 4)..<(at + 4 + n)])) { out.append(r) }
            at += 4 + n
        }
        return out
    }

    /// Replaces the file's records with `records` (written aside, then renamed over it).
    func rewrite(_ records: [Record]) throws {
        let temporary = path + ".new"
        let data = Data(records.flatMap { Self.frame($0.wireBytes) })
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        // The new file's bytes are on disk before it replaces the old one.
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced, rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    private static func frame(_ bytes: [UInt8]) -> [UInt8] {
        let n = UInt32(bytes.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + bytes
    }
}

/// Entries of other nodes' ledgers that counted here (receipts paying this node,
/// attestations), each with the checkpoint and proof that verify it: a restart rebuilds
/// balances and reputation from them and from the node's own ledger instead of resetting them.
typealias ObservedFacts = RecordFile<Market.EntryProof>

/// The requester's award journal (`Market.JournalRecord`): awards sent and jobs ended, so that
/// a restart settles the jobs that were open (`Market.Instance.reconcile`). Open it with
/// `durable` set: a job's end must be on disk before its receipt is written, or a power loss
/// between could have a restart pay the job again.
typealias AwardJournal = RecordFile<Market.JournalRecord>
