import AgoraCrypto
import AgoraWire
import Testing
@testable import AgoraMarket

/// Failover, cancel and deadlines: a job completes once and is paid once, or not at all.
@Suite struct MarketFailoverTests {
    /// A winner silent past `completeBy` is replaced by the next bid; its late result is refused.
    @Test func silentWinnerIsReplacedAndLateResultRefused() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("P2", seed: 3, price: 20)
        w.meshPeers()
        let job = w.submit(from: "R")
        w.runAuction()
        #expect(w.runs.first?.node == w["P1"])
        let crashedRun = w.runs.removeFirst()          // P1 goes silent after its start
        w.advance(to: w.now + 2_100)                  // past completeBy (award + 2 s), but it started lately
        #expect(w.receipts(of: "R").isEmpty)
        w.advance(to: w.now + Market.Settings().progressStall)  // no progress for that long
        #expect(w.receipts(of: "R").map(\.outcome) == [.timedOut])
        #expect(w.inbox.contains { $0.type == .cancel && $0.to == w["P1"] })
        w.deliver(); w.advance(to: w.now + Market.Settings().maxBidWindow)  // P2's old bid expired: asked again
        w.deliver()
        #expect(w.runs.contains { $0.node == w["P2"] })   // the job, having waited, took P2's first bid
        #expect(w.cancelledRuns.contains { $0.node == w["P1"] })
        // P1's executor finishes anyway; it was cancelled, so nothing is appended or sent.
        let out = Market.ExecutionOutput(tokens: [1, 2], text: FakeEngine.text([1, 2]), fingerprint: [], startedAt: w.now, finishedAt: w.now)
        w.apply(w.instances[w["P1"]]!.handle(.executionFinished(crashedRun.spec.key, out), now: w.now), at: w["P1"])
        #expect(w.ledgers[w["P1"]]!.entries.isEmpty && w.inbox.isEmpty)
        w.finishRuns(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
        #expect(w.receipts(of: "R").filter { $0.outcome == .paid }.map(\.provider) == [w["P2"]])
        #expect(w.instances[w["R"]]!.state.reputation.standing(of: w["P1"]).timeouts == 1)
        #expect(w.instances[w["R"]]!.jobAttempts(job) == 2, "awarded to P1, then to P2: two attempts")
    }

    /// A winner that stalls (SIGSTOP) and that membership then holds suspect misses its
    /// deadline as a fault, not as misbehaviour: the job moves on and no `timedOut` receipt
    /// is written against it.
    @Test func aStalledSuspectWinnerIsReplacedWithoutPenalty() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("P2", seed: 3, price: 20)
        w.meshPeers()
        let job = w.submit(from: "R")
        w.runAuction()
        #expect(w.runs.first?.node == w["P1"])
        w.runs.removeFirst()                          // P1 stalls
        w.meshPeers(suspects: ["P1"])                 // and gossip suspects it
        w.advance(to: w.now + 2_100 + Market.Settings().progressStall)
        #expect(w.receipts(of: "R").isEmpty, "a timedOut receipt against a suspect")
        w.deliver(); w.advance(to: w.now + Market.Settings().maxBidWindow); w.deliver()
        w.finishRuns(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
        #expect(w.receipts(of: "R").map(\.provider) == [w["P2"]])
        #expect(w.instances[w["R"]]!.state.reputation.standing(of: w["P1"]).timeouts == 0)
    }

