import AgoraCrypto

extension Market {
    /// A job request a provider could not bid on because its queue was full: it bids on it,
    /// first come first served, as soon as it has room (Protocol.md §7.8).
    struct WaitlistEntry: Equatable, Sendable {
        var request: Signed<JobRequest>
        /// When the request last arrived (a waiting requester asks again every round).
        var lastSeen: Millis
    }
}

extension Market.Instance {
    // MARK: provider: the waitlist of requests that found the queue full

    /// Bids this node holds that were neither awarded nor closed yet.
    var openBids: Int { state.provided.values.reduce(0) { $0 + ($1.phase == .bid ? 1 : 0) } }

    /// Remembers `m`, which found the queue full (or others already waiting), in its place
    /// of first arrival; returns false when the waitlist is full.
    mutating func waitlist(_ m: Signed<Market.JobRequest>, key: Market.JobKey, profile: Market.ProviderProfile, now: Millis) -> Bool {
        if let i = state.waitlist.firstIndex(where: { $0.request.body.jobID == key.jobID && $0.request.body.requester == key.requester }) {
            state.waitlist[i].lastSeen = now
            return true
        }
        guard state.waitlist.count < profile.maxWaitlist else { return false }
        state.waitlist.append(Market.WaitlistEntry(request: m, lastSeen: now))
        return true
    }

    /// Bids on waitlisted requests, oldest first, while the queue and the open bids leave
    /// room; drops those whose deadline passed, whose requester stopped asking (it found
    /// another provider, or gave up) or whose model is no longer served. Runs after every input, so a request never waits while
    /// there is room.
    mutating func serveWaitlist(now: Millis) -> [Directive] {
        guard !state.waitlist.isEmpty, let profile = settings.provider else { return [] }
        var out: [Directive] = []
        var room = profile.maxQueue - activeJobs - openBids
        while room > 0, !state.waitlist.isEmpty {
            let entry = state.waitlist.removeFirst()
            let q = entry.request.body
            guard now < q.deadline, now < entry.lastSeen + settings.waitlistStale,
                  let offer = profile.accepting(q.modelID) else { continue }
            let key = Market.JobKey(requester: q.requester, jobID: q.jobID)
            let eta = estimate(q, profile: profile)
            guard now + eta <= q.deadline else { continue }
            out += bid(on: entry.request, key: key, eta: eta, offer: offer, profile: profile, now: now)
            room -= 1
        }
        return out
    }

    /// Signs and sends a bid on `m` and remembers it.
    mutating func bid(on m: Signed<Market.JobRequest>, key: Market.JobKey, eta: Millis, offer: Market.ModelProfile,
                      profile: Market.ProviderProfile, now: Millis) -> [Directive] {
        let q = m.body
        let bid = Market.Bid(jobID: q.jobID, requestHash: m.digest, provider: nodeID, requester: q.requester,
                             pricePer1k: offer.pricePer1k, etaMillis: eta, queueDepth: UInt32(activeJobs),
                             expiresAt: now + profile.bidTTL)
        let signed = Signed(signing: bid, with: identity)
        state.provided[key] = Market.ProviderJob(request: m, bid: signed, phase: .bid)
        stats.bids += 1
        return [Self.send(signed, to: q.requester), .schedule(.bidExpiry(key), at: bid.expiresAt)]
    }
}
