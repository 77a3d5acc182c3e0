import AgoraJob
import AgoraCrypto

extension Market {
    /// A submitted job's id and the directives that start it.
    public struct Submitted: Equatable, Sendable {
        /// The new job's id.
        public var jobID: JobID
        /// Directives to carry out.
        public var directives: [Directive]
    }
}

extension Market.Instance {
    /// `Market.JobID`.
    public typealias JobID = Market.JobID
    /// `Market.Millis`.
    public typealias Millis = Market.Millis
    /// `Market.Directive`.
    public typealias Directive = Market.Directive
    /// `Market.Rejection`.
    public typealias Rejection = Market.Rejection
    /// `Market.Signed`.
    public typealias Signed = Market.Signed

    // MARK: requester: submit, cancel

    /// Submits a job as requester: signs a job request and sends it to peers advertising
    /// the model. Fails (counted, nothing sent) on invalid parameters or when the node's
    /// credit balance minus what open jobs reserve cannot cover `maxTokens` at `maxPrice`.
    public mutating func submit(_ s: Market.JobSubmission, now: Millis) -> Result<Market.Submitted, Market.Rejection> {
        func refuse(_ why: String) -> Result<Market.Submitted, Market.Rejection> {
            let r = Rejection(.invalidField, why)
            _ = reject(r, from: nil)
            return .failure(r)
        }
        let input: GenerationRequest
        do { input = try s.request.canonicalized() } catch { return refuse(error.message) }
        guard s.deadline > now else { return refuse("deadline \(s.deadline) is not after now (\(now))") }
        guard s.verificationLevel <= Market.Limits.maxVerificationLevel else {
            return refuse("verification level \(s.verificationLevel) above \(Market.Limits.maxVerificationLevel)")
        }
        let cost = Market.ResultRecord.charge(tokens: s.maxTokens, pricePer1k: s.maxPrice)
        let available = state.reputation.balance(of: nodeID) - Int64(clamping: state.reserved)
        guard available >= Int64(clamping: cost) else { return refuse("insufficient credits: \(available) available, job may cost \(cost)") }

        var jobID = JobID(unchecked: state.random.bytes(16))
        while state.requests[jobID] != nil { jobID = JobID(unchecked: state.random.bytes(16)) }
        let salt = state.random.bytes(Market.Commitment.saltLength)
        let request = Market.JobRequest(jobID: jobID, requester: nodeID, modelID: s.modelID, promptTokens: s.promptTokens,
                                        maxTokens: s.maxTokens, maxPrice: s.maxPrice, deadline: s.deadline,
                                        verificationLevel: s.verificationLevel, issuedAt: now)
        var job = Market.RequesterJob(request: Signed(signing: request, with: identity), input: input,
                                      inputBytes: input.wireBytes, promptSalt: salt, phase: .soliciting, reserved: cost,
                                      assembly: s.stream ? Market.StreamAssembly() : nil,
                                      timeline: Market.JobTimeline(submitted: now))
        state.reserved += cost
        var out = solicit(&job, round: 1, now: now)
        out.append(.schedule(.jobDeadline(jobID), at: s.deadline))
        state.requests[jobID] = job
        stats.submitted += 1
        return .success(Market.Submitted(jobID: jobID, directives: out))
    }

    /// Cancels an open job: its provider (if awarded) is told to stop; nothing is paid.
    public mutating func cancel(_ id: JobID, now: Millis) -> [Market.Directive] {
        guard var job = state.requests[id] else { return reject(.unknownJob, "no job \(id) to cancel", from: nil) }
        guard job.phase.isOpen else { return reject(.jobClosed, "job \(id) is already closed", from: nil) }
        var out: [Directive] = job.award == nil ? [] : [.journal(.closed(jobID: id))]
        if job.phase == .awarded, let award = job.award { out.append(cancelMessage(id, to: award.body.provider, now: now)) }
        job.phase = .cancelled
        release(&job)
        out.append(.notify(.jobCancelled(id)))
        state.requests[id] = job
        return out
    }

