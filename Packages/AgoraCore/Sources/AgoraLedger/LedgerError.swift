/// An error from the ledger: what failed, which entry (when one is to blame), and the
/// context a user needs to act on it.
public struct LedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// Entry bytes that do not decode (truncated, oversized, trailing bytes…).
        case malformedEntry
        /// An entry with a version this build does not know.
        case unknownVersion
        /// An entry with a kind this build does not know.
        case unknownKind
        /// An entry body larger than `Ledger.maxBodySize`.
        case bodyTooLarge
        /// An entry that belongs to another ledger (another owner key).
        case wrongLedger
        /// An entry whose seq is not the next one (gap, repeat or reorder).
        case seqMismatch
        /// An entry whose previous-hash does not match the hash of the entry before it.
        case brokenChain
        /// An entry or checkpoint whose signature does not verify.
        case badSignature
        /// A checkpoint note that does not parse.
        case malformedCheckpoint
        /// A checkpoint whose size or root does not match the entries.
        case checkpointMismatch
        /// Proof bytes that do not decode, or a proof for impossible sizes.
        case malformedProof
        /// A proof that does not verify.
        case proofFailed
        /// Evidence bytes that do not decode.
        case malformedEvidence
        /// Evidence that does not prove equivocation.
        case invalidEvidence
        /// An export file that does not decode.
        case malformedExport
        /// Fewer entries than a checkpoint or header promised.
        case truncated
        /// A stored Merkle index (an entry's leaf hash, a stored subtree hash) that does not
        /// match the entries: proofs served from it would fail.
        case corruptIndex
    }

    /// What kind of failure this is.
    public let code: Code
    /// Which field, which numbers, which file.
    public let context: String
    /// The seq of the first bad entry, when the error is about an entry.
    public let seq: UInt64?

    /// Creates an error.
    public init(_ code: Code, _ context: String, seq: UInt64? = nil) {
        self.code = code
        self.context = context
        self.seq = seq
    }

    public var description: String {
        if let seq { return "\(code.rawValue) at entry \(seq): \(context)" }
        return "\(code.rawValue): \(context)"
    }
}
