import AgoraCrypto
import AgoraWire

extension Ledger {
    /// Equivocation evidence (Protocol.md §4.6): two checkpoints signed by one ledger key
    /// that no single append-only ledger can have produced. Any peer can check it alone.
    ///
    /// - `sameSize`: both checkpoints have the same size and different roots.
    /// - `prefixMismatch`: the first is smaller; a consistency proof authenticated by the
    ///   second checkpoint's root shows that the second tree's first `first.size` leaves hash
    ///   to `firstRootInSecond`, which differs from the first checkpoint's root.
    public struct Evidence: Sendable, Hashable {
        /// The evidence format version.
        public static let version: UInt8 = 1
        /// Largest encoded evidence, in bytes.
        public static let maxSize = 4 + 2 * (3 + Ledger.maxCheckpointSize) + 32 + 1 + 32 * Ledger.maxProofHashes

        /// How the two checkpoints conflict.
        public enum Conflict: Sendable, Hashable {
            /// Same size, different roots.
            case sameSize
            /// The second tree's prefix of `first.size` leaves has root `firstRootInSecond`
            /// (proved by `proof`, an RFC 9162 consistency proof computed with that root).
            case prefixMismatch(firstRootInSecond: Digest, proof: [Digest])
        }

        /// The smaller (or, for `sameSize`, either) checkpoint.
        public let first: SignedCheckpoint
        /// The other checkpoint.
        public let second: SignedCheckpoint
        /// How they conflict.
        public let conflict: Conflict

        /// Evidence from its parts. Call `verify()` before acting on it.
        public init(first: SignedCheckpoint, second: SignedCheckpoint, conflict: Conflict) {
            self.first = first
            self.second = second
            self.conflict = conflict
        }

        /// The ledger the evidence accuses.
        public var ledgerID: PublicKey { first.checkpoint.ledgerID }

        /// Builds evidence from two checkpoints and the consistency proof the ledger served
        /// between them, when that proof verifies against the larger checkpoint but leads to
        /// a different root for the smaller one. Returns nil when the pair is not provably
        /// inconsistent this way (e.g. consistent, or the proof is simply wrong).
        public static func detect(_ a: SignedCheckpoint, _ b: SignedCheckpoint, proof: [Digest]) -> Evidence? {
            guard a.checkpoint.ledgerID == b.checkpoint.ledgerID else { return nil }
            let (small, large) = a.checkpoint.size <= b.checkpoint.size ? (a, b) : (b, a)
            if small.checkpoint.size == large.checkpoint.size {
                return small.checkpoint.root == large.checkpoint.root ? nil : Evidence(first: small, second: large, conflict: .sameSize)
            }
            let m = small.checkpoint.size, n = large.checkpoint.size
            guard m > 0, m & (m - 1) != 0 else { return nil }  // a power-of-two size needs the subtree hash itself
            guard let (fr, sr) = try? MerkleTree.rootsFromConsistencyProof(size1: m, size2: n, root1: small.checkpoint.root, proof: proof),
                  sr == large.checkpoint.root, fr != small.checkpoint.root else { return nil }
            let e = Evidence(first: small, second: large, conflict: .prefixMismatch(firstRootInSecond: fr, proof: proof))
            return (try? e.verify()) != nil ? e : nil
        }

        /// Checks that the evidence proves equivocation; throws `invalidEvidence` otherwise.
        public func verify() throws(LedgerError) {
            let a = first.checkpoint, b = second.checkpoint
            guard a.ledgerID == b.ledgerID else {
                throw LedgerError(.invalidEvidence, "checkpoints are from different ledgers (\(a.ledgerID.short), \(b.ledgerID.short))")
            }
            switch conflict {
            case .sameSize:
                guard a.size == b.size else {
                    throw LedgerError(.invalidEvidence, "same-size evidence has sizes \(a.size) and \(b.size)")
                }
                guard a.root != b.root else { throw LedgerError(.invalidEvidence, "both checkpoints have the same root") }
            case let .prefixMismatch(claimed, proof):
                guard a.size < b.size else {
                    throw LedgerError(.invalidEvidence, "prefix evidence needs a smaller first checkpoint, sizes are \(a.size) and \(b.size)")
                }
                guard claimed != a.root else {
                    throw LedgerError(.invalidEvidence, "the second tree's prefix root equals the first root: consistent")
                }
                do {
                    try MerkleTree.verifyConsistency(size1: a.size, size2: b.size, root1: claimed, root2: b.root, proof: proof)
                } catch {
                    throw LedgerError(.invalidEvidence, "consistency proof does not authenticate the claimed prefix root: \(error.context)")
                }
            }
        }

        /// The canonical encoding (Protocol.md §4.6).
        public var encoded: [UInt8] {
            var w = WireWriter(capacity: first.note.count + second.note.count + 128)
            w.uint8(Evidence.version)
            switch conflict {
            case .sameSize: w.uint8(1)
            case .prefixMismatch: w.uint8(2)
            }
            w.bytes(first.note)
            w.bytes(second.note)
            if case let .prefixMismatch(claimed, proof) = conflict {
                w.raw(claimed.bytes)
                w.array(proof) { w, h in w.raw(h.bytes) }
            }
            return w.bytes
        }

        /// Decodes evidence and verifies both checkpoint signatures (not the conflict: call
        /// `verify()`). Throws `malformedEvidence`, or the checkpoint's own error.
        public init(bytes: [UInt8]) throws(LedgerError) {
            guard bytes.count <= Evidence.maxSize else {
                throw LedgerError(.malformedEvidence, "evidence is \(bytes.count) bytes, the limit is \(Evidence.maxSize)")
            }
            var r = WireReader(bytes)
            let tag: UInt8, firstNote: [UInt8], secondNote: [UInt8]
            var conflict = Conflict.sameSize
            do {
                let v = try r.uint8("version")
                guard v == Evidence.version else {
                    throw LedgerError(.malformedEvidence, "evidence version \(v) is not supported")
                }
                tag = try r.uint8("conflict")
                guard tag == 1 || tag == 2 else { throw LedgerError(.malformedEvidence, "unknown conflict tag \(tag)") }
                firstNote = try r.bytes("first checkpoint", max: Ledger.maxCheckpointSize)
                secondNote = try r.bytes("second checkpoint", max: Ledger.maxCheckpointSize)
                if tag == 2 {
                    let claimed = try Proofs.hash(&r)
                    let proof = try r.array("proof", max: Ledger.maxProofHashes) { r throws(WireError) in try Proofs.hash(&r) }
                    conflict = .prefixMismatch(firstRootInSecond: claimed, proof: proof)
                }
                try r.expectEnd("evidence")
            } catch let e as LedgerError {
                throw e
            } catch {
                throw LedgerError(.malformedEvidence, "evidence: \(error)")
            }
            self.init(first: try SignedCheckpoint(note: firstNote), second: try SignedCheckpoint(note: secondNote),
                      conflict: conflict)
        }
    }
}
