import AgoraCrypto
import AgoraWire
import Testing
@testable import AgoraMarket

/// The provider learns what it was paid from the requester's receipt entry (message
/// `receipt`, 0x0309): counted once, and only from the requester that paid it.
@Suite struct MarketReceiptTests {
    @Test func providerCountsTheReceiptPayingItOnce() throws {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P", seed: 2, price: 10)
        w.add("X", seed: 3, price: nil)
        w.meshPeers()
        _ = w.submit(from: "R")
        w.runAuction()
        w.finishRuns()
        w.deliver(where: { $0.type == .result })
        let notices = w.inbox.filter { $0.type == .receipt }
        #expect(notices.count == 1 && notices.first?.to == w["P"] && notices.first?.from == w["R"])
        let credits = try #require(w.receipts(of: "R").first?.credits)
        w.deliver()
        let p = w.instances[w["P"]]!
        #expect(p.state.reputation.balance(of: w["P"]) == 1_000_000 + Int64(credits))
        #expect(p.state.reputation.standing(of: w["P"]).completed == 1)

        // The same notice again changes nothing; relayed by another node it is refused.
        let notice = try #require(notices.first)
        w.inbox.append(notice)
        w.inbox.append(MarketWorld.Message(from: w["X"], to: w["P"], type: .receipt, envelope: notice.envelope))
        w.inbox.append(MarketWorld.Message(from: w["R"], to: w["P"], type: .receipt,
                                           envelope: Envelope(type: .receipt, payload: [1, 2, 3]).encoded(compress: false)))
        w.deliver()
        let after = w.instances[w["P"]]!
        #expect(after.state.reputation.balance(of: w["P"]) == 1_000_000 + Int64(credits))
        let reasons = w.rejections.filter { $0.node == w["P"] }.map(\.rejection.reason)
        #expect(reasons == [.wrongParty, .malformed])
    }
}
