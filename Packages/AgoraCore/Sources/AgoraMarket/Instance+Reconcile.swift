import AgoraCrypto
import AgoraLedger

extension Market.Instance {
    /// How long a restarted requester waits for a provider to answer a reconciliation.
    static var reconcileWait: Market.Millis { 60_000 }
    /// How long a restarted requester holds a result a provider sent again before settling it
    /// when it has nothing to check (a job of verification level 0, or a journal too old to
    /// hold the prompt commitment): time for the failing verdicts validators gave while it was
    /// down to reach it (every member sends its warnings to one that comes back as soon as it
    /// sees it), and for the job's input, sent with the result.
    static var reconcileVerdictWait: Market.Millis { 5_000 }
    /// Rounds of validators (one validation timeout each) a restarted requester asks to check
    /// a result sent again before it settles it with the verdicts it has.
    static var reconcileCheckRounds: Int { 3 }

    /// Settles the jobs this node had open when it stopped (`records`: its job journal, in
    /// order). Their users are gone, so nothing is re-awarded: each job's provider is sent a
    /// cancel; a provider still running stops, and one that had delivered a result sends it
    /// again with the job's input boxed back (`ReconcileInput`). The result is checked (the
    /// award it answers, its charge, its ledger proof), then, for a job that asked for
    /// verification, by validators as any result is, and paid once unless validators failed
    /// it. A job with no answer in `reconcileWait` is closed unpaid.
    public mutating func reconcile(_ records: [Market.JournalRecord], now: Market.Millis) -> [Market.Directive] {
        var out: [Market.Directive] = []
        for (id, record) in Market.JournalRecord.open(records).sorted(by: { $0.key < $1.key }) {
            guard case .awarded(let award) = record, award.provider != nodeID, state.requests[id] == nil else {
                out.append(.journal(.closed(jobID: id)))
                continue
            }
            state.reconciling[id] = Market.ReconciledJob(award: award)
            out.append(cancelMessage(id, to: award.provider, now: now))
            out.append(.schedule(.reconcileExpiry(id), at: now + Self.reconcileWait))
        }
        return out
    }

    /// The result a provider sends again for a job being reconciled.
    mutating func onReconciledResult(_ m: Market.Signed<Market.ResultMessage>, from: PublicKey,
                                     now: Market.Millis) -> [Market.Directive] {
        let r = m.body, rec = r.record
        guard var job = state.reconciling[r.jobID] else { return reject(.unknownJob, "result for unknown job \(r.jobID)", from: from) }
        let a = job.award
        guard a.provider == from else {
            return reject(.notCurrentWinner, "\(from.short) does not hold the award of \(r.jobID)", from: from)
        }
        guard r.awardHash == a.awardHash, rec.jobID == a.jobID, rec.requester == nodeID, rec.provider == from,
              rec.pricePer1k == a.pricePer1k, rec.outputTokenCount <= a.maxTokens,
              rec.credits == Market.ResultRecord.charge(tokens: rec.outputTokenCount, pricePer1k: a.pricePer1k) else {
            return reject(.hashMismatch, "reconciled result does not match the award it answers", from: from)
        }
        if let summary = a.job, rec.modelID != summary.modelID || rec.promptCommitment != summary.promptCommitment {
            return reject(.hashMismatch, "reconciled result is for another model or prompt than the award's", from: from)
        }
        if let bad = checkEntry(r.entryProof, owner: from, kind: .result, body: r.recordBytes) { return reject(bad, from: from) }
        if job.result != nil { return reject(.replay, "result for \(r.jobID) already received", from: from) }
        do { job.output = try openOutput(r) } catch { return reject(error, from: from) }
        job.result = m
        state.reconciling[r.jobID] = job
        if job.input != nil, requiresCheck(job) { return askReconcileValidators(r.jobID, now: now) }
        // Held a little: the job's input may follow, and validators may have checked the
        // result while this node was down; their verdicts (gossiped, and sent again to a
        // member that comes back) count.
        return [.schedule(.reconcileExpiry(r.jobID), at: now + Self.reconcileVerdictWait)]
    }

