import AgoraCrypto
import AgoraWire

extension Ledger {
    /// An RFC 9162 inclusion proof: leaf `index` is in the tree of `treeSize` leaves
    /// (Protocol.md §4.5). Wire form: `u64 index ‖ u64 tree size ‖ list<hash32>` (≤ 64).
    public struct InclusionProof: Sendable, Hashable, WireCodable {
        /// The leaf's position (the entry's seq).
        public let index: UInt64
        /// The size of the tree the proof is for (a checkpoint's size).
        public let treeSize: UInt64
        /// The audit path, leaf side first.
        public let hashes: [Digest]

        /// A proof.
        public init(index: UInt64, treeSize: UInt64, hashes: [Digest]) {
            self.index = index
            self.treeSize = treeSize
            self.hashes = hashes
        }

        public func encode(to w: inout WireWriter) {
            w.uint64(index)
            w.uint64(treeSize)
            w.array(hashes) { w, h in w.raw(h.bytes) }
        }

        public init(from r: inout WireReader) throws(WireError) {
            index = try r.uint64("index")
            treeSize = try r.uint64("tree size")
            hashes = try r.array("hashes", max: Ledger.maxProofHashes) { r throws(WireError) in try Proofs.hash(&r) }
        }

        /// Decodes a proof; throws `malformedProof` on bad bytes.
        public init(bytes: [UInt8]) throws(LedgerError) {
            do { self = try InclusionProof(wireBytes: bytes) } catch {
                throw LedgerError(.malformedProof, "inclusion proof: \(error)")
            }
        }

        /// Checks that `entry` is included in the tree `checkpoint` describes.
        public func verify(entry: Entry, checkpoint: Checkpoint) throws(LedgerError) {
            guard entry.ledgerID == checkpoint.ledgerID else {
                throw LedgerError(.wrongLedger, "entry belongs to ledger \(entry.ledgerID.short), checkpoint to \(checkpoint.ledgerID.short)", seq: entry.seq)
            }
            guard entry.seq == index, treeSize == checkpoint.size else {
                throw LedgerError(.proofFailed, "proof is for leaf \(index) of \(treeSize), entry is \(entry.seq), checkpoint size \(checkpoint.size)", seq: entry.seq)
            }
            try verify(leafHash: entry.leafHash, root: checkpoint.root)
        }

        /// Checks that `leafHash` is leaf `index` of the tree with root `root`.
        public func verify(leafHash: Digest, root: Digest) throws(LedgerError) {
            try MerkleTree.verifyInclusion(leafHash: leafHash, index: index, size: treeSize, proof: hashes, root: root)
        }
    }

    /// An RFC 9162 consistency proof between tree sizes `size1 ≤ size2` (Protocol.md §4.5).
    /// Wire form: `u64 size1 ‖ u64 size2 ‖ list<hash32>` (≤ 64).
    public struct ConsistencyProof: Sendable, Hashable, WireCodable {
        /// The older tree size.
        public let size1: UInt64
        /// The newer tree size.
        public let size2: UInt64
        /// The proof hashes.
        public let hashes: [Digest]

        /// A proof.
        public init(size1: UInt64, size2: UInt64, hashes: [Digest]) {
            self.size1 = size1
            self.size2 = size2
            self.hashes = hashes
        }

        public func encode(to w: inout WireWriter) {
            w.uint64(size1)
            w.uint64(size2)
            w.array(hashes) { w, h in w.raw(h.bytes) }
        }

        public init(from r: inout WireReader) throws(WireError) {
            size1 = try r.uint64("size1")
            size2 = try r.uint64("size2")
            hashes = try r.array("hashes", max: Ledger.maxProofHashes) { r throws(WireError) in try Proofs.hash(&r) }
        }

        /// Decodes a proof; throws `malformedProof` on bad bytes.
        public init(bytes: [UInt8]) throws(LedgerError) {
            do { self = try ConsistencyProof(wireBytes: bytes) } catch {
                throw LedgerError(.malformedProof, "consistency proof: \(error)")
            }
        }

        /// Checks that checkpoint `new` extends checkpoint `old` of the same ledger.
        public func verify(from old: Checkpoint, to new: Checkpoint) throws(LedgerError) {
            guard old.ledgerID == new.ledgerID else {
                throw LedgerError(.wrongLedger, "checkpoints belong to different ledgers")
            }
            guard old.size == size1, new.size == size2 else {
                throw LedgerError(.proofFailed, "proof is for sizes \(size1)→\(size2), checkpoints are \(old.size)→\(new.size)")
            }
            try MerkleTree.verifyConsistency(size1: size1, size2: size2, root1: old.root, root2: new.root, proof: hashes)
        }
    }
}

enum Proofs {
    static func hash(_ r: inout WireReader) throws(WireError) -> Digest {
        let at = r.offset
        guard let d = try? Digest(bytes: try r.raw(32, "hash")) else {
            throw WireError(.invalidValue, "hash: not 32 bytes", offset: at)
        }
        return d
    }
}
