import AgoraCrypto
import AgoraWire
import Testing
@testable import AgoraMarket

/// Every kind of bad input is rejected with its reason, counted once, changes no state and
/// pays nothing.
@Suite struct MarketBadInputTests {
    /// Sets up R with a job awarded to P1 whose result is waiting in the inbox.
    static func awaitingResult(level: UInt8 = 0) -> (MarketWorld, Market.JobID, MarketWorld.Message) {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("V", seed: 4, price: 50)
        w.meshPeers()
        let job = w.submit(from: "R", level: level)
        w.runAuction()
        w.finishRuns()
        let result = w.take { $0.type == .result }[0]
        return (w, job, result)
    }

    /// Delivers `envelope` to `to` and checks the rejection, its counter and unchanged state.
    static func expectRejected(_ w: MarketWorld, _ envelope: [UInt8], from: PublicKey, to: PublicKey,
                               _ reason: Market.Rejection.Reason, sourceLocation: SourceLocation = #_sourceLocation) {
        let before = w.instances[to]!.state
        let count = w.instances[to]!.stats.rejections(reason)
        let ds = w.instances[to]!.receive(envelope, from: from, now: w.now)
        #expect(ds.count == 1, sourceLocation: sourceLocation)
        guard case .rejected(let r, _)? = ds.first else {
            Issue.record("expected a rejection, got \(ds)", sourceLocation: sourceLocation)
            return
        }
        #expect(r.reason == reason, "\(r)", sourceLocation: sourceLocation)
        #expect(!r.context.isEmpty, sourceLocation: sourceLocation)
        #expect(w.instances[to]!.stats.rejections(reason) == count + 1, sourceLocation: sourceLocation)
        #expect(w.instances[to]!.state == before, sourceLocation: sourceLocation)
    }

    static func resign<B: MarketSignedBody>(_ body: B, _ seed: UInt8) -> [UInt8] {
        Market.Signed(signing: body, with: MarketWorld.identity(seed)).envelope
    }

    @Test func malformedAndUnknownEnvelopes() {
        let (w, _, result) = Self.awaitingResult()
        Self.expectRejected(w, [0x01, 0x03], from: w["P1"], to: w["R"], .malformed)
        Self.expectRejected(w, Envelope(type: .ping, payload: []).encoded(), from: w["P1"], to: w["R"], .malformed)
        var truncated = result.envelope
        truncated.removeLast(10)
        Self.expectRejected(w, truncated, from: w["P1"], to: w["R"], .malformed)
        var wrongVersion = result.envelope
        wrongVersion[0] = 2
        Self.expectRejected(w, wrongVersion, from: w["P1"], to: w["R"], .malformed)
    }

    @Test func bidsForUnknownOrExpiredJobs() throws {
        let (w, job, _) = Self.awaitingResult()
        let r = w.instances[w["R"]]!
        let request = r.state.requests[job]!.request
        let unknown = Market.Bid(jobID: Market.JobID(bytes: [UInt8](repeating: 9, count: 16))!, requestHash: request.digest,
                                 provider: w["V"], requester: w["R"], pricePer1k: 10, etaMillis: 100, queueDepth: 0,
                                 expiresAt: w.now + 1000)
        Self.expectRejected(w, Self.resign(unknown, 4), from: w["V"], to: w["R"], .unknownJob)
        var expired = unknown
        expired.jobID = job
        expired.expiresAt = w.now - 1
        Self.expectRejected(w, Self.resign(expired, 4), from: w["V"], to: w["R"], .expired)
        var pricey = expired
        pricey.expiresAt = w.now + 1000
        pricey.pricePer1k = 1_000
        Self.expectRejected(w, Self.resign(pricey, 4), from: w["V"], to: w["R"], .invalidField)
        var otherRequest = pricey
        otherRequest.pricePer1k = 10
        otherRequest.requestHash = SHA256.hash([1])
        Self.expectRejected(w, Self.resign(otherRequest, 4), from: w["V"], to: w["R"], .hashMismatch)
        // Signed by P1 but relayed by V: the transport's peer is not the bidder.
        Self.expectRejected(w, Self.resign(Market.Bid(jobID: job, requestHash: request.digest, provider: w["P1"], requester: w["R"],
                                                      pricePer1k: 10, etaMillis: 1, queueDepth: 0, expiresAt: w.now + 9), 2),
                            from: w["V"], to: w["R"], .wrongParty)
    }