    /// The job's input a provider returns with a result it sends again: checked against the
    /// prompt commitment this node journaled with the award, then used to have the result
    /// checked.
    mutating func onReconcileInput(_ m: Market.Signed<Market.ReconcileInput>, from: PublicKey,
                                   now: Market.Millis) -> [Market.Directive] {
        let b = m.body
        guard b.provider == from else { return reject(.wrongParty, "input by \(b.provider.short) arrived from \(from.short)", from: from) }
        guard b.requester == nodeID, var job = state.reconciling[b.jobID] else {
            return reject(.unknownJob, "input for unknown job \(b.jobID)", from: from)
        }
        guard job.award.provider == from else {
            return reject(.notCurrentWinner, "\(from.short) does not hold the award of \(b.jobID)", from: from)
        }
        guard b.awardHash == job.award.awardHash else { return reject(.hashMismatch, "input answers another award", from: from) }
        if job.input != nil { return reject(.replay, "input for \(b.jobID) already received", from: from) }
        guard let summary = job.award.job else {
            return reject(.unknownJob, "no prompt commitment journaled for \(b.jobID) to check its input against", from: from)
        }
        let payload: Market.AwardPayload
        do {
            payload = try Market.AwardPayload(wireBytes: Box.open(b.sealedInput, from: from, with: identity))
        } catch {
            return reject(.undecryptable, "input does not open or decode: \(error)", from: from)
        }
        guard Market.Commitment.commit(payload.requestBytes, salt: payload.promptSalt) == summary.promptCommitment else {
            return reject(.hashMismatch, "input does not match the award's prompt commitment", from: from)
        }
        job.input = payload
        state.reconciling[b.jobID] = job
        return job.result != nil && requiresCheck(job) ? askReconcileValidators(b.jobID, now: now) : []
    }

    /// Whether a reconciled job's result is to be checked by validators before it is paid: its
    /// job asked for verification (and the journal says so).
    func requiresCheck(_ job: Market.ReconciledJob) -> Bool { (job.award.job?.verificationLevel ?? 0) > 0 }

    /// Asks validators serving the job's model (not its provider, not this node, none asked or
    /// heard from before; the provider's class first, or only under `exactRequired`) to check
    /// a reconciled result, as many as the verification level still needs; and schedules the
    /// round's end.
    mutating func askReconcileValidators(_ id: Market.JobID, now: Market.Millis) -> [Market.Directive] {
        guard var job = state.reconciling[id], let result = job.result, let output = job.output, let input = job.input,
              let summary = job.award.job else { return [] }
        let provider = job.award.provider
        let (passes, fails) = state.reputation.verdicts(onRecord: SHA256.hash(result.body.recordBytes))
        let cls = advertisedClass(of: provider, model: summary.modelID)
        let floor = settings.scoring.minReputation
        let candidates = peers(serving: summary.modelID, excluding: [provider, nodeID] + job.validatorsAsked + passes + fails)
            .filter { settings.checkPolicy != .exactRequired || (!cls.isEmpty && advertisedClass(of: $0, model: summary.modelID) == cls) }
            .filter { v in state.reputation.standing(of: v).falseAccusations == 0 || state.reputation.score(of: v) >= floor }
        let count = Swift.max(1, Int(summary.verificationLevel) - passes.count)
        let chosen = Array(preferringClassOf(provider, model: summary.modelID, state.random.shuffled(candidates)).prefix(count))
        let payload = Market.VerifyPayload(promptSalt: input.promptSalt, request: input.request, outputSalt: output.outputSalt,
                                           tokens: output.tokens, text: output.text, logprobs: output.logprobs)
        var out: [Market.Directive] = []
        for v in chosen {
            job.validatorsAsked.append(v)
            if let send = verifyRequest(result, payload: payload, to: v, now: now) { out.append(send) }
        }
        job.checkRounds += 1
        job.checkDeadline = now + settings.validationTimeout
        state.reconciling[id] = job
        out.append(.schedule(.reconcileExpiry(id), at: now + settings.validationTimeout))
        return out
    }

    /// Whether the verdicts on a reconciled result decide it now: enough passed (and more
    /// than failed), or two failed (and more than passed).
    func reconcileDecided(_ job: Market.ReconciledJob) -> Bool {
        guard let result = job.result else { return false }
        let (passes, fails) = state.reputation.verdicts(onRecord: SHA256.hash(result.body.recordBytes))
        let level = Swift.max(1, Int(job.award.job?.verificationLevel ?? 1))
        return (passes.count >= level && passes.count > fails.count) || (fails.count >= 2 && fails.count > passes.count)
    }

