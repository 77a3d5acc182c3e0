import AgoraJob
import AgoraCrypto

extension Market.Instance {
    // MARK: requester: results, declines, payment, asking validators

    /// Checks a result from the current winner: signature (done), award binding, record
    /// fields, ledger entry and inclusion proof, sealed output and its commitments. A
    /// result that passes is paid at verification level 0, or sent to validators first.
    mutating func onResult(_ m: Signed<Market.ResultMessage>, from: PublicKey, now: Millis) -> [Directive] {
        let r = m.body
        let rec = r.record
        guard r.provider == from else { return reject(.wrongParty, "result by \(r.provider.short) arrived from \(from.short)", from: from) }
        if r.requester == nodeID, state.requests[r.jobID] == nil, state.reconciling[r.jobID] != nil {
            return onReconciledResult(m, from: from, now: now)
        }
        guard r.requester == nodeID, var job = state.requests[r.jobID] else {
            return reject(.unknownJob, "result for unknown job \(r.jobID)", from: from)
        }
        if let accepted = job.result, accepted.digest == m.digest { return reject(.replay, "result for \(r.jobID) already accepted", from: from) }
        guard job.phase.isOpen else { return reject(.jobClosed, "result for closed job \(r.jobID)", from: from) }
        guard job.phase == .awarded, let award = job.award, let bid = job.awardedBid, award.body.provider == r.provider else {
            return reject(.notCurrentWinner, "\(r.provider.short) does not hold the award of \(r.jobID)", from: from)
        }
        guard r.awardHash == award.digest else { return reject(.hashMismatch, "result answers another award", from: from) }
        let req = job.request.body
        // The exact check a job demands is the one of the class the provider was awarded
        // under: validators decide exactness by the class the provider advertises, so one that
        // changed its class since (to one nobody shares) would escape it. A broken promise:
        // the result is refused, and the award runs out as one never delivered.
        if demandsExactCheck(req), r.provider != nodeID, advertisedClass(of: r.provider, model: req.modelID) != job.awardedClass {
            return reject(.classChanged, "\(r.provider.short) was awarded \(r.jobID) under another arithmetic class than it advertises now", from: from)
        }
        guard rec.jobID == req.jobID, rec.requester == nodeID, rec.provider == r.provider, rec.modelID == req.modelID,
              rec.promptCommitment == award.body.promptCommitment, rec.pricePer1k == bid.body.pricePer1k else {
            return reject(.hashMismatch, "result record does not match the job, award or bid", from: from)
        }
        guard rec.outputTokenCount <= req.maxTokens,
              rec.credits == Market.ResultRecord.charge(tokens: rec.outputTokenCount, pricePer1k: rec.pricePer1k) else {
            return reject(.invalidField, "result record claims \(rec.outputTokenCount) tokens for \(rec.credits) credits", from: from)
        }
        if let bad = checkEntry(r.entryProof, owner: r.provider, kind: .result, body: r.recordBytes) { return reject(bad, from: from) }
        let output: Market.OutputPayload
        do { output = try openOutput(r) } catch { return reject(error, from: from) }
        job.result = m
        job.output = output
        job.timeline.resultReceived = now
        if let awarded = job.timeline.awarded, now >= awarded {
            state.etaCalibration.observe(r.provider, estimated: bid.body.etaMillis, observed: now - awarded)
        }
        var out: [Directive] = []
        if rec.provider == nodeID {
            // This node served its own job: it trusts its own executor, and a validator's
            // word about it would prove nothing to anyone else.
            out += pay(&job, now: now)
        } else if req.verificationLevel == 0 {
            out += pay(&job, now: now)
            if state.random.chance(settings.spotCheckRate) {
                job.spotChecked = true
                out += askValidators(&job, count: 1, now: now)
            }
        } else {
            job.phase = .verifying
            out += askValidators(&job, count: Int(req.verificationLevel), now: now)
        }
        state.requests[r.jobID] = job
        return out
    }

    /// Opens a result's output (boxed to this node) and checks it against the record's
    /// commitments.
    func openOutput(_ r: Market.ResultMessage) throws(Market.Rejection) -> Market.OutputPayload {
        let output: Market.OutputPayload
        do {
            output = try Market.OutputPayload(wireBytes: Box.open(r.sealedOutput, from: r.provider, with: identity))
        } catch {
            throw Market.Rejection(.undecryptable, "result output does not open or decode: \(error)")
        }
        let rec = r.record
        guard output.tokens.count == Int(rec.outputTokenCount),
              Market.Commitment.commit(output.text, salt: output.outputSalt) == rec.outputCommitment,
              Market.Commitment.tokens(output.tokens, logprobs: output.logprobs, salt: output.outputSalt) == rec.outputTokensHash else {
            throw Market.Rejection(.hashMismatch, "output does not match the record's commitments")
        }
        return output
    }

