import Testing
@testable import AgoraSim

/// The market simulation at CI size: seeded, printing the seed and report on failure.
@Suite struct MarketSimulationTests {
    static func scenario(seed: UInt64, level: UInt8 = 0, spotCheck: Double = 0.1) -> Sim.MarketScenario {
        var s = Sim.MarketScenario(seed: seed)
        s.nodes = 20
        s.jobs = 200
        s.arrivalSpan = 60_000
        s.verificationLevel = level
        s.spotCheckRate = spotCheck
        return s
    }

    /// 200 jobs, 20 nodes, 10 % of providers crash mid-job: every job completes once and is paid once.
    @Test(arguments: [11, 12] as [UInt64])
    func everyJobCompletesOnceAndIsPaidOnce(seed: UInt64) {
        let r = Sim.runMarket(Self.scenario(seed: seed))
        #expect(r.crashed == 2, "seed \(seed)\n\(r.text)")
        // A crash is a fault, not dishonesty: a crashed winner is written a `timedOut` receipt
        // only when its deadline passed before membership noticed it gone.
        #expect(r.timeoutReceipts <= r.crashed, "seed \(seed)\n\(r.text)")
        #expect(r.allCompletedOnceAndPaidOnce, "seed \(seed)\n\(r.text)")
    }

    /// With verification required, nothing unverified and no wrong output is ever paid,
    /// and every cheater that ran a job was caught on it.
    @Test func verificationRequiredPaysOnlyVerifiedResults() {
        let seed: UInt64 = 21
        let r = Sim.runMarket(Self.scenario(seed: seed, level: 1))
        #expect(r.allCompletedOnceAndPaidOnce, "seed \(seed)\n\(r.text)")
        #expect(r.unverifiedPaid == 0 && r.wrongOutputsPaid == 0, "seed \(seed)\n\(r.text)")
        #expect(r.attestationsPassed >= r.jobs, "seed \(seed)\n\(r.text)")
        for c in r.cheaters where c.runsBeforeCatch + c.runsAfterCatch > 0 {
            #expect(c.caughtAt != nil && c.runsBeforeCatch <= 1, "seed \(seed)\n\(r.text)")
        }
    }

    /// Spot checks on every result catch a cheater on its first job; afterwards it gets
    /// (almost) no work: only awards already in flight.
    @Test func spotChecksCatchCheatersAndCutTheirWork() {
        let seed: UInt64 = 31
        let r = Sim.runMarket(Self.scenario(seed: seed, spotCheck: 1.0))
        #expect(r.allCompletedOnceAndPaidOnce, "seed \(seed)\n\(r.text)")
        #expect(r.cheaters.count == 2)
        for c in r.cheaters {
            #expect(c.caughtAt != nil, "seed \(seed)\n\(r.text)")
            #expect(c.runsBeforeCatch <= 3 && c.runsAfterCatch <= 2, "seed \(seed)\n\(r.text)")
        }
    }

    /// Cancelled jobs are never paid nor delivered; the rest still complete once and are paid once.
    @Test func cancelledJobsAreNeverPaid() {
        let seed: UInt64 = 51
        var s = Self.scenario(seed: seed)
        s.jobs = 120
        s.cancelFraction = 0.3
        let r = Sim.runMarket(s)
        #expect(r.cancelled > 0, "seed \(seed)\n\(r.text)")
        #expect(r.cancelledButPaidOrCompleted == 0, "seed \(seed)\n\(r.text)")
        #expect(r.allCompletedOnceAndPaidOnce, "seed \(seed)\n\(r.text)")
    }

    /// Same seed, same trace; another seed, another trace.
    @Test func sameSeedSameTrace() {
        var s = Self.scenario(seed: 41)
        s.jobs = 60
        let a = Sim.runMarket(s)
        let b = Sim.runMarket(s)
        #expect(a == b, "seed 41")
        s.seed = 42
        let c = Sim.runMarket(s)
        #expect(a.traceHash != c.traceHash)
    }
}
