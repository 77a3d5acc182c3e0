import AgoraCrypto

/// Checks a ledger entry against a signed checkpoint with an RFC 9162 inclusion proof. The
/// ledger module provides the real one; the market core only needs its verdict. It must
/// be pure (no I/O) so the instance stays deterministic.
public protocol LedgerProofVerifier: Sendable {
    /// Verifies the entry's signature by its ledger's owner, the checkpoint's signature by
    /// the same key, and the entry's inclusion in the checkpoint's tree; returns the
    /// entry's owner, kind and body, or why it failed.
    func verify(_ proof: Market.EntryProof) -> Market.ProofVerdict
}

extension Market {
    /// What a `LedgerProofVerifier` found.
    public enum ProofVerdict: Equatable, Sendable {
        /// The entry is authentic and included: its facts.
        case verified(VerifiedEntry)
        /// Something did not verify; the text says what.
        case rejected(String)
    }

    /// The facts of a verified ledger entry the market checks against the message
    /// carrying it.
    public struct VerifiedEntry: Equatable, Sendable {
        /// The ledger's owner (the key that signed entry and checkpoint).
        public var ledger: PublicKey
        /// The entry kind (`LedgerKind` raw value).
        public var kind: UInt8
        /// The entry's opaque body.
        public var body: [UInt8]

        /// Creates the facts.
        public init(ledger: PublicKey, kind: UInt8, body: [UInt8]) {
            self.ledger = ledger; self.kind = kind; self.body = body
        }
    }
}