    /// A provider giving its award back: the next bid gets the job.
    mutating func onDecline(_ m: Signed<Market.Decline>, from: PublicKey, now: Millis) -> [Directive] {
        let d = m.body
        guard d.provider == from else { return reject(.wrongParty, "decline by \(d.provider.short) arrived from \(from.short)", from: from) }
        guard d.requester == nodeID, var job = state.requests[d.jobID] else {
            return reject(.unknownJob, "decline for unknown job \(d.jobID)", from: from)
        }
        guard job.phase.isOpen else { return reject(.jobClosed, "decline for closed job \(d.jobID)", from: from) }
        guard job.phase == .awarded, let award = job.award, award.body.provider == d.provider else {
            return reject(.notCurrentWinner, "\(d.provider.short) does not hold the award of \(d.jobID)", from: from)
        }
        guard d.awardHash == award.digest else { return reject(.hashMismatch, "decline names another award", from: from) }
        // A provider that could not run the job is not asked again; one that was only busy
        // may be, in a later round (busy is not a failure).
        if d.reason != .unavailable { job.tried.append(d.provider) }
        let out = awardNext(&job, now: now)
        state.requests[d.jobID] = job
        return out
    }

    /// Pays the accepted result once: receipt to the ledger, output to the user.
    mutating func pay(_ job: inout Market.RequesterJob, now: Millis) -> [Directive] {
        guard let result = job.result, let output = job.output else { return [] }
        let rec = result.body.record
        // Closed in the journal before the receipt is written: a crash between the two
        // leaves the job unpaid, never paid twice.
        var out: [Directive] = [.journal(.closed(jobID: job.request.body.jobID))]
        out += receipt(for: job, provider: rec.provider, outcome: .paid, recordHash: SHA256.hash(result.body.recordBytes),
                       credits: rec.credits, now: now)
        job.phase = .completed
        job.timeline.completed = now
        release(&job)
        stats.completed += 1
        stats.paid += 1
        stats.creditsPaid += rec.credits
        out.append(.notify(.jobCompleted(job.request.body.jobID, provider: rec.provider, output: output, credits: rec.credits,
                                         verifiedBy: job.passes.sorted())))
        return out
    }

    /// Sends the accepted result to `count` validators serving the model (not the
    /// provider, not this node, not ones asked before). With none available, schedules a retry (a
    /// validation timer naming this node itself).
    mutating func askValidators(_ job: inout Market.RequesterJob, count: Int, now: Millis) -> [Directive] {
        guard let result = job.result, let output = job.output else { return [] }
        let req = job.request.body
        // A job that demands an exact check asks only validators of the class its provider
        // was awarded under (none if it advertised none).
        let exact = demandsExactCheck(req)
        var candidates = validatorCandidates(for: job, excluding: job.validatorsAsked)
        if candidates.isEmpty {
            // Every validator was asked: ask again those that have not answered (one that
            // could not check may do so now; one still checking ignores the repeat).
            candidates = validatorCandidates(for: job, excluding: job.validatorsAnswered)
        }
        let shuffled = state.random.shuffled(candidates)
        let chosen = Array((exact ? shuffled : preferringClassOf(result.body.provider, model: req.modelID, shuffled)).prefix(count))
        var out: [Directive] = []
        let payload = Market.VerifyPayload(promptSalt: job.promptSalt, request: job.input,
                                           outputSalt: output.outputSalt, tokens: output.tokens, text: output.text,
                                           logprobs: output.logprobs)
        for v in chosen {
            if !job.validatorsAsked.contains(v) { job.validatorsAsked.append(v) }
            guard let send = verifyRequest(result, payload: payload, to: v, now: now) else { continue }
            out.append(send)
            out.append(.schedule(.validationTimeout(req.jobID, validator: v), at: now + settings.validationTimeout))
        }
        if chosen.count < count, job.phase == .verifying {
            out.append(.schedule(.validationTimeout(req.jobID, validator: nodeID), at: now + settings.validationTimeout))
        }
        return out
    }

