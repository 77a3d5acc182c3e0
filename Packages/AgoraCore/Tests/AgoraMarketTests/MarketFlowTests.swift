import AgoraJob
import AgoraCrypto
import AgoraWire
import Testing
@testable import AgoraMarket

/// The normal path of a job through requester, providers and validators.
@Suite struct MarketFlowTests {
    /// R requests, two providers bid, the cheaper wins, runs, appends, returns; R pays once.
    @Test func jobCompletesAndIsPaidOnce() throws {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("P2", seed: 3, price: 20)
        w.meshPeers()
        let job = w.submit(from: "R")
        #expect(w.inbox.filter { $0.type == .jobRequest }.count == 2)
        #expect(w.instances[w["R"]]!.jobPhase(job) == "soliciting")
        w.deliver()                                   // requests → bids → (bids stored)
        #expect(w.instances[w["P1"]]!.stats.bids == 1)
        #expect(w.instances[w["P2"]]!.stats.bids == 1)
        w.advance(to: w.now + 250)                    // bid window ends: award to P1 (cheaper)
        #expect(w.instances[w["R"]]!.jobPhase(job) == "awarded")
        let awards = w.inbox.filter { $0.type == .award }
        #expect(awards.count == 1 && awards.first?.to == w["P1"])
        w.deliver()
        #expect(w.runs.count == 1 && w.runs.first?.node == w["P1"])
        #expect(w.runs.first?.spec.request.prompt == .text("why is the sky blue?"))
        w.finishRuns()                                // result appended to P1's ledger, sent
        #expect(w.ledgers[w["P1"]]!.entries.count == 1)
        w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
        let completed = w.notes(of: "R").compactMap { n -> Market.OutputPayload? in
            if case .jobCompleted(job, _, let out, _, _) = n { return out } else { return nil }
        }
        #expect(completed.count == 1)
        let expected = FakeEngine.generate(model: MarketWorld.model, prompt: Array("why is the sky blue?".utf8), maxTokens: 16)
        #expect(completed.first?.tokens == expected)
        let receipts = w.receipts(of: "R")
        #expect(receipts.count == 1)
        #expect(receipts.first?.outcome == .paid && receipts.first?.provider == w["P1"])
        #expect(receipts.first?.credits == Market.ResultRecord.charge(tokens: 16, pricePer1k: 10))
        let r = w.instances[w["R"]]!
        #expect(r.stats.paid == 1 && r.stats.totalRejections == 0)
        #expect(r.state.reputation.balance(of: w["R"]) == Int64(1_000_000) - Int64(receipts.first!.credits))
        #expect(r.state.reputation.standing(of: w["P1"]).completed == 1)
        #expect(w.rejections.isEmpty)
    }

