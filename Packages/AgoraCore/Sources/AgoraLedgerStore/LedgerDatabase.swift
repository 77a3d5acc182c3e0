import AgoraCrypto
import AgoraLedger
import Foundation
import GRDB

/// Read access to a ledger database: entries, checkpoints and proofs. A `LedgerStore`
/// has one (`store.database`); `openReadOnly` gives one for inspecting a ledger that
/// another process may be writing (`agora ledger verify|show|proof`).
public final class LedgerDatabase: Sendable {
    /// The database file.
    public let path: String
    /// The ledger's id (its owner's public key).
    public let ledgerID: PublicKey
    let pool: DatabasePool

    init(path: String, ledgerID: PublicKey, pool: DatabasePool) {
        self.path = path
        self.ledgerID = ledgerID
        self.pool = pool
    }

    /// Opens an existing ledger database without writing to it.
    public static func openReadOnly(path: String) throws(LedgerStoreError) -> LedgerDatabase {
        guard FileManager.default.fileExists(atPath: path) else {
            throw LedgerStoreError(.io, path: path, "no ledger database at this path")
        }
        guard case let .ledger(id) = try DatabaseOpening.inspect(path: path) else {
            throw LedgerStoreError(.notALedger, path: path, "the database holds no ledger yet")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: DatabaseOpening.configuration(readonly: true))
            return LedgerDatabase(path: path, ledgerID: id, pool: pool)
        } catch {
            throw DatabaseOpening.map(error, path: path)
        }
    }

    /// Runs a read transaction, mapping errors.
    func read<R: Sendable>(_ body: (Database) throws -> R) throws(LedgerStoreError) -> R {
        do { return try pool.read(body) } catch { throw DatabaseOpening.map(error, path: path) }
    }

    /// Number of committed entries.
    public func count() throws(LedgerStoreError) -> UInt64 {
        try read { db in try Self.count(db) }
    }

    static func count(_ db: Database) throws -> UInt64 {
        UInt64(try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq) + 1, 0) FROM entry") ?? 0)
    }

    /// Up to `limit` entries' raw bytes from seq `from` on, as stored (not decoded).
    public func rawEntries(from: UInt64, limit: Int) throws(LedgerStoreError) -> [(seq: UInt64, bytes: [UInt8])] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT seq, bytes FROM entry WHERE seq >= ? ORDER BY seq LIMIT ?",
                             arguments: [Int64(clamping: from), max(0, limit)])
                .map { row in (UInt64(row["seq"] as Int64), Array(row["bytes"] as Data)) }
        }
    }

    /// Up to `limit` decoded entries from seq `from` on. A stored entry that does not
    /// decode (e.g. an unknown version) throws `corruptEntry` naming its seq.
    public func entries(from: UInt64, limit: Int) throws(LedgerStoreError) -> [LedgerEntry] {
        try rawEntries(from: from, limit: limit).map { (seq, bytes) throws(LedgerStoreError) in try decode(seq: seq, bytes: bytes) }
    }

    /// The entry at `seq`.
    public func entry(seq: UInt64) throws(LedgerStoreError) -> LedgerEntry {
        guard let first = try entries(from: seq, limit: 1).first, first.seq == seq else {
            throw LedgerStoreError(.outOfRange, path: path, "no entry \(seq)", seq: seq)
        }
        return first
    }

    func decode(seq: UInt64, bytes: [UInt8]) throws(LedgerStoreError) -> LedgerEntry {
        let entry: LedgerEntry
        do { entry = try LedgerEntry(bytes: bytes) } catch {
            throw LedgerStoreError(.corruptEntry, path: path, "stored entry \(seq) does not decode: \(error)", seq: seq)
        }
        guard entry.seq == seq else {
            throw LedgerStoreError(.corruptEntry, path: path, "row \(seq) holds entry \(entry.seq)", seq: seq)
        }
        return entry
    }

    /// The most recent signed checkpoint, if any.
    public func latestCheckpoint() throws(LedgerStoreError) -> SignedCheckpoint? {
        let note = try read { db in try Data.fetchOne(db, sql: "SELECT note FROM checkpoint ORDER BY size DESC LIMIT 1") }
        return try note.map { (n) throws(LedgerStoreError) in try parseCheckpoint(Array(n)) }
    }

    /// The signed checkpoint for tree size `size`, if one was signed.
    public func checkpoint(size: UInt64) throws(LedgerStoreError) -> SignedCheckpoint? {
        let note = try read { db in try Data.fetchOne(db, sql: "SELECT note FROM checkpoint WHERE size = ?", arguments: [Int64(clamping: size)]) }
        return try note.map { (n) throws(LedgerStoreError) in try parseCheckpoint(Array(n)) }
    }

    /// The tree sizes of every stored checkpoint, oldest first.
    public func checkpointSizes() throws(LedgerStoreError) -> [UInt64] {
        try read { db in try Int64.fetchAll(db, sql: "SELECT size FROM checkpoint ORDER BY size").map { UInt64($0) } }
    }

    func parseCheckpoint(_ note: [UInt8]) throws(LedgerStoreError) -> SignedCheckpoint {
        do { return try SignedCheckpoint(note: note) } catch {
            throw LedgerStoreError(.corruptEntry, path: path, "stored checkpoint does not verify: \(error)")
        }
    }

    /// The inclusion proof of entry `seq` in the tree of `treeSize` entries (by default,
    /// the latest checkpoint's size).
    public func inclusionProof(seq: UInt64, treeSize: UInt64? = nil) throws(LedgerStoreError) -> Ledger.InclusionProof {
        let size: UInt64
        if let treeSize { size = treeSize } else {
            guard let c = try latestCheckpoint() else {
                throw LedgerStoreError(.outOfRange, path: path, "the ledger has no checkpoint yet")
            }
            size = c.checkpoint.size
        }
        let path = self.path
        return try read { db in
            guard seq < size, size <= (try Self.count(db)) else {
                throw LedgerStoreError(.outOfRange, path: path, "no entry \(seq) in a tree of size \(size)", seq: seq)
            }
            let hashes = try NodeReader(db: db, path: path).withNodes { (nodes) throws(LedgerError) in
                try MerkleTree.inclusionProof(index: seq, size: size, nodes: nodes)
            }
            return Ledger.InclusionProof(index: seq, treeSize: size, hashes: hashes)
        }
    }

    /// The consistency proof between tree sizes `from ≤ to`.
    public func consistencyProof(from: UInt64, to: UInt64) throws(LedgerStoreError) -> Ledger.ConsistencyProof {
        let path = self.path
        return try read { db in
            guard from <= to, to <= (try Self.count(db)) else {
                throw LedgerStoreError(.outOfRange, path: path, "no consistency proof from size \(from) to \(to)")
            }
            let hashes = try NodeReader(db: db, path: path).withNodes { (nodes) throws(LedgerError) in
                try MerkleTree.consistencyProof(from: from, to: to, nodes: nodes)
            }
            return Ledger.ConsistencyProof(size1: from, size2: to, hashes: hashes)
        }
    }

    /// The Merkle root of the first `size` entries, from the stored nodes.
    public func root(size: UInt64) throws(LedgerStoreError) -> Digest {
        let path = self.path
        return try read { db in
            guard size <= (try Self.count(db)) else {
                throw LedgerStoreError(.outOfRange, path: path, "the ledger has fewer than \(size) entries")
            }
            return try NodeReader(db: db, path: path).withNodes { (nodes) throws(LedgerError) in
                try MerkleTree.root(size: size, nodes: nodes)
            }
        }
    }
}
