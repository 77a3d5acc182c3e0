import AgoraCrypto
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
        w.deliver(); w.advance(to: w.now + 250); w.deliver()
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
        // Its next result carries a larger checkpoint of the rewritten tree.
        Self.runJob(w, "after")
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
