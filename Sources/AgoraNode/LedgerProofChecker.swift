import AgoraCrypto
import AgoraLedger
import AgoraMarket

/// The market's proof checker over the real ledger formats: the entry's own signature,
/// the checkpoint's signature by the same ledger key, and the RFC 9162 inclusion proof of
/// the entry in the checkpoint's tree.
struct LedgerProofChecker: LedgerProofVerifier {
    func verify(_ proof: Market.EntryProof) -> Market.ProofVerdict {
        do {
            let entry = try Ledger.Entry(bytes: proof.entry)
            guard entry.isSignatureValid else { return .rejected("entry #\(entry.seq) has a bad signature") }
            let checkpoint = try Ledger.SignedCheckpoint(note: proof.checkpoint)
            guard checkpoint.checkpoint.ledgerID == entry.ledgerID else {
                return .rejected("checkpoint is for ledger \(checkpoint.checkpoint.ledgerID.short), entry for \(entry.ledgerID.short)")
            }
            let inclusion = try Ledger.InclusionProof(bytes: proof.proof)
            guard inclusion.index == entry.seq else {
                return .rejected("proof is for entry #\(inclusion.index), not #\(entry.seq)")
            }
            try inclusion.verify(entry: entry, checkpoint: checkpoint.checkpoint)
            return .verified(Market.VerifiedEntry(ledger: entry.ledgerID, kind: entry.kind.rawValue, body: entry.body))
        } catch {
            return .rejected("\(error)")
        }
    }
}
