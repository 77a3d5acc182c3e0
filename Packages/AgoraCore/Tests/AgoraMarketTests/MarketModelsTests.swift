import AgoraCrypto
import AgoraWire
import Testing
@testable import AgoraMarket

/// Several models per node and per network: jobs go only to nodes that serve their model,
/// are checked by validators of the same model, run within each model's slots, and a model
/// retired at runtime finishes what it holds and takes nothing new.
@Suite struct MarketModelsTests {
    static let a = MarketWorld.model
    static let b = MarketWorld.otherModel

    static func offer(_ model: Digest, price: UInt64, slots: Int = 4, decode: Double = 100) -> Market.ModelProfile {
        Market.ModelProfile(modelID: model, pricePer1k: price, prefillTokensPerSecond: 400, decodeTokensPerSecond: decode, slots: slots)
    }

    /// A: model a; B: model b; C: both. Jobs of each model (level 1) are run and checked only by
    /// nodes serving it, and every job completes.
    @Test func jobsGoOnlyToNodesServingTheirModel() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.addOffering("A", seed: 2, [Self.offer(Self.a, price: 10)])
        w.addOffering("B", seed: 3, [Self.offer(Self.b, price: 10)])
        w.addOffering("C", seed: 4, [Self.offer(Self.a, price: 12), Self.offer(Self.b, price: 12)])
        w.meshPeers()
        var jobs: [(Market.JobID, Digest)] = []
        for i in 0..<6 {
            let model = i % 2 == 0 ? Self.a : Self.b
            jobs.append((w.submit(from: "R", level: 1, maxPrice: 20, prompt: "job \(i)", model: model), model))
        }
        w.runAuction()
        let servers: [Digest: Set<PublicKey>] = [Self.a: [w["A"], w["C"]], Self.b: [w["B"], w["C"]]]
        #expect(w.runs.count == 6)
        for r in w.runs { #expect(servers[r.spec.modelID]?.contains(r.node) == true, "ran on a node not serving the model") }
        // No node was asked to bid on a model it does not serve.
        #expect(!w.rejections.contains { $0.rejection.reason == .invalidField })
        w.finishRuns(); w.deliver()
        var checked = 0
        while !w.verifies.isEmpty {   // each validator runs two checks at a time
            for v in w.verifies { #expect(servers[v.spec.modelID]?.contains(v.node) == true, "checked on a node not serving the model") }
            checked += w.verifies.count
            w.finishVerifies(); w.deliver()
        }
        #expect(checked == 6)
        for (id, model) in jobs {
            #expect(w.instances[w["R"]]!.jobPhase(id) == "completed")
            #expect(w.instances[w["R"]]!.request(id)?.modelID == model)
        }
    }

    /// Each model has its own slots: with one slot per model, a node runs a job of each model
    /// at once while a second job of the same model waits its turn.
    @Test func eachModelRunsWithinItsOwnSlots() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.addOffering("C", seed: 4, [Self.offer(Self.a, price: 10, slots: 1), Self.offer(Self.b, price: 10, slots: 1)])
        w.meshPeers()
        _ = w.submit(from: "R", maxPrice: 20, prompt: "a1", model: Self.a)
        _ = w.submit(from: "R", maxPrice: 20, prompt: "a2", model: Self.a)
        _ = w.submit(from: "R", maxPrice: 20, prompt: "b1", model: Self.b)
        w.runAuction()
        #expect(w.runs.map(\.spec.modelID).sorted() == [Self.a, Self.b].sorted())
        w.finishRuns(); w.deliver()
        #expect(w.runs.map(\.spec.modelID) == [Self.a])   // the waiting job of model a starts
    }

