import AgoraJob
import AgoraCrypto
import AgoraWire

extension Market.Instance {
    // MARK: provider

    /// Bids on a job request for a model this node serves, if its price is acceptable,
    /// it has queue room and its estimate meets the deadline. A request it does not want is
    /// not an error: it returns no directive.
    mutating func onJobRequest(_ m: Signed<Market.JobRequest>, from: PublicKey, now: Millis) -> [Directive] {
        let q = m.body
        guard q.requester == from else { return reject(.wrongParty, "request by \(q.requester.short) arrived from \(from.short)", from: from) }
        guard let profile = settings.provider else { return [] }
        guard let offer = profile.accepting(q.modelID) else {
            return reject(.invalidField, "model \(q.modelID.hex.prefix(8)) not served", from: from)
        }
        guard q.deadline > now else { return reject(.expired, "request deadline \(q.deadline) has passed (now \(now))", from: from) }
        guard !state.reputation.isExcluded(q.requester) else { return reject(.excludedPeer, "\(q.requester.short) is excluded", from: from) }
        let key = Market.JobKey(requester: q.requester, jobID: q.jobID)
        if let seen = state.provided[key] {
            // The same request asked again after our bid lapsed unused, or after the
            // requester withdrew our award (a later solicitation round), may be bid on
            // again; anything else is a replay.
            guard seen.phase == .closed && seen.award == nil || seen.phase == .cancelled, seen.request.digest == m.digest else {
                return reject(.replay, "job request \(key) already seen", from: from)
            }
        }
        guard q.maxPrice >= offer.pricePer1k else { return [] }
        // A full queue, or requests already waiting for room: this one waits its turn (it is
        // bid on first come, first served, as room frees; `serveWaitlist`).
        guard activeJobs < profile.maxQueue, state.waitlist.isEmpty else {
            _ = waitlist(m, key: key, profile: profile, now: now)
            return []
        }
        let eta = estimate(q, profile: profile)
        guard now + eta <= q.deadline else { return [] }
        return bid(on: m, key: key, eta: eta, offer: offer, profile: profile, now: now)
    }

    /// Jobs awarded and not yet delivered (queued, running or being appended).
    var activeJobs: Int {
        state.provided.values.reduce(0) { $0 + ($1.phase == .queued || $1.phase == .running || $1.phase == .appending ? 1 : 0) }
    }

    /// Milliseconds to finish job `q` after the work ahead of it, from measured speeds (the
    /// single-stream speed of each job's model: batching only makes the real figure smaller;
    /// the models share the cores, so all of the node's work is ahead). Ahead of a new bid
    /// are the jobs accepted (queued and running), not other live bids: most bids are not
    /// taken, and counting them made an idle provider in a burst bid as if it held every job
    /// it had bid on, no lower than a busy one. A requester adds what it awarded a provider
    /// after its bid (`awardedSince`).
    func estimate(_ q: Market.JobRequest, profile: Market.ProviderProfile) -> Millis {
        // Integer sums per model first: dictionary order must not reach the (signed) estimate.
        var queuedTokens: [Digest: UInt64] = [:]
        for j in state.provided.values where j.phase == .running || j.phase == .queued {
            queuedTokens[j.request.body.modelID, default: 0] += UInt64(j.request.body.maxTokens)
        }
        func decode(_ model: Digest) -> Double { Swift.max(profile.offer(model)?.decodeTokensPerSecond ?? 0, 0.001) }
        let queued = queuedTokens.keys.sorted().reduce(0.0) { $0 + Double(queuedTokens[$1] ?? 0) / decode($1) }
        let prefill = Swift.max(profile.offer(q.modelID)?.prefillTokensPerSecond ?? 0, 0.001)
        let own = Double(q.promptTokens) / prefill + Double(q.maxTokens) / decode(q.modelID)
        return Millis(((queued + own) * 1000).rounded(.up))
    }

    mutating func onBidExpiry(_ key: Market.JobKey, now: Millis) -> [Directive] {
        guard var job = state.provided[key], job.phase == .bid, job.bid.body.expiresAt <= now else { return [] }
        job.phase = .closed
        state.provided[key] = job
        return []
    }

