import AgoraCrypto
import AgoraLedger
import Foundation
import GRDB

/// The outcome of verifying a whole ledger (a database or an export file). A ledger that
/// fails verification is an expected outcome, not an error: `invalid` names the first bad
/// entry (in `LedgerError.seq`) and the reason.
public enum LedgerVerification: Sendable, Equatable {
    /// Every entry verified, and the checkpoint (if any) matched them.
    case valid(ledgerID: PublicKey, count: UInt64, checkpoint: SignedCheckpoint?)
    /// The first problem found.
    case invalid(LedgerError)
}

extension LedgerDatabase {
    /// Verifies every stored entry (format, chain, seq, signature), the latest checkpoint
    /// against them, and the Merkle index proofs are served from (each entry's stored leaf
    /// hash, every stored subtree hash, no stray rows), reading in one snapshot. Storage
    /// failures throw.
    public func verify(batchSize: Int = 4_096) throws(LedgerStoreError) -> LedgerVerification {
        let id = ledgerID
        return try read { db in
            let note = try Data.fetchOne(db, sql: "SELECT note FROM checkpoint ORDER BY size DESC LIMIT 1")
            var verifier: Ledger.Verifier
            do {
                let checkpoint = try note.map { (n) throws(LedgerError) in try SignedCheckpoint(note: Array(n)) }
                verifier = try Ledger.Verifier(ledgerID: id, checkpoint: checkpoint)
            } catch let e as LedgerError {
                return .invalid(LedgerError(e.code, "latest checkpoint: \(e.context)"))
            }
            let statement = try db.cachedStatement(sql: "SELECT seq, bytes, leaf_hash FROM entry WHERE seq >= ? ORDER BY seq LIMIT ?")
            let storedNode = try db.cachedStatement(sql: "SELECT hash FROM merkle_node WHERE level = ? AND idx = ?")
            // The index is rebuilt beside the verifier, node by node as `Commit` stored it.
            var index = MerkleTree.Frontier()
            var expectedNodes = 0
            var next: Int64 = 0
            while true {
                let rows = try Row.fetchAll(statement, arguments: [next, batchSize])
                for row in rows {
                    let seq: Int64 = row["seq"]
                    do {
                        guard UInt64(seq) == verifier.count else {
                            throw LedgerError(.seqMismatch, "row \(seq) found where entry \(verifier.count) belongs (missing entry)", seq: verifier.count)
                        }
                        let entry = try verifier.append(bytes: Array(row["bytes"] as Data))
                        guard Array(row["leaf_hash"] as Data) == entry.leafHash.bytes else {
                            throw LedgerError(.corruptIndex, "entry \(seq)'s stored leaf hash is not the hash of its bytes", seq: UInt64(seq))
                        }
                        for node in index.append(leafHash: entry.leafHash)
                        where node.level > 0 && node.level % LedgerSchema.nodeStride == 0 {
                            expectedNodes += 1
                            let stored = try Data.fetchOne(storedNode, arguments: [node.level, Int64(node.index)])
                            guard let stored, Array(stored) == node.hash.bytes else {
                                throw LedgerError(.corruptIndex, "stored Merkle node (level \(node.level), index \(node.index)) is \(stored == nil ? "missing" : "not the hash of its subtree")", seq: UInt64(seq))
                            }
                        }
                    } catch let e as LedgerError {
                        return .invalid(e)
                    }
                    next = seq + 1
                }
                if rows.count < batchSize { break }
            }
            do { try verifier.finish() } catch let e as LedgerError { return .invalid(e) }
            let storedNodes = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM merkle_node") ?? 0
            guard storedNodes == expectedNodes else {
                return .invalid(LedgerError(.corruptIndex, "\(storedNodes - expectedNodes) stored Merkle nodes belong to no subtree of the \(verifier.count) entries"))
            }
            return .valid(ledgerID: id, count: verifier.count, checkpoint: verifier.checkpoint)
        }
    }
}