    /// Bids carry the price of the model asked for, and a request above a model's price
    /// limit gets no bid from that model's offer even when another model is cheaper.
    @Test func bidsCarryEachModelsPrice() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.addOffering("C", seed: 4, [Self.offer(Self.a, price: 10), Self.offer(Self.b, price: 30)])
        w.meshPeers()
        _ = w.submit(from: "R", maxPrice: 20, prompt: "a", model: Self.a)
        _ = w.submit(from: "R", maxPrice: 40, prompt: "b", model: Self.b)
        w.deliver(where: { $0.type == .jobRequest })
        let bids = w.inbox.filter { $0.type == .bid }.compactMap { try? Market.Signed<Market.Bid>(envelope: $0.envelope).body }
        #expect(bids.map(\.pricePer1k).sorted() == [10, 30])
        _ = w.submit(from: "R", maxPrice: 20, prompt: "b, too cheap", model: Self.b)
        let before = w.inbox.filter { $0.type == .bid }.count
        w.deliver(where: { $0.type == .jobRequest })
        #expect(w.inbox.filter { $0.type == .bid }.count == before)
    }

    /// A model retired at runtime finishes the job it holds (delivered, checked, paid), takes
    /// no new job or check of that model, declines an award of a bid it made before, and is
    /// dropped once it holds nothing; the other model is served throughout.
    @Test func aRetiredModelFinishesWhatItHoldsAndTakesNothingNew() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.addOffering("C", seed: 4, [Self.offer(Self.a, price: 10), Self.offer(Self.b, price: 10)])
        w.addOffering("B", seed: 3, [Self.offer(Self.b, price: 15)])
        w.meshPeers()
        let held = w.submit(from: "R", maxPrice: 20, prompt: "held", model: Self.b)
        w.runAuction()
        #expect(w.runs.map(\.node) == [w["C"]])
        // A second job of model b gets C's bid, then C retires b before the award arrives.
        let late = w.submit(from: "R", maxPrice: 20, prompt: "late", model: Self.b)
        w.deliver(where: { $0.type == .jobRequest })
        let retired = w.instances[w["C"]]!.retire(model: Self.b, now: w.now)
        #expect(retired)
        #expect(w.instances[w["C"]]!.heldWork(model: Self.b) == 1)
        #expect(w.instances[w["C"]]!.settings.provider?.models == [Self.a])
        w.runAuction()
        // The held job still runs to its end and is paid.
        w.finishRuns(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(held) == "completed")
        #expect(w.instances[w["C"]]!.heldWork(model: Self.b) == 0)
        // The late job went to B (C declined or was outbid), and completes.
        w.advance(to: w.now + 2_500); w.deliver()
        w.finishRuns(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(late) == "completed")
        #expect(w.receipts(of: "R").contains { $0.jobID == late && $0.provider == w["B"] })
        // Retired, C rejects new requests and checks of b; model a is still served.
        let newer = w.submit(from: "R", maxPrice: 20, prompt: "newer", model: Self.b)
        w.runAuction()
        #expect(!w.runs.contains { $0.node == w["C"] })
        w.finishRuns(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(newer) == "completed")
        let other = w.submit(from: "R", maxPrice: 20, prompt: "a", model: Self.a)
        w.runAuction()
        #expect(w.runs.map(\.node) == [w["C"]])
        w.finishRuns(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(other) == "completed")
        // Dropped: the profile has model a only; no provider's standing changed for any of it.
        var profile = w.instances[w["C"]]!.settings.provider!
        profile.offers.removeAll { $0.modelID == Self.b }
        _ = w.instances[w["C"]]!.updateProvider(profile, now: w.now)
        #expect(w.instances[w["C"]]!.settings.provider?.offers.map(\.modelID) == [Self.a])
        #expect(w.instances.values.allSatisfy { i in [w["B"], w["C"]].allSatisfy { i.state.reputation.standing(of: $0).timeouts == 0 } })
    }

    /// A verified job whose only possible validator stops serving the model while checking it
    /// is not held until its deadline: after one validation timeout with nobody left to ask,
    /// the proven result is paid and delivered unattested ("could not check" is not "failed"),
    /// and nobody's standing changes.
    @Test func aResultNobodyIsLeftToCheckIsDeliveredAfterOneValidationTimeout() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.addOffering("P", seed: 2, [Self.offer(Self.b, price: 10)])
        w.addOffering("V", seed: 3, [Self.offer(Self.a, price: 10), Self.offer(Self.b, price: 30)])
        w.meshPeers()
        let deadline = w.now + 600_000
        let job = w.submit(from: "R", level: 1, maxPrice: 40, deadline: deadline, model: Self.b)
        w.runAuction()
        #expect(w.runs.map(\.node) == [w["P"]])
        w.finishRuns(); w.deliver()
        #expect(w.verifies.map(\.node) == [w["V"]])
        // V stops serving model b before it answers (its check is dropped), and says so.
        w.verifies.removeAll()
        _ = w.instances[w["V"]]!.retire(model: Self.b, now: w.now)
        var profile = w.instances[w["V"]]!.settings.provider!
        profile.offers.removeAll { $0.modelID == Self.b }
        _ = w.instances[w["V"]]!.updateProvider(profile, now: w.now)
        w.meshPeers()
        let settings = Market.Settings()
        w.advance(to: w.now + settings.validationTimeout); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "verifying")   // one timeout for a validator to come back
        w.advance(to: w.now + settings.validationTimeout); w.deliver()
        #expect(w.now < deadline)
        #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
        #expect(w.instances[w["R"]]!.stats.unchecked == 1)
        let done = w.notes(of: "R").compactMap { n -> [PublicKey]? in
            if case .jobCompleted(let id, _, _, _, let verifiedBy) = n, id == job { return verifiedBy }
            return nil
        }
        #expect(done == [[]])
        #expect(w.receipts(of: "R").filter { $0.jobID == job && $0.outcome == .paid }.count == 1)
        for i in w.instances.values {
            for node in [w["P"], w["V"]] {
                let s = i.state.reputation.standing(of: node)
                #expect(s.fails == 0 && s.timeouts == 0)
            }
        }
    }

    /// A model added at runtime is bid on at once.
    @Test func aModelAddedAtRuntimeIsServed() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.addOffering("C", seed: 4, [Self.offer(Self.a, price: 10)])
        w.meshPeers()
        var profile = w.instances[w["C"]]!.settings.provider!
        profile.offers.append(Self.offer(Self.b, price: 10))
        _ = w.instances[w["C"]]!.updateProvider(profile, now: w.now)
        w.meshPeers()
        let job = w.submit(from: "R", maxPrice: 20, model: Self.b)
        w.runAuction()
        #expect(w.runs.map(\.spec.modelID) == [Self.b])
        w.finishRuns(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
    }
}
