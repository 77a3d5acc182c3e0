import CLlama
import Foundation

/// The one owner of a `llama_context`: a dedicated thread (off Swift's cooperative pool)
/// that admits jobs from a bounded queue into slots and decodes all active slots together,
/// each as its own sequence of one batch, as llama.cpp's server does with parallel slots.
final class LlamaWorker: @unchecked Sendable {
    // Safety: `context`, `batch` and `slots` are used only on `thread` (here and in
    // LlamaWorker+Verification.swift); `pending`, `stopping` and `running` are guarded by
    // `condition`.
    let model: LlamaModel
    let configuration: EngineConfiguration
    let fingerprintBase: RuntimeFingerprint
    let context: OpaquePointer
    var batch: llama_batch
    let batchCapacity: Int32
    var slots: [Slot?]
    /// What each sequence keeps in the KV cache between jobs (worker thread only).
    private var prefixes: PrefixCache
    private let condition = NSCondition()
    private var pending: [Job] = []
    private var stopping = false
    /// Step timings since the last `takeProfile()` (guarded by `condition`), and the end of
    /// the previous busy step (worker thread only; 0 when no job was running).
    private var profile = StepProfile()
    /// Busy time since the engine started (guarded by `condition`).
    private var busy = BusyTime()
    /// Jobs finished during the current step, with their results (worker thread only).
    private var finished: [(Job, Result<Job.Output, ExecutorError>)] = []
    private var lastStepEnd: UInt64 = 0
    /// The engine's own output layer for verification (worker thread only after `init`).
    let outputLayer: OutputLayer
    /// Whether the last step was a verification's own (worker thread only).
    private var lastStepVerified = false
    /// How verification logits are computed (set once in `init`).
    let outputLayerStatus: String
    /// Whether this model's logits for a sequence are the same whatever other sequences share
    /// its decode step (measured once in `init`; see `testBatchInvariance`). Exact checks need it.
    let batchInvariant: Bool
    /// Whether a text's logits are the same decoded as a provider generates it and as a
    /// validator checks it (`testCheckShapeInvariance`); part of `batchInvariant`.
    let checkShapeInvariant: Bool

    /// Creates the context (blocking; call off the cooperative pool) and starts the thread.
    init(model: LlamaModel, configuration c: EngineConfiguration) throws(ExecutorError) {
        self.model = model
        configuration = c
        var params = llama_context_default_params()
        let nCtx = UInt32(c.slots * c.contextPerSlot)
        params.n_ctx = nCtx
        params.n_batch = nCtx
        params.n_ubatch = UInt32(Self.microBatch)
        // Flash attention off: with it, and with llamafile's sgemm, a token's logits depend on
        // the batch it is decoded in, and exact verification is impossible (VerificationMode).
        params.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED
        params.n_seq_max = UInt32(c.slots)
        params.n_threads = Int32(c.threads)
        params.n_threads_batch = Int32(c.threads)
        params.no_perf = true
        params.kv_unified = false
        let layer = OutputLayer(embedding: Int(llama_model_n_embd(model.pointer)), threads: c.threads,
                                kernel: c.outputLayerKernel)
        outputLayer = layer
        if c.ownOutputLayer, let capture = layer.capture {
            params.cb_eval = OutputLayer.callback
            params.cb_eval_user_data = UnsafeMutableRawPointer(capture)
        }
        guard let ctx = llama_init_from_model(model.pointer, params) else {
            throw ExecutorError(.contextCreateFailed, "llama.cpp could not create a context of \(nCtx) tokens for \(model.info.path) (out of memory? lower slots or context per slot)")
        }
        context = ctx
        batchCapacity = Int32(nCtx)
        batch = llama_batch_init(Int32(nCtx), 0, 1)
        slots = Array(repeating: nil, count: c.slots)
        prefixes = PrefixCache(sequences: c.slots)
        // Every slot is free before the thread starts: a job submitted at once must not be
        // refused because the thread has not yet published its count.
        freeSlotEstimate = c.slots
        fingerprintBase = RuntimeFingerprint(
            llamaBuild: LlamaBackend.build, modelID: model.info.id, sampling: "", seed: 0,
            arithmetic: LlamaWorker.arithmetic(of: model))
        if c.ownOutputLayer, layer.capture != nil {
            LlamaWorker.testOutputLayer(layer, context: ctx, batch: &batch, model: model)
            outputLayerStatus = layer.enabled
                ? "engine kernel (\(OutputLayerKernel.name(ofC: layer.kernel)), bit-identical to llama.cpp's, checked at start-up)"
                : "llama.cpp (the engine's kernel is off: \(layer.disabledReason ?? "unknown"))"
        } else {
            outputLayerStatus = "llama.cpp (the engine's kernel is off by configuration)"
        }
        checkShapeInvariant = LlamaWorker.testCheckShapeInvariance(context: ctx, batch: &batch, model: model)
        batchInvariant = checkShapeInvariant
            && LlamaWorker.testBatchInvariance(context: ctx, batch: &batch, model: model, sequences: c.slots)
        // The self-tests leave nothing behind that `prefixes` would have to know of.
        for s in 0..<c.slots { _ = llama_memory_seq_rm(llama_get_memory(ctx), Int32(s), -1, -1) }
        // The running thread keeps the worker alive; the worker keeps no reference to the
        // thread, so once `stop` ends the loop and the engine is dropped, the context, the
        // KV cache and the model are freed (a model removed at runtime gives its memory back).
        let t = Thread { [self] in self.run() }
        t.name = "agora-llama-worker"
        t.stackSize = 8 << 20
        t.start()
    }

