/// The result ledger: entries, hash chain, RFC 9162 Merkle tree, checkpoints, proofs, evidence.
public enum Ledger {}
