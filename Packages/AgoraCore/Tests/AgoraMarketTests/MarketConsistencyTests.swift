import AgoraCrypto
import AgoraLedger
import AgoraWire
import Testing
@testable import AgoraMarket

/// Issue [4/5], core: a provider that rewrites its ledger's history and grows it is caught
/// through a consistency proof. The requester holds a checkpoint of the old history; the next
/// result carries a larger checkpoint of the new one; the requester asks the owner for the
/// proof between them (`0x0404`), and the owner's own answer (`0x0405`) is evidence: the
/// provider is excluded and the evidence spreads. An honest provider's answers only move
/// the requester's anchor.
@Suite struct MarketConsistencyTests {
    static func runJob(_ w: MarketWorld, _ prompt: String) {
        _ = w.submit(from: "R", prompt: prompt)
        w.runAuction()
        w.finishRuns(); w.deliver()
    }

    static func consistencyMessages(_ w: MarketWorld) -> Int {
        w.delivered.filter { $0.type == .consistencyRequest || $0.type == .consistencyProof }.count
    }

    @Test func anHonestLedgerAnswersAndIsNeverAccused() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P", seed: 2, price: 10)
        w.meshPeers()
        for i in 0..<5 { Self.runJob(w, "honest \(i)") }
        #expect(w.receipts(of: "R").filter { $0.outcome == .paid }.count == 5)
        #expect(Self.consistencyMessages(w) >= 2, "no consistency question was asked")
        #expect(w.instances[w["R"]]!.state.watch.accused.isEmpty)
        #expect(w.instances[w["R"]]!.state.watch.questions.isEmpty, "a question stayed open")
        #expect(w.rejections.isEmpty, "\(w.rejections)")
    }

    /// A peer asking more consistency proofs than any watch would (each one a ledger read)
    /// is refused with `rateLimited` beyond the limit, without state change, and served
    /// again in the next window.
    @Test func consistencyQuestionsAreRateLimitedPerPeer() {
        let w = MarketWorld()
        w.add("P", seed: 2, price: 10)
        w.add("M", seed: 3, price: nil)
        w.add("N", seed: 4, price: nil)
        let p = w["P"]
        let ask = Envelope(type: .consistencyRequest, payload: Ledger.ConsistencyRequest(size1: 1, size2: 2).wireBytes)
        func proofsAsked(from name: String) -> Int {
            w.instances[p]!.receive(ask.encoded(), from: w[name], now: w.now).filter {
                if case .proveConsistency = $0 { return true } else { return false }
            }.count
        }
        let limit = Market.Limits.consistencyAnswersPerWindow
        #expect((0..<limit).map { _ in proofsAsked(from: "M") }.reduce(0, +) == limit)
        let before = w.instances[p]!.state
        #expect(proofsAsked(from: "M") == 0)
        #expect(w.instances[p]!.state == before, "a refused question changed state")
        #expect(w.instances[p]!.stats.rejections[.rateLimited] == 1)
        // Another peer is not held back by M's questions, and M is served in the next window.
        #expect(proofsAsked(from: "N") == 1)
        w.now += Market.Limits.consistencyWindow
        #expect(proofsAsked(from: "M") == 1)
    }

    @Test func aLedgerThatRewritesHistoryAndGrowsIsExcluded() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P", seed: 2, price: 10)
        w.add("Q", seed: 3, price: 30)
        w.meshPeers()
        for i in 0..<3 { Self.runJob(w, "before \(i)") }
        let p = w["P"]
        // P rewrites its history: the same entries with the first one changed, signed again.
        let old = w.ledgers[p]!
        var forged = Market.MemoryLedger(identity: MarketWorld.identity(2))
        for (k, e) in old.bodies.enumerated() { _ = forged.append(kind: e.kind, body: k == 0 ? e.body + [0] : e.body) }
        w.ledgers[p] = forged
        // Its next result carries a larger checkpoint of the rewritten tree, within the least
        // interval between two questions about one ledger: the question waits for it, and is
        // asked then although no newer checkpoint arrives.
        Self.runJob(w, "after")
        w.deliver()
        w.advance(to: w.now + Market.EquivocationWatch.questionInterval)
        w.deliver()
        #expect(w.instances[w["R"]]!.state.watch.accused == [p])
        #expect(w.instances[w["R"]]!.state.reputation.isExcluded(p))
        // The evidence reached the other provider, which excludes P too.
        #expect(w.instances[w["Q"]]!.state.reputation.isExcluded(p))
        #expect(w.notes(of: "R").contains { if case .equivocation(let e, nil) = $0, case .prefixMismatch = e.conflict { return e.ledgerID == p } else { return false } })
        // And P gets no more work.
        Self.runJob(w, "later")
        #expect(w.receipts(of: "R").last?.provider == w["Q"])
    }
}