    deinit {
        // The thread frees both when it ends; a worker whose thread never ran frees them here.
        condition.lock()
        let ended = hasEnded
        condition.unlock()
        if !ended {
            llama_batch_free(batch)
            llama_free(context)
        }
    }

    /// The options of every context this build creates that change the arithmetic. The thread
    /// count is not one: no op splits a sum across threads, so it does not change a single bit
    /// (BENCHMARKS.md).
    static var contextOptions: String { "flash_attn=off | kv=f16 | n_ubatch=\(microBatch)" }

    /// The arithmetic of this build on this CPU: the CPU features ggml uses and the context
    /// options (what a speed measurement depends on, and the class of a model the portable
    /// definition does not cover).
    static var nativeArithmetic: String { "\(LlamaBackend.systemInfo) | \(contextOptions)" }

    /// The arithmetic class of `model`'s results: the portable definition's, the same on every
    /// CPU, when the build follows one and covers every op of the model; else this CPU's own.
    static func arithmetic(of model: LlamaModel) -> String {
        if model.portableCovered, let version = PortableExact.buildVersion {
            return PortableExact.arithmetic(version: version, options: contextOptions)
        }
        return nativeArithmetic
    }

    /// Tokens llama.cpp computes at once (`n_ubatch`): it sizes the compute buffer.
    static let microBatch = 512
    /// Positions whose logits a verification computes at once with the engine's output layer.
    static let outputChunk = 64

    /// Queues `job`; throws `queueFull` at once when the queue is at capacity.
    func submit(_ job: Job) throws(ExecutorError) { try submit([job]) }

