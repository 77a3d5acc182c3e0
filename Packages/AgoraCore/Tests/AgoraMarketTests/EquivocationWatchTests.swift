import AgoraCrypto
import AgoraLedger
import Testing
@testable import AgoraMarket

/// The market's checkpoint watch: same-size checkpoints with different roots become verified,
/// transferable evidence, once; consistent observations and re-sent checkpoints do not.
@Suite struct EquivocationWatchTests {
    let owner = Identity.generate()

    func checkpoint(size: UInt64, root: UInt8, time: Int64 = 1) throws -> Ledger.SignedCheckpoint {
        try Ledger.Checkpoint(ledgerID: owner.publicKey, size: size, root: Digest(bytes: [UInt8](repeating: root, count: 32)), time: time)
            .sign(with: owner)
    }

    @Test func sameSizeDifferentRootIsEvidenceOnce() throws {
        var watch = Market.EquivocationWatch()
        let first = watch.observe(try checkpoint(size: 1, root: 1))
        let second = watch.observe(try checkpoint(size: 2, root: 2))
        let resigned = watch.observe(try checkpoint(size: 1, root: 1, time: 5))  // re-signed later, same tree
        #expect(first == .consistent && second == .consistent && resigned == .consistent)
        guard case .equivocation(let evidence) = watch.observe(try checkpoint(size: 2, root: 9)) else {
            Issue.record("a second root for size 2 was not caught")
            return
        }
        try evidence.verify()
        #expect(evidence.ledgerID == owner.publicKey)
        // The evidence travels as bytes and verifies on its own at any peer.
        let decoded = try Ledger.Evidence(bytes: evidence.encoded)
        try decoded.verify()
        #expect(watch.accused == [owner.publicKey])
        // Once accused, further conflicts produce nothing new.
        let later = watch.observe(try checkpoint(size: 1, root: 7))
        #expect(later == .consistent)
        let again = watch.accept(decoded)
        #expect(!again)
    }

    @Test func evidenceFromAPeerIsAcceptedOnce() throws {
        let evidence = Ledger.Evidence(first: try checkpoint(size: 3, root: 1), second: try checkpoint(size: 3, root: 2), conflict: .sameSize)
        try evidence.verify()
        var watch = Market.EquivocationWatch()
        let firstTime = watch.accept(evidence)
        let secondTime = watch.accept(evidence)
        let afterwards = watch.observe(try checkpoint(size: 3, root: 4))
        #expect(firstTime && !secondTime && afterwards == .consistent)
    }

    @Test func forgedEvidenceDoesNotVerify() throws {
        // Same root twice is no conflict; checkpoints of two ledgers are no conflict.
        let same = Ledger.Evidence(first: try checkpoint(size: 3, root: 1), second: try checkpoint(size: 3, root: 1), conflict: .sameSize)
        #expect(throws: LedgerError.self) { try same.verify() }
        let other = Identity.generate()
        let theirs = try Ledger.Checkpoint(ledgerID: other.publicKey, size: 3, root: Digest(bytes: [UInt8](repeating: 2, count: 32)), time: 1)
            .sign(with: other)
        let mixed = Ledger.Evidence(first: try checkpoint(size: 3, root: 1), second: theirs, conflict: .sameSize)
        #expect(throws: LedgerError.self) { try mixed.verify() }
    }
}
