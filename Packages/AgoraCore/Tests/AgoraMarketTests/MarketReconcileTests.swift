import AgoraCrypto
import AgoraWire
import Testing
@testable import AgoraMarket

/// Issue [4/5]: a requester (a gateway) killed with jobs in flight reconciles them when it
/// comes back, from its job journal: a provider that had delivered sends its result again and
/// is paid once; one still running is told to stop; nothing is paid twice.
@Suite struct MarketReconcileTests {
    /// The requester R as it starts again: same key, no memory but its journal.
    static func restarted(_ w: MarketWorld) -> Market.Instance {
        var r = Market.Instance(identity: MarketWorld.identity(1), settings: w.instances[w["R"]]!.settings,
                                verifier: Market.MemoryLedgerVerifier(), randomSeed: [1, 0xCC])
        r.updatePeers(w.instances[w["R"]]!.state.peers)
        return r
    }

    /// A requester R and a provider P; one job, awarded to P and running there.
    static func awardedJob() -> (MarketWorld, Market.JobID) {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P", seed: 2, price: 10)
        w.meshPeers()
        let job = w.submit(from: "R")
        w.runAuction()
        return (w, job)
    }

    @Test func aDeliveredResultIsPaidOnceAfterTheRequesterRestarts() {
        let (w, job) = Self.awardedJob()
        w.finishRuns()
        // R dies before the result reaches it.
        let lost = w.take { $0.to == w["R"] && $0.type == .result }
        #expect(lost.count == 1)
        #expect(Market.JournalRecord.open(w.journals[w["R"]] ?? []).keys.contains(job))
        w.instances[w["R"]] = Self.restarted(w)
        w.apply(w.instances[w["R"]]!.reconcile(w.journals[w["R"]] ?? [], now: w.now), at: w["R"])
        #expect(w.inbox.contains { $0.type == .cancel && $0.to == w["P"] })
        w.deliver()
        // Held a little (validators' verdicts may still arrive), then paid.
        #expect(w.receipts(of: "R").isEmpty)
        w.advance(to: w.now + Market.Instance.reconcileVerdictWait)
        w.deliver()
        let paid = w.receipts(of: "R").filter { $0.outcome == .paid }
        #expect(paid.count == 1 && paid.first?.jobID == job && paid.first?.provider == w["P"])
        #expect(w.notes(of: "R").contains { if case .jobReconciled(job, _, let c?) = $0 { return c > 0 } else { return false } })
        #expect(Market.JournalRecord.open(w.journals[w["R"]] ?? []).isEmpty, "the job is closed in the journal")
        // The provider counted its pay.
        #expect(w.instances[w["P"]]!.state.reputation.balance(of: w["P"]) > Int64(Market.Settings().initialGrant))
        // The old result arriving late, or again, pays nothing more.
        for m in lost { w.apply(w.instances[w["R"]]!.receive(m.envelope, from: m.from, now: w.now), at: w["R"]) }
        w.apply(w.instances[w["R"]]!.reconcile(w.journals[w["R"]] ?? [], now: w.now), at: w["R"])
        w.deliver()
        #expect(w.receipts(of: "R").filter { $0.outcome == .paid }.count == 1)
    }

    /// A lie the validators failed while its requester was down is not paid when its provider
    /// sends it again: the verdicts reach the restarted requester (as the warnings a member gets
    /// when it comes back), two failures catch the provider, and nothing is paid.
    @Test func aResultValidatorsFailedWhileTheRequesterWasDownIsNotPaid() {
        let w = MarketWorld.requesterProviderAndTwoValidators()
        let job = w.submit(from: "R", level: 2)
        w.runAuction()
        #expect(w.runs.map(\.node) == [w["P"]])
        w.finishRuns(cheat: w["P"]); w.deliver()
        #expect(Set(w.verifies.map(\.node)) == [w["V1"], w["V2"]])
        w.finishVerifies()
        // R dies before the verdicts reach it; they come to the restarted R later.
        let verdicts = w.take { $0.to == w["R"] && $0.type == .attestation }
        #expect(Set(verdicts.map(\.from)) == [w["V1"], w["V2"]])   // sent, and gossiped
        #expect(w.receipts(of: "R").isEmpty)
        w.instances[w["R"]] = Self.restarted(w)
        w.apply(w.instances[w["R"]]!.reconcile(w.journals[w["R"]] ?? [], now: w.now), at: w["R"])
        w.deliver()   // the cancel; P, which delivered, sends its result again
        for m in verdicts { w.apply(w.instances[w["R"]]!.receive(m.envelope, from: m.from, now: w.now), at: w["R"]) }
        w.advance(to: w.now + Market.Instance.reconcileVerdictWait)
        let receipts = w.receipts(of: "R").filter { $0.jobID == job }
        #expect(!receipts.contains { $0.outcome == .paid }, "\(receipts)")
        #expect(receipts.contains { $0.outcome == .failedVerification && Set($0.validators) == [w["V1"], w["V2"]] })
        #expect(Market.JournalRecord.open(w.journals[w["R"]] ?? []).isEmpty)
        #expect(w.instances[w["P"]]!.state.reputation.balance(of: w["P"]) == Int64(Market.Settings().initialGrant))
    }

