import AgoraCrypto
import AgoraLedger

/// Remembers the signed checkpoints this node has seen of every other ledger (on results,
/// verify requests and attestations) and turns a conflicting pair into transferable
/// equivocation evidence (Protocol.md §4.6). Pure: the market instance feeds it every
/// checkpoint that arrives on a market message and acts on what it returns.
///
/// Detected here: two checkpoints of one size with different roots (a ledger that was
/// rolled back or forked and signed again). A conflict between checkpoints of different
/// sizes needs a consistency proof from the ledger's owner (`Ledger.Evidence.detect`); the
/// node does not request one yet.
extension Market {
struct EquivocationWatch: Equatable, Sendable {
    /// What one observation means.
    enum Outcome: Equatable {
        /// Nothing new, or consistent as far as this watch can tell.
        case consistent
        /// `evidence` proves the ledger's owner signed two conflicting checkpoints.
        case equivocation(Ledger.Evidence)
    }

    /// Largest number of checkpoints kept per ledger (the most recent sizes).
    static let keptPerLedger = 64

    private var seen: [PublicKey: [UInt64: Ledger.SignedCheckpoint]] = [:]
    /// Ledgers with evidence against them (found here or received and verified).
    private(set) var accused: Set<PublicKey> = []

    /// Records a checkpoint this node received; returns evidence the first time a ledger is
    /// caught signing two roots for one size.
    mutating func observe(_ checkpoint: Ledger.SignedCheckpoint) -> Outcome {
        let ledger = checkpoint.checkpoint.ledgerID
        guard !accused.contains(ledger) else { return .consistent }
        var known = seen[ledger, default: [:]]
        if let earlier = known[checkpoint.checkpoint.size] {
            guard earlier.checkpoint.root != checkpoint.checkpoint.root else { return .consistent }
            let evidence = Ledger.Evidence(first: earlier, second: checkpoint, conflict: .sameSize)
            guard (try? evidence.verify()) != nil else { return .consistent }
            accused.insert(ledger)
            seen[ledger] = nil
            return .equivocation(evidence)
        }
        known[checkpoint.checkpoint.size] = checkpoint
        if known.count > Self.keptPerLedger, let oldest = known.keys.min() { known[oldest] = nil }
        seen[ledger] = known
        return .consistent
    }

    /// Records evidence received from a peer once it verified; false if already known.
    mutating func accept(_ evidence: Ledger.Evidence) -> Bool {
        accused.insert(evidence.ledgerID).inserted
    }
}
}
