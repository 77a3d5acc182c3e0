import AgoraCrypto
import AgoraLedger
import AgoraWire
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
        let first = watch.observe(try checkpoint(size: 1, root: 1), now: 0)
        let second = watch.observe(try checkpoint(size: 2, root: 2), now: 0)
        let resigned = watch.observe(try checkpoint(size: 1, root: 1, time: 5), now: 0)  // re-signed later, same tree
        #expect(first == .consistent && resigned == .consistent)
        guard case .askConsistency = second else { Issue.record("a larger checkpoint raised no question: \(second)"); return }
        guard case .equivocation(let evidence) = watch.observe(try checkpoint(size: 2, root: 9), now: 0) else {
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
        let later = watch.observe(try checkpoint(size: 1, root: 7), now: 0)
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
        let afterwards = watch.observe(try checkpoint(size: 3, root: 4), now: 0)
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

    // MARK: consistency questions (a ledger that rewrites its history and grows)

    /// A checkpoint of the tree of `leaves` (the first `size` of them).
    func signed(_ leaves: [Digest], size: Int) throws -> Ledger.SignedCheckpoint {
        let root = try MerkleTree.Memory(leafHashes: Array(leaves.prefix(size))).root()
        return try Ledger.Checkpoint(ledgerID: owner.publicKey, size: UInt64(size), root: root, time: 1).sign(with: owner)
    }

    /// The owner's answer, computed from the tree it holds now.
    func answer(_ leaves: [Digest], _ size1: Int, _ size2: Int) throws -> Ledger.ConsistencyAnswer {
        let tree = MerkleTree.Memory(leafHashes: leaves)
        return Ledger.ConsistencyAnswer(prefixRoot: try tree.root(size: UInt64(size1)),
                                        proof: .init(size1: UInt64(size1), size2: UInt64(size2),
                                                     hashes: try tree.consistencyProof(from: UInt64(size1), to: UInt64(size2))))
    }

    static func leaves(_ n: Int, tag: UInt8 = 0) -> [Digest] {
        (0..<n).map { SHA256.hash([tag, UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)]) }
    }

    @Test(arguments: [(1, 2), (3, 7), (4, 9), (8, 13), (5, 6)])
    func anHonestOwnersAnswerMovesTheAnchorForward(_ sizes: (Int, Int)) throws {
        let (m, n) = sizes
        let tree = Self.leaves(n + 4)
        var watch = Market.EquivocationWatch()
        #expect(watch.observe(try signed(tree, size: m), now: 0) == .consistent)
        guard case .askConsistency(let small, let large) = watch.observe(try signed(tree, size: n), now: 10) else {
            Issue.record("no question for sizes \(m)→\(n)"); return
        }
        #expect(small.checkpoint.size == UInt64(m) && large.checkpoint.size == UInt64(n))
        #expect(watch.answer(try answer(tree, m, n), ledger: owner.publicKey) == .consistent)
        #expect(watch.questions.isEmpty)
        // The next checkpoint is asked about against the new anchor (size n), not the first.
        let later = 10 + Market.EquivocationWatch.questionInterval
        guard case .askConsistency(let s2, _) = watch.observe(try signed(tree, size: n + 4), now: later) else {
            Issue.record("no question after the anchor moved"); return
        }
        #expect(s2.checkpoint.size == UInt64(n))
    }

    /// Sizes 4 and 8 are powers of two: the RFC proof omits the first root, which the
    /// answer's prefix root supplies, so a rewritten prefix of those sizes is caught too.
    @Test(arguments: [(1, 2), (3, 7), (4, 9), (8, 13), (5, 6), (2, 3)])
    func aLedgerThatRewroteItsHistoryAndGrewIsCaught(_ sizes: (Int, Int)) throws {
        let (m, n) = sizes
        let honest = Self.leaves(n)
        var rewritten = honest
        rewritten[0] = SHA256.hash([0xFF])      // entry 0 rewritten, then the ledger grew
        var watch = Market.EquivocationWatch()
        _ = watch.observe(try signed(honest, size: m), now: 0)
        guard case .askConsistency = watch.observe(try signed(rewritten, size: n), now: 10) else {
            Issue.record("no question"); return
        }
        guard case .equivocation(let evidence) = watch.answer(try answer(rewritten, m, n), ledger: owner.publicKey) else {
            Issue.record("the rewritten ledger's own answer was not evidence"); return
        }
        let decoded = try Ledger.Evidence(bytes: evidence.encoded)
        try decoded.verify()
        guard case .prefixMismatch = decoded.conflict else { Issue.record("conflict \(decoded.conflict)"); return }
        #expect(watch.accused == [owner.publicKey])
    }

    @Test func aWrongOrUnaskedAnswerProvesNothingAndTheQuestionIsAskedAgainLater() throws {
        let tree = Self.leaves(12)
        var watch = Market.EquivocationWatch()
        // Not asked: nothing to judge.
        guard case .unproven = watch.answer(try answer(tree, 3, 7), ledger: owner.publicKey) else { Issue.record("unasked answer judged"); return }
        _ = watch.observe(try signed(tree, size: 3), now: 0)
        _ = watch.observe(try signed(tree, size: 7), now: 0)
        // Wrong sizes, and a proof that leads nowhere: unproven, nobody accused.
        guard case .unproven = watch.answer(try answer(tree, 3, 8), ledger: owner.publicKey) else { Issue.record("wrong sizes judged"); return }
        var junk = try answer(tree, 3, 7)
        junk = Ledger.ConsistencyAnswer(prefixRoot: SHA256.hash([1]), proof: junk.proof)
        guard case .unproven = watch.answer(junk, ledger: owner.publicKey) else { Issue.record("junk judged"); return }
        #expect(watch.accused.isEmpty)
        // While the question is open, newer checkpoints wait; after the timeout one is asked.
        #expect(watch.observe(try signed(tree, size: 9), now: 1_000) == .consistent)
        guard case .askConsistency(_, let large) = watch.observe(try signed(tree, size: 10), now: Market.EquivocationWatch.questionTimeout + 1) else {
            Issue.record("the question was never asked again"); return
        }
        #expect(large.checkpoint.size == 10)
    }

    /// A busy ledger shows a new checkpoint on every result; its watcher asks about it at
    /// most once per `questionInterval`, within what the owner answers (a question refused as
    /// a flood proves nothing and wastes the owner's work).
    @Test func aBusyLedgerIsAskedAboutAtMostOncePerInterval() throws {
        let tree = Self.leaves(200)
        var watch = Market.EquivocationWatch()
        _ = watch.observe(try signed(tree, size: 1), now: 0)
        var asked: [Market.Millis] = []
        var dueAt: Market.Millis?
        var deferrals = 0
        func handle(_ outcome: Market.EquivocationWatch.Outcome, now: Market.Millis) throws {
            switch outcome {
            case .askConsistency(let small, let large):
                asked.append(now)
                let answer = try answer(tree, Int(small.checkpoint.size), Int(large.checkpoint.size))
                #expect(watch.answer(answer, ledger: owner.publicKey) == .consistent)
            case .askLater(let at):
                #expect(dueAt == nil, "a second timer for one deferred question")
                dueAt = at
                deferrals += 1
            default: break
            }
        }
        // A new checkpoint every 100 ms for a minute (the last one at 59.9 s), each question
        // answered at once; the timer the watch asks for fires when due.
        for i in 1..<600 {
            let now = Market.Millis(i) * 100
            if let d = dueAt, now >= d { dueAt = nil; try handle(watch.due(owner.publicKey, now: d), now: d) }
            try handle(watch.observe(try signed(tree, size: 1 + i / 3), now: now), now: now)
        }
        #expect(asked.count >= 10 && deferrals >= 10)
        #expect(asked.count <= Market.Limits.consistencyAnswersPerWindow / 2)
        #expect(zip(asked, asked.dropFirst()).allSatisfy { $1 - $0 >= Market.EquivocationWatch.questionInterval })
        // The checkpoints seen after the last question are not dropped: the pending timer asks
        // about the newest one although no checkpoint follows it.
        let due = try #require(dueAt)
        guard case .askConsistency(_, let large) = watch.due(owner.publicKey, now: due) else {
            Issue.record("the deferred question was not asked"); return
        }
        #expect(large.checkpoint.size == 200)
    }

    @Test func requestsAndAnswersRoundTripAndRejectBadSizes() throws {
        let q = Ledger.ConsistencyRequest(size1: 3, size2: 7)
        #expect(try Ledger.ConsistencyRequest(wireBytes: q.wireBytes) == q)
        for (a, b) in [(0, 7), (7, 7), (8, 7)] as [(UInt64, UInt64)] {
            #expect(throws: WireError.self) { try Ledger.ConsistencyRequest(wireBytes: Ledger.ConsistencyRequest(size1: a, size2: b).wireBytes) }
        }
        let a = try answer(Self.leaves(9), 4, 9)
        #expect(try Ledger.ConsistencyAnswer(wireBytes: a.wireBytes) == a)
        #expect(throws: WireError.self) { try Ledger.ConsistencyAnswer(wireBytes: Array(a.wireBytes.dropLast())) }
    }
}
