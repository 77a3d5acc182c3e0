import AgoraCrypto
import AgoraWire

extension Ledger {
    /// Message `0x0404 consistency-request` (Protocol.md §4.5): asks the receiver, the owner
    /// of a ledger, to prove that its tree of `size1` leaves is a prefix of its tree of
    /// `size2` leaves. Wire form: `u64 size1 ‖ u64 size2`, with `0 < size1 < size2`.
    public struct ConsistencyRequest: Sendable, Hashable, WireCodable {
        /// The smaller tree size (a checkpoint the asker holds).
        public let size1: UInt64
        /// The larger tree size (another checkpoint the asker holds).
        public let size2: UInt64

        /// A request; `0 < size1 < size2` (checked when decoding, not here).
        public init(size1: UInt64, size2: UInt64) {
            self.size1 = size1
            self.size2 = size2
        }

        public func encode(to w: inout WireWriter) {
            w.uint64(size1)
            w.uint64(size2)
        }

        public init(from r: inout WireReader) throws(WireError) {
            let at = r.offset
            size1 = try r.uint64("size1")
            size2 = try r.uint64("size2")
            guard size1 > 0, size1 < size2 else {
                throw WireError(.invalidValue, "consistency request sizes must satisfy 0 < size1 < size2, are \(size1), \(size2)", offset: at)
            }
        }
    }

    /// Message `0x0405 consistency-proof` (Protocol.md §4.5): the owner's answer to a
    /// `ConsistencyRequest`, computed from its own tree: the root of its first `size1`
    /// leaves (`prefixRoot`) and the RFC 9162 consistency proof from `size1` to `size2`.
    /// Wire form: `u64 size1 ‖ u64 size2 ‖ hash32 prefix root ‖ list<hash32>` (≤ 64).
    ///
    /// The prefix root is sent even where the RFC proof implies it: when `size1` is a power
    /// of two the proof omits it, and an owner that rewrote its history must still commit to
    /// the root its current tree gives the old size, so that its answer becomes evidence.
    public struct ConsistencyAnswer: Sendable, Hashable, WireCodable {
        /// The root of the owner's first `proof.size1` leaves.
        public let prefixRoot: Digest
        /// The proof from `size1` to `size2`.
        public let proof: ConsistencyProof

        /// An answer.
        public init(prefixRoot: Digest, proof: ConsistencyProof) {
            self.prefixRoot = prefixRoot
            self.proof = proof
        }

        public func encode(to w: inout WireWriter) {
            w.uint64(proof.size1)
            w.uint64(proof.size2)
            w.raw(prefixRoot.bytes)
            w.array(proof.hashes) { w, h in w.raw(h.bytes) }
        }

        public init(from r: inout WireReader) throws(WireError) {
            let size1 = try r.uint64("size1")
            let size2 = try r.uint64("size2")
            prefixRoot = try Proofs.hash(&r)
            let hashes = try r.array("hashes", max: Ledger.maxProofHashes) { r throws(WireError) in try Proofs.hash(&r) }
            proof = ConsistencyProof(size1: size1, size2: size2, hashes: hashes)
        }

        /// What the answer shows about two checkpoints of its sender's ledger.
        public enum Finding: Sendable, Hashable {
            /// `large` extends `small`: the ledger is append-only between them.
            case consistent
            /// The larger checkpoint's own root authenticates another history for the
            /// first `small.size` entries: transferable equivocation evidence.
            case equivocation(Evidence)
            /// The answer proves nothing (wrong sizes, or a proof that does not lead to the
            /// larger checkpoint's root): the question stays open.
            case unproven(String)
        }

        /// Checks the answer against the two signed checkpoints it was asked about.
        public func judge(small: SignedCheckpoint, large: SignedCheckpoint) -> Finding {
            let a = small.checkpoint, b = large.checkpoint
            guard a.ledgerID == b.ledgerID else { return .unproven("checkpoints of two ledgers") }
            guard proof.size1 == a.size, proof.size2 == b.size, a.size < b.size else {
                return .unproven("the answer is for sizes \(proof.size1)→\(proof.size2), the question for \(a.size)→\(b.size)")
            }
            do {
                try MerkleTree.verifyConsistency(size1: a.size, size2: b.size, root1: prefixRoot, root2: b.root, proof: proof.hashes)
            } catch {
                return .unproven("the proof does not lead to the larger checkpoint's root: \(error.context)")
            }
            if prefixRoot == a.root { return .consistent }
            let evidence = Evidence(first: small, second: large,
                                    conflict: .prefixMismatch(firstRootInSecond: prefixRoot, proof: proof.hashes))
            guard (try? evidence.verify()) != nil else { return .unproven("the evidence does not verify") }
            return .equivocation(evidence)
        }
    }
}
