import AgoraCrypto

extension MerkleTree {
    /// The right edge of a growing tree: one perfect-subtree hash per set bit of `size`,
    /// largest first. Appending a leaf costs O(log n) hashes and reports the perfect
    /// subtrees it completes, so a store can persist them for fast proofs.
    public struct Frontier: Sendable, Equatable {
        /// Number of leaves appended so far.
        public private(set) var size: UInt64 = 0
        /// Perfect-subtree hashes covering `[0, size)`, largest (leftmost) first.
        public private(set) var hashes: [Digest] = []

        /// An empty tree.
        public init() {}

        /// The frontier of the first `size` leaves, read from a node source.
        public init<E: Error>(size: UInt64, nodes: NodeSource<E>) throws(E) {
            var lo: UInt64 = 0
            for level in stride(from: 63, through: 0, by: -1) where size & (UInt64(1) << UInt64(level)) != 0 {
                hashes.append(try nodes(level, lo >> UInt64(level)))
                lo += UInt64(1) << UInt64(level)
            }
            self.size = size
        }

        /// A completed perfect subtree: its level, index and hash.
        public struct Node: Sendable, Equatable {
            /// Height above the leaves (0 = the leaf itself).
            public let level: Int
            /// Position among the subtrees of that level.
            public let index: UInt64
            /// The subtree hash.
            public let hash: Digest
        }

        /// Appends a leaf hash; returns every perfect subtree this completes, the leaf
        /// itself (level 0) first.
        @discardableResult
        public mutating func append(leafHash: Digest) -> [Node] {
            var completed = [Node(level: 0, index: size, hash: leafHash)]
            var hash = leafHash
            var level = 0
            var index = size
            // Each trailing 1 bit of the old size is a left sibling waiting to be merged.
            while index & 1 == 1 {
                hash = MerkleTree.nodeHash(hashes.removeLast(), hash)
                level += 1
                index >>= 1
                completed.append(Node(level: level, index: index, hash: hash))
            }
            hashes.append(hash)
            size += 1
            return completed
        }

        /// The root hash of the `size` leaves.
        public var root: Digest {
            guard var acc = hashes.last else { return MerkleTree.emptyRoot }
            for h in hashes.dropLast().reversed() { acc = MerkleTree.nodeHash(h, acc) }
            return acc
        }
    }
}
