import AgoraCrypto

extension Ledger {
    /// Checks a ledger entry by entry, in O(log n) memory: format, version and kind, ledger
    /// id, seq continuity, hash chain and signature of each entry, and optionally that a
    /// signed checkpoint matches the entries. The first problem stops verification with a
    /// `LedgerError` whose `seq` names the position of the bad entry.
    public struct Verifier: Sendable {
        /// The ledger being checked.
        public let ledgerID: PublicKey
        /// The checkpoint the entries must match, if any.
        public let checkpoint: SignedCheckpoint?
        /// Entries checked so far.
        public var count: UInt64 { frontier.size }
        /// Hash of the last entry checked (`Digest.zero` before the first).
        public private(set) var lastHash = Digest.zero
        /// The Merkle root of the entries checked so far.
        public var root: Digest { frontier.root }
        private var frontier = MerkleTree.Frontier()
        private var rootAtCheckpoint: Digest?

        /// A verifier for `ledgerID`. A checkpoint must be signed by the same ledger key
        /// (its signature was verified when it was parsed); `finish()` compares it with the
        /// entries.
        public init(ledgerID: PublicKey, checkpoint: SignedCheckpoint? = nil) throws(LedgerError) {
            if let checkpoint, checkpoint.checkpoint.ledgerID != ledgerID {
                throw LedgerError(.wrongLedger, "checkpoint belongs to ledger \(checkpoint.checkpoint.ledgerID.short), not \(ledgerID.short)")
            }
            self.ledgerID = ledgerID
            self.checkpoint = checkpoint
            if checkpoint?.checkpoint.size == 0 { rootAtCheckpoint = MerkleTree.emptyRoot }
        }

        /// Decodes and checks the next entry; returns it. Decoding errors name the position.
        @discardableResult
        public mutating func append(bytes: [UInt8]) throws(LedgerError) -> Entry {
            let entry: Entry
            do { entry = try Entry(bytes: bytes) } catch {
                throw LedgerError(error.code, error.context, seq: count)
            }
            try append(entry)
            return entry
        }

        /// Checks the next entry.
        public mutating func append(_ entry: Entry) throws(LedgerError) {
            let position = count
            guard entry.ledgerID == ledgerID else {
                throw LedgerError(.wrongLedger, "entry is signed for ledger \(entry.ledgerID.short), expected \(ledgerID.short)", seq: position)
            }
            guard entry.seq == position else {
                throw LedgerError(.seqMismatch, "entry carries seq \(entry.seq), expected \(position) (missing, repeated or reordered entry)", seq: position)
            }
            guard entry.previousHash == lastHash else {
                throw LedgerError(.brokenChain, "previous hash \(entry.previousHash.hex.prefix(16))… does not match entry \(position == 0 ? "start (zero)" : String(position - 1)) hash \(lastHash.hex.prefix(16))…", seq: position)
            }
            guard entry.isSignatureValid else {
                throw LedgerError(.badSignature, "signature does not verify under ledger key \(ledgerID.short)", seq: position)
            }
            lastHash = entry.hash
            frontier.append(leafHash: entry.leafHash)
            if let checkpoint, frontier.size == checkpoint.checkpoint.size { rootAtCheckpoint = frontier.root }
        }

        /// Ends verification: checks the checkpoint (if any) against the entries. A
        /// checkpoint larger than the entries means the ledger is truncated; a root mismatch
        /// means entries differ from those the owner signed.
        public func finish() throws(LedgerError) {
            guard let checkpoint else { return }
            let c = checkpoint.checkpoint
            guard c.size <= count else {
                throw LedgerError(.truncated, "checkpoint covers \(c.size) entries, only \(count) present", seq: count)
            }
            guard let rootAtCheckpoint, rootAtCheckpoint == c.root else {
                throw LedgerError(.checkpointMismatch, "entries 0..<\(c.size) hash to a root other than the checkpoint's \(c.root.hex.prefix(16))…")
            }
        }

        /// Checks a whole ledger held in memory.
        public static func verify(entries: [[UInt8]], ledgerID: PublicKey,
                                  checkpoint: SignedCheckpoint? = nil) throws(LedgerError) {
            var v = try Verifier(ledgerID: ledgerID, checkpoint: checkpoint)
            for e in entries { try v.append(bytes: e) }
            try v.finish()
        }
    }
}
