import AgoraCrypto
import Testing
@testable import AgoraMarket

/// The requester's check policy (`Market.CheckPolicy`): under `.exactRequired` a verified job
/// goes only to a provider that validators of its own arithmetic class can check exactly,
/// and only those validators are asked.
@Suite struct MarketCheckPolicyTests {
    static let a = [UInt8](repeating: 0xA1, count: 16)
    static let b = [UInt8](repeating: 0xB2, count: 16)
    static let rare = [UInt8](repeating: 0xEE, count: 16)

    static func settings(_ policy: Market.CheckPolicy) -> Market.Settings {
        var s = MarketWorld.windowSettings
        s.checkPolicy = policy
        return s
    }

    /// Delivers messages and fires timers in steps until `t`.
    static func run(_ w: MarketWorld, until t: Market.Millis, step: Market.Millis = 250) {
        while w.now < t {
            w.deliver()
            w.advance(to: Swift.min(t, w.now + step))
        }
        w.deliver()
    }

    static func awards(_ w: MarketWorld, to node: PublicKey) -> Int {
        w.delivered.filter { $0.type == .award && $0.to == node }.count
    }

    /// (a) The cheapest provider, of a class nobody else has, is never awarded a level-1 job
    /// while a dearer one with a validator of its class is; its standing is untouched.
    @Test func aRareClassProviderIsNeverAwardedAVerifiedJob() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil, settings: Self.settings(.exactRequired))
        w.add("Rare", seed: 2, price: 5)
        w.add("P", seed: 3, price: 10)
        w.add("V", seed: 4, price: 50)
        w.meshPeers(classes: ["Rare": Self.rare, "P": Self.a, "V": Self.a])
        let before = w.instances[w["R"]]!.state.reputation.score(of: w["Rare"])
        for n in 0..<4 {
            let job = w.submit(from: "R", level: 1, prompt: "question \(n)")
            w.runAuction()
            w.finishRuns(); w.deliver()
            #expect(w.verifies.map(\.node) == [w["V"]], "job \(n)")
            w.finishVerifies(); w.deliver()
            #expect(w.instances[w["R"]]!.jobPhase(job) == "completed", "job \(n)")
            w.verifies.removeAll()
        }
        #expect(Self.awards(w, to: w["Rare"]) == 0)
        #expect(Self.awards(w, to: w["P"]) == 4)
        #expect(w.delivered.contains { $0.type == .bid && $0.from == w["Rare"] })  // it did bid
        let r = w.instances[w["R"]]!.state.reputation
        #expect(r.score(of: w["Rare"]) == before)
        #expect(r.standing(of: w["Rare"]).fails == 0)
        #expect(w.receipts(of: "R").allSatisfy { $0.provider != w["Rare"] })
    }

    /// (b) With only providers no validator can check exactly (a rare class each, or none),
    /// the job waits for capacity and fails at its deadline, saying why.
    @Test func onlyUncheckableProvidersFailAtTheDeadlineWithNoExactValidator() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil, settings: Self.settings(.exactRequired))
        w.add("P1", seed: 2, price: 10)
        w.add("P2", seed: 3, price: 10)
        w.add("P3", seed: 4, price: 10)
        w.add("P4", seed: 5, price: 10)
        // P3 and P4 advertise no class: they cannot be checked exactly by anyone either.
        w.meshPeers(classes: ["P1": Self.rare, "P2": Self.a])
        let deadline = w.now + 10_000
        let job = w.submit(from: "R", level: 1, deadline: deadline)
        Self.run(w, until: deadline + 1)
        #expect(w.delivered.contains { $0.type == .bid })
        #expect(!w.delivered.contains { $0.type == .award })
        #expect(w.instances[w["R"]]!.jobPhase(job) == "failed")
        #expect(w.notes(of: "R").contains(.jobFailed(job, .noExactValidator)))
        let r = w.instances[w["R"]]!.state.reputation
        for p in ["P1", "P2", "P3", "P4"] { #expect(r.standing(of: w[p]).timeouts == 0 && r.standing(of: w[p]).fails == 0) }
    }

    /// A job nobody bids on still fails with `noBids`.
    @Test func noBidsStaysNoBids() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil, settings: Self.settings(.exactRequired))
        w.add("P", seed: 2, price: 10)
        w.meshPeers()
        let deadline = w.now + 5_000
        let job = w.submit(from: "R", level: 1, deadline: deadline)
        w.take { $0.to == w["P"] }
        w.advance(to: deadline + 1)
        #expect(w.notes(of: "R").contains(.jobFailed(job, .noBids)))
    }

    /// (c) Validators asked, at first and again after timeouts, are all of the provider's
    /// class, though validators of another class are free.
    @Test func validatorsAskedAreAllOfTheProvidersClass() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil, settings: Self.settings(.exactRequired))
        w.add("P", seed: 2, price: 10)
        w.add("V1", seed: 3, price: 50)
        w.add("V2", seed: 4, price: 50)
        for (i, n) in ["B1", "B2", "B3"].enumerated() { w.add(n, seed: UInt8(10 + i), price: 60) }
        w.meshPeers(classes: ["P": Self.a, "V1": Self.a, "V2": Self.a, "B1": Self.b, "B2": Self.b, "B3": Self.b])
        let job = w.submit(from: "R", level: 2)
        w.runAuction()
        #expect(Self.awards(w, to: w["P"]) == 1)
        w.finishRuns(); w.deliver()
        // The validators never answer: every retry asks one of the class again, never a B.
        Self.run(w, until: w.now + 45_000, step: 1_000)
        let asked = Set(w.delivered.filter { $0.type == .verifyRequest }.map(\.to))
        #expect(asked == [w["V1"], w["V2"]])
        #expect(w.delivered.filter { $0.type == .verifyRequest }.count > 2)
        w.finishVerifies(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
    }

    /// The requester never counts itself as a validator of the provider's class: with no
    /// third node of the class, it serves its own job (which needs no check) rather than
    /// award a cheaper provider nobody else could check.
    @Test func theRequesterIsNotCountedAsAValidator() {
        let w = MarketWorld()
        w.add("A", seed: 1, price: 50, settings: Self.settings(.exactRequired))
        w.add("P", seed: 2, price: 10)
        w.meshPeers()
        let job = w.submit(from: "A", level: 1)
        w.runAuction()
        #expect(w.runs.count == 1 && w.runs.first?.node == w["A"])
        w.finishRuns(); w.deliver()
        #expect(w.instances[w["A"]]!.jobPhase(job) == "completed")
        #expect(Self.awards(w, to: w["P"]) == 0)
    }

    /// (d) Under `.exactPreferred` the cheaper rare-class provider loses to one validators can
    /// check exactly (a rare class buys no tolerant check while an exact one is at hand); bidding
    /// alone it wins, and is checked by a validator of another class (a tolerant check).
    @Test func exactPreferredTakesARareClassOnlyWhenNoCheckableProviderBids() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil, settings: Self.settings(.exactPreferred))
        w.add("Rare", seed: 2, price: 5)
        w.add("P", seed: 3, price: 10)
        w.add("V", seed: 4, price: 50)
        w.meshPeers(classes: ["Rare": Self.rare, "P": Self.a, "V": Self.a])
        let first = w.submit(from: "R", level: 1)
        w.runAuction()
        #expect(Self.awards(w, to: w["Rare"]) == 0 && Self.awards(w, to: w["P"]) == 1)
        w.finishRuns(); w.deliver()
        w.finishVerifies(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(first) == "completed")
        // P and V gone: the rare-class provider is the only bidder, and is taken.
        w.instances[w["P"]] = nil
        w.instances[w["V"]] = nil
        w.add("V2", seed: 5, price: 50)
        w.meshPeers(classes: ["Rare": Self.rare, "V2": Self.a])
        let job = w.submit(from: "R", level: 1)
        w.runAuction()
        #expect(Self.awards(w, to: w["Rare"]) == 1)
        w.finishRuns(); w.deliver()
        #expect(w.verifies.count == 1 && w.verifies.allSatisfy { $0.node == w["V2"] })
        w.finishVerifies(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
    }

    /// A class is per model: a node that runs one model in a class validators share and another
    /// in a class nobody shares (a model the portable definition does not cover, on a rare CPU)
    /// is exactly checkable for the first only; for the second a provider whose class for that
    /// model validators share is preferred, and the validator of that class is asked.
    @Test func theClassThatCountsIsTheOneOfTheJobsModel() {
        let other = SHA256.hash(Array("model-q".utf8))
        func offers(_ price: UInt64) -> [Market.ModelProfile] {
            [MarketWorld.model, other].map { Market.ModelProfile(modelID: $0, pricePer1k: price, prefillTokensPerSecond: 400,
                                                                 decodeTokensPerSecond: 100) }
        }
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil, settings: Self.settings(.exactPreferred))
        w.addOffering("Mixed", seed: 2, offers(5))
        w.addOffering("P", seed: 3, offers(10))
        w.addOffering("V", seed: 4, offers(50))
        let classes: [String: [Digest: [UInt8]]] = [
            "Mixed": [MarketWorld.model: Self.a, other: Self.rare],
            "P": [MarketWorld.model: Self.a, other: Self.b],
            "V": [MarketWorld.model: Self.a, other: Self.b],
        ]
        let peers = classes.map { name, cls in
            Market.PeerInfo(nodeID: w[name], models: [MarketWorld.model, other], pricePer1k: 0, classes: cls)
        }
        for k in w.instances.keys { w.instances[k]!.updatePeers(peers) }
        #expect(peers.first { $0.nodeID == w["Mixed"] }?.arithmeticClass(of: other) == Self.rare)
        // The other model's job: Mixed, cheapest, runs it in a class nobody shares; P is taken.
        let q = w.submit(from: "R", level: 1, model: other)
        w.runAuction()
        #expect(Self.awards(w, to: w["Mixed"]) == 0 && Self.awards(w, to: w["P"]) == 1)
        w.finishRuns(); w.deliver()
        #expect(w.verifies.map(\.node) == [w["V"]] && w.verifies.first?.spec.providerClass == Self.b)
        w.finishVerifies(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(q) == "completed")
        w.verifies.removeAll()
        // The default model's job: Mixed's class for it is shared, and it wins on price.
        let m = w.submit(from: "R", level: 1)
        w.runAuction()
        #expect(Self.awards(w, to: w["Mixed"]) == 1)
        w.finishRuns(); w.deliver()
        #expect(w.verifies.first?.spec.providerClass == Self.a)
        w.finishVerifies(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(m) == "completed")
    }

    /// (e) A level-0 job ignores the policy: the cheapest provider wins whatever its class.
    @Test func levelZeroIgnoresThePolicy() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil, settings: Self.settings(.exactRequired))
        w.add("Rare", seed: 2, price: 5)
        w.add("P", seed: 3, price: 10)
        w.meshPeers(classes: ["Rare": Self.rare, "P": Self.a])
        let job = w.submit(from: "R", level: 0)
        w.runAuction()
        #expect(Self.awards(w, to: w["Rare"]) == 1)
        w.finishRuns(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
    }

    /// A provider that advertises another class after its award than the one it was awarded
    /// under has its result refused (the validators of its old class would not check it
    /// exactly); nothing is paid or checked.
    @Test func aResultAfterAClassChangeIsRejected() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil, settings: Self.settings(.exactRequired))
        w.add("P", seed: 2, price: 10)
        w.add("V", seed: 3, price: 50)
        w.meshPeers(classes: ["P": Self.a, "V": Self.a])
        let job = w.submit(from: "R", level: 1)
        w.runAuction()
        #expect(Self.awards(w, to: w["P"]) == 1)
        w.meshPeers(classes: ["P": Self.rare, "V": Self.a])
        let rejectedBefore = w.instances[w["R"]]!.stats.rejections(.classChanged)
        w.finishRuns(); w.deliver()
        #expect(w.instances[w["R"]]!.stats.rejections(.classChanged) == rejectedBefore + 1)
        #expect(w.rejections.contains { $0.node == w["R"] && $0.rejection.reason == .classChanged })
        #expect(w.instances[w["R"]]!.jobPhase(job) == "awarded")
        #expect(w.verifies.isEmpty)
        #expect(w.receipts(of: "R").isEmpty)
    }
}