    /// An attestation on a result being reconciled (already counted): settles the job as soon
    /// as the verdicts decide it.
    mutating func onReconcileVerdict(_ a: Market.Attestation, now: Market.Millis) -> [Market.Directive] {
        guard a.requester == nodeID, let job = state.reconciling[a.jobID], job.checkDeadline != nil, let result = job.result,
              SHA256.hash(result.body.recordBytes) == a.resultRecordHash, reconcileDecided(job) else { return [] }
        state.reconciling[a.jobID] = nil
        return settleReconciled(job, now: now)
    }

    /// Settles a reconciled job. With no result, it is closed unpaid and no one is blamed.
    /// If more validators failed the result than passed it, it is not paid: a failure two of
    /// them agree on catches its provider (a `failedVerification` receipt), one is blamed on no
    /// one. A job that asked for verification is not paid without its input (the provider
    /// keeps it from being checked), nor when as many validators passed it as failed it;
    /// checked and passed, or checked by nobody because nobody could ("could not check" is not
    /// "failed"), it is paid once.
    mutating func settleReconciled(_ job: Market.ReconciledJob, now: Market.Millis) -> [Market.Directive] {
        let id = job.award.jobID, provider = job.award.provider
        let closedUnpaid: [Market.Directive] = [.journal(.closed(jobID: id)), .notify(.jobReconciled(id, provider: provider, credits: nil))]
        guard let m = job.result else { return closedUnpaid }
        let rec = m.body.record, recordHash = SHA256.hash(m.body.recordBytes)
        let (passes, fails) = state.reputation.verdicts(onRecord: recordHash)
        if fails.count > passes.count {
            let caught = fails.count >= 2
                ? receipt(job: id, provider: provider, outcome: .failedVerification, recordHash: recordHash, credits: 0,
                          validators: fails.sorted(), now: now)
                : []
            return [.journal(.closed(jobID: id))] + caught + [.notify(.jobReconciled(id, provider: provider, credits: nil))]
        }
        if requiresCheck(job) {
            if job.input == nil || (!fails.isEmpty && fails.count == passes.count) { return closedUnpaid }
            if passes.isEmpty { stats.unchecked += 1 }
        }
        stats.paid += 1
        stats.creditsPaid += rec.credits
        return [.journal(.closed(jobID: id))]
            + receipt(job: id, provider: provider, outcome: .paid, recordHash: recordHash, credits: rec.credits,
                      validators: passes.sorted(), now: now)
            + [.notify(.jobReconciled(id, provider: provider, credits: rec.credits))]
    }

    /// A member joined or came back: it gets the warnings this node holds, and, when it is
    /// the provider of a job being reconciled that has not answered (it was not reachable at
    /// the restart), the cancel again.
    mutating func onPeerJoined(_ peer: PublicKey, now: Market.Millis) -> [Market.Directive] {
        guard peer != nodeID else { return [] }
        var out: [Market.Directive] = state.warnings.map { .send(to: peer, $0) }
        for (id, job) in state.reconciling.sorted(by: { $0.key < $1.key }) where job.award.provider == peer && job.result == nil {
            out.append(cancelMessage(id, to: peer, now: now))
        }
        return out
    }

    /// A reconciled job's timer: ignored while validators asked are still within their time;
    /// otherwise a result still to be checked is asked of another round of validators (up to
    /// `reconcileCheckRounds`, while any is left), and anything else is settled
    /// (`settleReconciled`).
    mutating func onReconcileExpiry(_ id: Market.JobID, now: Market.Millis) -> [Market.Directive] {
        guard let job = state.reconciling[id] else { return [] }
        if let deadline = job.checkDeadline, now < deadline { return [] }
        if job.result != nil, job.input != nil, requiresCheck(job), !reconcileDecided(job),
           job.checkRounds < Self.reconcileCheckRounds {
            let before = job.validatorsAsked.count
            let out = askReconcileValidators(id, now: now)
            if state.reconciling[id]?.validatorsAsked.count ?? before > before { return out }
            // Nobody left to ask: settled with the verdicts there are.
        }
        state.reconciling[id] = nil
        return settleReconciled(job, now: now)
    }
}
