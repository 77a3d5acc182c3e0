import Testing
@testable import AgoraSim

/// Issue [2/5], must-show 5: the simulator exercises the stream pieces and the evidence relay
/// of the market core, as the node's shell carries them (no shell logic involved).
@Suite struct StreamAndEvidenceSimulationTests {
    /// Half the jobs stream, with crashes and cheaters about: every streamed job's preview is
    /// its verified text, and the usual invariants hold.
    @Test(arguments: [31, 32] as [UInt64])
    func streamedPreviewsAreTheVerifiedText(seed: UInt64) {
        var s = MarketSimulationTests.scenario(seed: seed, level: 1)
        s.streamFraction = 0.5
        s.cheaters = []
        let r = Sim.runMarket(s)
        #expect(r.allCompletedOnceAndPaidOnce, "seed \(seed)\n\(r.text)")
        #expect(r.streamedJobs > 50, "seed \(seed)\n\(r.text)")
        #expect(r.streamMismatches == 0, "seed \(seed)\n\(r.text)")
    }

    /// A provider that forks its ledger is caught by whoever sees two of its checkpoints of one
    /// size, and the evidence, relayed node to node, excludes it everywhere.
    @Test func aForkedLedgerIsExcludedByEveryNode() {
        let seed: UInt64 = 41
        var s = MarketSimulationTests.scenario(seed: seed, level: 1)
        s.cheaters = [.forkedLedger]
        s.crashFraction = 0
        let r = Sim.runMarket(s)
        #expect(r.allCompletedOnceAndPaidOnce, "seed \(seed)\n\(r.text)")
        #expect(r.evidencePossibleHolders == s.nodes - 1, "seed \(seed)\n\(r.text)")
        #expect(r.evidenceHolders == r.evidencePossibleHolders, "seed \(seed)\n\(r.text)")
    }
}
