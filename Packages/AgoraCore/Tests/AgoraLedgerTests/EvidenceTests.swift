import AgoraCrypto
import Testing
@testable import AgoraLedger

/// Equivocation evidence verifies for real forks and is rejected when forged.
@Suite struct EvidenceTests {
    /// The honest ledger and a fork that rewrites entry 3 onward.
    static let honest = Fixtures.ledger(9)
    static let fork: [LedgerEntry] = {
        var out = Array(honest.prefix(3))
        for seq in 3..<9 {
            out.append(try! LedgerEntry.sign(identity: Fixtures.owner, seq: UInt64(seq), previousHash: out[seq - 1].hash,
                                             time: 1, kind: .receipt, body: Array("fork \(seq)".utf8)))
        }
        return out
    }()

    static func prefixEvidence(small: Int, large: Int) throws -> Ledger.Evidence {
        let a = Fixtures.checkpoint(honest, size: small)
        let b = Fixtures.checkpoint(fork, size: large)
        let t = MerkleTree.Memory(leafHashes: fork.map(\.leafHash))
        return Ledger.Evidence(first: a, second: b, conflict: .prefixMismatch(
            firstRootInSecond: try t.root(size: UInt64(small)),
            proof: try t.consistencyProof(from: UInt64(small), to: UInt64(large))))
    }

    @Test func sameSizeDifferentRootsIsEvidence() throws {
        let e = Ledger.Evidence(first: Fixtures.checkpoint(Self.honest, size: 6), second: Fixtures.checkpoint(Self.fork, size: 6), conflict: .sameSize)
        try e.verify()
        let decoded = try Ledger.Evidence(bytes: e.encoded)
        #expect(decoded == e)
        try decoded.verify()
        #expect(e.encoded.count < 700)
    }

    @Test(arguments: [(4, 7), (5, 9), (4, 8), (6, 9), (8, 9)]) func prefixMismatchIsEvidence(sizes: (Int, Int)) throws {
        let e = try Self.prefixEvidence(small: sizes.0, large: sizes.1)
        try e.verify()
        try Ledger.Evidence(bytes: e.encoded).verify()
    }

    @Test func detectFromServedConsistencyProof() throws {
        let a = Fixtures.checkpoint(Self.honest, size: 5)
        let b = Fixtures.checkpoint(Self.fork, size: 9)
        let proof = try MerkleTree.Memory(leafHashes: Self.fork.map(\.leafHash)).consistencyProof(from: 5, to: 9)
        let e = try #require(Ledger.Evidence.detect(a, b, proof: proof))
        try e.verify()
        // A consistent pair yields no evidence.
        let c = Fixtures.checkpoint(Self.honest, size: 9)
        let honestProof = try MerkleTree.Memory(leafHashes: Self.honest.map(\.leafHash)).consistencyProof(from: 5, to: 9)
        #expect(Ledger.Evidence.detect(a, c, proof: honestProof) == nil)
        #expect(Ledger.Evidence.detect(a, Fixtures.checkpoint(Self.honest, size: 5, time: 99), proof: []) == nil)
    }

    @Test func consistentCheckpointsAreNotEvidence() throws {
        let a = Fixtures.checkpoint(Self.honest, size: 5), b = Fixtures.checkpoint(Self.honest, size: 9)
        let t = MerkleTree.Memory(leafHashes: Self.honest.map(\.leafHash))
        let e = Ledger.Evidence(first: a, second: b, conflict: .prefixMismatch(
            firstRootInSecond: try t.root(size: 5), proof: try t.consistencyProof(from: 5, to: 9)))
        #expect(throws: LedgerError.self) { try e.verify() }
        let same = Ledger.Evidence(first: a, second: Fixtures.checkpoint(Self.honest, size: 5, time: 7), conflict: .sameSize)
        #expect(throws: LedgerError.self) { try same.verify() }
    }

    @Test func forgedEvidenceIsRejected() throws {
        let good = try Self.prefixEvidence(small: 5, large: 9)
        guard case let .prefixMismatch(claimed, proof) = good.conflict else { return }
        // A made-up prefix root that the proof does not authenticate.
        let madeUp = Ledger.Evidence(first: good.first, second: good.second,
                                     conflict: .prefixMismatch(firstRootInSecond: MerkleTree.emptyRoot, proof: proof))
        #expect(throws: LedgerError.self) { try madeUp.verify() }
        // Any altered proof hash.
        for i in proof.indices {
            var p = proof
            var b = p[i].bytes; b[7] ^= 1; p[i] = try Digest(bytes: b)
            let e = Ledger.Evidence(first: good.first, second: good.second, conflict: .prefixMismatch(firstRootInSecond: claimed, proof: p))
            #expect(throws: LedgerError.self) { try e.verify() }
        }
        // Checkpoints of two different ledgers.
        let foreign = Fixtures.checkpoint(Fixtures.ledger(6, identity: Fixtures.other), identity: Fixtures.other)
        #expect(throws: LedgerError.self) {
            try Ledger.Evidence(first: Fixtures.checkpoint(Self.honest, size: 6), second: foreign, conflict: .sameSize).verify()
        }
        // Swapped order, and a same-size claim for different sizes.
        #expect(throws: LedgerError.self) {
            try Ledger.Evidence(first: good.second, second: good.first, conflict: good.conflict).verify()
        }
        #expect(throws: LedgerError.self) { try Ledger.Evidence(first: good.first, second: good.second, conflict: .sameSize).verify() }
        // A checkpoint whose signature was tampered with does not even decode.
        var bytes = good.encoded
        let at = bytes.count / 3
        bytes[at] ^= 0x01
        #expect(throws: LedgerError.self) { try Ledger.Evidence(bytes: bytes).verify() }
    }
}
