import AgoraCrypto

extension Market.Instance {
    /// A message to `peer` could not be delivered. An award it holds without a result goes
    /// to the next bid at once (the peer is not asked again for this job, and nothing is
    /// counted against it: unreachable is not dishonest); a check it was asked for and has
    /// not answered goes to another validator at once.
    mutating func onUnreachable(_ peer: PublicKey, now: Millis) -> [Directive] {
        guard peer != nodeID else { return [] }
        var out: [Directive] = []
        for id in state.requests.keys.sorted() {
            guard var job = state.requests[id], job.phase.isOpen else { continue }
            if job.phase == .awarded, job.award?.body.provider == peer, job.result == nil {
                job.tried.append(peer)
                out += awardNext(&job, now: now)
            } else if job.phase == .verifying, job.validatorsAsked.contains(peer), !job.validatorsAnswered.contains(peer),
                      let provider = job.result?.body.provider,
                      !peers(serving: job.request.body.modelID, excluding: [provider, nodeID] + job.validatorsAsked).isEmpty {
                // Only a validator not asked before: without one the validation timer asks again
                // later (an unreachable peer is not asked again at once).
                out += askValidators(&job, count: 1, now: now)
            } else {
                continue
            }
            state.requests[id] = job
        }
        return out
    }
}
