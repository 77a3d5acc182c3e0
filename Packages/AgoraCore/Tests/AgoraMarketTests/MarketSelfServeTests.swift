import AgoraCrypto
import AgoraWire
import Testing
@testable import AgoraMarket

/// A node that serves the model may win its own job (a lone node serves its own users).
@Suite struct MarketSelfServeTests {
    /// A lone provider asks itself, bids, wins, runs, and pays itself at once, even at
    /// verification level 1: nobody else could validate, and its word about itself needs none.
    @Test func loneProviderServesItsOwnJob() throws {
        let w = MarketWorld()
        w.add("A", seed: 1, price: 10)
        w.meshPeers()
        let job = w.submit(from: "A", level: 1)
        #expect(w.inbox.filter { $0.type == .jobRequest }.map(\.to) == [w["A"]])
        w.deliver()
        w.advance(to: w.now + 250)
        w.deliver()
        #expect(w.runs.count == 1 && w.runs.first?.node == w["A"])
        w.finishRuns()
        w.deliver()
        #expect(w.instances[w["A"]]!.jobPhase(job) == "completed")
        #expect(w.verifies.isEmpty)
        let receipts = w.receipts(of: "A")
        #expect(receipts.count == 1 && receipts.first?.provider == w["A"] && receipts.first?.requester == w["A"])
        let a = w.instances[w["A"]]!
        #expect(a.state.reputation.balance(of: w["A"]) == 1_000_000)
        #expect(a.state.reputation.standing(of: w["A"]).completed == 0)
        #expect(w.rejections.isEmpty)
    }

    /// When another provider wins, the requester never names itself as validator: it asks a
    /// third node, and with none it waits for one (a whole validation timeout before it
    /// delivers the result unattested: `MarketModelsTests`). (A requester that
    /// demands exact checks does not award P at all: `MarketCheckPolicyTests`.)
    @Test func requesterNeverValidatesForItself() {
        let w = MarketWorld()
        var tolerant = MarketWorld.windowSettings
        tolerant.checkPolicy = .exactPreferred
        w.add("A", seed: 1, price: 50, settings: tolerant)
        w.add("P", seed: 2, price: 10)
        w.meshPeers()
        let job = w.submit(from: "A", level: 1)
        w.runAuction()
        #expect(w.runs.count == 1 && w.runs.first?.node == w["P"])
        w.finishRuns(); w.deliver()
        #expect(w.instances[w["A"]]!.jobPhase(job) == "verifying")
        #expect(w.inbox.filter { $0.type == .verifyRequest }.isEmpty)
        #expect(w.receipts(of: "A").isEmpty)
        w.add("V", seed: 3, price: 30)
        w.meshPeers()
        w.advance(to: w.now + 60_000)
        let asked = w.inbox.filter { $0.type == .verifyRequest }.map(\.to)
        #expect(!asked.isEmpty && Set(asked) == [w["V"]])
    }
}
