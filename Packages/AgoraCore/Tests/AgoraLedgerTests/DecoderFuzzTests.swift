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

    /// What the decoders made of some bytes.
    struct Outcome {
        /// Decoders that accepted the bytes.
        var decoded = 0
        /// Accepted values that passed their signature or proof checks.
        var authentic = 0
    }

    /// Runs every decoder over `bytes` and checks what each must guarantee: a refusal is a
    /// `LedgerError` that says what failed; an accepted value is canonical (it encodes back to
    /// the same bytes); and nothing that passes a signature check can differ from what the
    /// owner signed (mutations forge nothing).
    func decodeAll(_ bytes: [UInt8]) -> Outcome {
        var out = Outcome()
        func refused(_ e: LedgerError) { #expect(!e.context.isEmpty, "\(e)") }
        do {
            let e = try LedgerEntry(bytes: bytes)
            out.decoded += 1
            #expect(e.encoded == bytes)
            if e.isSignatureValid {
                out.authentic += 1
                #expect(Self.entries.contains(e), "a mutated entry passed its signature check")
            }
        } catch { refused(error) }
        do {
            let c = try SignedCheckpoint(note: bytes)
            out.decoded += 1
            out.authentic += 1
            #expect(Self.signedCheckpoints.contains(c.checkpoint), "a mutated checkpoint passed its signature check")
        } catch { refused(error) }
        do {
            let p = try Ledger.InclusionProof(bytes: bytes)
            out.decoded += 1
            #expect(p.wireBytes == bytes)
        } catch { refused(error) }
        do {
            let p = try Ledger.ConsistencyProof(bytes: bytes)
            out.decoded += 1
            #expect(p.wireBytes == bytes)
        } catch { refused(error) }
        do {
            let e = try Ledger.Evidence(bytes: bytes)
            out.decoded += 1
            do {
                try e.verify()
                out.authentic += 1
                #expect(Self.signedCheckpoints.contains(e.first.checkpoint) && Self.signedCheckpoints.contains(e.second.checkpoint))
            } catch { refused(error) }
        } catch { refused(error) }
        do {
            let (h, es, c) = try Ledger.Export.decode(bytes)
            out.decoded += 1
            do {
                try Ledger.Verifier.verify(entries: es, ledgerID: h.ledgerID, checkpoint: c)
                out.authentic += 1
                #expect(h.ledgerID == Fixtures.owner.publicKey && es == Array(Self.entries.map(\.encoded).prefix(es.count)),
                        "a mutated export verified with entries the owner never signed")
            } catch { refused(error) }
        } catch { refused(error) }
        return out
    }

    /// Every checkpoint the fixtures' owner signed (a decoded checkpoint can be no other).
    static var signedCheckpoints: [Ledger.Checkpoint] {
        guard let s = samples.first(where: { $0.0 == "evidence" }), let e = try? Ledger.Evidence(bytes: s.1) else { return [checkpoint.checkpoint] }
        return [e.first.checkpoint, e.second.checkpoint]
    }

    @Test func samplesDecode() {
        for (name, bytes) in Self.samples { #expect(decodeAll(bytes).decoded >= 1, "\(name)") }
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

    /// Seeded mutations of every sample: each decoder refuses with a typed error or accepts a
    /// canonical value, and no mutation yields a value that passes a signature check unless it
    /// is one the owner signed (`decodeAll` asserts both).
    @Test(arguments: [UInt64(1), 2, 3]) func randomMutationsAreRefusedOrForgeNothing(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var changed = 0, accepted = 0
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
                guard bytes != original else { continue }
                changed += 1
                if decodeAll(bytes).authentic > 0 { accepted += 1 }
            }
        }
        // A handful of mutations land in a witness line or after a proof and still verify
        // (what they change is not signed); almost all are refused.
        #expect(changed > 2_000 && accepted * 20 < changed, "\(accepted) of \(changed) mutations still verified")
    }

    /// Random bytes: no decoder finds a signed entry, a checkpoint, evidence or an export in them.
    @Test(arguments: [UInt64(11), 12]) func randomBytesNeverVerify(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for _ in 0..<3_000 {
            let bytes = rng.bytes(Int.random(in: 0..<600, using: &rng))
            #expect(decodeAll(bytes).authentic == 0)
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
