import AgoraCrypto
import Testing
@testable import AgoraMarket

/// A provider that advertises more speed than it has wins awards with estimates it cannot
/// keep; the requester learns how long its estimates really take and ranks it accordingly,
/// without touching its reputation (slow is not dishonest).
@Suite struct EtaCalibrationTests {
    static func offer(decode: Double) -> Market.ModelProfile {
        Market.ModelProfile(modelID: MarketWorld.model, pricePer1k: 10, prefillTokensPerSecond: 4 * decode,
                            decodeTokensPerSecond: decode)
    }

    @Test("factors follow observed time over estimate, never below 1, bounded")
    func factors() {
        var c = Market.EtaCalibration()
        let a = MarketWorld.identity(1).publicKey, b = MarketWorld.identity(2).publicKey
        #expect(c.factor(of: a) == 1)
        c.observe(a, estimated: 1_000, observed: 10_000)
        #expect(c.factor(of: a) == 10)
        c.observe(a, estimated: 1_000, observed: 1_000)
        #expect(abs(c.factor(of: a) - 7.3) < 1e-9)
        c.observe(b, estimated: 1_000, observed: 400)
        #expect(c.factor(of: b) == 1)
        c.observe(b, estimated: 0, observed: 10_000_000)
        #expect(c.factor(of: b) <= Market.EtaCalibration.maxFactor)
    }

    @Test("a provider that claims ten times its speed wins once, then ranks by what it delivers")
    func speedLiarLosesItsEdge() {
        var settings = MarketWorld.windowSettings
        settings.scoring.reputationWeight = 0  // time alone decides between equal prices
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil, settings: settings)
        w.addOffering("honest", seed: 2, [Self.offer(decode: 100)])
        w.addOffering("liar", seed: 3, [Self.offer(decode: 1_000)])
        w.meshPeers()

        func runOne(takes: (String) -> Market.Millis) -> String {
            let job = w.submit(from: "R", maxTokens: 500)
            w.deliver()
            w.advance(to: w.now + 250)
            let winner = w.instances[w["R"]]!.awardedProvider(job)
            let name = winner == w["liar"] ? "liar" : "honest"
            w.deliver()
            w.now += takes(name)
            w.finishRuns()
            w.deliver()
            #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
            return name
        }
        // The honest provider decodes at the 100 tok/s it claims (500 tokens: 5 s); the liar
        // claims 1,000 and decodes at 50 (10 s).
        let takes: (String) -> Market.Millis = { $0 == "liar" ? 10_000 : 5_000 }
        let first = runOne(takes: takes)
        #expect(first == "liar", "the claimed speed wins the first award")
        let later = (0..<4).map { _ in runOne(takes: takes) }
        #expect(later.allSatisfy { $0 == "honest" }, "after one job the liar's estimate counts as long as it took: \(later)")
        let r = w.instances[w["R"]]!
        #expect(r.state.etaCalibration.factor(of: w["liar"]) > 5)
        #expect(r.state.etaCalibration.factor(of: w["honest"]) == 1)
        // Ranking only: the liar delivered good work and its reputation is not lowered.
        #expect(r.state.reputation.standing(of: w["liar"]).fails == 0)
        #expect(r.state.reputation.standing(of: w["liar"]).completed == 1)
    }
}