    /// Queues `jobs` together (the worker admits them in one step if slots are free), or
    /// none of them when the queue cannot take them all.
    func submit(_ jobs: [Job]) throws(ExecutorError) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { throw ExecutorError(.engineClosed, "the engine for \(model.info.name) has been shut down") }
        // Cancelled jobs no longer count against the capacity; the worker reports them.
        if pending.contains(where: { $0.isCancelled }) { condition.signal() }
        let live = pending.filter { !$0.isCancelled }.count
        guard live + jobs.count <= configuration.queueCapacity + freeSlotEstimate else {
            throw ExecutorError(.queueFull, "\(live) jobs are already waiting for \(configuration.slots) busy slots (queue capacity \(configuration.queueCapacity)); retry later")
        }
        pending.append(contentsOf: jobs)
        condition.signal()
    }

    /// Slots not yet holding a job, as last published by the worker thread (guarded by `condition`).
    private var freeSlotEstimate = 0

    /// Stops the thread after failing every waiting and running job with `engineClosed`.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    /// Returns once the worker's thread has ended (after `stop`).
    func ended() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            condition.lock()
            if hasEnded {
                condition.unlock()
                c.resume()
            } else {
                endWaiters.append(c)
                condition.unlock()
            }
        }
    }

    /// Whether the thread has ended, and who waits for it (guarded by `condition`).
    private var hasEnded = false
    private var endWaiters: [CheckedContinuation<Void, Never>] = []

    /// Busy time since the engine started.
    func busyTime() -> BusyTime {
        condition.lock()
        defer { condition.unlock() }
        return busy
    }

    /// The step timings since the last call, then starts counting afresh.
    func takeProfile() -> StepProfile {
        condition.lock()
        defer { profile = StepProfile(); condition.unlock() }
        return profile
    }

    // MARK: the thread

    private func run() {
        while true {
            guard let admitted = admit() else { break }
            for job in admitted { start(job) }
            reapCancelled()
            if slots.allSatisfy({ $0 == nil }) { deliver(); continue }
            step()
            deliver()
        }
        let closed = ExecutorError(.engineClosed, "the engine for \(model.info.name) was shut down")
        for i in slots.indices { if let s = slots[i] { finish(i, .failure(closed), s) } }
        deliver()
        condition.lock()
        let left = pending
        pending.removeAll()
        condition.unlock()
        for job in left { job.onFinish(.failure(closed)) }
        // Nothing uses the context after the loop: its KV cache and buffers go now, not when
        // the last reference to the worker drops (a removed model gives its memory back at once).
        llama_batch_free(batch)
        llama_free(context)
        condition.lock()
        hasEnded = true
        let waiters = endWaiters
        endWaiters.removeAll()
        condition.unlock()
        for w in waiters { w.resume() }
    }

    /// Moves waiting jobs into free slots; blocks while there is nothing to do. Returns nil
    /// when the engine stops.
    private func admit() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while !stopping && pending.isEmpty && slots.allSatisfy({ $0 == nil }) { condition.wait() }
        if stopping { return nil }
        var taken: [Job] = []
        var free = slots.filter { $0 == nil }.count
        while free > 0, !pending.isEmpty {
            taken.append(pending.removeFirst())
            free -= 1
        }
        freeSlotEstimate = free
        return taken
    }

    /// Puts `job` in the free slot whose sequence shares the longest prefix with its prompt
    /// (`PrefixCache`), keeping that prefix's keys and values and dropping the rest.
    private func start(_ job: Job) {
        let free = slots.indices.filter { slots[$0] == nil }
        guard let first = free.first else { return }
        if job.isCancelled {
            job.onFinish(.failure(ExecutorError(.cancelled, "the job was cancelled before it started")))
            return
        }
        let memory = llama_get_memory(context)
        var (i, reuse) = (first, 0)
        if configuration.reusesPromptPrefixes, job.reusesCachedPrefix,
           let choice = prefixes.choose(for: job.prompt, among: free) {
            (i, reuse) = choice
        }
        // A sequence that cannot drop only its tail (a recurrent model's) starts afresh.
        if reuse == 0 || !llama_memory_seq_rm(memory, Int32(i), llama_pos(reuse), -1) {
            _ = llama_memory_seq_rm(memory, Int32(i), -1, -1)
            reuse = 0
        }
        prefixes.truncate(i, to: reuse)
        do {
            slots[i] = try Slot(job: job, seq: Int32(i), reused: reuse, fingerprint: fingerprintBase, model: model)
        } catch {
            job.onFinish(.failure(error))
        }
    }

    private func reapCancelled() {
        for i in slots.indices {
            guard let s = slots[i], s.job.isCancelled else { continue }
            finish(i, s.cancelledResult(model: model), s)
        }
        condition.lock()
        let cancelled = pending.filter { $0.isCancelled }
        pending.removeAll { $0.isCancelled }
        condition.unlock()
        for job in cancelled { job.onFinish(.failure(ExecutorError(.cancelled, "the job was cancelled while queued"))) }
    }

    /// One `llama_decode` over every active slot, then sampling or checking per slot. A
    /// verification with tokens to decode gets a step of its own when the engine computes its
    /// output layer (`verificationStep`).
    private func step() {
        let own = outputLayer.enabled
        if own, let v = slots.firstIndex(where: { $0?.awaitsVerificationDecode == true }) {
            // Verification steps alternate with generation steps, so that a stream of
            // verifications cannot stall the jobs generating beside them.
            let generating = slots.contains { $0 != nil && $0?.awaitsVerificationDecode == false }
            if !(lastStepVerified && generating) {
                lastStepVerified = true
                verificationStep(v)
                return
            }
        }
        lastStepVerified = false
        let started = DispatchTime.now().uptimeNanoseconds
        var decodeNanos: UInt64 = 0
        batch.n_tokens = 0
        var rows: [[(row: Int32, position: Int)]] = Array(repeating: [], count: slots.count)
        var checkTokens = 0
        for i in slots.indices {
            guard var s = slots[i] else { continue }
            if own && s.awaitsVerificationDecode { continue }  // it gets a step of its own
            let room = Int(batchCapacity - batch.n_tokens)
            // Verifications together feed at most a micro-batch a step (see `verificationStep`).
            let items = s.nextInputs(budget: s.isVerification ? min(room, Self.microBatch - checkTokens) : room)
            if s.isVerification { checkTokens += items.count }
            slots[i] = s
            for item in items {
                let k = batch.add(token: item.token, position: item.position, seq: s.seq, wantsLogits: item.wantsLogits)
                if item.wantsLogits { rows[i].append((k, item.position)) }
            }
        }
        guard batch.n_tokens > 0 else { return }
        // Only steps that decode are profiled.
        let checking = Double(checkTokens) / Double(batch.n_tokens)
        defer { record(started: started, decodeNanos: decodeNanos, checking: checking) }
        let decodeStart = DispatchTime.now().uptimeNanoseconds
        let status = ComputeThread.decode(context, batch)
        decodeNanos = DispatchTime.now().uptimeNanoseconds - decodeStart
        if status != 0 {
            let err = ExecutorError(.decodeFailed, "llama_decode returned \(status) for a batch of \(batch.n_tokens) tokens (1 = no room in the KV cache)")
            for i in slots.indices { if let s = slots[i] { finish(i, .failure(err), s) } }
            return
        }
        let vocabSize = model.info.vocabularySize
        for i in slots.indices {
            guard var s = slots[i] else { continue }
            s.consumeInputs()
            for r in rows[i] {
                guard let ptr = llama_get_logits_ith(context, r.row) else { continue }
                s.receive(logits: UnsafeBufferPointer(start: ptr, count: vocabSize), position: r.position,
                          model: model)
            }
            if let result = s.finishedResult(model: model) {
                finish(i, result, s)
            } else {
                slots[i] = s
            }
        }
    }

    /// Adds one step to `profile`: its decode time, and the rest of it plus the gap since the
    /// previous step (when jobs were running through it) as the engine's own time; and the
    /// step's time to `busy`, the `checking` share of it to checks.
    func record(started: UInt64, decodeNanos: UInt64, checking: Double) {
        let end = DispatchTime.now().uptimeNanoseconds
        let gap = lastStepEnd > 0 ? started - lastStepEnd : 0
        lastStepEnd = slots.contains { $0 != nil } ? end : 0
        condition.lock()
        profile.steps += 1
        profile.decodeSeconds += Double(decodeNanos) / 1e9
        profile.engineSeconds += Double(end - started - decodeNanos + gap) / 1e9
        let seconds = Double(end - started) / 1e9
        busy.checkingSeconds += seconds * checking
        busy.generatingSeconds += seconds * (1 - checking)
        condition.unlock()
    }

    /// Ends slot `i`'s job. Its sequence keeps the keys and values of the tokens it decoded
    /// for the next job that shares their prefix, unless a decode failed (then what the
    /// cells hold is unknown and they are cleared).
    func finish(_ i: Int, _ result: Result<Job.Output, ExecutorError>, _ s: Slot) {
        slots[i] = nil
        if case .failure(let e) = result, e.code == .decodeFailed || !configuration.reusesPromptPrefixes {
            _ = llama_memory_seq_rm(llama_get_memory(context), Int32(i), -1, -1)
            prefixes.clear(i)
        } else {
            prefixes.set(i, to: s.decodedTokens)
        }
        condition.lock()
        freeSlotEstimate = slots.filter { $0 == nil }.count
        condition.unlock()
        finished.append((s.job, result))
    }

    /// Hands finished jobs their results, after the step that finished them is recorded in
    /// `profile`, so a caller that reads the profile on its result sees every step.
    private func deliver() {
        let done = finished
        finished.removeAll()
        for (job, result) in done { job.onFinish(result) }
    }
}
