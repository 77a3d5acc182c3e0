import AgoraCrypto
import Testing
@testable import AgoraLedger

/// Tampering of any kind is detected, and the error names the first bad entry.
@Suite struct VerifierTests {
    static let entries = Fixtures.ledger(6)
    static let checkpoint = Fixtures.checkpoint(entries)
    static let id = Fixtures.owner.publicKey

    func verify(_ bytes: [[UInt8]], checkpoint: SignedCheckpoint? = VerifierTests.checkpoint) throws(LedgerError) {
        try Ledger.Verifier.verify(entries: bytes, ledgerID: Self.id, checkpoint: checkpoint)
    }

    @Test func honestLedgerVerifies() throws {
        try verify(Self.entries.map(\.encoded))
        try verify(Self.entries.map(\.encoded), checkpoint: nil)
        // A checkpoint for an earlier size also matches.
        try verify(Self.entries.map(\.encoded), checkpoint: Fixtures.checkpoint(Self.entries, size: 3))
        try verify([], checkpoint: Fixtures.checkpoint([], size: 0))
    }

    /// Every single-bit flip of every byte of every entry is caught at that entry.
    @Test(arguments: 0..<6) func everyFlippedByteIsNamed(victim: Int) throws {
        let original = Self.entries.map(\.encoded)
        for offset in original[victim].indices {
            for bit in [0, 3, 7] {
                var bytes = original
                bytes[victim][offset] ^= UInt8(1 << bit)
                do {
                    try verify(bytes)
                    Issue.record("flip of byte \(offset) bit \(bit) in entry \(victim) went undetected")
                } catch {
                    #expect(error.seq == UInt64(victim), "byte \(offset) bit \(bit): \(error)")
                }
            }
        }
    }

    @Test func droppedEntryIsNamed() {
        for dropped in 0..<5 {
            var bytes = Self.entries.map(\.encoded)
            bytes.remove(at: dropped)
            do { try verify(bytes) } catch {
                #expect(error.code == .seqMismatch && error.seq == UInt64(dropped))
            }
        }
    }

    @Test func reorderedEntriesAreNamed() {
        var bytes = Self.entries.map(\.encoded)
        bytes.swapAt(2, 4)
        do { try verify(bytes); Issue.record("reorder undetected") } catch {
            #expect(error.code == .seqMismatch && error.seq == 2)
        }
    }

    @Test func truncatedLedgerIsDetected() {
        let bytes = Self.entries.map(\.encoded)
        for keep in 0..<6 {
            do { try verify(Array(bytes.prefix(keep))); Issue.record("truncation to \(keep) undetected") } catch {
                #expect(error.code == .truncated && error.seq == UInt64(keep))
            }
        }
    }

    @Test func entryByAnotherKeyIsNamed() throws {
        let foreign = Fixtures.ledger(6, identity: Fixtures.other)
        var bytes = Self.entries.map(\.encoded)
        bytes[3] = foreign[3].encoded
        do { try verify(bytes); Issue.record("foreign entry undetected") } catch {
            #expect(error.code == .wrongLedger && error.seq == 3)
        }
        // Re-signed by another key but claiming the owner's ledger id: bad signature.
        var forged = Array(Self.entries[3].signedBytes)
        forged += Fixtures.other.sign(forged, in: .ledgerEntry).bytes
        bytes[3] = forged
        do { try verify(bytes); Issue.record("forged signature undetected") } catch {
            #expect(error.code == .badSignature && error.seq == 3)
        }
    }

    @Test func forgedCheckpointIsRejected() throws {
        // Signed by another key under the owner's origin: the signature does not verify.
        let c = Self.checkpoint.checkpoint
        var text = Array(c.noteText.utf8)
        let sig = try Fixtures.other.signNote(text)
        let line = SignedNote.SignatureLine(name: c.origin, keyHash: SignedNote.keyHash(name: c.origin, key: c.ledgerID), signature: sig.bytes)
        text += [0x0A] + Array(line.text.utf8)
        #expect(throws: LedgerError.self) { try SignedCheckpoint(note: text) }
        // A genuine checkpoint of another ledger is refused by the verifier.
        let foreign = Fixtures.checkpoint(Fixtures.ledger(6, identity: Fixtures.other), identity: Fixtures.other)
        #expect(throws: LedgerError.self) { try verify(Self.entries.map(\.encoded), checkpoint: foreign) }
        // A correctly signed checkpoint over other entries: root mismatch.
        var other = Fixtures.ledger(6)
        other[5] = try LedgerEntry.sign(identity: Fixtures.owner, seq: 5, previousHash: other[4].hash, time: 1, kind: .receipt, body: [1])
        do { try verify(Self.entries.map(\.encoded), checkpoint: Fixtures.checkpoint(other)); Issue.record("root mismatch undetected") } catch {
            #expect(error.code == .checkpointMismatch)
        }
    }

    @Test func inclusionProofAgainstCheckpoint() throws {
        let t = MerkleTree.Memory(leafHashes: Self.entries.map(\.leafHash))
        for e in Self.entries {
            let p = Ledger.InclusionProof(index: e.seq, treeSize: 6, hashes: try t.inclusionProof(index: e.seq, size: 6))
            try p.verify(entry: e, checkpoint: Self.checkpoint.checkpoint)
            #expect(try Ledger.InclusionProof(bytes: p.wireBytes) == p)
            #expect(throws: LedgerError.self) { try p.verify(entry: Self.entries[(Int(e.seq) + 1) % 6], checkpoint: Self.checkpoint.checkpoint) }
        }
        let c3 = Fixtures.checkpoint(Self.entries, size: 3).checkpoint
        let cp = Ledger.ConsistencyProof(size1: 3, size2: 6, hashes: try t.consistencyProof(from: 3, to: 6))
        try cp.verify(from: c3, to: Self.checkpoint.checkpoint)
        #expect(throws: LedgerError.self) { try cp.verify(from: Self.checkpoint.checkpoint, to: c3) }
    }
}