    /// The phase of a job this node requested, for the node's API ("soliciting",
    /// "awarded", "verifying", "completed", "cancelled", "failed"); nil if unknown.
    public func jobPhase(_ id: JobID) -> String? {
        guard let job = state.requests[id] else { return nil }
        switch job.phase {
        case .soliciting: return "soliciting"
        case .awarded: return "awarded"
        case .verifying: return "verifying"
        case .completed: return "completed"
        case .cancelled: return "cancelled"
        case .failed: return "failed"
        }
    }

    // MARK: requester: soliciting and awarding

    /// Sends the job request to up to `bidFanout` peers serving the model, preferring ones
    /// not asked yet, and schedules the end of the bid window.
    mutating func solicit(_ job: inout Market.RequesterJob, round: Int, now: Millis) -> [Directive] {
        let model = job.request.body.modelID
        let holding = job.bids.map(\.body.provider)
        var candidates = peers(serving: model, excluding: job.asked + job.tried + holding)
        if candidates.isEmpty { candidates = peers(serving: model, excluding: job.tried + holding) }
        if candidates.isEmpty, job.tried.count > job.caught.count {
            // Every provider was tried: those that only missed a deadline or could not run it
            // may have room now (only a failed check keeps a provider out of a job).
            job.tried = job.caught
            candidates = peers(serving: model, excluding: job.tried + holding)
        }
        let chosen = Array(state.random.shuffled(candidates).prefix(settings.bidFanout))
        job.phase = .soliciting
        job.round = round
        job.askedThisRound = chosen.count
        var out = chosen.map { Self.send(job.request, to: $0) }
        for p in chosen where !job.asked.contains(p) { job.asked.append(p) }
        // A round that found nobody to ask, or no acceptable bid, is followed by a longer one.
        let window = Swift.min(settings.maxBidWindow, settings.bidWindow << Millis(Swift.min(round - 1, 16)))
        out.append(.schedule(.bidWindow(job.request.body.jobID, round: round), at: Swift.min(now + Swift.max(1, window), job.request.body.deadline)))
        return out
    }

    /// Accepts a bid for one of this node's open jobs.
    mutating func onBid(_ m: Signed<Market.Bid>, from: PublicKey, now: Millis) -> [Directive] {
        let b = m.body
        guard b.provider == from else { return reject(.wrongParty, "bid by \(b.provider.short) arrived from \(from.short)", from: from) }
        guard b.requester == nodeID, var job = state.requests[b.jobID] else {
            return reject(.unknownJob, "bid for unknown job \(b.jobID)", from: from)
        }
        guard job.phase.isOpen else { return reject(.jobClosed, "bid for closed job \(b.jobID)", from: from) }
        guard b.requestHash == job.request.digest else { return reject(.hashMismatch, "bid names another job request", from: from) }
        guard b.expiresAt > now else { return reject(.expired, "bid expired at \(b.expiresAt), now \(now)", from: from) }
        guard b.pricePer1k <= job.request.body.maxPrice else {
            return reject(.invalidField, "bid price \(b.pricePer1k) above maximum \(job.request.body.maxPrice)", from: from)
        }
        guard !state.reputation.isExcluded(b.provider) else { return reject(.excludedPeer, "\(b.provider.short) is excluded", from: from) }
        let holding = job.bids.contains { $0.body.provider == b.provider } || job.award?.body.provider == b.provider
        guard !holding, !job.tried.contains(b.provider) else { return reject(.replay, "second bid from \(b.provider.short)", from: from) }
        job.bids.append(m)
        job.bidArrivals[b.provider] = now
        var out: [Directive] = []
        // A job that already waited a round for room takes the first acceptable bid: it
        // comes from a provider that just found room for it (its waitlist).
        let enough = job.round > 1 ? 1 : Swift.min(settings.earlyAwardBids, job.askedThisRound)
        if job.phase == .soliciting, settings.earlyAwardBids > 0 || job.round > 1, enough > 0, job.bids.count >= enough {
            out = awardNext(&job, now: now)
        }
        state.requests[b.jobID] = job
        return out
    }

    mutating func onBidWindow(_ id: JobID, round: Int, now: Millis) -> [Directive] {
        guard var job = state.requests[id], job.phase == .soliciting, job.round == round else { return [] }
        let out = awardNext(&job, now: now)
        state.requests[id] = job
        return out
    }