    /// A signed verify request asking `validator` to check `result`, with `payload` sealed to
    /// it (nil when its key is not a usable curve point).
    mutating func verifyRequest(_ result: Signed<Market.ResultMessage>, payload: Market.VerifyPayload, to validator: PublicKey,
                                now: Millis) -> Directive? {
        guard let sealed = try? SealedBox.seal(payload.wireBytes, to: validator.x25519(), ephemeralSeed: state.random.bytes(32)) else {
            return nil
        }
        let vr = Market.VerifyRequest(jobID: result.body.jobID, requester: nodeID, validator: validator, record: result.body.record,
                                      entryProof: result.body.entryProof, sealedPayload: sealed, issuedAt: now)
        return Self.send(Signed(signing: vr, with: identity), to: validator)
    }

    /// The peers that may check `job`'s current result (serving its model; not its provider,
    /// not this node, none of `excluding`; of the provider's class when the job demands an
    /// exact check; not a false accuser below the award threshold).
    func validatorCandidates(for job: Market.RequesterJob, excluding: [PublicKey]) -> [PublicKey] {
        guard let result = job.result else { return [] }
        let req = job.request.body
        let exact = demandsExactCheck(req), cls = job.awardedClass
        let floor = settings.scoring.minReputation
        return peers(serving: req.modelID, excluding: [result.body.provider, nodeID] + excluding)
            .filter { !exact || (!cls.isEmpty && advertisedClass(of: $0, model: req.modelID) == cls) }
            .filter { v in state.reputation.standing(of: v).falseAccusations == 0 || state.reputation.score(of: v) >= floor }
    }

    /// Whether `request`'s results must be checked exactly (`CheckPolicy.exactRequired` and
    /// verification level ≥ 1).
    func demandsExactCheck(_ request: Market.JobRequest) -> Bool {
        request.verificationLevel > 0 && settings.checkPolicy == .exactRequired
    }

    /// Whether `provider`'s result for `request` can be checked as the policy demands: always
    /// unless the job demands an exact check; then only if `provider` is this node (it trusts
    /// its own executor) or at least `verificationLevel` validators serving the model (not
    /// `provider`, not this node, not suspect, not excluded) advertise its non-empty class.
    func exactlyCheckable(_ provider: PublicKey, request: Market.JobRequest) -> Bool {
        guard demandsExactCheck(request) else { return true }
        return checkableByClass(provider, request: request)
    }

    /// Whether validators can check `provider`'s result for `request` exactly, whatever the
    /// policy: it is this node, or at least `verificationLevel` validators serving the model
    /// (not `provider`, not this node, not suspect, not excluded) advertise its non-empty class.
    func checkableByClass(_ provider: PublicKey, request: Market.JobRequest) -> Bool {
        guard provider != nodeID else { return true }
        let cls = advertisedClass(of: provider, model: request.modelID)
        guard !cls.isEmpty else { return false }
        let same = peers(serving: request.modelID, excluding: [provider, nodeID])
            .filter { advertisedClass(of: $0, model: request.modelID) == cls }
        return same.count >= Int(request.verificationLevel)
    }

    /// `candidates` (in their order) with those advertising `provider`'s arithmetic class for
    /// `model` first: they check its result exactly, the others only within a tolerance.
    func preferringClassOf(_ provider: PublicKey, model: Digest, _ candidates: [PublicKey]) -> [PublicKey] {
        let cls = advertisedClass(of: provider, model: model)
        guard !cls.isEmpty else { return candidates }
        let same = candidates.filter { advertisedClass(of: $0, model: model) == cls }
        return same + candidates.filter { advertisedClass(of: $0, model: model) != cls }
    }

    mutating func onValidationTimeout(_ id: JobID, validator: PublicKey, now: Millis) -> [Directive] {
        guard var job = state.requests[id], job.phase == .verifying else { return [] }
        guard validator == nodeID || !job.validatorsAnswered.contains(validator) else { return [] }
        if validator == nodeID, job.fails.isEmpty, validatorCandidates(for: job, excluding: job.validatorsAnswered).isEmpty {
            // A whole validation timeout passed with nobody able to check the result (the
            // only other nodes serving its model stopped serving it, went away or are
            // suspect): "could not check" is not "failed", so the proven result is paid and
            // delivered now with the attestations it has, as at its deadline, instead of
            // holding the user until then.
            stats.unchecked += 1
            let out = pay(&job, now: now)
            state.requests[id] = job
            return out
        }
        let out = askValidators(&job, count: 1, now: now)
        state.requests[id] = job
        return out
    }
}
