import AgoraCrypto
import AgoraJob
import AgoraWire
import Testing
@testable import AgoraMarket

/// Issue [2/5], must-show 2 (core): the job's rules (stop, logprobs, grammar) reach the
/// provider and the validator exactly as the requester signed them, the provider's logprobs
/// reach the validator as the provider committed to them, and a provider that breaks a rule
/// is caught, unpaid, and the job is served by another.
@Suite struct JobRulesCheckTests {
    static func world() -> MarketWorld {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("P2", seed: 3, price: 20)
        w.add("V", seed: 4, price: 50)
        w.meshPeers()
        return w
    }

    static func submit(_ w: MarketWorld, _ parameters: SamplingParameters) -> Market.JobID {
        let request = GenerationRequest(prompt: .chat([ChatMessage(role: "user", content: "rules")]), parameters: parameters)
        let s = Market.JobSubmission(modelID: MarketWorld.model, request: request, promptTokens: 8, maxPrice: 100,
                                     deadline: w.now + 60_000, verificationLevel: 1)
        guard case .success(let sub) = w.instances[w["R"]]!.submit(s, now: w.now) else { fatalError("submit refused") }
        w.apply(sub.directives, at: w["R"])
        return sub.jobID
    }

    static let rules: [(FakeEngine.Lie, SamplingParameters)] = [
        (.ignoreStop, SamplingParameters(temperature: 0, topK: 0, topP: 1, seed: 3, maxTokens: 32, stop: ["7"])),
        (.alterLogprobs, SamplingParameters(temperature: 0.8, topK: 40, topP: 0.9, seed: 5, maxTokens: 16, topLogprobs: 3)),
        (.ignoreGrammar, SamplingParameters(temperature: 0, topK: 0, topP: 1, seed: 0, maxTokens: 16, grammar: "root ::= [a-z]+")),
    ]

    @Test(arguments: 0..<3)
    func aProviderBreakingTheJobsRulesIsCaught(_ k: Int) {
        let (lie, parameters) = Self.rules[k]
        let w = Self.world()
        let job = Self.submit(w, parameters)
        w.runAuction()
        let run = try! #require(w.runs.first)
        #expect(run.node == w["P1"])
        // The provider runs exactly the job the requester signed.
        #expect(run.spec.request.parameters == (try! GenerationRequest(prompt: .chat([ChatMessage(role: "user", content: "rules")]),
                                                                        parameters: parameters).canonicalized()).parameters)
        w.finishRuns(lie: (w["P1"], lie)); w.deliver()
        #expect(w.verifies.count == 1)
        // The validator sees the same rules, and the logprobs the provider committed to.
        #expect(w.verifies.first?.spec.request == run.spec.request)
        w.finishVerifies(); w.deliver()
        // A second validator confirms the failure before the provider is caught.
        #expect(w.verifies.count == 1)
        w.finishVerifies(); w.deliver()
        let caught = w.notes(of: "R").contains { if case .providerCaught(w["P1"], _, _) = $0 { return true } else { return false } }
        #expect(caught)
        #expect(w.receipts(of: "R").map(\.outcome) == [.failedVerification])
        #expect(w.runs.first?.node == w["P2"])
        w.finishRuns(); w.deliver(); w.finishVerifies(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
        let delivered = w.notes(of: "R").compactMap { n -> Market.OutputPayload? in
            if case .jobCompleted(job, _, let out, _, _) = n { return out } else { return nil }
        }
        let expected = FakeEngine.run(model: MarketWorld.model, run.spec.request)
        #expect(delivered.first?.tokens == expected.0 && delivered.first?.logprobs == expected.1)
        #expect(w.receipts(of: "R").filter { $0.outcome == .paid }.first?.provider == w["P2"])
    }

    @Test func honestResultsUnderEveryRulePass() {
        for (_, parameters) in Self.rules {
            let w = Self.world()
            let job = Self.submit(w, parameters)
            w.runAuction()
            w.finishRuns(); w.deliver(); w.finishVerifies(); w.deliver()
            #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
            #expect(w.receipts(of: "R").map(\.outcome) == [.paid])
        }
    }

    /// A requester cannot frame a provider by showing the validator other logprobs: they are
    /// covered by the provider's signed commitment, so the validator refuses the request.
    @Test func logprobsShownToTheValidatorMustBeTheProvidersOwn() throws {
        let w = Self.world()
        _ = Self.submit(w, Self.rules[1].1)
        w.runAuction()
        w.finishRuns()
        w.deliver { $0.type == .result }
        let vrMsg = try #require(w.take { $0.type == .verifyRequest }.first)
        let vr = try Market.Signed<Market.VerifyRequest>(envelope: vrMsg.envelope)
        let validator = try #require([w["P2"], w["V"]].first { $0 == vr.body.validator })
        let seed = validator == w["P2"] ? 3 : 4
        let p = try Market.VerifyPayload(wireBytes: SealedBox.open(vr.body.sealedPayload, with: MarketWorld.identity(UInt8(seed))))
        #expect(!p.logprobs.isEmpty && p.logprobs.count == p.tokens.count)
        var forged = p.logprobs
        forged[0].logprob -= 1
        let lie = Market.VerifyPayload(promptSalt: p.promptSalt, request: p.request, outputSalt: p.outputSalt, tokens: p.tokens,
                                       text: p.text, logprobs: forged)
        let sealed = SealedBox.seal(lie.wireBytes, to: MarketWorld.identity(UInt8(seed)).x25519PublicKey)
        let lying = Market.VerifyRequest(jobID: vr.body.jobID, requester: w["R"], validator: validator, record: vr.body.record,
                                         entryProof: vr.body.entryProof, sealedPayload: sealed, issuedAt: w.now)
        MarketBadInputTests.expectRejected(w, MarketBadInputTests.resign(lying, 1), from: w["R"], to: validator, .hashMismatch)
    }
}