    /// Awards the best acceptable bid; without one, asks peers again (after a longer window
    /// each round) until the job's deadline: busy providers do not bid, and a job waits for
    /// capacity rather than failing.
    mutating func awardNext(_ job: inout Market.RequesterJob, now: Millis) -> [Directive] {
        let req = job.request.body
        guard now < req.deadline else { return fail(&job, job.waitingForExactValidator ? .noExactValidator : .deadlinePassed, now: now) }
        let tried = job.tried
        job.bids.removeAll { $0.body.expiresAt <= now || tried.contains($0.body.provider) || state.reputation.isExcluded($0.body.provider) }
        // A suspect's bid waits (it is kept for when the suspicion is refuted) while others are
        // awarded; so does one from a provider no validator can check exactly when the job
        // demands it (never a penalty: it may be checkable once validators of its class join).
        // When the job only prefers exact checks, such a bid is taken only if no provider that
        // can be checked exactly bid: a rare class buys no tolerant check while one is at hand.
        let live = job.bids.filter { !isSuspect($0.body.provider) }
        var checkable = live.filter { exactlyCheckable($0.body.provider, request: req) }
        // (This node's own bid, which needs no check, competes in either case.)
        if !demandsExactCheck(req), req.verificationLevel > 0,
           checkable.contains(where: { $0.body.provider != nodeID && checkableByClass($0.body.provider, request: req) }) {
            checkable = checkable.filter { checkableByClass($0.body.provider, request: req) }
        }
        guard let best = rank(checkable, request: req, now: now, received: job.bidArrivals).first else {
            job.award = nil
            job.awardedBid = nil
            job.awardedClass = []
            job.waitingForExactValidator = checkable.isEmpty && !rank(live, request: req, now: now).isEmpty
            return solicit(&job, round: job.round + 1, now: now)
        }
        job.waitingForExactValidator = false
        job.bids.removeAll { $0 == best }
        let payload = Market.AwardPayload(promptSalt: job.promptSalt, request: job.input)
        let sealed: [UInt8]
        do {
            sealed = try SealedBox.seal(payload.wireBytes, to: best.body.provider.x25519(), ephemeralSeed: state.random.bytes(32))
        } catch {
            job.tried.append(best.body.provider)  // its key is not a usable curve point
            return awardNext(&job, now: now)
        }
        let allowance = Swift.max(settings.minAwardTimeout, Millis(Double(best.body.etaMillis) * settings.awardTimeoutFactor))
        let completeBy = Swift.min(req.deadline, now + allowance)
        let promptCommitment = Market.Commitment.commit(job.inputBytes, salt: job.promptSalt)
        let award = Market.Award(jobID: req.jobID, bidHash: best.digest, requester: nodeID, provider: best.body.provider,
                                 awardedAt: now, completeBy: completeBy, promptCommitment: promptCommitment, sealedPayload: sealed)
        let signed = Signed(signing: award, with: identity)
        job.award = signed
        job.awards += 1
        job.awardedBid = best
        job.awardedClass = advertisedClass(of: best.body.provider, model: req.modelID)
        job.phase = .awarded
        job.timeline.awarded = now
        job.timeline.firstOutput = nil
        stats.awards += 1
        let record = Market.JournalRecord.awarded(Market.JournalAward(
            jobID: req.jobID, provider: best.body.provider, awardHash: signed.digest, pricePer1k: best.body.pricePer1k,
            maxTokens: req.maxTokens, job: .init(modelID: req.modelID, promptCommitment: promptCommitment,
                                                 verificationLevel: req.verificationLevel)))
        return [.journal(record), Self.send(signed, to: best.body.provider),
                .schedule(.awardTimeout(req.jobID, provider: best.body.provider), at: completeBy)]
    }

