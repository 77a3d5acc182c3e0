import AgoraJob
import AgoraCrypto

extension Market.Instance {
    // MARK: validator

    /// Re-checks a result for its requester: the provider's ledger entry and proof must
    /// verify, and the prompt and output the requester shows must match the provider's
    /// commitments (otherwise the requester, not the provider, is lying, and nothing is
    /// attested). Then the executor checks the tokens by teacher forcing.
    mutating func onVerifyRequest(_ m: Signed<Market.VerifyRequest>, from: PublicKey, now: Millis) -> [Directive] {
        let v = m.body
        let rec = v.record
        guard v.requester == from else { return reject(.notRequester, "verify request by \(v.requester.short) arrived from \(from.short)", from: from) }
        guard v.validator == nodeID else { return reject(.wrongParty, "verify request names \(v.validator.short)", from: from) }
        guard let profile = settings.provider, profile.accepting(rec.modelID) != nil else {
            return reject(.invalidField, "model \(rec.modelID.hex.prefix(8)) not validated here", from: from)
        }
        let hash = SHA256.hash(v.recordBytes)
        // A check this node could not run may be asked for again; anything else is a replay.
        if let seen = state.validations[hash], seen.phase != .abandoned {
            return reject(.replay, "result \(hash.hex.prefix(8)) already checked", from: from)
        }
        guard rec.requester == v.requester, rec.jobID == v.jobID else {
            return reject(.hashMismatch, "verify request and result record name different jobs", from: from)
        }
        guard rec.provider != nodeID else { return reject(.wrongParty, "asked to validate this node's own result", from: from) }
        if let bad = checkEntry(v.entryProof, owner: rec.provider, kind: .result, body: v.recordBytes) { return reject(bad, from: from) }
        let p: Market.VerifyPayload
        do {
            p = try Market.VerifyPayload(wireBytes: SealedBox.open(v.sealedPayload, with: identity))
        } catch {
            return reject(.undecryptable, "verify payload does not open or decode: \(error)", from: from)
        }
        guard Market.Commitment.commit(p.requestBytes, salt: p.promptSalt) == rec.promptCommitment,
              Market.Commitment.commit(p.text, salt: p.outputSalt) == rec.outputCommitment,
              Market.Commitment.tokens(p.tokens, logprobs: p.logprobs, salt: p.outputSalt) == rec.outputTokensHash,
              p.tokens.count == Int(rec.outputTokenCount) else {
            return reject(.hashMismatch, "prompt or output does not match the provider's commitments", from: from)
        }
        // Busy is not a verdict: beyond its bound the validator stays silent and the
        // requester, after its validation timeout, asks another one.
        guard heldChecks < profile.maxChecks else { return [] }
        let spec = Market.VerificationSpec(ticket: hash, modelID: rec.modelID, request: p.request,
                                           tokens: p.tokens, text: p.text, logprobs: p.logprobs, fingerprint: rec.fingerprint,
                                           providerClass: advertisedClass(of: rec.provider, model: rec.modelID))
        state.validations[hash] = Market.ValidationJob(request: m, phase: .waiting, spec: spec, queueSeq: state.queueSeq)
        state.queueSeq += 1
        return dispatchWork()
    }

    /// The executor could not check: nothing is attested, the check's slot is freed, and the
    /// same result may be asked for again.
    mutating func onVerificationAbandoned(_ ticket: Digest, _ reason: Market.UncheckedReason, now: Millis) -> [Directive] {
        guard var job = state.validations[ticket], job.phase == .checking else { return [] }
        job.phase = .abandoned
        state.validations[ticket] = job
        return [.notify(.checkAbandoned(ticket: ticket, reason))] + dispatchWork()
    }

    mutating func onVerificationFinished(_ ticket: Digest, _ verdict: Market.Attestation.Verdict, now: Millis) -> [Directive] {
        guard var job = state.validations[ticket], job.phase == .checking else { return [] }
        let rec = job.request.body.record
        let att = Market.Attestation(jobID: rec.jobID, requester: rec.requester, provider: rec.provider, validator: nodeID,
                                     resultRecordHash: ticket, modelID: rec.modelID, verdict: verdict, issuedAt: now)
        job.attestation = att
        job.phase = .appending
        state.validations[ticket] = job
        return [.appendLedger(Market.LedgerAppend(kind: .attestation, body: att.wireBytes, ticket: .attestation(ticket)))]
            + dispatchWork()
    }

    /// Sends the appended attestation to the requester; a failing one is also gossiped.
    mutating func attest(_ ticket: Digest, proof: Market.EntryProof) -> [Directive] {
        guard var job = state.validations[ticket], job.phase == .appending, let att = job.attestation else { return [] }
        let msg = Signed(signing: Market.AttestationMessage(attestation: att, entryProof: proof), with: identity)
        job.phase = .done
        state.validations[ticket] = job
        let hash = SHA256.hash(msg.body.attestationBytes)
        state.seenAttestations.insert(hash)
        state.reputation.count(attestation: att, bodyHash: hash)
        stats.attestations += 1
        var out = [Self.send(msg, to: att.requester)]
        if !att.verdict.passed {
            warn(msg.message)
            out.append(.gossip(msg.message))
            out.append(.notify(.providerCaught(att.provider, job: Market.JobKey(requester: att.requester, jobID: att.jobID), validator: nodeID)))
        }
        return out
    }
}