    /// Runs an award for one of this node's live bids, once: it must be signed by the job's
    /// requester, name this node and the bid, and carry a prompt that opens and matches its
    /// commitment.
    mutating func onAward(_ m: Signed<Market.Award>, from: PublicKey, now: Millis) -> [Directive] {
        let a = m.body
        let key = Market.JobKey(requester: a.requester, jobID: a.jobID)
        guard var job = state.provided[key] else {
            if state.provided.keys.contains(where: { $0.jobID == a.jobID }) {
                return reject(.notRequester, "award for \(a.jobID) signed by \(a.requester.short), not the job's requester", from: from)
            }
            return reject(.unknownJob, "award for unknown job \(a.jobID)", from: from)
        }
        guard a.requester == from else { return reject(.notRequester, "award by \(a.requester.short) arrived from \(from.short)", from: from) }
        guard a.provider == nodeID else { return reject(.wrongParty, "award names \(a.provider.short), not this node", from: from) }
        if job.award?.digest == m.digest { return reject(.replay, "award for \(key) already accepted", from: from) }
        guard job.phase == .bid else { return reject(.jobClosed, "award for \(key) in phase \(job.phase)", from: from) }
        guard a.bidHash == job.bid.digest else { return reject(.hashMismatch, "award names another bid", from: from) }
        guard job.bid.body.expiresAt > now else { return reject(.expired, "award after the bid expired at \(job.bid.body.expiresAt)", from: from) }
        guard a.completeBy > now else { return reject(.expired, "award's completeBy \(a.completeBy) has passed", from: from) }
        let payload: Market.AwardPayload
        do {
            payload = try Market.AwardPayload(wireBytes: SealedBox.open(a.sealedPayload, with: identity))
        } catch {
            return reject(.undecryptable, "award payload does not open or decode: \(error)", from: from)
        }
        guard Market.Commitment.commit(payload.requestBytes, salt: payload.promptSalt) == a.promptCommitment else {
            return reject(.hashMismatch, "prompt does not match the award's commitment", from: from)
        }
        guard payload.request.parameters.maxTokens == Int(job.request.body.maxTokens) else {
            return reject(.invalidField, "the sealed job asks for \(payload.request.parameters.maxTokens) tokens, its request for \(job.request.body.maxTokens)", from: from)
        }
        if let profile = settings.provider,
           profile.accepting(job.request.body.modelID) == nil || activeJobs >= profile.maxQueue
            || now + estimate(job.request.body, profile: profile) > a.completeBy {
            // Full, too busy to finish by `completeBy`, or retiring the model, since it bid: the award goes back
            // (no penalty), and a later round may ask again. An accepted award is one this
            // node expects to meet.
            job.phase = .closed
            state.provided[key] = job
            return [decline(job, m, reason: .unavailable, now: now)]
        }
        job.award = m
        job.payload = payload
        job.phase = .queued
        job.streamed = 0
        job.queueSeq = state.queueSeq
        state.queueSeq += 1
        // Start-time fair queueing, each job weighted by the tokens it may generate.
        job.fairTag = Swift.max(state.virtualTime, state.finishTags[key.requester] ?? 0)
        state.finishTags[key.requester] = job.fairTag + UInt64(Swift.max(1, job.request.body.maxTokens))
        state.provided[key] = job
        var out = dispatchWork()
        if state.provided[key]?.phase == .queued {
            // Tell the requester the job is queued here (progress: the award is alive).
            out.append(Self.progressNotice(key))
        }
        return out
    }

    /// The requester withdrew the job: stop the executor, send nothing.
    mutating func onCancel(_ m: Signed<Market.Cancel>, from: PublicKey, now: Millis) -> [Directive] {
        let c = m.body
        let key = Market.JobKey(requester: c.requester, jobID: c.jobID)
        guard var job = state.provided[key] else { return reject(.unknownJob, "cancel for unknown job \(c.jobID)", from: from) }
        guard c.requester == from else { return reject(.notRequester, "cancel by \(c.requester.short) arrived from \(from.short)", from: from) }
        guard c.provider == nodeID else { return reject(.wrongParty, "cancel names \(c.provider.short)", from: from) }
        switch job.phase {
        case .bid, .appending:
            job.phase = .cancelled
            state.provided[key] = job
            return []
        case .queued:
            job.phase = .cancelled
            job.payload = nil
            state.provided[key] = job
            return []
        case .running:
            job.phase = .cancelled
            job.payload = nil
            state.provided[key] = job
            return [.cancelJob(key)] + dispatchWork()
        case .delivered:
            // A requester that restarted cancels what it had open; a result it never got is
            // sent again, with the job's input boxed back to it, for it to have checked and pay
            // once.
            if let sent = job.sent { return (job.sentInput.map { [Self.send($0, to: from)] } ?? []) + [Self.send(sent, to: from)] }
            return reject(.jobClosed, "cancel for \(key) after it closed", from: from)
        case .cancelled, .closed:
            return reject(.jobClosed, "cancel for \(key) after it closed", from: from)
        }
    }

