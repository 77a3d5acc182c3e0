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
    /// Verifies every stored entry (format, chain, seq, signature) and the latest
    /// checkpoint against them, reading in one snapshot. Storage failures throw.
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
            let statement = try db.cachedStatement(sql: "SELECT seq, bytes FROM entry WHERE seq >= ? ORDER BY seq LIMIT ?")
            var next: Int64 = 0
            while true {
                let rows = try Row.fetchAll(statement, arguments: [next, batchSize])
                for row in rows {
                    let seq: Int64 = row["seq"]
                    do {
                        guard UInt64(seq) == verifier.count else {
                            throw LedgerError(.seqMismatch, "row \(seq) found where entry \(verifier.count) belongs (missing entry)", seq: verifier.count)
                        }
                        try verifier.append(bytes: Array(row["bytes"] as Data))
                    } catch let e as LedgerError {
                        return .invalid(e)
                    }
                    next = seq + 1
                }
                if rows.count < batchSize { break }
            }
            do { try verifier.finish() } catch let e as LedgerError { return .invalid(e) }
            return .valid(ledgerID: id, count: verifier.count, checkpoint: verifier.checkpoint)
        }
    }
}
