import AgoraCrypto
import Testing
@testable import AgoraMarket

/// A restarted node rebuilds balances and reputation from its own ledger and the entries of
/// other ledgers it was told to remember: the same book as before the restart, not a reset.
@Suite struct MarketRestoreTests {
    @Test func aRestartRebuildsTheSameBalancesAndStandings() {
        let w = MarketWorld()
        let seeds: [String: UInt8] = ["R": 1, "P1": 2, "P2": 3, "V": 4]
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("P2", seed: 3, price: 20)
        w.add("V", seed: 4, price: 50)
        w.meshPeers()
        for i in 0..<4 {
            _ = w.submit(from: "R", level: 1, prompt: "question \(i)")
            w.runAuction()
            w.finishRuns(); w.deliver()
            w.finishVerifies(); w.deliver()
        }
        #expect(w.receipts(of: "R").filter { $0.outcome == .paid }.count == 4)
        let everyone = seeds.keys.map { w[$0] }
        for (name, seed) in seeds {
            let node = w[name]
            let live = w.instances[node]!.state.reputation
            var restarted = Market.Instance(identity: MarketWorld.identity(seed), settings: w.instances[node]!.settings,
                                            verifier: Market.MemoryLedgerVerifier(), randomSeed: [seed, 0xBB])
            for e in w.ledgers[node]!.bodies { restarted.restore(ownEntry: e.kind, body: e.body) }
            for proof in w.remembered[node] ?? [] { restarted.restore(observed: proof) }
            for other in everyone {
                #expect(restarted.state.reputation.balance(of: other) == live.balance(of: other), "\(name)'s view of a balance")
                #expect(restarted.state.reputation.standing(of: other) == live.standing(of: other), "\(name)'s view of a standing")
            }
            // Counting the same facts again changes nothing.
            #expect(!w.ledgers[node]!.bodies.isEmpty || name == "R")
            for e in w.ledgers[node]!.bodies {
                let again = restarted.restore(ownEntry: e.kind, body: e.body)
                #expect(!again)
            }
        }
        // The providers were paid: what they earned survives their restart.
        #expect(w.instances[w["P1"]]!.state.reputation.balance(of: w["P1"]) != Int64(Market.Settings().initialGrant)
                || w.instances[w["P2"]]!.state.reputation.balance(of: w["P2"]) != Int64(Market.Settings().initialGrant))
        #expect(!(w.remembered[w["P1"]] ?? []).isEmpty || !(w.remembered[w["P2"]] ?? []).isEmpty)
    }

    /// A remembered entry that does not verify (tampered on disk) counts nothing.
    @Test func aTamperedRememberedEntryCountsNothing() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.meshPeers()
        _ = w.submit(from: "R")
        w.runAuction()
        w.finishRuns(); w.deliver()
        guard var proof = w.remembered[w["P1"]]?.first else { Issue.record("the paid provider remembered no receipt"); return }
        proof.entry[proof.entry.count - 70] ^= 1
        var restarted = Market.Instance(identity: MarketWorld.identity(2), settings: w.instances[w["P1"]]!.settings,
                                        verifier: Market.MemoryLedgerVerifier(), randomSeed: [2, 0xBB])
        let counted = restarted.restore(observed: proof)
        #expect(!counted)
        #expect(restarted.state.reputation.balance(of: w["P1"]) == Int64(restarted.state.reputation.grant))
    }
}