    mutating func onExecutionFinished(_ key: Market.JobKey, _ output: Market.ExecutionOutput, now: Millis) -> [Directive] {
        guard var job = state.provided[key], job.phase == .running, let award = job.award else { return [] }
        let salt = state.random.bytes(Market.Commitment.saltLength)
        let tokens = Array(output.tokens.prefix(Int(job.request.body.maxTokens)))
        let count = UInt32(tokens.count)
        let logprobs = output.logprobs.isEmpty ? [] : Array(output.logprobs.prefix(tokens.count))
        let price = job.bid.body.pricePer1k
        let record = Market.ResultRecord(
            jobID: key.jobID, requester: key.requester, provider: nodeID, modelID: job.request.body.modelID,
            promptCommitment: award.body.promptCommitment,
            outputCommitment: Market.Commitment.commit(output.text, salt: salt), outputTokenCount: count,
            outputTokensHash: Market.Commitment.tokens(tokens, logprobs: logprobs, salt: salt),
            fingerprint: Array(output.fingerprint.prefix(Market.Limits.maxFingerprintBytes)), pricePer1k: price,
            credits: Market.ResultRecord.charge(tokens: count, pricePer1k: price), awardedAt: award.body.awardedAt,
            startedAt: output.startedAt, finishedAt: output.finishedAt)
        job.record = record
        job.output = Market.OutputPayload(outputSalt: salt, tokens: tokens, text: output.text, logprobs: logprobs,
                                          promptTokens: output.promptTokens)
        job.phase = .appending
        state.provided[key] = job
        return [.appendLedger(Market.LedgerAppend(kind: .result, body: record.wireBytes, ticket: .result(key)))] + dispatchWork()
    }

    mutating func onExecutionFailed(_ key: Market.JobKey, now: Millis) -> [Directive] {
        guard var job = state.provided[key], job.phase == .running, let award = job.award else { return [] }
        job.phase = .closed
        job.payload = nil
        state.provided[key] = job
        return [decline(job, award, reason: .executionFailed, now: now)] + dispatchWork()
    }

    /// Streams newly generated text of a running job to its requester (a preview).
    mutating func onGenerated(_ key: Market.JobKey, text: [UInt8]) -> [Directive] {
        guard var job = state.provided[key], job.phase == .running else { return [] }
        var out: [Directive] = []
        var offset = job.streamed
        var rest = text[...]
        // Whole pieces of at most maxTextBytes, split on character boundaries.
        while !rest.isEmpty, offset < Market.StreamPiece.maxOffset {
            var n = Swift.min(rest.count, Market.StreamPiece.maxTextBytes)
            while n < rest.count, n > 0, rest[rest.startIndex + n] & 0xC0 == 0x80 { n -= 1 }
            guard n > 0 else { break }
            let chunk = Array(rest.prefix(n))
            out.append(Self.send(Market.StreamPiece(jobID: key.jobID, offset: offset, text: chunk), to: key.requester))
            offset += UInt64(n)
            rest = rest.dropFirst(n)
        }
        job.streamed = offset
        state.provided[key] = job
        return out
    }

    func decline(_ job: Market.ProviderJob, _ award: Signed<Market.Award>, reason: Market.Decline.Reason, now: Millis) -> Directive {
        let d = Market.Decline(jobID: job.request.body.jobID, provider: nodeID, requester: job.request.body.requester,
                               awardHash: award.digest, reason: reason, issuedAt: now)
        return Self.send(Signed(signing: d, with: identity), to: job.request.body.requester)
    }

    mutating func onLedgerAppended(_ ticket: Market.LedgerTicket, _ proof: Market.EntryProof, now: Millis) -> [Directive] {
        switch ticket {
        case .result(let key): return deliver(key, proof: proof)
        case .attestation(let hash): return attest(hash, proof: proof)
        case .evidence: return []
        case .receipt(_, let provider):
            // The provider learns what it was paid from the receipt entry itself (checked
            // against the requester's signed checkpoint like any observed entry).
            guard provider != nodeID else { return [] }
            return [.send(to: provider, Envelope(type: .receipt, payload: proof.wireBytes))]
        }
    }

    /// Sends the appended result with its proof and the output boxed to the requester.
    mutating func deliver(_ key: Market.JobKey, proof: Market.EntryProof) -> [Directive] {
        guard var job = state.provided[key], let record = job.record, let output = job.output, let award = job.award else { return [] }
        // Appending finished after a cancel: the entry stays in the ledger, nothing is sent.
        guard job.phase == .appending else { return [] }
        guard let sealed = try? Box.seal(output.wireBytes, from: identity, to: key.requester, nonce: state.random.bytes(24)) else {
            job.phase = .closed
            state.provided[key] = job
            return []
        }
        let msg = Market.ResultMessage(jobID: key.jobID, requester: key.requester, provider: nodeID, awardHash: award.digest,
                                       record: record, entryProof: proof, sealedOutput: sealed)
        job.phase = .delivered
        if let payload = job.payload,
           let boxed = try? Box.seal(payload.wireBytes, from: identity, to: key.requester, nonce: state.random.bytes(24)) {
            let input = Market.ReconcileInput(jobID: key.jobID, requester: key.requester, provider: nodeID, awardHash: award.digest,
                                              sealedInput: boxed)
            job.sentInput = Signed(signing: input, with: identity)
        }
        job.payload = nil  // the prompt is no longer needed in the clear
        let signed = Signed(signing: msg, with: identity)
        job.sent = signed
        state.provided[key] = job
        stats.delivered += 1
        return [Self.send(signed, to: key.requester)]
    }
}
