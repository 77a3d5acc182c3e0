import AgoraCrypto
import AgoraWire
import Foundation
import Testing
@testable import AgoraLedger

/// Regenerates the test vectors of Protocol.md §4.9 and compares them with the document,
/// so the specification and the code cannot drift apart.
@Suite struct ProtocolVectorTests {
    /// The vector ledger: seed 32 × 0x07, three entries.
    static let entries: [LedgerEntry] = {
        let bodies = ["hello", "world", "!"]
        let kinds: [Ledger.Kind] = [.result, .receipt, .attestation]
        var out: [LedgerEntry] = []
        var previous = Digest.zero
        for i in 0..<3 {
            let e = try! LedgerEntry.sign(identity: Fixtures.owner, seq: UInt64(i), previousHash: previous,
                                          time: 1_700_000_000_000 + Int64(i), kind: kinds[i], body: Array(bodies[i].utf8))
            previous = e.hash
            out.append(e)
        }
        return out
    }()
    static let tree = MerkleTree.Memory(leafHashes: entries.map(\.leafHash))

    static var vectors: [(String, String)] {
        let checkpoint = try! Ledger.Checkpoint(ledgerID: Fixtures.owner.publicKey, size: 3, root: try! tree.root(),
                                                time: 1_700_000_000_500).sign(with: Fixtures.owner)
        let inclusion = Ledger.InclusionProof(index: 1, treeSize: 3, hashes: try! tree.inclusionProof(index: 1, size: 3))
        let consistency = Ledger.ConsistencyProof(size1: 2, size2: 3, hashes: try! tree.consistencyProof(from: 2, to: 3))
        let export = Ledger.Export.encode(ledgerID: Fixtures.owner.publicKey, entries: [entries[0].encoded], checkpoint: nil)
        return [
            ("ledger-id", Fixtures.owner.publicKey.hex),
            ("entry-0", Hex.encode(entries[0].encoded)),
            ("entry-0-hash", entries[0].hash.hex),
            ("entry-0-leaf-hash", entries[0].leafHash.hex),
            ("entry-1", Hex.encode(entries[1].encoded)),
            ("root-3", try! tree.root().hex),
            ("checkpoint-3", checkpoint.text),
            ("inclusion-1-of-3", Hex.encode(inclusion.wireBytes)),
            ("consistency-2-to-3", Hex.encode(consistency.wireBytes)),
            ("consistency-request-2-to-3", Hex.encode(Ledger.ConsistencyRequest(size1: 2, size2: 3).wireBytes)),
            ("consistency-answer-2-to-3", Hex.encode(Ledger.ConsistencyAnswer(prefixRoot: try! tree.root(size: 2), proof: consistency).wireBytes)),
            ("export-1", Hex.encode(export)),
        ]
    }

    /// The fenced block after `<!-- vector:NAME -->` in Protocol.md.
    static func documented(_ name: String, in doc: String) -> String? {
        guard let marker = doc.range(of: "<!-- vector:\(name) -->") else { return nil }
        let rest = doc[marker.upperBound...]
        guard let open = rest.range(of: "```") else { return nil }
        guard let lineEnd = rest[open.upperBound...].firstIndex(of: "\n") else { return nil }
        let body = rest[rest.index(after: lineEnd)...]
        guard let close = body.range(of: "```") else { return nil }
        return String(body[..<close.lowerBound])
    }

    static var protocolDoc: String? {
        // Tests/AgoraLedgerTests/ProtocolVectorTests.swift → repository root.
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<5 { url.deleteLastPathComponent() }
        return try? String(contentsOf: url.appendingPathComponent("Protocol.md"), encoding: .utf8)
    }

    @Test func vectorsMatchProtocolDoc() throws {
        let doc = try #require(Self.protocolDoc, "Protocol.md not found from \(#filePath)")
        for (name, value) in Self.vectors {
            let documented = try #require(Self.documented(name, in: doc), "Protocol.md has no vector \(name)")
            if name.hasPrefix("checkpoint") {
                #expect(documented == value, "vector \(name): regenerated value is\n\(value)")
            } else {
                let compact = documented.filter { !$0.isWhitespace }
                #expect(compact == value, "vector \(name): regenerated value is\n\(value)")
            }
        }
    }

    @Test func vectorEntriesVerify() throws {
        let checkpoint = try #require(Self.protocolDoc.flatMap { Self.documented("checkpoint-3", in: $0) })
        let signed = try SignedCheckpoint(text: checkpoint)
        try Ledger.Verifier.verify(entries: Self.entries.map(\.encoded), ledgerID: Fixtures.owner.publicKey, checkpoint: signed)
    }
}