    /// Bids ordered by the scoring policy (lowest cost first; ties by provider key).
    ///
    /// A bid's cost is its normalised price plus its normalised estimate, the estimate
    /// calibrated (`EtaCalibration`), grown by the work this requester awarded the provider
    /// since the bid arrived (which the bid could not count), and weighed by how far its
    /// provider falls short of full trust: `price + eta · (1 + w·(1 − score))`. What a requester
    /// risks on a less trusted provider is time (a wrong result is not paid, but has to be
    /// redone), so trust scales the time: it decides between like offers but never outweighs
    /// a queue, and a proven provider that is saturated yields to a newer one with room. (A
    /// constant `w·(1 − score)` added to the cost made the first provider to earn standing win
    /// every award while its queue grew and the others idled: BENCHMARKS.md, issue [1/5].)
    func rank(_ bids: [Signed<Market.Bid>], request: Market.JobRequest, now: Millis,
              received: [PublicKey: Millis] = [:]) -> [Signed<Market.Bid>] {
        let since = awardedSince(received)
        let p = settings.scoring
        let window = Double(request.deadline > now ? request.deadline - now : 1)
        let scale = Swift.min(window, Double(Swift.max(1, p.timeScale)))
        let scored: [(Double, Signed<Market.Bid>)] = bids.compactMap { b in
            // This node's own standing never changes (it does not score itself): its bids
            // rank at the prior every newcomer has.
            let rep = state.reputation.score(of: b.body.provider)
            // Only verified misbehaviour keeps a provider out; one that missed deadlines is
            // ranked by its cost and can earn its standing back.
            guard rep >= p.minReputation || state.reputation.standing(of: b.body.provider).fails == 0 else { return nil }
            let price = request.maxPrice == 0 ? 0 : Double(b.body.pricePer1k) / Double(request.maxPrice)
            // An estimate counts as long as this provider's estimates have really taken.
            let eta = Double(b.body.etaMillis) + (since[b.body.provider] ?? 0)
            let time = eta * state.etaCalibration.factor(of: b.body.provider) / scale
            return (p.priceWeight * price + p.timeWeight * time * (1 + p.reputationWeight * (1 - rep)), b)
        }
        return scored.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1.body.provider < $1.1.body.provider }.map(\.1)
    }

    /// Estimated milliseconds of the work this requester awarded each provider of `received`
    /// at or after that provider's bid arrived, and that is still running: a bid counts the
    /// work its provider had accepted when it bid, not awards made after (several jobs
    /// awarded in one bid window must not all go to the provider that bid lowest for each).
    /// An award's work is its bid's estimate over the jobs it counted (its own included).
    func awardedSince(_ received: [PublicKey: Millis]) -> [PublicKey: Double] {
        guard !received.isEmpty else { return [:] }
        var out: [PublicKey: Double] = [:]
        for job in state.requests.values where job.phase == .awarded {
            guard let bid = job.awardedBid, let arrived = received[bid.body.provider],
                  let at = job.timeline.awarded, at >= arrived else { continue }
            out[bid.body.provider, default: 0] += Double(bid.body.etaMillis) / Double(bid.body.queueDepth + 1)
        }
        return out
    }

    mutating func onAwardTimeout(_ id: JobID, provider: PublicKey, now: Millis) -> [Directive] {
        guard var job = state.requests[id], job.phase == .awarded, job.award?.body.provider == provider else { return [] }
        // A provider that is streaming its output is making progress: it gets more time.
        if let last = job.lastProgress, now < last + settings.progressStall, now < job.request.body.deadline {
            return [.schedule(.awardTimeout(id, provider: provider), at: Swift.min(last + settings.progressStall, job.request.body.deadline))]
        }
        var out: [Directive] = []
        // A provider that membership holds suspect or dead is down, not dishonest: the job
        // moves on without a `timedOut` receipt (a crash or a stall is a fault; a provider
        // that stalls on purpose gets no new work while suspect and earns nothing).
        if state.peers.contains(where: { $0.nodeID == provider && !$0.suspect }) {
            stats.timeouts += 1
            out += receipt(for: job, provider: provider, outcome: .timedOut, recordHash: .zero, credits: 0, now: now)
        }
        out.append(cancelMessage(id, to: provider, now: now))
        job.tried.append(provider)
        out += awardNext(&job, now: now)
        state.requests[id] = job
        return out
    }

    mutating func onJobDeadline(_ id: JobID, now: Millis) -> [Directive] {
        guard var job = state.requests[id], job.phase.isOpen else { return [] }
        let out: [Directive]
        if job.phase == .verifying, job.fails.count <= job.passes.count {
            // A proven result whose validators could not check it in time: "could not check"
            // is not "failed", so it is paid and delivered without attestations (validators
            // still checking may yet attest, and a failing attestation counts as ever).
            if job.passes.count < Int(job.request.body.verificationLevel) { stats.unchecked += 1 }
            out = pay(&job, now: now)
        } else if job.phase == .verifying {
            // A failure not yet confirmed or outvoted when time ran out: the result is neither
            // delivered nor paid, and nobody is blamed on one validator's word.
            out = fail(&job, .deadlinePassed, now: now)
        } else {
            let reason: Market.FailureReason
            if job.phase == .soliciting, job.waitingForExactValidator { reason = .noExactValidator }
            else if job.award == nil, job.tried.isEmpty, job.result == nil { reason = .noBids }
            else { reason = .deadlinePassed }
            out = fail(&job, reason, now: now)
        }
        state.requests[id] = job
        return out
    }

    /// A piece of output streamed by the provider holding a job's award: progress, and a
    /// preview for a streaming user.
    mutating func onStreamPiece(_ piece: Market.StreamPiece, from: PublicKey, now: Millis) -> [Directive] {
        guard var job = state.requests[piece.jobID], job.phase == .awarded, job.award?.body.provider == from else {
            return []  // late, or from a provider no longer holding the award: a preview only
        }
        job.lastProgress = now
        if !piece.text.isEmpty, job.timeline.firstOutput == nil { job.timeline.firstOutput = now }
        var out: [Directive] = []
        if var assembly = job.assembly {
            if let text = assembly.add(piece, from: from) { out.append(.notify(.streamText(piece.jobID, text))) }
            job.assembly = assembly
        }
        state.requests[piece.jobID] = job
        return out
    }

    /// Closes a job unpaid, telling its current provider to stop.
    mutating func fail(_ job: inout Market.RequesterJob, _ reason: Market.FailureReason, now: Millis) -> [Directive] {
        var out: [Directive] = job.awards == 0 ? [] : [.journal(.closed(jobID: job.request.body.jobID))]
        if job.phase == .awarded, let award = job.award {
            out.append(cancelMessage(job.request.body.jobID, to: award.body.provider, now: now))
        }
        job.phase = .failed(reason)
        release(&job)
        out.append(.notify(.jobFailed(job.request.body.jobID, reason)))
        return out
    }

    /// Frees the credits a job reserved.
    mutating func release(_ job: inout Market.RequesterJob) {
        state.reserved -= Swift.min(state.reserved, job.reserved)
        job.reserved = 0
    }

    /// A signed cancel for `provider`.
    func cancelMessage(_ id: JobID, to provider: PublicKey, now: Millis) -> Directive {
        Self.send(Signed(signing: Market.Cancel(jobID: id, requester: nodeID, provider: provider, issuedAt: now), with: identity), to: provider)
    }

    /// Writes a receipt to the ledger and counts it in this node's own book.
    mutating func receipt(for job: Market.RequesterJob, provider: PublicKey, outcome: Market.Receipt.Outcome,
                          recordHash: Digest, credits: UInt64, validators: [PublicKey]? = nil, now: Millis) -> [Directive] {
        receipt(job: job.request.body.jobID, provider: provider, outcome: outcome, recordHash: recordHash, credits: credits,
                validators: validators ?? job.passes, now: now)
    }

    /// Writes a receipt for job `id` to the ledger and counts it in this node's own book.
    mutating func receipt(job id: JobID, provider: PublicKey, outcome: Market.Receipt.Outcome, recordHash: Digest,
                          credits: UInt64, validators: [PublicKey], now: Millis) -> [Directive] {
        let r = Market.Receipt(jobID: id, requester: nodeID, provider: provider, resultRecordHash: recordHash,
                               outcome: outcome, credits: credits, validators: validators, issuedAt: now)
        let body = r.wireBytes
        state.reputation.count(receipt: r, bodyHash: SHA256.hash(body))
        return [.appendLedger(Market.LedgerAppend(kind: .receipt, body: body, ticket: .receipt(id, provider: provider)))]
    }
}