    @Test func awardsNotSignedByTheRequesterOrReplayed() throws {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("M", seed: 5, price: nil)               // mallory
        w.meshPeers()
        _ = w.submit(from: "R")
        w.deliver(); w.advance(to: w.now + 250)
        let awardMsg = w.take { $0.type == .award }[0]
        let award = try Market.Signed<Market.Award>(envelope: awardMsg.envelope)
        // Same body, signed by mallory: the signature does not verify under R's key.
        let forged = Market.Signed(body: award.body, bodyBytes: award.bodyBytes,
                                   signature: MarketWorld.identity(5).sign(award.bodyBytes, in: .award))
        Self.expectRejected(w, forged.envelope, from: w["M"], to: w["P1"], .badSignature)
        // Mallory's own valid signature, naming herself as requester of R's job.
        var mine = award.body
        mine.requester = w["M"]
        Self.expectRejected(w, Self.resign(mine, 5), from: w["M"], to: w["P1"], .notRequester)
        // A sealed prompt that does not open.
        var garbage = award.body
        garbage.sealedPayload = [UInt8](repeating: 7, count: 80)
        Self.expectRejected(w, Self.resign(garbage, 1), from: w["R"], to: w["P1"], .undecryptable)
        // A prompt that opens but does not match its commitment.
        var wrongCommit = award.body
        wrongCommit.promptCommitment = SHA256.hash([0])
        Self.expectRejected(w, Self.resign(wrongCommit, 1), from: w["R"], to: w["P1"], .hashMismatch)
        // The real award runs once; replaying it is refused.
        w.inbox.append(awardMsg)
        w.deliver()
        #expect(w.runs.count == 1)
        Self.expectRejected(w, awardMsg.envelope, from: w["R"], to: w["P1"], .replay)
        #expect(w.runs.count == 1)
    }

    @Test func awardAfterBidExpiryIsRefused() throws {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.meshPeers()
        _ = w.submit(from: "R")
        w.deliver(); w.advance(to: w.now + 250)
        let awardMsg = w.take { $0.type == .award }[0]
        w.now += 6_000                                 // past the 5 s bid TTL (timers not fired)
        Self.expectRejected(w, awardMsg.envelope, from: w["R"], to: w["P1"], .expired)
    }

    @Test func resultsWithBadSignatureHashOrProof() throws {
        let (w, _, resultMsg) = Self.awaitingResult()
        let result = try Market.Signed<Market.ResultMessage>(envelope: resultMsg.envelope)
        let p1 = w["P1"], r = w["R"]
        // Bad signature: one flipped bit in the signature.
        var sig = result.signature.bytes
        sig[5] ^= 1
        let badSig = Market.Signed(body: result.body, bodyBytes: result.bodyBytes, signature: try Signature(bytes: sig))
        Self.expectRejected(w, badSig.envelope, from: p1, to: r, .badSignature)
        // Bad hash: a record with another prompt commitment (the ledger entry is for it too).
        var rec = result.body.record
        rec.promptCommitment = SHA256.hash([42])
        var ledger = Market.MemoryLedger(identity: MarketWorld.identity(2))
        let proof = ledger.append(kind: 1, body: rec.wireBytes)
        let wrongRecord = Market.ResultMessage(jobID: rec.jobID, requester: r, provider: p1, awardHash: result.body.awardHash,
                                               record: rec, entryProof: proof, sealedOutput: result.body.sealedOutput)
        Self.expectRejected(w, Self.resign(wrongRecord, 2), from: p1, to: r, .hashMismatch)
        // Bad proof: the checkpoint's root hash is altered.
        var cut = result.body.entryProof
        cut.checkpoint[40] ^= 1
        let badProof = Market.ResultMessage(jobID: rec.jobID, requester: r, provider: p1, awardHash: result.body.awardHash,
                                            record: result.body.record, entryProof: cut, sealedOutput: result.body.sealedOutput)
        Self.expectRejected(w, Self.resign(badProof, 2), from: p1, to: r, .badProof)
        // Bad proof: an entry for another body in the ledger.
        let other = ledger.append(kind: 1, body: Array("other".utf8))
        let wrongEntry = Market.ResultMessage(jobID: rec.jobID, requester: r, provider: p1, awardHash: result.body.awardHash,
                                              record: result.body.record, entryProof: other, sealedOutput: result.body.sealedOutput)
        Self.expectRejected(w, Self.resign(wrongEntry, 2), from: p1, to: r, .hashMismatch)
        // An output that does not open.
        let sealedGarbage = Market.ResultMessage(jobID: rec.jobID, requester: r, provider: p1, awardHash: result.body.awardHash,
                                                 record: result.body.record, entryProof: result.body.entryProof,
                                                 sealedOutput: [UInt8](repeating: 1, count: 90))
        Self.expectRejected(w, Self.resign(sealedGarbage, 2), from: p1, to: r, .undecryptable)
        // A result answering another award.
        let otherAward = Market.ResultMessage(jobID: rec.jobID, requester: r, provider: p1, awardHash: SHA256.hash([3]),
                                              record: result.body.record, entryProof: result.body.entryProof,
                                              sealedOutput: result.body.sealedOutput)
        Self.expectRejected(w, Self.resign(otherAward, 2), from: p1, to: r, .hashMismatch)
        // A result from a node that holds no award.
        Self.expectRejected(w, Self.resign(Market.ResultMessage(jobID: rec.jobID, requester: r, provider: w["V"],
                                                                awardHash: result.body.awardHash, record: result.body.record,
                                                                entryProof: result.body.entryProof, sealedOutput: []), 4),
                            from: w["V"], to: r, .notCurrentWinner)
        // None of it paid anything; the genuine result is then paid once, and its replay refused.
        #expect(w.receipts(of: "R").isEmpty)
        w.inbox.append(resultMsg)
        w.deliver()
        #expect(w.receipts(of: "R").map(\.outcome) == [.paid])
        Self.expectRejected(w, resultMsg.envelope, from: p1, to: r, .replay)
        #expect(w.receipts(of: "R").count == 1)
    }