    /// R, P and two validators; a job of verification level `level` whose result P delivered
    /// (honestly, or altered when `cheat`) and R never got: R restarts and reconciles.
    static func resentAfterRestart(level: UInt8, cheat: Bool, validators: Int = 2) -> (MarketWorld, Market.JobID) {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P", seed: 2, price: 10)
        for v in 0..<validators { w.add("V\(v + 1)", seed: UInt8(4 + v), price: 50) }
        w.meshPeers()
        let job = w.submit(from: "R", level: level)
        w.runAuction()
        w.finishRuns(cheat: cheat ? w["P"] : nil)
        let lost = w.take { $0.to == w["R"] && $0.type == .result }
        #expect(lost.count == 1, "nobody was asked to check it before R went down")
        w.instances[w["R"]] = restarted(w)
        w.apply(w.instances[w["R"]]!.reconcile(w.journals[w["R"]] ?? [], now: w.now), at: w["R"])
        return (w, job)
    }

    /// The hole a 20-node chaos run found: a lie its provider sent again to a restarted
    /// requester, which no validator had checked, was paid on its ledger proof alone (the
    /// requester kept no prompt to have it checked with). Now the provider returns the job's
    /// input with it; the requester checks it against the journaled prompt commitment, asks
    /// validators, and the lie is caught, not paid.
    @Test func aLieNobodyCheckedBeforeTheRestartIsCheckedAndNotPaid() {
        let (w, job) = Self.resentAfterRestart(level: 2, cheat: true)
        w.deliver()   // the cancel; P sends the input and the result again; R asks V1 and V2
        #expect(w.delivered.contains { $0.type == .reconcileInput && $0.from == w["P"] })
        #expect(Set(w.verifies.map(\.node)) == [w["V1"], w["V2"]], "R has the result checked")
        w.finishVerifies(); w.deliver()
        let receipts = w.receipts(of: "R").filter { $0.jobID == job }
        #expect(!receipts.contains { $0.outcome == .paid }, "\(receipts)")
        #expect(receipts.contains { $0.outcome == .failedVerification && Set($0.validators) == [w["V1"], w["V2"]] })
        #expect(Market.JournalRecord.open(w.journals[w["R"]] ?? []).isEmpty)
        #expect(w.instances[w["P"]]!.state.reputation.balance(of: w["P"]) == Int64(Market.Settings().initialGrant))
        w.advance(to: w.now + Market.Instance.reconcileWait + 1)
        #expect(w.receipts(of: "R").filter { $0.jobID == job }.count == 1, "settled once")
    }

    @Test func anHonestResultSentAgainIsCheckedThenPaidOnce() {
        let (w, job) = Self.resentAfterRestart(level: 2, cheat: false)
        w.deliver()
        #expect(Set(w.verifies.map(\.node)) == [w["V1"], w["V2"]])
        w.finishVerifies(); w.deliver()
        let paid = w.receipts(of: "R").filter { $0.jobID == job && $0.outcome == .paid }
        #expect(paid.count == 1 && Set(paid.first?.validators ?? []) == [w["V1"], w["V2"]], "\(paid)")
        #expect(w.notes(of: "R").contains { if case .jobReconciled(job, _, let c?) = $0 { return c > 0 } else { return false } })
        w.advance(to: w.now + Market.Instance.reconcileWait + 1)
        #expect(w.receipts(of: "R").filter { $0.jobID == job }.count == 1)
        #expect(w.instances[w["R"]]!.stats.unchecked == 0)
    }

    /// A provider that sends a verified job's result again without its input keeps it from
    /// being checked: it is not paid (and not blamed: nothing was found wrong).
    @Test func aResultSentAgainWithoutItsInputIsNotPaid() {
        let (w, job) = Self.resentAfterRestart(level: 1, cheat: false)
        w.deliver(where: { $0.type == .cancel })
        #expect(w.take { $0.type == .reconcileInput }.count == 1)
        w.deliver()
        w.advance(to: w.now + Market.Instance.reconcileVerdictWait)
        #expect(w.verifies.isEmpty)
        #expect(w.receipts(of: "R").filter { $0.jobID == job }.isEmpty)
        #expect(w.notes(of: "R").contains { if case .jobReconciled(job, _, nil) = $0 { return true } else { return false } })
        #expect(Market.JournalRecord.open(w.journals[w["R"]] ?? []).isEmpty)
    }

