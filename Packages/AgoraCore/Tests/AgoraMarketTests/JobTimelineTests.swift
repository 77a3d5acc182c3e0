import AgoraCrypto
@testable import AgoraMarket
import Testing

/// A requester's timeline of a job says where its time went: auction, the provider's queue
/// and prefill, generation, verification.
@Suite struct JobTimelineTests {
    @Test func theTimelineSaysWhereAJobsTimeWent() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P", seed: 2, price: 10)
        w.add("V", seed: 4, price: 50)
        w.meshPeers()
        let start = w.now
        let job = w.submit(from: "R", level: 1, maxPrice: 20)
        w.deliver(); w.advance(to: w.now + Market.Settings().bidWindow); w.deliver()
        #expect(w.runs.count == 1)
        #expect(w.instances[w["R"]]!.timeline(job)?.phases == nil)          // open: no phases yet
        let key = w.runs[0].spec.key
        w.advance(to: w.now + 400)
        w.apply(w.instances[w["P"]]!.handle(.generated(key, text: Array("tok ".utf8)), now: w.now), at: w["P"])
        w.deliver()
        w.advance(to: w.now + 600)
        w.finishRuns(); w.deliver()
        w.advance(to: w.now + 300)
        w.finishVerifies(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
        let phases = w.instances[w["R"]]!.timeline(job)?.phases
        let bidWindow = Market.Settings().bidWindow
        #expect(phases == Market.JobTimeline.Phases(auction: bidWindow, queueAndPrefill: 400, generation: 600,
                                                    verification: 300, total: w.now - start))
    }

    /// Without streamed output before the result, queue and prefill run to the result.
    @Test func withoutOutputBeforeTheResultGenerationIsZero() {
        var t = Market.JobTimeline(submitted: 1_000)
        t.awarded = 1_250
        t.resultReceived = 2_000
        #expect(t.phases == nil)
        t.completed = 2_100
        #expect(t.phases == Market.JobTimeline.Phases(auction: 250, queueAndPrefill: 750, generation: 0,
                                                      verification: 100, total: 1_100))
    }
}