    /// At verification level 1 the requester pays only after a validator's passing attestation.
    @Test func verificationLevelOnePaysAfterPass() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("V", seed: 4, price: 50)
        w.meshPeers()
        let job = w.submit(from: "R", level: 1)
        w.runAuction()
        w.finishRuns(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "verifying")
        #expect(w.receipts(of: "R").isEmpty)
        #expect(w.verifies.count == 1 && w.verifies.first?.node == w["V"])
        w.finishVerifies()
        #expect(w.ledgers[w["V"]]!.entries.count == 1)
        w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
        let receipts = w.receipts(of: "R")
        #expect(receipts.count == 1 && receipts.first?.outcome == .paid && receipts.first?.validators == [w["V"]])
        #expect(w.instances[w["R"]]!.state.reputation.standing(of: w["P1"]).passes == 1)
        #expect(w.gossiped.isEmpty)
    }

    /// Validators advertising the provider's arithmetic class are asked first (their check is
    /// exact); four validators of another class are passed over every time.
    @Test func validatorsOfTheProvidersClassAreAskedFirst() {
        let w = MarketWorld()
        // Every provider is asked to bid (with the default fanout of 4 of 6, whether P1 is
        // asked at all is the luck of the random stream).
        var everyone = MarketWorld.windowSettings
        everyone.bidFanout = 8
        w.add("R", seed: 1, price: nil, settings: everyone)
        w.add("P1", seed: 2, price: 10)
        for (i, name) in ["V1", "V2", "V3", "V4", "V5"].enumerated() { w.add(name, seed: UInt8(10 + i), price: 50) }
        let a = [UInt8](repeating: 0xA1, count: 16), b = [UInt8](repeating: 0xB2, count: 16)
        w.meshPeers(classes: ["P1": a, "V1": b, "V2": b, "V3": b, "V4": b, "V5": a])
        for n in 0..<3 {
            let job = w.submit(from: "R", level: 1, prompt: "question \(n)")
            w.runAuction()
            w.finishRuns(); w.deliver()
            #expect(w.verifies.count == 1 && w.verifies.first?.node == w["V5"], "job \(n)")
            w.finishVerifies(); w.deliver()
            #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
            w.verifies.removeAll()
        }
    }

    /// The validator is told the class the provider advertises (its check is exact when it is
    /// its own, whatever the result's fingerprint names).
    @Test func theValidatorLearnsTheProvidersAdvertisedClass() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("V", seed: 4, price: 50)
        let a = [UInt8](repeating: 0xA1, count: 16)
        w.meshPeers(classes: ["P1": a, "V": a])
        _ = w.submit(from: "R", level: 1)
        w.runAuction()
        w.finishRuns(); w.deliver()
        #expect(w.verifies.count == 1 && w.verifies.first?.spec.providerClass == a)
    }

    /// Without a class for the provider, any validator serving the model may be asked (when
    /// the requester accepts a tolerant check).
    @Test func anyValidatorWhenTheProviderAdvertisesNoClass() {
        let w = MarketWorld()
        var tolerant = MarketWorld.windowSettings
        tolerant.checkPolicy = .exactPreferred
        w.add("R", seed: 1, price: nil, settings: tolerant)
        w.add("P1", seed: 2, price: 10)
        for (i, name) in ["V1", "V2", "V3", "V4", "V5"].enumerated() { w.add(name, seed: UInt8(10 + i), price: 50) }
        let a = [UInt8](repeating: 0xA1, count: 16)
        w.meshPeers(classes: ["V5": a])
        var asked = Set<PublicKey>()
        for n in 0..<12 {
            _ = w.submit(from: "R", level: 1, prompt: "question \(n)")
            w.runAuction()
            w.finishRuns(); w.deliver()
            asked.formUnion(w.verifies.map(\.node))
            w.finishVerifies(); w.deliver()
            w.verifies.removeAll()
        }
        #expect(asked.count > 1)
    }

    /// A wrong result at level 1 is never paid: failed attestation, receipt with nothing
    /// paid, gossip, and the job goes to the next bid, which is paid once.
    @Test func failedAttestationReawardsAndNeverPaysTheCheat() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("P2", seed: 3, price: 20)
        w.add("V", seed: 4, price: 50)
        w.meshPeers()
        let job = w.submit(from: "R", level: 1)
        w.runAuction()
        #expect(w.runs.first?.node == w["P1"])
        w.finishRuns(cheat: w["P1"]); w.deliver()
        // Validators are chosen at random among peers serving the model (P2 or V).
        #expect(w.verifies.count == 1)
        w.finishVerifies()
        #expect(w.gossiped.count == 1)
        w.deliver()                                   // attestation (direct + gossip)
        // One validator's failure is not taken on its word while another can check: the
        // other one is asked, fails the result too, and the job goes to P2.
        #expect(w.receipts(of: "R").isEmpty)
        #expect(w.verifies.count == 1)
        w.finishVerifies(); w.deliver()
        let caught = w.notes(of: "R").contains { if case .providerCaught(w["P1"], _, _) = $0 { return true } else { return false } }
        #expect(caught)
        #expect(w.receipts(of: "R").map(\.outcome) == [.failedVerification])
        #expect(w.receipts(of: "R").first?.credits == 0)
        #expect(w.receipts(of: "R").first?.validators.count == 2)
        #expect(w.runs.first?.node == w["P2"])
        w.finishRuns(); w.deliver(); w.finishVerifies(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
        let paid = w.receipts(of: "R").filter { $0.outcome == .paid }
        #expect(paid.count == 1 && paid.first?.provider == w["P2"])
        // Everyone who heard the gossip now ranks P1 below the award threshold.
        for name in ["R", "P2", "V"] {
            let rep = w.instances[w[name]]!.state.reputation
            #expect(rep.standing(of: w["P1"]).fails == 1)
            #expect(rep.score(of: w["P1"]) < Market.ScoringPolicy().minReputation)
        }
    }

    /// Spot checks at rate 1 send every level-0 result to a validator after payment; a failure
    /// confirmed (here no other validator is left) is a `failedVerification` receipt: the
    /// provider is caught, nothing more is paid.
    @Test func spotCheckAfterPayment() {
        let w = MarketWorld()
        var s = MarketWorld.windowSettings
        s.spotCheckRate = 1
        w.add("R", seed: 1, price: nil, settings: s)
        w.add("P1", seed: 2, price: 10)
        w.add("V", seed: 4, price: 50)
        w.meshPeers()
        _ = w.submit(from: "R", maxPrice: 30)
        w.runAuction()
        w.finishRuns(cheat: w["P1"]); w.deliver()
        #expect(w.receipts(of: "R").map(\.outcome) == [.paid])
        #expect(w.verifies.count == 1)
        w.finishVerifies(); w.deliver()
        #expect(w.instances[w["R"]]!.state.reputation.standing(of: w["P1"]).fails == 1)
        #expect(w.receipts(of: "R").map(\.outcome) == [.paid, .failedVerification])   // paid once, never re-awarded
        #expect(w.receipts(of: "R").last?.credits == 0)
    }
}

/// Early awards: no need to wait out the bid window when enough bids are in.
@Suite struct MarketEarlyAwardTests {
    @Test func awardsAsSoonAsEveryAskedPeerHasBid() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil, settings: Market.Settings())   // earlyAwardBids = 3
        w.add("P1", seed: 2, price: 10)
        w.add("P2", seed: 3, price: 20)
        w.meshPeers()
        let job = w.submit(from: "R")
        w.deliver { $0.type == .jobRequest }
        w.deliver { $0.type == .bid && $0.from == w["P2"] }
        #expect(w.instances[w["R"]]!.jobPhase(job) == "soliciting")      // one of two bids: wait
        w.deliver { $0.type == .bid }
        #expect(w.instances[w["R"]]!.jobPhase(job) == "awarded")         // both asked peers bid: award now
        #expect(w.inbox.filter { $0.type == .award }.map(\.to) == [w["P1"]])
        w.advance(to: w.now + 250)                                        // the window's timer is stale
        #expect(w.inbox.filter { $0.type == .award }.count == 1)
        #expect(w.instances[w["R"]]!.stats.awards == 1)
    }
}
