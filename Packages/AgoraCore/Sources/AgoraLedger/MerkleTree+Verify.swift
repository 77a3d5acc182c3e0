import AgoraCrypto

extension MerkleTree {
    /// The root implied by an inclusion path (RFC 9162 §2.1.3.2), or a `proofFailed` /
    /// `malformedProof` error when the path has the wrong length for `index` and `size`.
    public static func rootFromInclusionProof(leafHash: Digest, index: UInt64, size: UInt64,
                                              proof: [Digest]) throws(LedgerError) -> Digest {
        guard index < size else {
            throw LedgerError(.malformedProof, "leaf \(index) is not in a tree of size \(size)")
        }
        var fn = index, sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else {
                throw LedgerError(.proofFailed, "inclusion path for leaf \(index) of \(size) has too many hashes (\(proof.count))")
            }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1; sn >>= 1
        }
        guard sn == 0 else {
            throw LedgerError(.proofFailed, "inclusion path for leaf \(index) of \(size) has too few hashes (\(proof.count))")
        }
        return r
    }

    /// Checks that `leafHash` is leaf `index` of the tree of `size` leaves with root `root`
    /// (RFC 9162 §2.1.3.2). Throws `proofFailed` when it is not.
    public static func verifyInclusion(leafHash: Digest, index: UInt64, size: UInt64,
                                       proof: [Digest], root: Digest) throws(LedgerError) {
        let computed = try rootFromInclusionProof(leafHash: leafHash, index: index, size: size, proof: proof)
        guard computed == root else {
            throw LedgerError(.proofFailed, "inclusion path for leaf \(index) of \(size) leads to root \(computed.hex.prefix(16))…, expected \(root.hex.prefix(16))…")
        }
    }

    /// Checks a consistency proof between the tree of `size1` leaves with root `root1` and
    /// the tree of `size2` leaves with root `root2` (RFC 9162 §2.1.4.2). Sizes 0 and equal
    /// sizes need an empty proof (and equal roots when the sizes are equal). Throws
    /// `proofFailed` when the proof does not verify.
    public static func verifyConsistency(size1: UInt64, size2: UInt64, root1: Digest, root2: Digest,
                                         proof: [Digest]) throws(LedgerError) {
        if size1 == 0, size1 < size2 {
            // Every tree extends the empty tree.
            guard proof.isEmpty else {
                throw LedgerError(.proofFailed, "consistency proof 0→\(size2) must be empty, has \(proof.count) hashes")
            }
            return
        }
        let (fr, sr) = try rootsFromConsistencyProof(size1: size1, size2: size2, root1: root1, proof: proof)
        guard fr == root1 else {
            throw LedgerError(.proofFailed, "consistency proof \(size1)→\(size2) does not lead to the first root")
        }
        guard sr == root2 else {
            throw LedgerError(.proofFailed, "consistency proof \(size1)→\(size2) does not lead to the second root")
        }
    }

    /// The two roots a consistency proof implies, taking `root1` as the first root where
    /// the RFC algorithm prepends it (when `size1` is a power of two). Equivocation
    /// evidence uses the first root to show what the larger tree says about the smaller.
    public static func rootsFromConsistencyProof(size1: UInt64, size2: UInt64, root1: Digest,
                                                 proof: [Digest]) throws(LedgerError) -> (Digest, Digest) {
        guard size1 <= size2 else {
            throw LedgerError(.malformedProof, "consistency from size \(size1) to smaller size \(size2)")
        }
        if size1 == size2 {
            guard proof.isEmpty else {
                throw LedgerError(.proofFailed, "consistency proof \(size1)→\(size2) must be empty, has \(proof.count) hashes")
            }
            // Equal sizes: the proof is empty and both roots must be `root1`.
            return (root1, root1)
        }
        guard size1 > 0 else {
            throw LedgerError(.malformedProof, "consistency proof from the empty tree has no first root")
        }
        guard !proof.isEmpty else {
            throw LedgerError(.proofFailed, "consistency proof \(size1)→\(size2) is empty")
        }
        var path = proof
        if size1 & (size1 - 1) == 0 { path.insert(root1, at: 0) }
        var fn = size1 - 1, sn = size2 - 1
        while fn & 1 == 1 { fn >>= 1; sn >>= 1 }
        var fr = path[0], sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else {
                throw LedgerError(.proofFailed, "consistency proof \(size1)→\(size2) has too many hashes (\(proof.count))")
            }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1; sn >>= 1
        }
        guard sn == 0 else {
            throw LedgerError(.proofFailed, "consistency proof \(size1)→\(size2) has too few hashes (\(proof.count))")
        }
        return (fr, sr)
    }
}
