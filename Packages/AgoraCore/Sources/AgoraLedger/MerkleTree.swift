import AgoraCrypto

/// RFC 9162 (RFC 6962) Merkle tree hashing and proof generation over SHA-256.
///
/// Leaf hash `SHA-256(0x00 ‖ d)`, node hash `SHA-256(0x01 ‖ left ‖ right)`, empty tree
/// `SHA-256("")`. A tree of n leaves splits at k, the largest power of two below n.
///
/// Proof generation reads **perfect subtrees**: the subtree at `level` L and `index` i
/// covers leaves `[i·2^L, (i+1)·2^L)`. A store provides them from disk; `Memory` computes
/// them from a list of leaf hashes.
public enum MerkleTree {
    /// The hash of a perfect subtree: `(level, index) → hash`.
    public typealias NodeSource<E: Error> = (_ level: Int, _ index: UInt64) throws(E) -> Digest

    /// The root of the empty tree, SHA-256 of no bytes.
    public static let emptyRoot: Digest = SHA256.hash([UInt8]())

    /// The leaf hash of `data`: SHA-256(0x00 ‖ data).
    public static func leafHash(_ data: [UInt8]) -> Digest {
        var buffer = [UInt8]()
        buffer.reserveCapacity(1 + data.count)
        buffer.append(0x00)
        buffer.append(contentsOf: data)
        return SHA256.hash(buffer)
    }

    /// The interior node hash: SHA-256(0x01 ‖ left ‖ right).
    public static func nodeHash(_ left: Digest, _ right: Digest) -> Digest {
        var buffer = [UInt8]()
        buffer.reserveCapacity(65)
        buffer.append(0x01)
        buffer.append(contentsOf: left.bytes)
        buffer.append(contentsOf: right.bytes)
        return SHA256.hash(buffer)
    }

    /// The root of the tree over `leafHashes` (leaf hashes, not leaf data).
    public static func root(leafHashes: [Digest]) -> Digest {
        var frontier = Frontier()
        for h in leafHashes { frontier.append(leafHash: h) }
        return frontier.root
    }

    /// The largest power of two strictly below `n` (n ≥ 2).
    static func split(_ n: UInt64) -> UInt64 {
        UInt64(1) << (63 - UInt64((n - 1).leadingZeroBitCount))
    }

    /// The hash of leaves `[lo, hi)`, where `lo` is aligned as in the RFC recursion.
    public static func rangeHash<E: Error>(_ lo: UInt64, _ hi: UInt64, nodes: NodeSource<E>) throws(E) -> Digest {
        let n = hi - lo
        if n == 0 { return emptyRoot }
        if n & (n - 1) == 0 {
            let level = n.trailingZeroBitCount
            if lo & (n - 1) == 0 { return try nodes(level, lo >> UInt64(level)) }
        }
        let k = split(n)
        return nodeHash(try rangeHash(lo, lo + k, nodes: nodes), try rangeHash(lo + k, hi, nodes: nodes))
    }

    /// The root of the first `size` leaves.
    public static func root<E: Error>(size: UInt64, nodes: NodeSource<E>) throws(E) -> Digest {
        size == 0 ? emptyRoot : try rangeHash(0, size, nodes: nodes)
    }

    /// The RFC 9162 §2.1.3.1 inclusion path of leaf `index` in the tree of `size` leaves.
    /// Throws `malformedProof` when `index >= size`.
    public static func inclusionProof(index: UInt64, size: UInt64,
                                      nodes: NodeSource<LedgerError>) throws(LedgerError) -> [Digest] {
        guard index < size else {
            throw LedgerError(.malformedProof, "leaf \(index) is not in a tree of size \(size)")
        }
        var path: [Digest] = []
        var lo: UInt64 = 0, hi = size
        // Walk from the root down, collecting siblings; the RFC lists them leaf first.
        while hi - lo > 1 {
            let k = split(hi - lo)
            if index - lo < k {
                path.append(try rangeHash(lo + k, hi, nodes: nodes))
                hi = lo + k
            } else {
                path.append(try rangeHash(lo, lo + k, nodes: nodes))
                lo += k
            }
        }
        return path.reversed()
    }

    /// The RFC 9162 §2.1.4.1 consistency proof between the trees of `from` and `to` leaves.
    /// Empty when `from == 0` or `from == to`; throws `malformedProof` when `from > to`.
    public static func consistencyProof(from m: UInt64, to n: UInt64,
                                        nodes: NodeSource<LedgerError>) throws(LedgerError) -> [Digest] {
        guard m <= n else { throw LedgerError(.malformedProof, "consistency from size \(m) to smaller size \(n)") }
        if m == 0 || m == n { return [] }
        var proof: [Digest] = []
        var lo: UInt64 = 0, hi = n, m = m
        var startFromOldRoot = true
        while true {
            let size = hi - lo
            if m == size {
                if !startFromOldRoot { proof.append(try rangeHash(lo, hi, nodes: nodes)) }
                break
            }
            let k = split(size)
            if m <= k {
                proof.append(try rangeHash(lo + k, hi, nodes: nodes))
                hi = lo + k
            } else {
                proof.append(try rangeHash(lo, lo + k, nodes: nodes))
                lo += k
                m -= k
                startFromOldRoot = false
            }
        }
        return proof.reversed()
    }

    /// Perfect subtrees computed from leaf hashes held in memory (tests, small ledgers).
    public struct Memory: Sendable {
        /// The leaf hashes, in order.
        public var leafHashes: [Digest]

        /// A tree over `leafHashes`.
        public init(leafHashes: [Digest] = []) { self.leafHashes = leafHashes }

        /// The perfect subtree hash at (`level`, `index`); throws `malformedProof` if it
        /// reaches past the last leaf.
        public func node(_ level: Int, _ index: UInt64) throws(LedgerError) -> Digest {
            let lo = index << UInt64(level), width = UInt64(1) << UInt64(level)
            guard level < 63, lo + width <= UInt64(leafHashes.count) else {
                throw LedgerError(.malformedProof, "subtree (\(level), \(index)) reaches past leaf \(leafHashes.count)")
            }
            if level == 0 { return leafHashes[Int(lo)] }
            return MerkleTree.nodeHash(try node(level - 1, index * 2), try node(level - 1, index * 2 + 1))
        }

        /// The root of the first `size` leaves (all of them by default).
        public func root(size: UInt64? = nil) throws(LedgerError) -> Digest {
            try MerkleTree.root(size: size ?? UInt64(leafHashes.count), nodes: node)
        }

        /// The inclusion path of leaf `index` in the tree of the first `size` leaves.
        public func inclusionProof(index: UInt64, size: UInt64) throws(LedgerError) -> [Digest] {
            guard size <= UInt64(leafHashes.count) else {
                throw LedgerError(.malformedProof, "tree size \(size) exceeds \(leafHashes.count) leaves")
            }
            return try MerkleTree.inclusionProof(index: index, size: size, nodes: node)
        }

        /// The consistency proof between the trees of the first `from` and `to` leaves.
        public func consistencyProof(from: UInt64, to: UInt64) throws(LedgerError) -> [Digest] {
            guard to <= UInt64(leafHashes.count) else {
                throw LedgerError(.malformedProof, "tree size \(to) exceeds \(leafHashes.count) leaves")
            }
            return try MerkleTree.consistencyProof(from: from, to: to, nodes: node)
        }
    }
}
