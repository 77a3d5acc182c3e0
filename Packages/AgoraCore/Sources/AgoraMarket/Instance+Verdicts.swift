import AgoraJob
import AgoraCrypto

extension Market.Instance {
    // MARK: requester: validators' verdicts

    /// An attestation (sent to us as requester, or gossiped): verified against the
    /// validator's ledger and counted once in reputation; if it concerns a result this
    /// node is waiting on, a pass counts towards payment and a failure re-awards the job.
    mutating func onAttestation(_ m: Signed<Market.AttestationMessage>, from: PublicKey, now: Millis) -> [Directive] {
        let a = m.body.attestation
        let hash = SHA256.hash(m.body.attestationBytes)
        if state.seenAttestations.contains(hash) { return [] }  // the same attestation by another path (gossip)
        if let bad = checkEntry(m.body.entryProof, owner: a.validator, kind: .attestation, body: m.body.attestationBytes) {
            return reject(bad, from: from)
        }
        state.seenAttestations.insert(hash)
        var out: [Directive] = []
        if state.reputation.count(attestation: a, bodyHash: hash) { out.append(.remember(m.body.entryProof)) }
        if !a.verdict.passed {
            warn(m.message)
            out.append(.notify(.providerCaught(a.provider, job: Market.JobKey(requester: a.requester, jobID: a.jobID), validator: a.validator)))
        }
        // A result a restarted requester is having checked.
        out += onReconcileVerdict(a, now: now)
        guard a.requester == nodeID, var job = state.requests[a.jobID], let result = job.result,
              SHA256.hash(result.body.recordBytes) == a.resultRecordHash, result.body.provider == a.provider,
              job.validatorsAsked.contains(a.validator), !job.validatorsAnswered.contains(a.validator) else { return out }
        job.validatorsAnswered.append(a.validator)
        if job.phase == .verifying {
            out += record(m, in: &job)
            out += settleVerdicts(&job, now: now)
        } else if job.phase == .completed, job.spotChecked {
            out += record(m, in: &job)
            out += settleSpotCheck(&job, now: now)
        }
        state.requests[a.jobID] = job
        return out
    }

    /// Adds a validator's verdict on `job`'s current result. A failure is gossiped by its
    /// validator; the passes of the same result go with it (to members away now too), so that
    /// every node can weigh the accuser against them.
    private mutating func record(_ m: Signed<Market.AttestationMessage>, in job: inout Market.RequesterJob) -> [Directive] {
        let a = m.body.attestation
        if a.verdict.passed {
            job.passes.append(a.validator)
            job.passMessages.append(m)
            return job.fails.isEmpty ? [] : spread(m)
        }
        let out = job.fails.isEmpty ? job.passMessages.flatMap { spread($0) } : []
        job.fails.append(a.validator)
        return out
    }

    /// A spot check after payment: a failure is confirmed as before payment (by a second
    /// validator unless none is left), and a confirmed one is written as a `failedVerification`
    /// receipt that catches the provider (nothing more is paid).
    mutating func settleSpotCheck(_ job: inout Market.RequesterJob, now: Millis) -> [Directive] {
        guard job.fails.count > job.passes.count, let result = job.result, !job.caught.contains(result.body.provider) else { return [] }
        let othersLeft = !validatorCandidates(for: job, excluding: job.validatorsAsked).isEmpty
        if failureConfirmed(job, othersLeft: othersLeft) { return catchProvider(&job, result, now: now) }
        return job.validatorsAsked.count > job.validatorsAnswered.count ? [] : askValidators(&job, count: 1, now: now)
    }

    /// Decides a job under verification from its validators' verdicts. It is paid once
    /// `verificationLevel` validators passed it and more passed than failed. A failure is not
    /// taken on one validator's word while another can check: the provider is caught once two
    /// validators failed its result and more failed than passed, or when one in good standing
    /// failed it and no other validator is left to ask. Otherwise one more validator is asked;
    /// when none is left and the verdicts are even, the job moves to another provider with no one blamed
    /// (a validator that lies cannot take an honest provider out of the market on its own).
    mutating func settleVerdicts(_ job: inout Market.RequesterJob, now: Millis) -> [Directive] {
        let level = Int(job.request.body.verificationLevel)
        let (passes, fails) = (job.passes.count, job.fails.count)
        if passes >= level && passes > fails { return pay(&job, now: now) }
        guard fails > 0, let result = job.result else { return [] }
        let othersLeft = !validatorCandidates(for: job, excluding: job.validatorsAsked).isEmpty
        if failureConfirmed(job, othersLeft: othersLeft) {
            return catchProvider(&job, result, now: now) + reawardAfterChecks(&job, now: now)
        }
        if !othersLeft && job.validatorsAnswered.count == job.validatorsAsked.count {
            return reawardAfterChecks(&job, now: now)
        }
        // Enough verdicts are still to come, or one more validator is asked.
        let pending = job.validatorsAsked.count - job.validatorsAnswered.count
        return pending > 0 && passes + pending >= level ? [] : askValidators(&job, count: 1, now: now)
    }

    /// Whether `job`'s current result is proven wrong: more validators failed it than passed,
    /// and two did, or one in good standing did and no other validator is left to ask.
    func failureConfirmed(_ job: Market.RequesterJob, othersLeft: Bool) -> Bool {
        guard job.fails.count > job.passes.count else { return false }
        if job.fails.count >= 2 { return true }
        return !othersLeft && job.fails.allSatisfy { state.reputation.score(of: $0) >= settings.scoring.minReputation }
    }

    /// Catches `result`'s provider: a `failedVerification` receipt naming the validators that
    /// failed it (nothing paid).
    private mutating func catchProvider(_ job: inout Market.RequesterJob, _ result: Signed<Market.ResultMessage>,
                                        now: Millis) -> [Directive] {
        job.caught.append(result.body.provider)
        return receipt(for: job, provider: result.body.provider, outcome: .failedVerification,
                       recordHash: SHA256.hash(result.body.recordBytes), credits: 0, validators: job.fails.sorted(), now: now)
    }

    /// Gossips `m` and keeps it among the warnings members that were away get when they return.
    private mutating func spread(_ m: Signed<Market.AttestationMessage>) -> [Directive] {
        warn(m.message)
        return [.gossip(m.message)]
    }

    /// Drops the current result and its verdicts and awards the job again (not to `provider`).
    private mutating func reawardAfterChecks(_ job: inout Market.RequesterJob, now: Millis) -> [Directive] {
        if let provider = job.result?.body.provider { job.tried.append(provider) }
        job.result = nil
        job.output = nil
        job.passes = []
        job.fails = []
        job.passMessages = []
        job.validatorsAsked = []
        job.validatorsAnswered = []
        return awardNext(&job, now: now)
    }
}
