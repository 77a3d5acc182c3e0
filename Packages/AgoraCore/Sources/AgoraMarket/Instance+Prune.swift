import AgoraCrypto

extension Market.Instance {
    /// Forgets jobs closed for longer than `settings.retention` after their deadline, and
    /// finished validations as old. The shell calls it now and then (say once a minute).
    /// Messages about a forgotten job are refused as `unknownJob`; a job request for it is
    /// refused as `expired` (its deadline has passed), so pruning never reopens a job.
    public mutating func prune(now: Millis) {
        let horizon = now > settings.retention ? now - settings.retention : 0
        state.requests = state.requests.filter { _, job in
            job.phase.isOpen || job.request.body.deadline >= horizon
        }
        state.provided = state.provided.filter { _, job in
            job.phase == .running || job.phase == .appending || job.request.body.deadline >= horizon
        }
        state.validations = state.validations.filter { _, v in
            v.phase != .done || v.request.body.issuedAt >= horizon
        }
    }

    /// Jobs, provider jobs and validations currently remembered (for metrics and tests).
    public var rememberedJobs: (requested: Int, provided: Int, validations: Int) {
        (state.requests.count, state.provided.count, state.validations.count)
    }
}