    /// A failing attestation is gossiped once; a member that was away then gets it when it
    /// comes back (`peerJoined`), and excludes the cheat like everyone else.
    @Test func aMemberThatWasAwayGetsTheWarningsWhenItIsBack() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("P2", seed: 3, price: 20)
        w.add("V", seed: 4, price: 50)
        w.add("X", seed: 5, price: nil)   // away while the cheat is caught
        w.meshPeers()
        _ = w.submit(from: "R", level: 1)
        w.runAuction()
        w.finishRuns(cheat: w["P1"]); w.deliver(where: { $0.to != w["X"] })
        // Both validators fail the result (the second one asked to confirm the first).
        for _ in 0..<2 {
            w.finishVerifies()
            w.take { $0.to == w["X"] }      // X misses the gossip
            w.deliver()
        }
        #expect(w.instances[w["R"]]!.state.reputation.standing(of: w["P1"]).fails == 1)
        #expect(w.instances[w["X"]]!.state.reputation.standing(of: w["P1"]).fails == 0)
        // X is back: R and the validators pass on what X missed.
        for name in ["R", "P2", "V"] { w.apply(w.instances[w[name]]!.handle(.peerJoined(w["X"]), now: w.now), at: w[name]) }
        w.deliver()
        #expect(w.instances[w["X"]]!.state.reputation.standing(of: w["P1"]).fails == 1)
        #expect(w.instances[w["X"]]!.state.reputation.score(of: w["P1"]) < 0.3)
    }

    /// An award that cannot be delivered (the winner's connection is refused) goes to the next
    /// bid at once, not after the award timeout, and costs the unreachable winner no standing.
    @Test func anUnreachableWinnerIsReplacedAtOnceWithoutPenalty() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("P2", seed: 3, price: 20)
        w.meshPeers()
        let job = w.submit(from: "R")
        w.deliver(); w.advance(to: w.now + 250)
        let lost = w.take { $0.to == w["P1"] && $0.type == .award }
        #expect(lost.count == 1)
        w.apply(w.instances[w["R"]]!.handle(.unreachable(w["P1"]), now: w.now), at: w["R"])
        #expect(w.inbox.contains { $0.type == .award && $0.to == w["P2"] }, "the next bid is awarded at once")
        w.deliver(); w.finishRuns(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
        #expect(w.receipts(of: "R").filter { $0.outcome == .paid }.map(\.provider) == [w["P2"]])
        #expect(w.instances[w["R"]]!.state.reputation.standing(of: w["P1"]).timeouts == 0)
        #expect(w.instances[w["R"]]!.jobAttempts(job) == 2)
        // Unreachable with nothing held changes nothing.
        #expect(w.instances[w["R"]]!.handle(.unreachable(w["P2"]), now: w.now).isEmpty)
    }

    /// A peer that gossip suspects of having failed is given no new work: not asked to bid,
    /// not chosen as a validator.
    @Test func suspectsAreNeitherProvidersNorValidators() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("P2", seed: 3, price: 20)
        w.add("V1", seed: 4, price: 50)
        w.add("V2", seed: 5, price: 50)
        w.meshPeers(suspects: ["P1", "V1"])
        for i in 0..<6 {
            _ = w.submit(from: "R", level: 1, prompt: "question \(i)")
            #expect(!w.inbox.contains { $0.to == w["P1"] || $0.to == w["V1"] }, "a suspect was asked to bid")
            w.runAuction()
            #expect(w.runs.count == 1 && !w.runs.contains { $0.node == w["P1"] })
            w.finishRuns(); w.deliver()
            #expect(w.verifies.count == 1 && !w.verifies.contains { $0.node == w["V1"] || $0.node == w["P1"] })
            w.finishVerifies(); w.deliver()
        }
        #expect(w.receipts(of: "R").filter { $0.outcome == .paid }.count == 6)
    }

    /// A late result from the replaced winner is rejected as not the current winner.
    @Test func resultFromReplacedWinnerIsRejected() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("P2", seed: 3, price: 20)
        w.meshPeers()
        _ = w.submit(from: "R")
        w.deliver(); w.advance(to: w.now + 250); w.deliver { $0.type != .streamPiece }
        w.take { $0.type == .streamPiece }            // P1's start notice is lost too
        w.finishRuns()                                // P1 finished, but its result is delayed
        let late = w.take { $0.type == .result }
        w.advance(to: w.now + 2_100)                  // award times out (no progress seen)
        w.take { $0.type == .cancel }
        w.deliver(); w.advance(to: w.now + 500); w.deliver { $0.type != .result }  // P2 awarded
        let before = w.instances[w["R"]]!.state
        w.inbox.append(contentsOf: late)
        w.deliver { $0.type == .result }
        #expect(w.rejections.last?.rejection.reason == .notCurrentWinner)
        #expect(w.instances[w["R"]]!.state == before)
        #expect(w.receipts(of: "R").filter { $0.outcome == .paid }.isEmpty)
    }

    /// No bid in a round → more peers are asked, each round waiting longer (up to
    /// `maxBidWindow`); the job waits so until its deadline, and only then fails unpaid.
    @Test func noBidsAsksMorePeersUntilTheDeadlineThenFails() {
        let w = MarketWorld()
        var s = MarketWorld.windowSettings
        s.bidFanout = 1
        w.add("R", seed: 1, price: nil, settings: s)
        w.add("P1", seed: 2, price: 500)              // too expensive: stays silent
        w.add("P2", seed: 3, price: 500)
        w.meshPeers()
        let start = w.now
        let job = w.submit(from: "R", maxPrice: 100, deadline: start + 20_000)
        let first = w.inbox.filter { $0.type == .jobRequest }.map(\.to)
        w.deliver(); w.advance(to: w.now + 250)
        let second = w.inbox.filter { $0.type == .jobRequest }.map(\.to)
        #expect(first.count == 1 && second.count == 1 && first != second)
        // Windows double: the next round ends 500 ms later, not 250.
        let windows = w.timers.compactMap { t -> Market.Millis? in
            if case .bidWindow(_, let round) = t.timer, round == 2 { return t.at } else { return nil }
        }
        #expect(windows == [start + 250 + 500])
        var rounds = 0
        while w.now < start + 19_000 {
            w.deliver(); w.advance(to: w.now + 250)
            rounds += w.inbox.filter { $0.type == .jobRequest }.count
        }
        #expect(rounds >= 8)                          // still asking after many rounds
        #expect(w.instances[w["R"]]!.jobPhase(job) == "soliciting")
        w.deliver(); w.advance(to: start + 20_001)
        #expect(w.notes(of: "R").contains(.jobFailed(job, .noBids)))
        #expect(w.instances[w["R"]]!.jobPhase(job) == "failed")
        #expect(w.receipts(of: "R").isEmpty)
    }

    /// A decline hands the job to the next bid.
    @Test func declineGoesToNextBid() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("P2", seed: 3, price: 20)
        w.meshPeers()
        let job = w.submit(from: "R")
        w.runAuction()
        let run = w.runs.removeFirst()
        w.apply(w.instances[run.node]!.handle(.executionFailed(run.spec.key), now: w.now), at: run.node)
        #expect(w.inbox.first?.type == .decline)
        w.deliver()
        #expect(w.runs.first?.node == w["P2"])
        w.finishRuns(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
    }

    /// Cancel while awarded: the provider stops, its result (if any) is refused, nothing paid.
    @Test func cancelStopsProviderAndPaysNothing() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.meshPeers()
        let job = w.submit(from: "R")
        w.runAuction()
        w.apply(w.instances[w["R"]]!.cancel(job, now: w.now), at: w["R"])
        #expect(w.notes(of: "R").contains(.jobCancelled(job)))
        w.deliver()
        #expect(w.cancelledRuns.count == 1)
        w.finishRuns()                                // the executor's late answer is ignored
        #expect(w.inbox.isEmpty && w.ledgers[w["P1"]]!.entries.isEmpty)
        // Cancelling again, or an unknown job, is refused.
        w.apply(w.instances[w["R"]]!.cancel(job, now: w.now), at: w["R"])
        #expect(w.rejections.last?.rejection.reason == .jobClosed)
        #expect(w.receipts(of: "R").isEmpty)
    }

    /// The job deadline closes an open job unpaid and cancels its award.
    @Test func deadlineFailsJobUnpaid() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.meshPeers()
        let job = w.submit(from: "R", deadline: w.now + 1_500)
        w.runAuction()
        w.runs.removeAll()
        w.advance(to: w.now + 2_000)
        #expect(w.notes(of: "R").contains(.jobFailed(job, .deadlinePassed)))
        #expect(w.receipts(of: "R").filter { $0.outcome == .paid }.isEmpty)
        #expect(w.instances[w["R"]]!.state.reserved == 0)
    }

    /// Evidence excludes a node: its bids are refused.
    @Test func evidenceExcludesProvider() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.meshPeers()
        w.apply(w.instances[w["R"]]!.handle(.evidence(against: w["P1"]), now: w.now), at: w["R"])
        _ = w.submit(from: "R")
        #expect(w.inbox.isEmpty)                      // excluded peers are not even asked
        #expect(w.instances[w["R"]]!.state.reputation.score(of: w["P1"]) == 0)
    }
}

