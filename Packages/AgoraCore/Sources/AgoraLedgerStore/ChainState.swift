import AgoraCrypto
import AgoraLedger
import Foundation
import GRDB

/// What the writer needs to extend the ledger: the next seq, the last entry's hash and
/// time, the Merkle frontier and the latest checkpoint. Loaded from the database on open;
/// replaced only after a batch's transaction commits.
struct ChainState: Sendable {
    var frontier = MerkleTree.Frontier()
    var lastHash = Digest.zero
    var lastTime: Int64 = 0
    var lastCheckpoint: SignedCheckpoint?

    var count: UInt64 { frontier.size }

    /// Loads the state and checks it: contiguous seqs, the last entry decodes and matches
    /// its stored leaf hash, and the stored tree matches the latest checkpoint.
    static func load(_ db: Database, ledgerID: PublicKey, path: String) throws -> ChainState {
        let count = try LedgerDatabase.count(db)
        let rows = UInt64(try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM entry") ?? 0)
        guard rows == count else {
            throw LedgerStoreError(.corruptEntry, path: path, "entries are not contiguous: highest seq is \(Int64(count) - 1) but there are \(rows) rows")
        }
        var state = ChainState()
        let reader = NodeReader(db: db, path: path)
        if count > 0 {
            let seq = count - 1
            guard let row = try Row.fetchOne(db, sql: "SELECT bytes, leaf_hash FROM entry WHERE seq = ?", arguments: [Int64(seq)]) else {
                throw LedgerStoreError(.corruptEntry, path: path, "entry \(seq) is missing", seq: seq)
            }
            let entry: LedgerEntry
            do { entry = try LedgerEntry(bytes: Array(row["bytes"] as Data)) } catch {
                throw LedgerStoreError(.corruptEntry, path: path, "stored entry \(seq) does not decode: \(error)", seq: seq)
            }
            guard entry.seq == seq, entry.ledgerID == ledgerID, Array(row["leaf_hash"] as Data) == entry.leafHash.bytes else {
                throw LedgerStoreError(.corruptEntry, path: path, "stored entry \(seq) does not match its row (seq, ledger or leaf hash)", seq: seq)
            }
            state.lastHash = entry.hash
            state.lastTime = entry.time
            state.frontier = try MerkleTree.Frontier(size: count) { level, index in try reader.node(level, index) }
        }
        if let note = try Data.fetchOne(db, sql: "SELECT note FROM checkpoint ORDER BY size DESC LIMIT 1") {
            let checkpoint: SignedCheckpoint
            do { checkpoint = try SignedCheckpoint(note: Array(note)) } catch {
                throw LedgerStoreError(.corruptEntry, path: path, "latest stored checkpoint does not verify: \(error)")
            }
            let c = checkpoint.checkpoint
            guard c.ledgerID == ledgerID, c.size <= count else {
                throw LedgerStoreError(.corruptEntry, path: path, "latest checkpoint covers \(c.size) entries of ledger \(c.ledgerID.short); the database has \(count)")
            }
            let root = try reader.withNodes { (nodes) throws(LedgerError) in try MerkleTree.root(size: c.size, nodes: nodes) }
            guard root == c.root else {
                throw LedgerStoreError(.corruptEntry, path: path, "stored Merkle tree does not match the latest checkpoint at size \(c.size)")
            }
            state.lastCheckpoint = checkpoint
            state.lastTime = max(state.lastTime, c.time)
        }
        return state
    }
}
