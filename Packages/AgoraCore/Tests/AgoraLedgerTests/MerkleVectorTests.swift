import AgoraCrypto
import Testing
@testable import AgoraLedger

/// The RFC 6962 test vectors used by transparency-dev/merkle (`proof/verify_test.go`) and
/// Google's certificate-transparency: 8 leaves, the roots of every prefix, and known
/// inclusion and consistency proofs.
@Suite struct MerkleVectorTests {
    static let leaves: [[UInt8]] = [
        [], hex("00"), hex("10"), hex("2021"), hex("3031"), hex("40414243"),
        hex("5051525354555657"), hex("606162636465666768696a6b6c6d6e6f"),
    ]
    static let roots: [Digest] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ].map(digest)

    /// (leaf index, tree size, path).
    static let inclusion: [(UInt64, UInt64, [String])] = [
        (0, 1, []),
        (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    ]

    /// (size1, size2, proof).
    static let consistency: [(UInt64, UInt64, [String])] = [
        (1, 1, []),
        (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
        (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    ]

    var tree: MerkleTree.Memory { MerkleTree.Memory(leafHashes: Self.leaves.map(MerkleTree.leafHash)) }

    @Test func emptyTreeRoot() {
        #expect(MerkleTree.emptyRoot.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(MerkleTree.root(leafHashes: []) == MerkleTree.emptyRoot)
    }

    @Test(arguments: 1...8) func rootsOfEveryPrefix(size: Int) throws {
        #expect(try tree.root(size: UInt64(size)) == Self.roots[size - 1])
        #expect(MerkleTree.root(leafHashes: Self.leaves.prefix(size).map(MerkleTree.leafHash)) == Self.roots[size - 1])
    }

    @Test(arguments: 0..<5) func inclusionProofsMatchVectors(i: Int) throws {
        let (index, size, path) = Self.inclusion[i]
        let expected = path.map(digest)
        #expect(try tree.inclusionProof(index: index, size: size) == expected)
        let leaf = MerkleTree.leafHash(Self.leaves[Int(index)])
        try MerkleTree.verifyInclusion(leafHash: leaf, index: index, size: size, proof: expected, root: Self.roots[Int(size) - 1])
        // The corruptions transparency-dev checks: each must be rejected.
        let root = Self.roots[Int(size) - 1]
        var probes: [(UInt64, UInt64, Digest, [Digest], Digest)] = [
            (index &+ 1, size, leaf, expected, root), (index ^ 2, size, leaf, expected, root),
            (index, size * 2, leaf, expected, root), (index, size / 2, leaf, expected, root),
            (index, size, MerkleTree.leafHash(Array("WrongLeaf".utf8)), expected, root),
            (index, size, leaf, expected, MerkleTree.emptyRoot),
            (index, size, leaf, expected + [root], root), (index, size, leaf, [root] + expected, root),
        ]
        if index > 0 { probes.append((index - 1, size, leaf, expected, root)) }
        for j in expected.indices {
            var bad = expected
            var b = bad[j].bytes; b[0] ^= 8; bad[j] = try Digest(bytes: b)
            probes.append((index, size, leaf, bad, root))
        }
        if !expected.isEmpty { probes.append((index, size, leaf, Array(expected.dropLast()), root)) }
        for (n, p) in probes.enumerated() {
            #expect(throws: LedgerError.self, "probe \(n)") {
                try MerkleTree.verifyInclusion(leafHash: p.2, index: p.0, size: p.1, proof: p.3, root: p.4)
            }
        }
    }

    @Test(arguments: 0..<5) func consistencyProofsMatchVectors(i: Int) throws {
        let (m, n, path) = Self.consistency[i]
        let expected = path.map(digest)
        #expect(try tree.consistencyProof(from: m, to: n) == expected)
        let r1 = Self.roots[Int(m) - 1], r2 = Self.roots[Int(n) - 1]
        try MerkleTree.verifyConsistency(size1: m, size2: n, root1: r1, root2: r2, proof: expected)
        guard !expected.isEmpty else { return }
        var probes: [(UInt64, UInt64, Digest, Digest, [Digest])] = [
            (m - 1, n, r1, r2, expected), (m + 1, n, r1, r2, expected), (m ^ 2, n, r1, r2, expected),
            (m, n * 2, r1, r2, expected), (m, n / 2, r1, r2, expected),
            (m, n, MerkleTree.emptyRoot, r2, expected), (m, n, r1, MerkleTree.emptyRoot, expected),
            (m, n, r2, r1, expected), (m, n, r1, r2, []),
            (m, n, r1, r2, expected + [r1]), (m, n, r1, r2, expected + [r2]),
            (m, n, r1, r2, [r1] + expected), (m, n, r1, r2, [r2] + expected), (m, n, r1, r2, [expected[0]] + expected),
            (m, n, r1, r2, Array(expected.dropLast())),
        ]
        for j in expected.indices {
            var bad = expected
            var b = bad[j].bytes; b[0] ^= 16; bad[j] = try Digest(bytes: b)
            probes.append((m, n, r1, r2, bad))
        }
        for (k, p) in probes.enumerated() {
            #expect(throws: LedgerError.self, "probe \(k)") {
                try MerkleTree.verifyConsistency(size1: p.0, size2: p.1, root1: p.2, root2: p.3, proof: p.4)
            }
        }
    }

    @Test func edgeSizes() throws {
        let r = Self.roots[0]
        try MerkleTree.verifyConsistency(size1: 0, size2: 0, root1: MerkleTree.emptyRoot, root2: MerkleTree.emptyRoot, proof: [])
        try MerkleTree.verifyConsistency(size1: 0, size2: 1, root1: MerkleTree.emptyRoot, root2: r, proof: [])
        #expect(throws: LedgerError.self) { try MerkleTree.verifyConsistency(size1: 1, size2: 1, root1: r, root2: Self.roots[1], proof: []) }
        #expect(throws: LedgerError.self) { try MerkleTree.verifyConsistency(size1: 2, size2: 1, root1: r, root2: r, proof: []) }
        #expect(throws: LedgerError.self) { try MerkleTree.verifyConsistency(size1: 1, size2: 1, root1: r, root2: r, proof: [r]) }
        #expect(throws: LedgerError.self) { try MerkleTree.verifyInclusion(leafHash: r, index: 0, size: 0, proof: [], root: r) }
        #expect(throws: LedgerError.self) { try MerkleTree.verifyInclusion(leafHash: r, index: 1, size: 1, proof: [], root: r) }
        try MerkleTree.verifyInclusion(leafHash: r, index: 0, size: 1, proof: [], root: r)
    }

    /// Every proof for every size up to 70 verifies, and the frontier agrees with the
    /// recursive definition (covers sizes around 16 and 64, where stored levels begin).
    @Test func allProofsUpTo70Leaves() throws {
        let hashes = (0..<70).map { MerkleTree.leafHash(Array("leaf \($0)".utf8)) }
        let t = MerkleTree.Memory(leafHashes: hashes)
        var frontier = MerkleTree.Frontier()
        for n in 1...70 {
            frontier.append(leafHash: hashes[n - 1])
            let root = try t.root(size: UInt64(n))
            #expect(frontier.root == root)
            #expect(try MerkleTree.Frontier(size: UInt64(n), nodes: t.node) == frontier)
            for i in 0..<n {
                let p = try t.inclusionProof(index: UInt64(i), size: UInt64(n))
                try MerkleTree.verifyInclusion(leafHash: hashes[i], index: UInt64(i), size: UInt64(n), proof: p, root: root)
            }
            for m in 0...n {
                let p = try t.consistencyProof(from: UInt64(m), to: UInt64(n))
                try MerkleTree.verifyConsistency(size1: UInt64(m), size2: UInt64(n), root1: try t.root(size: UInt64(m)),
                                                 root2: root, proof: p)
            }
        }
    }

    @Test func frontierReportsCompletedSubtrees() {
        var f = MerkleTree.Frontier()
        let leaves = (0..<8).map { MerkleTree.leafHash([UInt8($0)]) }
        var levels: [[Int]] = []
        for l in leaves { levels.append(f.append(leafHash: l).map(\.level)) }
        #expect(levels == [[0], [0, 1], [0], [0, 1, 2], [0], [0, 1], [0], [0, 1, 2, 3]])
    }
}
