import AgoraCrypto
import AgoraLedger
import Foundation
import GRDB

/// One group-commit transaction: signs a batch of entries on top of `start`, stores them
/// with their Merkle nodes, and signs a checkpoint when one is due or asked for. Runs on
/// GRDB's writer queue (off the cooperative pool): signing and hashing happen there too.
struct Commit: Sendable {
    let identity: Identity
    let path: String
    let start: ChainState
    let work: [(Ledger.Kind, [UInt8])]
    let forceCheckpoint: Bool
    let interval: Int64

    struct Output: Sendable {
        let state: ChainState
        let entries: [LedgerEntry]
    }

    /// Wall-clock time in Unix milliseconds.
    static func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    func run(_ db: Database) throws -> Output {
        var state = start
        let now = max(Commit.nowMilliseconds(), state.lastTime)
        var entries: [LedgerEntry] = []
        entries.reserveCapacity(work.count)
        let insertEntry = try db.cachedStatement(sql: "INSERT INTO entry(seq, bytes, leaf_hash) VALUES (?, ?, ?)")
        let insertNode = try db.cachedStatement(sql: "INSERT INTO merkle_node(level, idx, hash) VALUES (?, ?, ?)")
        for (kind, body) in work {
            let entry: LedgerEntry
            do {
                entry = try LedgerEntry.sign(identity: identity, seq: state.count, previousHash: state.lastHash,
                                             time: now, kind: kind, body: body)
            } catch {
                throw LedgerStoreError(.invalidEntry, path: path, "\(error)", seq: state.count)
            }
            try insertEntry.execute(arguments: [Int64(entry.seq), Data(entry.encoded), Data(entry.leafHash.bytes)])
            for node in state.frontier.append(leafHash: entry.leafHash)
            where node.level > 0 && node.level % LedgerSchema.nodeStride == 0 {
                try insertNode.execute(arguments: [node.level, Int64(node.index), Data(node.hash.bytes)])
            }
            state.lastHash = entry.hash
            state.lastTime = now
            entries.append(entry)
        }
        let last = state.lastCheckpoint?.checkpoint
        let grown = last.map { $0.size < state.count } ?? true
        let due = last.map { now - $0.time >= interval } ?? true
        if grown && (forceCheckpoint || due) {
            let checkpoint: SignedCheckpoint
            do {
                checkpoint = try Ledger.Checkpoint(ledgerID: identity.publicKey, size: state.count,
                                                   root: state.frontier.root, time: now).sign(with: identity)
            } catch {
                throw LedgerStoreError(.io, path: path, "cannot sign a checkpoint: \(error)")
            }
            try db.execute(sql: "INSERT INTO checkpoint(size, time, note) VALUES (?, ?, ?)",
                           arguments: [Int64(checkpoint.checkpoint.size), now, Data(checkpoint.note)])
            state.lastCheckpoint = checkpoint
        }
        return Output(state: state, entries: entries)
    }
}