/// Forgetting old jobs keeps memory bounded without reopening anything.
@Suite struct MarketPruneTests {
    @Test func pruneForgetsOldClosedJobsOnly() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.meshPeers()
        let done = w.submit(from: "R", deadline: w.now + 10_000)
        w.runAuction(); w.finishRuns()
        let result = w.take { $0.type == .result }
        w.inbox.append(contentsOf: result)
        w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(done) == "completed")
        let open = w.submit(from: "R", deadline: w.now + 8_000_000)
        let r = w["R"], p = w["P1"]
        w.instances[r]!.prune(now: w.now + 3_600_000 + 20_000)
        w.instances[p]!.prune(now: w.now + 3_600_000 + 20_000)
        #expect(w.instances[r]!.jobPhase(done) == nil)
        #expect(w.instances[r]!.jobPhase(open) == "soliciting")
        #expect(w.instances[r]!.rememberedJobs.requested == 1)
        #expect(w.instances[p]!.rememberedJobs.provided == 0)   // the open job's request is still in the inbox
        // The old result replayed after pruning is refused, and pays nothing.
        let before = w.instances[r]!.state
        let ds = w.instances[r]!.receive(result[0].envelope, from: p, now: w.now + 3_700_000)
        guard case .rejected(let why, _)? = ds.first else { Issue.record("expected a rejection"); return }
        #expect(why.reason == .unknownJob)
        #expect(w.instances[r]!.state == before)
        #expect(w.receipts(of: "R").count == 1)
    }

    /// A bid arriving after the job's deadline closed it is refused.
    @Test func bidForExpiredJobIsRefused() throws {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.meshPeers()
        let job = w.submit(from: "R", deadline: w.now + 1_000)
        w.deliver { $0.type == .jobRequest }
        let bid = w.take { $0.type == .bid }[0]
        w.advance(to: w.now + 1_500)
        #expect(w.instances[w["R"]]!.jobPhase(job) == "failed")
        MarketBadInputTests.expectRejected(w, bid.envelope, from: w["P1"], to: w["R"], .jobClosed)
    }
}
