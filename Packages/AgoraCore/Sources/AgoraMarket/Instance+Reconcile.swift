import AgoraCrypto
import AgoraLedger

extension Market.Instance {
    /// How long a restarted requester waits for a provider to answer a reconciliation.
    static var reconcileWait: Market.Millis { 60_000 }
    /// How long a restarted requester holds a result a provider sent again before settling it:
    /// time for the failing verdicts validators gave while it was down to reach it (every
    /// member sends its warnings to one that comes back as soon as it sees it).
    static var reconcileVerdictWait: Market.Millis { 5_000 }

    /// Settles the jobs this node had open when it stopped (`records`: its job journal, in
    /// order). Their users are gone, so nothing is re-awarded: each job's provider is sent a
    /// cancel; a provider still running stops, and one that had delivered a result sends it
    /// again, which is checked (the award it answers, its charge, its ledger proof) and,
    /// `reconcileVerdictWait` later, paid once unless validators failed it. A job with no
    /// answer in `reconcileWait` is closed unpaid.
    public mutating func reconcile(_ records: [Market.JournalRecord], now: Market.Millis) -> [Market.Directive] {
        var out: [Market.Directive] = []
        for (id, record) in Market.JournalRecord.open(records).sorted(by: { $0.key < $1.key }) {
            guard case .awarded(_, let provider, _, _, _) = record, provider != nodeID, state.requests[id] == nil else {
                out.append(.journal(.closed(jobID: id)))
                continue
            }
            state.reconciling[id] = record
            out.append(cancelMessage(id, to: provider, now: now))
            out.append(.schedule(.reconcileExpiry(id), at: now + Self.reconcileWait))
        }
        return out
    }

    /// The result a provider sends again for a job being reconciled.
    mutating func onReconciledResult(_ m: Market.Signed<Market.ResultMessage>, award: Market.JournalRecord, from: PublicKey,
                                     now: Market.Millis) -> [Market.Directive] {
        let r = m.body, rec = r.record
        guard case .awarded(let id, let provider, let awardHash, let price, let maxTokens) = award, provider == from else {
            return reject(.notCurrentWinner, "\(from.short) does not hold the award of \(r.jobID)", from: from)
        }
        guard r.awardHash == awardHash, rec.jobID == id, rec.requester == nodeID, rec.provider == from, rec.pricePer1k == price,
              rec.outputTokenCount <= maxTokens,
              rec.credits == Market.ResultRecord.charge(tokens: rec.outputTokenCount, pricePer1k: price) else {
            return reject(.hashMismatch, "reconciled result does not match the award it answers", from: from)
        }
        if let bad = checkEntry(r.entryProof, owner: from, kind: .result, body: r.recordBytes) { return reject(bad, from: from) }
        if state.reconciledResults[id] != nil { return reject(.replay, "result for \(r.jobID) already received", from: from) }
        // Held a little: validators may have checked it while this node was down, and their
        // verdicts (gossiped, and sent again to a member that comes back) decide whether it is
        // paid.
        state.reconciledResults[id] = m
        return [.schedule(.reconcileExpiry(id), at: now + Self.reconcileVerdictWait)]
    }

    /// Settles a reconciled job at its expiry: a result its provider sent again is paid unless
    /// validators failed it (more failed than passed), and a failure two of them agree on
    /// catches its provider (a `failedVerification` receipt); with no result, or a failure
    /// not confirmed, the job is closed unpaid and no one is blamed.
    mutating func settleReconciled(_ id: Market.JobID, provider: PublicKey, now: Market.Millis) -> [Market.Directive] {
        guard let m = state.reconciledResults.removeValue(forKey: id) else {
            return [.journal(.closed(jobID: id)), .notify(.jobReconciled(id, provider: provider, credits: nil))]
        }
        let rec = m.body.record, recordHash = SHA256.hash(m.body.recordBytes)
        let (passes, fails) = state.reputation.verdicts(onRecord: recordHash)
        if fails.count > passes.count {
            let caught = fails.count >= 2
                ? receipt(job: id, provider: provider, outcome: .failedVerification, recordHash: recordHash, credits: 0,
                          validators: fails.sorted(), now: now)
                : []
            return [.journal(.closed(jobID: id))] + caught + [.notify(.jobReconciled(id, provider: provider, credits: nil))]
        }
        stats.paid += 1
        stats.creditsPaid += rec.credits
        return [.journal(.closed(jobID: id))]
            + receipt(job: id, provider: provider, outcome: .paid, recordHash: recordHash, credits: rec.credits,
                      validators: passes.sorted(), now: now)
            + [.notify(.jobReconciled(id, provider: provider, credits: rec.credits))]
    }

    /// A member joined or came back: it gets the warnings this node holds, and, when it is
    /// the provider of a job being reconciled (it was not reachable at the restart), the cancel
    /// again.
    mutating func onPeerJoined(_ peer: PublicKey, now: Market.Millis) -> [Market.Directive] {
        guard peer != nodeID else { return [] }
        var out: [Market.Directive] = state.warnings.map { .send(to: peer, $0) }
        for (id, record) in state.reconciling.sorted(by: { $0.key < $1.key }) {
            if case .awarded(_, peer, _, _, _) = record { out.append(cancelMessage(id, to: peer, now: now)) }
        }
        return out
    }

    /// A reconciled job's time is up: its result, if its provider sent one, is settled
    /// (`settleReconciled`); with none it is closed unpaid.
    mutating func onReconcileExpiry(_ id: Market.JobID, now: Market.Millis) -> [Market.Directive] {
        guard case .awarded(_, let provider, _, _, _)? = state.reconciling.removeValue(forKey: id) else { return [] }
        return settleReconciled(id, provider: provider, now: now)
    }
}
