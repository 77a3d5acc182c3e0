import AgoraCrypto
import Testing
@testable import AgoraMarket

/// A validator that fails honest results: its word alone never takes an honest provider out
/// of the market while another validator can check, and once two others pass a result it
/// failed, it is the one whose standing falls.
@Suite struct LyingValidatorTests {
    @Test func aLyingValidatorCannotTakeAnHonestProviderOut() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P", seed: 2, price: 10)
        w.add("liar", seed: 3, price: 50)
        w.add("V2", seed: 4, price: 50)
        w.add("V3", seed: 5, price: 50)
        w.meshPeers()
        var liarAsked = 0
        for i in 0..<8 {
            let job = w.submit(from: "R", level: 1, maxPrice: 60, prompt: "job \(i)")
            w.runAuction()
            #expect(w.runs.first?.node == w["P"])
            w.finishRuns(); w.deliver()
            while !w.verifies.isEmpty {
                liarAsked += w.verifies.filter { $0.node == w["liar"] }.count
                w.finishVerifies(liar: w["liar"]); w.deliver()
            }
            #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
        }
        #expect(liarAsked > 0, "the liar was never asked (seeded choice)")
        #expect(w.receipts(of: "R").allSatisfy { $0.outcome == .paid && $0.provider == w["P"] })
        for name in ["R", "P", "liar", "V2", "V3"] {
            let rep = w.instances[w[name]]!.state.reputation
            #expect(rep.standing(of: w["P"]).fails == 0, "\(name) holds a failure against the honest provider")
        }
        let r = w.instances[w["R"]]!.state.reputation
        #expect(r.standing(of: w["liar"]).falseAccusations == liarAsked)
        #expect(r.score(of: w["liar"]) < Market.ScoringPolicy().minReputation)
        // Once outvoted, it is not asked to check again.
        for i in 0..<6 {
            _ = w.submit(from: "R", level: 1, maxPrice: 60, prompt: "later \(i)")
            w.runAuction(); w.finishRuns(); w.deliver()
            #expect(!w.verifies.contains { $0.node == w["liar"] })
            while !w.verifies.isEmpty { w.finishVerifies(liar: w["liar"]); w.deliver() }
        }
    }

    /// A failure still waiting for a second opinion when the job's deadline comes: the result
    /// is neither paid nor delivered, and the provider is not blamed on one word.
    @Test func aDisputedResultAtTheDeadlineIsNeitherPaidNorBlamed() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P", seed: 2, price: 10)
        w.add("V1", seed: 3, price: 50)
        w.add("V2", seed: 4, price: 50)
        w.meshPeers()
        let job = w.submit(from: "R", level: 1, maxPrice: 60, deadline: w.now + 20_000)
        w.runAuction(); w.finishRuns(); w.deliver()
        guard let first = w.verifies.first else { Issue.record("no validator asked"); return }
        w.finishVerifies(liar: first.node); w.deliver()          // a failure; the other validator is asked
        #expect(w.verifies.count == 1)
        w.verifies = []                                         // its answer never comes
        w.advance(to: w.now + 20_000); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "failed")
        #expect(!w.receipts(of: "R").contains { $0.outcome == .paid })
        #expect(w.instances[w["R"]]!.state.reputation.standing(of: w["P"]).fails == 0)
    }

    /// One validator's failing attestation counts against the provider only with a second
    /// failure or the requester's receipt catching the provider on it; a pass of the same
    /// result outweighs it, and a second pass makes it a false accusation.
    @Test func verdictsOnOneResultAreTallied() throws {
        var rep = Market.Reputation(policy: Market.ReputationPolicy(), grant: 0)
        let provider = MarketWorld.identity(2).publicKey, requester = MarketWorld.identity(1).publicKey
        let (v1, v2, v3) = (MarketWorld.identity(3).publicKey, MarketWorld.identity(4).publicKey, MarketWorld.identity(5).publicKey)
        let record = SHA256.hash([1])
        let job = Market.JobID(unchecked: [UInt8](repeating: 1, count: 16))
        func attest(_ v: PublicKey, _ verdict: Market.Attestation.Verdict) {
            let a = Market.Attestation(jobID: job, requester: requester, provider: provider, validator: v, resultRecordHash: record,
                                       modelID: MarketWorld.model, verdict: verdict, issuedAt: 1)
            rep.count(attestation: a, bodyHash: SHA256.hash(a.wireBytes))
        }
        attest(v1, .fail(.tokenMismatch, position: 3))
        #expect(rep.standing(of: provider).fails == 0)         // one word alone
        let caught = Market.Receipt(jobID: job, requester: requester, provider: provider, resultRecordHash: record,
                                    outcome: .failedVerification, credits: 0, validators: [v1], issuedAt: 2)
        rep.count(receipt: caught, bodyHash: SHA256.hash(caught.wireBytes))
        #expect(rep.standing(of: provider).fails == 1)         // the requester acted on it
        attest(v1, .pass)                                      // a second word from v1 changes nothing
        #expect(rep.standing(of: provider).fails == 1)
        attest(v2, .pass)
        #expect(rep.standing(of: provider).fails == 0 && rep.standing(of: v1).falseAccusations == 0)
        attest(v3, .pass)
        #expect(rep.standing(of: v1).falseAccusations == 1)
        #expect(rep.score(of: provider) == 6.0 / 7.0)   // (2 + 2 passes·2) / (3 + 2·2): no failure left
    }
}
