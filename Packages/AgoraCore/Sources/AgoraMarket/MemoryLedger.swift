import AgoraLedger
import AgoraCrypto
import AgoraWire

extension Market {
    /// A small in-memory ledger with the same proof shape as the real one (signed entries,
    /// an RFC 9162 Merkle tree, signed checkpoints, inclusion proofs), for the simulator and
    /// tests. Its byte formats are its own (domain `agora/v1/memory-ledger`); a node uses
    /// AgoraLedger and its verifier instead.
    public struct MemoryLedger: Sendable {
        /// Signature domain of this stand-in's entries and checkpoints.
        public static let domain = SignatureDomain("agora/v1/memory-ledger")
        /// The owner.
        public let identity: Identity
        /// Serialised entries, in order.
        public private(set) var entries: [[UInt8]] = []
        private var leaves: [Digest] = []

        /// An empty ledger for `identity`.
        public init(identity: Identity) { self.identity = identity }

        /// Appends a body of `kind` and returns the entry, a fresh checkpoint and the
        /// entry's inclusion proof in it.
        public mutating func append(kind: UInt8, body: [UInt8]) -> EntryProof {
            var w = WireWriter(capacity: body.count + 120)
            w.uint8(kind); w.key(identity.publicKey); w.uint64(UInt64(entries.count)); w.bytes(body)
            let sig = identity.sign(w.bytes, in: Self.domain)
            w.signature(sig)
            let entry = w.bytes
            entries.append(entry)
            leaves.append(Merkle.leafHash(entry))
            let index = leaves.count - 1
            let root = Merkle.root(leaves[...])
            // A real signed checkpoint note (Protocol.md §4.4, time 0 for determinism), so that
            // equivocation (two of one size with different roots) is evidence as on a node.
            let note = (try? Ledger.Checkpoint(ledgerID: identity.publicKey, size: UInt64(leaves.count), root: root, time: 0)
                .sign(with: identity))?.note ?? []
            var p = WireWriter(capacity: 8 + 33 * 16)
            p.uint64(UInt64(index))
            p.array(Merkle.path(index, leaves[...])) { $0.digest($1) }
            return EntryProof(entry: entry, checkpoint: note, proof: p.bytes)
        }

        /// The answer to a consistency request about this ledger, from its own tree; nil when
        /// the request reaches beyond the ledger's size.
        public func consistencyAnswer(_ q: Ledger.ConsistencyRequest) -> Ledger.ConsistencyAnswer? {
            guard q.size2 <= UInt64(leaves.count) else { return nil }
            let tree = MerkleTree.Memory(leafHashes: leaves)
            guard let root = try? tree.root(size: q.size1), let hashes = try? tree.consistencyProof(from: q.size1, to: q.size2) else {
                return nil
            }
            return Ledger.ConsistencyAnswer(prefixRoot: root, proof: Ledger.ConsistencyProof(size1: q.size1, size2: q.size2, hashes: hashes))
        }

        /// The answer `consistencyAnswer(_:)` gives, as the `0x0405` envelope an owner sends.
        public func consistencyEnvelope(_ q: Ledger.ConsistencyRequest) -> Envelope? {
            consistencyAnswer(q).map { Envelope(type: .consistencyProof, payload: $0.wireBytes) }
        }

        /// The entries' decoded kinds and bodies (signatures were made here).
        public var bodies: [(kind: UInt8, body: [UInt8])] {
            entries.compactMap { e in
                var r = WireReader(e)
                guard let k = try? r.uint8("kind"), (try? r.key("owner")) != nil, (try? r.uint64("seq")) != nil,
                      let b = try? r.bytes("body", max: Limits.maxEntryBytes) else { return nil }
                return (k, b)
            }
        }
    }

    /// Verifies `MemoryLedger` proofs: entry and checkpoint signatures by one owner and
    /// RFC 9162 inclusion of the entry in the checkpoint's tree.
    public struct MemoryLedgerVerifier: LedgerProofVerifier {
        /// A verifier.
        public init() {}

        public func verify(_ p: EntryProof) -> ProofVerdict {
            do {
                var e = WireReader(p.entry)
                let kind = try e.uint8("entry.kind")
                let owner = try e.key("entry.owner")
                _ = try e.uint64("entry.seq")
                let body = try e.bytes("entry.body", max: Limits.maxEntryBytes)
                let signedEnd = e.offset
                let sig = try e.signature("entry.signature")
                try e.expectEnd("entry")
                guard owner.isValidSignature(sig, for: Array(p.entry[..<signedEnd]), in: MemoryLedger.domain) else {
                    return .rejected("entry signature does not verify under \(owner.short)")
                }
                guard let checkpoint = try? Ledger.SignedCheckpoint(note: p.checkpoint).checkpoint,
                      checkpoint.ledgerID == owner else {
                    return .rejected("checkpoint is not signed by the entry's ledger owner")
                }
                let size = checkpoint.size, root = checkpoint.root
                var r = WireReader(p.proof)
                let index = try r.uint64("proof.index")
                let path = try r.array("proof.path", max: 64) { (r: inout WireReader) throws(WireError) in try r.digest("proof.hash") }
                try r.expectEnd("proof")
                guard Merkle.verifyInclusion(leaf: Merkle.leafHash(p.entry), index: index, size: size, path: path, root: root) else {
                    return .rejected("inclusion proof does not lead to the checkpoint root")
                }
                return .verified(VerifiedEntry(ledger: owner, kind: kind, body: body))
            } catch {
                return .rejected("malformed proof bundle: \(error)")
            }
        }
    }

    /// RFC 9162 Merkle tree hashing and inclusion proofs (for `MemoryLedger`).
    enum Merkle {
        static func leafHash(_ data: [UInt8]) -> Digest { SHA256.hash(parts: [[0x00], data]) }
        static func nodeHash(_ l: Digest, _ r: Digest) -> Digest { SHA256.hash(parts: [[0x01], l.bytes, r.bytes]) }

        /// Largest power of two smaller than `n` (n ≥ 2).
        static func split(_ n: Int) -> Int {
            var k = 1
            while k << 1 < n { k <<= 1 }
            return k
        }

        static func root(_ leaves: ArraySlice<Digest>) -> Digest {
            switch leaves.count {
            case 0: return SHA256.hash([UInt8]())
            case 1: return leaves[leaves.startIndex]
            default:
                let k = split(leaves.count)
                let mid = leaves.startIndex + k
                return nodeHash(root(leaves[..<mid]), root(leaves[mid...]))
            }
        }

        static func path(_ m: Int, _ leaves: ArraySlice<Digest>) -> [Digest] {
            guard leaves.count > 1 else { return [] }
            let k = split(leaves.count)
            let mid = leaves.startIndex + k
            if m < k { return path(m, leaves[..<mid]) + [root(leaves[mid...])] }
            return path(m - k, leaves[mid...]) + [root(leaves[..<mid])]
        }

        /// RFC 9162 §2.1.3.2.
        static func verifyInclusion(leaf: Digest, index: UInt64, size: UInt64, path: [Digest], root: Digest) -> Bool {
            guard index < size else { return false }
            var fn = index
            var sn = size - 1
            var r = leaf
            for p in path {
                guard sn != 0 else { return false }
                if fn & 1 == 1 || fn == sn {
                    r = nodeHash(p, r)
                    if fn & 1 == 0 {
                        while fn & 1 == 0, fn != 0 { fn >>= 1; sn >>= 1 }
                    }
                } else {
                    r = nodeHash(r, p)
                }
                fn >>= 1; sn >>= 1
            }
            return sn == 0 && r == root
        }
    }
}
