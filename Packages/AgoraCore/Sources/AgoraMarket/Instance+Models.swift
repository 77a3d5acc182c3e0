import AgoraCrypto

extension Market.Instance {
    // MARK: provider: models added, retired and removed at runtime

    /// Replaces this node's provider offer: models added or removed, or retired
    /// (`accepting` false) while their held work finishes. Work the new offer makes room for
    /// starts at once. A model dropped outright with work still held runs that work one
    /// job at a time; retire it first and drop it once `heldWork(model:)` is 0.
    public mutating func updateProvider(_ profile: Market.ProviderProfile?, now: Millis) -> [Directive] {
        settings.provider = profile
        return dispatchWork() + serveWaitlist(now: now)
    }

    /// Stops taking new jobs and checks of `model` (the jobs and checks held go on). Returns
    /// false when the model is not offered.
    public mutating func retire(model: Digest, now: Millis) -> Bool {
        guard var profile = settings.provider, let i = profile.offers.firstIndex(where: { $0.modelID == model }) else { return false }
        profile.offers[i].accepting = false
        settings.provider = profile
        state.waitlist.removeAll { $0.request.body.modelID == model }
        return true
    }

    /// Work this node holds for `model`: jobs awarded and not yet delivered, and checks not
    /// yet attested. A retired model is unloaded once this is 0.
    public func heldWork(model: Digest) -> Int {
        let jobs = state.provided.values.reduce(0) { n, j in
            n + ((j.phase == .queued || j.phase == .running || j.phase == .appending) && j.request.body.modelID == model ? 1 : 0)
        }
        let checks = state.validations.values.reduce(0) { n, v in
            n + ((v.phase == .waiting || v.phase == .checking || v.phase == .appending) && v.spec.modelID == model ? 1 : 0)
        }
        return jobs + checks
    }
}
