import AgoraCrypto

/// The result ledger (Protocol.md §4): each node's append-only log of signed entries,
/// chained by hash and arranged as the leaves of an RFC 9162 Merkle tree, with C2SP signed
/// checkpoints, inclusion and consistency proofs, and equivocation evidence.
///
/// Everything in this module is pure: no files, no clock, no randomness. The SQLite store
/// lives in `AgoraLedgerStore`.
public enum Ledger {
    /// The entry format version this build writes and accepts.
    public static let entryVersion: UInt8 = 1
    /// Largest entry body, in bytes (64 KiB).
    public static let maxBodySize = 65_536
    /// Largest canonical entry encoding, in bytes: fixed fields, a 3-byte body length and
    /// the largest body.
    public static let maxEntrySize = 1 + 32 + 8 + 32 + 8 + 1 + 3 + maxBodySize + 64
    /// Largest signed checkpoint note, in bytes.
    public static let maxCheckpointSize = 8_192
    /// Most hashes in an inclusion or consistency proof (trees up to 2^63 leaves need ≤ 64).
    public static let maxProofHashes = 64
    /// The origin-line prefix of every Agora ledger checkpoint: `agora.ledger/<hex ledger id>`.
    public static let originPrefix = "agora.ledger/"

    /// The checkpoint origin (and signed-note key name) of the ledger owned by `ledgerID`.
    public static func origin(of ledgerID: PublicKey) -> String { originPrefix + ledgerID.hex }
}

/// A ledger entry (shorthand for `Ledger.Entry`).
public typealias LedgerEntry = Ledger.Entry