    @Test func verifyRequestsThatDoNotMatchCommitments() throws {
        let (w, _, resultMsg) = Self.awaitingResult(level: 1)
        w.inbox.append(resultMsg)
        w.deliver { $0.type == .result }
        let vrMsg = w.take { $0.type == .verifyRequest }[0]
        let vr = try Market.Signed<Market.VerifyRequest>(envelope: vrMsg.envelope)
        let p = try Market.VerifyPayload(wireBytes: SealedBox.open(vr.body.sealedPayload, with: MarketWorld.identity(4)))
        let lie = Market.VerifyPayload(promptSalt: p.promptSalt, request: FakeEngine.request("a different prompt"),
                                       outputSalt: p.outputSalt, tokens: p.tokens, text: p.text)
        let sealed = SealedBox.seal(lie.wireBytes, to: MarketWorld.identity(4).x25519PublicKey)
        let lying = Market.VerifyRequest(jobID: vr.body.jobID, requester: w["R"], validator: w["V"], record: vr.body.record,
                                         entryProof: vr.body.entryProof, sealedPayload: sealed, issuedAt: w.now)
        Self.expectRejected(w, Self.resign(lying, 1), from: w["R"], to: w["V"], .hashMismatch)
        Self.expectRejected(w, vrMsg.envelope, from: w["P1"], to: w["V"], .notRequester)
        w.inbox.append(vrMsg)
        w.deliver { $0.type == .verifyRequest }
        #expect(w.verifies.count == 1)
        Self.expectRejected(w, vrMsg.envelope, from: w["R"], to: w["V"], .replay)
    }

    @Test func gossipedAttestationCountsOnceAndForgedOneIsRefused() throws {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P1", seed: 2, price: 10)
        w.add("V", seed: 4, price: 50)
        w.add("X", seed: 6, price: nil)
        w.meshPeers()
        _ = w.submit(from: "R", level: 1)
        w.runAuction()
        w.finishRuns(cheat: w["P1"]); w.deliver(); w.finishVerifies()
        let gossip = w.gossiped[0]
        w.deliver()
        let x = w["X"]
        // V was the only validator: R caught P1 on its failure (its receipt); X holds the
        // lone failure it heard, which counts nowhere without a second one or that receipt.
        #expect(w.instances[w["R"]]!.state.reputation.standing(of: w["P1"]).fails == 1)
        #expect(w.instances[x]!.state.reputation.standing(of: w["P1"]).fails == 0)
        let before = w.instances[x]!.state
        #expect(w.instances[x]!.receive(gossip, from: w["R"], now: w.now).isEmpty)   // duplicate: silent
        #expect(w.instances[x]!.state == before)
        // An attestation with a forged entry (signed by X, claiming V's ledger) is refused.
        let msg = try Market.Signed<Market.AttestationMessage>(envelope: gossip)
        var proof = msg.body.entryProof
        proof.entry[proof.entry.count - 1] ^= 1
        let forged = Market.Signed(signing: Market.AttestationMessage(attestation: {
            var a = msg.body.attestation; a.issuedAt += 1; return a
        }(), entryProof: proof), with: MarketWorld.identity(4))
        Self.expectRejected(w, forged.envelope, from: w["R"], to: x, .badProof)
    }
}
