import AgoraJob
import AgoraCrypto
import AgoraWire
import Testing
@testable import AgoraMarket

/// The provider's and validator's transitions, the requester's credit check, and facts
/// from other nodes' ledgers.
@Suite struct MarketRoleTransitionTests {
    static func providerPhase(_ w: MarketWorld, _ name: String) -> Market.ProviderJob.Phase? {
        w.instances[w[name]]!.state.provided.values.first?.phase
    }

    /// bid → running → appending → delivered, then a cancel is refused as too late.
    @Test func providerPhasesThroughDelivery() throws {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.meshPeers()
        _ = w.submit(from: "R")
        w.deliver { $0.type == .jobRequest }
        #expect(Self.providerPhase(w, "P1") == .bid)
        w.runAuction()
        #expect(Self.providerPhase(w, "P1") == .running)
        let run = w.runs.removeFirst()
        #expect(run.spec.request.parameters.maxTokens == 16 && run.spec.request.parameters.isGreedy)
        // Appending is asynchronous in a node: hold the ledger answer to see the phase.
        let out = Market.ExecutionOutput(tokens: [1, 2, 3], text: FakeEngine.text([1, 2, 3]), fingerprint: [], startedAt: w.now, finishedAt: w.now)
        let ds = w.instances[w["P1"]]!.handle(.executionFinished(run.spec.key, out), now: w.now)
        #expect(Self.providerPhase(w, "P1") == .appending)
        guard case .appendLedger(let a)? = ds.first, ds.count == 1 else { Issue.record("expected one append, got \(ds)"); return }
        #expect(a.kind == .result && a.ticket == .result(run.spec.key))
        let record = try Market.ResultRecord(wireBytes: a.body)
        #expect(record.outputTokenCount == 3 && record.credits == 1 && record.provider == w["P1"])
        w.apply(ds, at: w["P1"])
        #expect(Self.providerPhase(w, "P1") == .delivered)
        #expect(w.instances[w["P1"]]!.state.provided.values.first?.payload == nil)   // prompt dropped
        let cancel = Market.Signed(signing: Market.Cancel(jobID: run.spec.key.jobID, requester: w["R"], provider: w["P1"], issuedAt: w.now),
                                   with: MarketWorld.identity(1))
        // A cancel after delivery (a requester that restarted and lost the result) gets the
        // job's input boxed back and the same result again, to check and pay once.
        let sent = w.inbox.filter { $0.type == .result && $0.to == w["R"] }
        #expect(sent.count == 1)
        let again = w.instances[w["P1"]]!.receive(cancel.envelope, from: w["R"], now: w.now)
        guard again.count == 2, case .send(let to0, let input) = again[0], case .send(let to, let env) = again[1] else {
            Issue.record("expected the input and the result again, got \(again)"); return
        }
        #expect(to0 == w["R"] && input.type == .reconcileInput)
        #expect(to == w["R"] && env.encoded(compress: false) == sent.first?.envelope)
    }

