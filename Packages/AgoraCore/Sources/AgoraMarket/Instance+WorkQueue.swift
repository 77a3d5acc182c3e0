import AgoraJob
import AgoraCrypto
import AgoraWire

extension Market.Instance {
    // MARK: provider and validator: the executor's work queue

    /// Jobs the executor runs now, by model.
    var runningJobs: [Digest: Int] {
        var n: [Digest: Int] = [:]
        for j in state.provided.values where j.phase == .running { n[j.request.body.modelID, default: 0] += 1 }
        return n
    }

    /// Checks the executor runs now.
    var runningChecks: Int { state.validations.values.reduce(0) { $0 + ($1.phase == .checking ? 1 : 0) } }

    /// Checks held (waiting or running).
    var heldChecks: Int {
        state.validations.values.reduce(0) { $0 + ($1.phase == .checking || $1.phase == .waiting ? 1 : 0) }
    }

    /// Work waiting for the executor: awarded jobs and checks not started yet.
    public var queuedWork: Int {
        state.provided.values.reduce(0) { $0 + ($1.phase == .queued ? 1 : 0) }
            + state.validations.values.reduce(0) { $0 + ($1.phase == .waiting ? 1 : 0) }
    }

    /// Work this node holds for the executor (waiting or running), as its peer record
    /// advertises it.
    public var queueDepth: Int { activeJobs + heldChecks }

    /// Starts waiting work while the executor has room: checks first (they are short and
    /// unblock payments) up to `checkSlots`, then jobs up to each model's `slots`, in start-time fair
    /// queueing order across requesters (each job weighted by its `maxTokens`), so one
    /// requester's flood cannot starve another's jobs; within a requester, first come first
    /// served.
    mutating func dispatchWork() -> [Directive] {
        guard let profile = settings.provider else { return [] }
        var out: [Directive] = []
        var checks = runningChecks
        while checks < profile.checkSlots,
              let next = state.validations.filter({ $0.value.phase == .waiting }).min(by: { $0.value.queueSeq < $1.value.queueSeq }) {
            state.validations[next.key]?.phase = .checking
            out.append(.verify(next.value.spec))
            checks += 1
        }
        var running = runningJobs
        // A model dropped from the profile with jobs still held runs them one at a time.
        func hasRoom(_ model: Digest) -> Bool { running[model, default: 0] < (profile.offer(model)?.slots ?? 1) }
        while let key = nextQueuedJob(where: hasRoom) {
            guard var job = state.provided[key], let payload = job.payload else {
                state.provided[key]?.phase = .closed
                continue
            }
            job.phase = .running
            state.provided[key] = job
            state.virtualTime = Swift.max(state.virtualTime, job.fairTag)
            let v = state.virtualTime
            state.finishTags = state.finishTags.filter { $0.value > v }
            let q = job.request.body
            out.append(.runJob(Market.JobSpec(key: key, modelID: q.modelID, request: payload.request)))
            out.append(Self.progressNotice(key))  // started
            running[q.modelID, default: 0] += 1
        }
        // The queue moved: every job still waiting tells its requester it is queued here (an
        // empty piece), which keeps its award alive while this node works through its queue.
        // A node that stops working stops sending these, and its awards time out.
        if !out.isEmpty {
            for (key, job) in state.provided.sorted(by: { $0.key < $1.key }) where job.phase == .queued {
                out.append(Self.progressNotice(key))
            }
        }
        return out
    }

    /// The queued job to start next among those whose model `hasRoom`: the smallest
    /// fair-queueing tag, ties by arrival.
    func nextQueuedJob(where hasRoom: (Digest) -> Bool) -> Market.JobKey? {
        state.provided.filter { $0.value.phase == .queued && hasRoom($0.value.request.body.modelID) }.min { a, b in
            a.value.fairTag != b.value.fairTag ? a.value.fairTag < b.value.fairTag : a.value.queueSeq < b.value.queueSeq
        }?.key
    }

    /// Sends `piece` to `requester`.
    static func send(_ piece: Market.StreamPiece, to requester: PublicKey) -> Directive {
        .send(to: requester, Envelope(type: .streamPiece, payload: piece.wireBytes))
    }

    /// An empty piece to `key`'s requester: "queued here" or "started" (progress, no text).
    static func progressNotice(_ key: Market.JobKey) -> Directive {
        send(Market.StreamPiece(jobID: key.jobID, offset: 0, text: []), to: key.requester)
    }
}
