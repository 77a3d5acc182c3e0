import AgoraCrypto
import AgoraLedger
import Foundation
import GRDB

/// Reads perfect-subtree hashes from the database for proof generation and for
/// rebuilding the frontier on open. Levels that are positive multiples of
/// `LedgerSchema.nodeStride` are stored; others are folded from the stored level below.
struct NodeReader {
    let db: Database
    let path: String

    func node(_ level: Int, _ index: UInt64) throws -> Digest {
        let stride = LedgerSchema.nodeStride
        let base = level - level % stride
        if level == base {
            if level == 0 {
                let s = try db.cachedStatement(sql: "SELECT leaf_hash FROM entry WHERE seq = ?")
                return try digest(Data.fetchOne(s, arguments: [Int64(index)]), level, index)
            }
            let s = try db.cachedStatement(sql: "SELECT hash FROM merkle_node WHERE level = ? AND idx = ?")
            return try digest(Data.fetchOne(s, arguments: [level, Int64(index)]), level, index)
        }
        let span = UInt64(1) << UInt64(level - base)
        let lo = Int64(index * span), hi = Int64((index + 1) * span)
        let rows: [Data]
        if base == 0 {
            let s = try db.cachedStatement(sql: "SELECT leaf_hash FROM entry WHERE seq >= ? AND seq < ? ORDER BY seq")
            rows = try Data.fetchAll(s, arguments: [lo, hi])
        } else {
            let s = try db.cachedStatement(sql: "SELECT hash FROM merkle_node WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx")
            rows = try Data.fetchAll(s, arguments: [base, lo, hi])
        }
        guard rows.count == Int(span) else {
            throw LedgerStoreError(.corruptEntry, path: path, "Merkle subtree (\(level), \(index)) is missing \(Int(span) - rows.count) of its \(span) children")
        }
        var hashes = try rows.map { try digest($0, base, 0) }
        while hashes.count > 1 {
            hashes = Swift.stride(from: 0, to: hashes.count, by: 2).map { MerkleTree.nodeHash(hashes[$0], hashes[$0 + 1]) }
        }
        return hashes[0]
    }

    private func digest(_ data: Data?, _ level: Int, _ index: UInt64) throws -> Digest {
        guard let data, let d = try? Digest(bytes: Array(data)) else {
            throw LedgerStoreError(.corruptEntry, path: path, "Merkle node (\(level), \(index)) is missing or not 32 bytes")
        }
        return d
    }

    /// Runs a MerkleTree function that takes a typed node source, carrying database errors
    /// out through the typed-throws boundary.
    func withNodes<R>(_ body: (MerkleTree.NodeSource<LedgerError>) throws(LedgerError) -> R) throws -> R {
        var storeError: (any Error)?
        do {
            return try body { level, index throws(LedgerError) in
                do { return try node(level, index) } catch {
                    storeError = error
                    throw LedgerError(.truncated, "storage error")
                }
            }
        } catch {
            if let storeError { throw storeError }
            throw error
        }
    }
}