    /// A bid nobody takes expires; an award after that is refused.
    @Test func providerBidExpires() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.meshPeers()
        _ = w.submit(from: "R")
        w.deliver { $0.type == .jobRequest }
        w.take { _ in true }
        let expiry = w.timers.first { if case .bidExpiry = $0.timer { return true } else { return false } }
        #expect(expiry != nil)
        w.advance(to: expiry!.at)
        #expect(Self.providerPhase(w, "P1") == .closed)
        // Asked again in a later round, the provider bids anew on the same request.
        let request = w.instances[w["R"]]!.state.requests.values.first!.request
        let ds = w.instances[w["P1"]]!.receive(request.envelope, from: w["R"], now: w.now)
        #expect(ds.count == 2 && Self.providerPhase(w, "P1") == .bid)
    }

    /// A provider does not bid for a model it does not serve, a past deadline, a replayed
    /// request or an excluded requester; it stays silent when the price is too low or its queue is full.
    @Test func providerRefusesOrIgnoresRequests() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.meshPeers()
        let r = MarketWorld.identity(1)
        func request(_ mutate: (inout Market.JobRequest) -> Void) -> [UInt8] {
            var q = Market.JobRequest(jobID: Market.JobID(bytes: [UInt8](repeating: 1, count: 16))!, requester: r.publicKey,
                                      modelID: MarketWorld.model, promptTokens: 8, maxTokens: 16, maxPrice: 100,
                                      deadline: w.now + 60_000, verificationLevel: 0, issuedAt: w.now)
            mutate(&q)
            return Market.Signed(signing: q, with: r).envelope
        }
        MarketBadInputTests.expectRejected(w, request { $0.modelID = MarketWorld.otherModel }, from: r.publicKey, to: w["P1"], .invalidField)
        MarketBadInputTests.expectRejected(w, request { $0.deadline = w.now }, from: r.publicKey, to: w["P1"], .expired)
        MarketBadInputTests.expectRejected(w, request { _ in }, from: w["P1"], to: w["P1"], .wrongParty)
        #expect(w.instances[w["P1"]]!.receive(request { $0.maxPrice = 5 }, from: r.publicKey, now: w.now).isEmpty)
        #expect(w.instances[w["P1"]]!.receive(request { $0.deadline = w.now + 10 }, from: r.publicKey, now: w.now).isEmpty)
        let fresh = request { _ in }
        #expect(w.instances[w["P1"]]!.receive(fresh, from: r.publicKey, now: w.now).count == 2)   // bid + expiry timer
        MarketBadInputTests.expectRejected(w, fresh, from: r.publicKey, to: w["P1"], .replay)
        w.apply(w.instances[w["P1"]]!.handle(.evidence(against: r.publicKey), now: w.now), at: w["P1"])
        MarketBadInputTests.expectRejected(w, request { $0.jobID = Market.JobID(bytes: [UInt8](repeating: 2, count: 16))! },
                                           from: r.publicKey, to: w["P1"], .excludedPeer)
    }

    /// An award beyond the provider's queue is declined as unavailable.
    @Test func fullQueueDeclinesAward() {
        let w = MarketWorld()
        var s = MarketWorld.windowSettings
        s.bidFanout = 1
        w.add("R", seed: 1, price: nil, settings: s)
        w.add("P1", seed: 2, price: 10)
        w.meshPeers()
        for k in 0..<5 { _ = w.submit(from: "R", prompt: "prompt \(k)") }
        w.deliver()                                   // five bids (queue is only counted at award time)
        w.advance(to: w.now + 250)
        w.deliver { $0.type == .award }
        #expect(w.runs.count == 4)                    // maxQueue = 4
        #expect(w.inbox.filter { $0.type == .decline }.count == 1)
    }

    /// A silent validator is replaced by another; the answer of the replaced one still counts if it comes.
    @Test func validatorTimeoutAsksAnother() {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("V1", seed: 4, price: 50)
        w.add("V2", seed: 5, price: 60)
        w.meshPeers()
        let job = w.submit(from: "R", level: 1, maxPrice: 20)
        w.runAuction()
        w.finishRuns(); w.deliver()
        #expect(w.verifies.count == 1)
        let first = w.verifies.removeFirst().node
        w.advance(to: w.now + Market.Settings().validationTimeout)
        w.deliver()
        #expect(w.verifies.count == 1 && w.verifies.first?.node != first)
        w.finishVerifies(); w.deliver()
        #expect(w.instances[w["R"]]!.jobPhase(job) == "completed")
        #expect(w.receipts(of: "R").filter { $0.outcome == .paid }.count == 1)
    }

    /// The validator's phases: checking → appending → done, with the attestation in its ledger.
    @Test func validatorPhases() throws {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("V", seed: 4, price: 50)
        w.meshPeers()
        _ = w.submit(from: "R", level: 1, maxPrice: 20)
        w.runAuction(); w.finishRuns(); w.deliver()
        let v = w["V"]
        #expect(w.instances[v]!.state.validations.values.first?.phase == .checking)
        let spec = w.verifies.removeFirst().spec
        let ds = w.instances[v]!.handle(.verificationFinished(ticket: spec.ticket, .pass), now: w.now)
        #expect(w.instances[v]!.state.validations.values.first?.phase == .appending)
        w.apply(ds, at: v)
        #expect(w.instances[v]!.state.validations.values.first?.phase == .done)
        let bodies = w.ledgers[v]!.bodies
        #expect(bodies.count == 1 && bodies[0].kind == Market.LedgerKind.attestation.rawValue)
        #expect(try Market.Attestation(wireBytes: bodies[0].body).verdict == .pass)
        #expect(w.instances[v]!.stats.attestations == 1)
        // A late second verdict for the same ticket changes nothing.
        let before = w.instances[v]!.state
        #expect(w.instances[v]!.handle(.verificationFinished(ticket: spec.ticket, .fail(.tokenMismatch, position: 0)), now: w.now).isEmpty)
        #expect(w.instances[v]!.state == before)
    }

    /// A requester cannot spend more credits than it holds minus what open jobs reserve.
    @Test func submitNeedsCredits() {
        let w = MarketWorld()
        var s = MarketWorld.windowSettings
        s.initialGrant = 3
        w.add("R", seed: 1, price: nil, settings: s)
        w.add("P1", seed: 2, price: 10)
        w.meshPeers()
        let ok = w.instances[w["R"]]!.submit(Market.JobSubmission(modelID: MarketWorld.model, request: FakeEngine.request("a", maxTokens: 100), promptTokens: 1,
                                                                 maxPrice: 20, deadline: w.now + 1_000), now: w.now)
        guard case .success = ok else { Issue.record("first job should fit the grant"); return }
        let second = w.instances[w["R"]]!.submit(Market.JobSubmission(modelID: MarketWorld.model, request: FakeEngine.request("a", maxTokens: 100), promptTokens: 1,
                                                                     maxPrice: 20, deadline: w.now + 1_000), now: w.now)
        guard case .failure(let r) = second else { Issue.record("second job exceeds the grant"); return }
        #expect(r.reason == .invalidField && r.context.contains("credits"))
        let past = w.instances[w["R"]]!.submit(Market.JobSubmission(modelID: MarketWorld.model, request: FakeEngine.request("a", maxTokens: 1), promptTokens: 1,
                                                                   maxPrice: 1, deadline: w.now), now: w.now)
        guard case .failure = past else { Issue.record("a past deadline is refused"); return }
    }

    /// Receipts from another node's verified ledger move balances and reputation once.
    @Test func observedReceiptsCountOnce() {
        let w = MarketWorld()
        w.add("X", seed: 6, price: nil)
        let r = MarketWorld.identity(1), p = MarketWorld.identity(2)
        var ledger = Market.MemoryLedger(identity: r)
        let receipt = Market.Receipt(jobID: Market.JobID(bytes: [UInt8](repeating: 3, count: 16))!, requester: r.publicKey,
                                     provider: p.publicKey, resultRecordHash: SHA256.hash([1]), outcome: .paid, credits: 7,
                                     validators: [], issuedAt: w.now)
        let proof = ledger.append(kind: Market.LedgerKind.receipt.rawValue, body: receipt.wireBytes)
        let x = w["X"]
        // Counted the first time, and remembered for a restart; the second time, neither.
        #expect(w.instances[x]!.handle(.observedEntry(proof), now: w.now) == [.remember(proof)])
        #expect(w.instances[x]!.handle(.observedEntry(proof), now: w.now).isEmpty)
        let rep = w.instances[x]!.state.reputation
        #expect(rep.balance(of: p.publicKey) == 1_000_000 + 7 && rep.balance(of: r.publicKey) == 1_000_000 - 7)
        #expect(rep.standing(of: p.publicKey).completed == 1)
        // A receipt in someone else's ledger (not the requester's own) is refused.
        var mallory = Market.MemoryLedger(identity: MarketWorld.identity(5))
        let forged = mallory.append(kind: Market.LedgerKind.receipt.rawValue, body: receipt.wireBytes)
        #expect(w.instances[x]!.handle(.observedEntry(forged), now: w.now).count == 1)
        #expect(w.instances[x]!.state.reputation == rep)
    }

    /// The in-memory ledger's RFC 9162 proofs verify at every size and break on tampering.
    @Test func memoryLedgerInclusionProofs() {
        var ledger = Market.MemoryLedger(identity: MarketWorld.identity(7))
        let verifier = Market.MemoryLedgerVerifier()
        for n in 1...33 {
            let p = ledger.append(kind: 1, body: [UInt8(n)])
            guard case .verified(let e) = verifier.verify(p) else { Issue.record("size \(n) does not verify"); continue }
            #expect(e.body == [UInt8(n)] && e.kind == 1 && e.ledger == MarketWorld.identity(7).publicKey)
            var bad = p
            if bad.proof.count > 9 { bad.proof[bad.proof.count - 1] ^= 1 } else { bad.entry[3] ^= 1 }
            if case .verified = verifier.verify(bad) { Issue.record("tampered proof at size \(n) verifies") }
        }
        #expect(Market.Merkle.verifyInclusion(leaf: SHA256.hash([1]), index: 5, size: 5, path: [], root: SHA256.hash([1])) == false)
    }
}
