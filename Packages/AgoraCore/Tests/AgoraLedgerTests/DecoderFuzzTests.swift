import AgoraCrypto
import AgoraWire
import Testing
@testable import AgoraLedger

/// Decoders given truncated, oversized, wrong-version or random input return typed
/// errors and never crash. Seeded; the seed is in each test's name.
@Suite struct DecoderFuzzTests {
    static let entries = Fixtures.ledger(4)
    static let checkpoint = Fixtures.checkpoint(entries)

    static var samples: [(String, [UInt8])] {
        let t = MerkleTree.Memory(leafHashes: entries.map(\.leafHash))
        let inclusion = Ledger.InclusionProof(index: 1, treeSize: 4, hashes: try! t.inclusionProof(index: 1, size: 4))
        let consistency = Ledger.ConsistencyProof(size1: 3, size2: 4, hashes: try! t.consistencyProof(from: 3, to: 4))
        let other = Fixtures.checkpoint(Fixtures.ledger(4).dropLast() + [try! LedgerEntry.sign(
            identity: Fixtures.owner, seq: 3, previousHash: entries[2].hash, time: 5, kind: .evidence, body: [])])
        let evidence = Ledger.Evidence(first: checkpoint, second: other, conflict: .sameSize)
        return [
            ("entry", entries[1].encoded), ("checkpoint", checkpoint.note), ("inclusion", inclusion.wireBytes),
            ("consistency", consistency.wireBytes), ("evidence", evidence.encoded),
            ("export", Ledger.Export.encode(ledgerID: Fixtures.owner.publicKey, entries: entries.map(\.encoded), checkpoint: checkpoint)),
        ]
    }

    /// Runs every decoder over `bytes`; each must either decode or throw `LedgerError`.
    func decodeAll(_ bytes: [UInt8]) -> Int {
        var decoded = 0
        if (try? LedgerEntry(bytes: bytes)) != nil { decoded += 1 }
        if (try? SignedCheckpoint(note: bytes)) != nil { decoded += 1 }
        if (try? Ledger.InclusionProof(bytes: bytes)) != nil { decoded += 1 }
        if (try? Ledger.ConsistencyProof(bytes: bytes)) != nil { decoded += 1 }
        if let e = try? Ledger.Evidence(bytes: bytes) { decoded += 1; _ = try? e.verify() }
        if let (h, es, c) = try? Ledger.Export.decode(bytes) {
            decoded += 1
            _ = try? Ledger.Verifier.verify(entries: es, ledgerID: h.ledgerID, checkpoint: c)
        }
        return decoded
    }

    @Test func samplesDecode() {
        for (name, bytes) in Self.samples { #expect(decodeAll(bytes) >= 1, "\(name)") }
    }

    @Test func everyTruncationIsATypedError() {
        for (name, bytes) in Self.samples {
            for n in 0..<bytes.count {
                let cut = Array(bytes.prefix(n))
                // Truncated values never decode as their own type.
                switch name {
                case "entry": #expect(throws: LedgerError.self) { try LedgerEntry(bytes: cut) }
                case "checkpoint": #expect(throws: LedgerError.self) { try SignedCheckpoint(note: cut) }
                case "inclusion": #expect(throws: LedgerError.self) { try Ledger.InclusionProof(bytes: cut) }
                case "consistency": #expect(throws: LedgerError.self) { try Ledger.ConsistencyProof(bytes: cut) }
                case "evidence": #expect(throws: LedgerError.self) { try Ledger.Evidence(bytes: cut) }
                default: #expect(throws: LedgerError.self) { try Ledger.Export.decode(cut) }
                }
                _ = decodeAll(cut)
            }
        }
    }

    @Test(arguments: [UInt64(1), 2, 3]) func randomMutationsNeverCrash(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for (_, original) in Self.samples {
            for _ in 0..<400 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: if !bytes.isEmpty { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                    case 1: if !bytes.isEmpty { bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng)) }
                    case 2: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
                    default: bytes += rng.bytes(Int.random(in: 1...8, using: &rng))
                    }
                }
                _ = decodeAll(bytes)
            }
        }
    }

    @Test(arguments: [UInt64(11), 12]) func randomBytesNeverDecode(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for _ in 0..<3_000 {
            let bytes = rng.bytes(Int.random(in: 0..<600, using: &rng))
            _ = decodeAll(bytes)
            #expect((try? LedgerEntry(bytes: bytes)) == nil || bytes.first == 1)
        }
    }

    @Test func oversizedAndWrongVersionInputs() throws {
        var e = Self.entries[0].encoded
        e[0] = 2
        do { _ = try LedgerEntry(bytes: e); Issue.record("version 2 accepted") } catch { #expect(error.code == .unknownVersion) }
        var k = Self.entries[0].encoded
        k[1 + 32 + 8 + 32 + 8] = 9
        do { _ = try LedgerEntry(bytes: k); Issue.record("kind 9 accepted") } catch { #expect(error.code == .unknownKind && error.seq == 0) }
        #expect(throws: LedgerError.self) { try LedgerEntry(bytes: [UInt8](repeating: 1, count: Ledger.maxEntrySize + 1)) }
        do {
            _ = try LedgerEntry.sign(identity: Fixtures.owner, seq: 0, previousHash: .zero, time: 0, kind: .result,
                                     body: [UInt8](repeating: 0, count: Ledger.maxBodySize + 1))
            Issue.record("oversized body signed")
        } catch { #expect(error.code == .bodyTooLarge) }
        let max = try LedgerEntry.sign(identity: Fixtures.owner, seq: 0, previousHash: .zero, time: 0, kind: .result,
                                       body: [UInt8](repeating: 0, count: Ledger.maxBodySize))
        #expect(max.encoded.count == Ledger.maxEntrySize)
        #expect(try LedgerEntry(bytes: max.encoded) == max)
        // An oversized body length is refused before reading the body.
        var w = WireWriter()
        w.raw(Array(Self.entries[0].encoded.prefix(1 + 32 + 8 + 32 + 8 + 1)))
        w.varint(UInt64(Ledger.maxBodySize + 1))
        do { _ = try LedgerEntry(bytes: w.bytes); Issue.record("oversized length accepted") } catch { #expect(error.code == .bodyTooLarge) }
        var proof = WireWriter()
        proof.uint64(0); proof.uint64(1); proof.varint(65)
        #expect(throws: LedgerError.self) { try Ledger.InclusionProof(bytes: proof.bytes) }
        var badEvidence = Ledger.Evidence(first: Self.checkpoint, second: Self.checkpoint, conflict: .sameSize).encoded
        badEvidence[0] = 2
        #expect(throws: LedgerError.self) { try Ledger.Evidence(bytes: badEvidence) }
        var badExport = Ledger.Export.encode(ledgerID: Fixtures.owner.publicKey, entries: [], checkpoint: nil)
        badExport[13] = 2
        #expect(throws: LedgerError.self) { try Ledger.Export.decode(badExport) }
    }
}
