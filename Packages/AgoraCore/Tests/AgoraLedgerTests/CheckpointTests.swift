import AgoraCrypto
import Foundation
import Testing
@testable import AgoraLedger

@Suite struct CheckpointTests {
    static let entries = Fixtures.ledger(5)

    @Test func signParseRoundTrip() throws {
        let signed = Fixtures.checkpoint(Self.entries)
        let parsed = try SignedCheckpoint(note: signed.note)
        #expect(parsed == signed)
        #expect(parsed.checkpoint.size == 5)
        #expect(parsed.checkpoint.origin == "agora.ledger/" + Fixtures.owner.publicKey.hex)
        let lines = parsed.text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 7)  // 4 body lines, blank, signature, final empty
        #expect(lines[3] == "time \(Fixtures.time)")
        #expect(lines[5].hasPrefix("\u{2014} agora.ledger/"))
    }

    /// The C2SP key hash: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[0..<4].
    @Test func keyHashFollowsC2SP() {
        let key = Fixtures.owner.publicKey
        let name = "agora.ledger/" + key.hex
        let expected = Array(SHA256.hash(Array(name.utf8) + [0x0A, 0x01] + key.bytes).bytes.prefix(4))
        #expect(SignedNote.keyHash(name: name, key: key) == expected)
    }

    @Test func extraSignaturesFromUnknownKeysAreIgnored() throws {
        let signed = Fixtures.checkpoint(Self.entries)
        let witness = SignedNote.SignatureLine(name: "witness.example", keyHash: [1, 2, 3, 4], signature: [UInt8](repeating: 5, count: 64))
        let withWitness = signed.note + Array(witness.text.utf8)
        #expect(try SignedCheckpoint(note: withWitness).checkpoint == signed.checkpoint)
        // Only unknown signatures: rejected.
        let body = Array(signed.checkpoint.noteText.utf8) + [0x0A]
        #expect(throws: LedgerError.self) { try SignedCheckpoint(note: body + Array(witness.text.utf8)) }
    }

    /// C2SP signed-note: no control character but the newline anywhere (a witness line with
    /// a tab, a NUL or a carriage return is refused), and no space or plus in a key name.
    @Test(arguments: ["witness\u{09}example", "witness.example\u{0D}", "wit\u{00}ness", "witness+example", "witness\u{00A0}example"])
    func witnessLinesFollowC2SP(name: String) throws {
        let signed = Fixtures.checkpoint(Self.entries)
        let good = SignedNote.SignatureLine(name: "witness.example", keyHash: [1, 2, 3, 4], signature: [UInt8](repeating: 5, count: 64))
        #expect(try SignedCheckpoint(note: signed.note + Array(good.text.utf8)).checkpoint == signed.checkpoint)
        let bad = SignedNote.SignatureLine(name: name, keyHash: [1, 2, 3, 4], signature: [UInt8](repeating: 5, count: 64))
        do {
            _ = try SignedCheckpoint(note: signed.note + Array(bad.text.utf8))
            Issue.record("a witness line named \(name.debugDescription) was accepted")
        } catch {
            #expect(error.code == .malformedCheckpoint)
        }
    }

    @Test func tamperedTextFailsSignature() throws {
        let signed = Fixtures.checkpoint(Self.entries)
        // Change the size digit: 5 → 6 (still canonical, so only the signature catches it).
        let text = signed.text.replacingOccurrences(of: "\n5\n", with: "\n6\n")
        do { _ = try SignedCheckpoint(text: text); Issue.record("tampered size accepted") } catch {
            #expect(error.code == .badSignature)
        }
    }

    @Test(arguments: [
        "agora.ledger/00\n1\nAAAA\ntime 1\n",
        "other.origin/x\n1\nAAAA\ntime 1\n",
    ]) func malformedTextIsRejected(text: String) {
        #expect(throws: LedgerError.self) { try SignedCheckpoint(text: text + "\n\u{2014} k AAAA\n") }
    }

    @Test func nonCanonicalFormsAreRejected() throws {
        let c = Fixtures.checkpoint(Self.entries).checkpoint
        let variants = [
            c.noteText.replacingOccurrences(of: "\n5\n", with: "\n05\n"),
            c.noteText.replacingOccurrences(of: "time ", with: "time  "),
            c.noteText + "extra\n",
            c.noteText.replacingOccurrences(of: c.ledgerID.hex, with: c.ledgerID.hex.uppercased()),
        ]
        for text in variants {
            // Signed properly, so only the parser's canonical-form rules can reject them.
            guard let sig = try? Fixtures.owner.signNote(Array(text.utf8)) else { continue }
            let line = SignedNote.SignatureLine(name: c.origin, keyHash: SignedNote.keyHash(name: c.origin, key: c.ledgerID), signature: sig.bytes)
            #expect(throws: LedgerError.self, "\(text)") { try SignedCheckpoint(text: text + "\n" + line.text) }
        }
        #expect(throws: LedgerError.self) { try Ledger.Checkpoint(ledgerID: c.ledgerID, size: 0, root: c.root, time: 0) }
        #expect(throws: LedgerError.self) { try Ledger.Checkpoint(ledgerID: c.ledgerID, size: 1, root: c.root, time: -1) }
    }

    @Test func onlyTheOwnerCanSign() throws {
        let c = Fixtures.checkpoint(Self.entries).checkpoint
        #expect(throws: LedgerError.self) { try c.sign(with: Fixtures.other) }
    }

    /// Note signatures never collide with domain-separated ones.
    @Test func noteSigningRefusesDomainPrefixedText() {
        #expect(throws: CryptoError.self) { try Fixtures.owner.signNote(Array("agora/v1/ledger-entry\u{0}x\n".utf8)) }
        #expect(throws: CryptoError.self) { try Fixtures.owner.signNote(Array("no newline".utf8)) }
        #expect(throws: CryptoError.self) { try Fixtures.owner.signNote(Array("nul\u{0}\n".utf8)) }
        let domainSig = Fixtures.owner.sign(Array("x\n".utf8), in: .ledgerEntry)
        #expect(!Fixtures.owner.publicKey.isValidNoteSignature(domainSig, for: Array("agora/v1/ledger-entry\u{0}x\n".utf8)))
    }
}