    /// An input that is not the one awarded (its commitment differs from the journaled one)
    /// is refused, and the result is not checked with it.
    @Test func anInputOtherThanTheAwardedOneIsRefused() throws {
        let (w, job) = Self.resentAfterRestart(level: 1, cheat: false)
        w.deliver(where: { $0.type == .cancel })
        let real = try #require(w.take { $0.type == .reconcileInput }.first)
        let body = try Market.Signed<Market.ReconcileInput>(envelope: real.envelope).body
        let other = Market.AwardPayload(promptSalt: [UInt8](repeating: 9, count: 32), request: FakeEngine.request("something else"))
        let forged = Market.ReconcileInput(jobID: job, requester: w["R"], provider: w["P"], awardHash: body.awardHash,
                                           sealedInput: try Box.seal(other.wireBytes, from: MarketWorld.identity(2), to: w["R"],
                                                                     nonce: [UInt8](repeating: 3, count: 24)))
        let before = w.instances[w["R"]]!.state
        w.apply(w.instances[w["R"]]!.receive(Market.Signed(signing: forged, with: MarketWorld.identity(2)).envelope, from: w["P"],
                                             now: w.now), at: w["R"])
        #expect(w.rejections.contains { $0.node == w["R"] && $0.rejection.reason == .hashMismatch }, "\(w.rejections)")
        #expect(w.instances[w["R"]]!.state == before, "a refused input changes nothing")
        // The real one still works.
        w.apply(w.instances[w["R"]]!.receive(real.envelope, from: w["P"], now: w.now), at: w["R"])
        w.deliver()
        #expect(w.verifies.count == 1)
    }

    /// With no validator left who could check it, a result sent again is paid after one
    /// validation timeout, as any result nobody can check ("could not check" is not "failed").
    @Test func aResultNobodyCanCheckIsPaidAfterAValidationTimeout() {
        let (w, job) = Self.resentAfterRestart(level: 1, cheat: false, validators: 0)
        w.deliver()
        #expect(w.receipts(of: "R").isEmpty)
        w.advance(to: w.now + Market.Settings().validationTimeout)
        #expect(w.receipts(of: "R").filter { $0.jobID == job && $0.outcome == .paid }.count == 1)
        #expect(w.instances[w["R"]]!.stats.unchecked == 1)
    }

    @Test func aRunningJobIsStoppedAndTheRestIsClosedUnpaid() {
        let (w, job) = Self.awardedJob()
        #expect(w.runs.count == 1)                      // P is running it when R dies
        w.instances[w["R"]] = Self.restarted(w)
        w.apply(w.instances[w["R"]]!.reconcile(w.journals[w["R"]] ?? [], now: w.now), at: w["R"])
        w.deliver()
        #expect(w.cancelledRuns.contains { $0.node == w["P"] && $0.key.jobID == job }, "the provider stops the orphaned job")
        w.advance(to: w.now + Market.Instance.reconcileWait + 1)
        #expect(w.notes(of: "R").contains { if case .jobReconciled(job, _, nil) = $0 { return true } else { return false } })
        #expect(w.receipts(of: "R").isEmpty)
        #expect(Market.JournalRecord.open(w.journals[w["R"]] ?? []).isEmpty)
    }

    @Test func aResultThatAnswersAnotherAwardIsRefused() {
        let (w, job) = Self.awardedJob()
        w.finishRuns()
        w.take { $0.to == w["R"] && $0.type == .result }
        // A journal whose award is not the one the result answers.
        let forged = (w.journals[w["R"]] ?? []).map { r -> Market.JournalRecord in
            guard case .awarded(var a) = r else { return r }
            a.awardHash = SHA256.hash([1])
            return .awarded(a)
        }
        w.instances[w["R"]] = Self.restarted(w)
        w.apply(w.instances[w["R"]]!.reconcile(forged, now: w.now), at: w["R"])
        w.deliver()
        #expect(w.receipts(of: "R").isEmpty)
        #expect(w.rejections.contains { $0.node == w["R"] && $0.rejection.reason == .hashMismatch }, "\(w.rejections)")
        #expect(w.instances[w["R"]]!.state.reconciling.keys.contains(job), "the job stays open for an answer that matches")
    }

    @Test func journalRecordsRoundTrip() throws {
        let id = Market.JobID(bytes: [UInt8](repeating: 7, count: 16))!
        let old = Market.JournalAward(jobID: id, provider: MarketWorld.identity(2).publicKey, awardHash: SHA256.hash([3]),
                                      pricePer1k: 12, maxTokens: 64)
        var full = old
        full.job = .init(modelID: SHA256.hash([4]), promptCommitment: SHA256.hash([5]), verificationLevel: 2)
        for r in [Market.JournalRecord.awarded(old), .awarded(full), .closed(jobID: id)] {
            #expect(try Market.JournalRecord(wireBytes: r.wireBytes) == r)
        }
        // A journal written before the job was kept (tag 1) still reads.
        #expect(Market.JournalRecord.awarded(old).wireBytes.first == 1 && Market.JournalRecord.awarded(full).wireBytes.first == 3)
        #expect(throws: WireError.self) { try Market.JournalRecord(wireBytes: Array(Market.JournalRecord.awarded(full).wireBytes.dropLast())) }
        #expect(throws: WireError.self) { try Market.JournalRecord(wireBytes: [9]) }
    }
}
