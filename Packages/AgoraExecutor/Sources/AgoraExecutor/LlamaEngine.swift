import Foundation

/// `InferenceEngine` over llama.cpp: one loaded GGUF model, one `LlamaWorker` thread that
/// owns the llama context, a bounded queue in front of it, and concurrent jobs decoded
/// together as sequences of one batch.
public final class LlamaEngine: InferenceEngine {
    /// The loaded model.
    public let model: ModelInfo
    /// Speed measured at start-up (nil when `measureSpeedAtStart` is false).
    public let speed: SpeedProfile?
    /// The configuration the engine runs with.
    public let configuration: EngineConfiguration
    let llama: LlamaModel
    let worker: LlamaWorker

    /// False for the short-lived probe that measures speed before the engine exists.
    private let ownsWorker: Bool

    /// Where loading took its time.
    public struct LoadTimings: Sendable, Equatable, CustomStringConvertible {
        /// Mapping the weights (`llama_model_load_from_file`).
        public var weightsSeconds = 0.0
        /// Creating the context and the start-up self-tests (output layer, batch invariance).
        public var contextSeconds = 0.0
        /// Measuring prefill and decode speed.
        public var speedSeconds = 0.0

        public var description: String {
            String(format: "weights %.2f s, context and self-tests %.2f s, speed %.2f s", weightsSeconds, contextSeconds, speedSeconds)
        }
    }

    /// Where loading took its time.
    public let loadTimings: LoadTimings

    private init(llama: LlamaModel, worker: LlamaWorker, configuration: EngineConfiguration, speed: SpeedProfile?,
                 ownsWorker: Bool = true, loadTimings: LoadTimings = LoadTimings()) {
        self.ownsWorker = ownsWorker
        self.loadTimings = loadTimings
        self.llama = llama
        self.worker = worker
        self.configuration = configuration
        self.model = llama.info
        self.speed = speed
    }

    deinit { if ownsWorker { worker.stop() } }

    /// Loads the model (hashing it on first use), creates the context and, if configured,
    /// measures its own speed. Blocking llama.cpp work runs on a dedicated thread.
    public static func load(_ configuration: EngineConfiguration = EngineConfiguration()) async throws(ExecutorError) -> LlamaEngine {
        try configuration.validate()
        var timings = LoadTimings()
        let loaded: Result<(LlamaModel, LlamaWorker, LoadTimings), ExecutorError> = await withCheckedContinuation { cont in
            let t = Thread {
                do throws(ExecutorError) {
                    var timings = LoadTimings()
                    let start = Clock.seconds()
                    let m = try LlamaModel(path: configuration.modelPath, contextLength: configuration.contextPerSlot)
                    let mapped = Clock.seconds()
                    let w = try LlamaWorker(model: m, configuration: configuration)
                    timings.weightsSeconds = mapped - start
                    timings.contextSeconds = Clock.seconds() - mapped
                    cont.resume(returning: .success((m, w, timings)))
                } catch {
                    cont.resume(returning: .failure(error))
                }
            }
            t.stackSize = 8 << 20
            t.start()
        }
        let (llama, worker, made) = try loaded.get()
        timings = made
        var speed: SpeedProfile?
        let measuring = Clock.seconds()
        let cache = configuration.speedCachePath.map(SpeedCache.init(path:))
        if configuration.measureSpeedAtStart {
            if let cached = cache?.speed(modelID: llama.info.id, threads: configuration.threads) {
                speed = cached
            } else {
                let probe = LlamaEngine(llama: llama, worker: worker, configuration: configuration, speed: nil, ownsWorker: false)
                do throws(ExecutorError) {
                    let measured = try await probe.measureSpeed(promptTokens: 64, generatedTokens: 16)
                    cache?.record(measured, modelID: llama.info.id)
                    speed = measured
                } catch {
                    worker.stop()
                    throw error
                }
            }
        }
        timings.speedSeconds = Clock.seconds() - measuring
        return LlamaEngine(llama: llama, worker: worker, configuration: configuration, speed: speed, loadTimings: timings)
    }

    /// Memory an engine for `configuration` would take, estimated without loading the model or
    /// creating a context: only the file's GGUF header is read (hyperparameters, vocabulary
    /// size, tensor types), so a node can check its memory budget before it loads the model. Throws as `load` does
    /// for a bad configuration or file. Blocking llama.cpp work runs on a dedicated thread.
    public static func estimateMemory(_ configuration: EngineConfiguration) async throws(ExecutorError) -> MemoryEstimate {
        try configuration.validate()
        let estimated: Result<MemoryEstimate, ExecutorError> = await withCheckedContinuation { cont in
            let t = Thread {
                do throws(ExecutorError) {
                    let size = try ModelFile.check(configuration.modelPath)
                    let shape = try ModelShape(path: configuration.modelPath)
                    cont.resume(returning: .success(MemoryEstimate(shape: shape, fileSize: size, configuration: configuration)))
                } catch {
                    cont.resume(returning: .failure(error))
                }
            }
            t.stackSize = 8 << 20
            t.start()
        }
        return try estimated.get()
    }

    /// The memory estimate of this engine's model and configuration (as `estimateMemory`
    /// gives before loading).
    public var memoryEstimate: MemoryEstimate {
        MemoryEstimate(shape: llama.shape, fileSize: model.fileSize, configuration: configuration)
    }

    /// Stops the worker; queued and running jobs fail with `engineClosed`.
    public func shutdown() { worker.stop() }

    /// Stops the worker and returns once its thread has ended: every job has its answer and
    /// the context and KV cache are freed.
    public func close() async {
        worker.stop()
        await worker.ended()
    }

    /// How verification computes its logits: the engine's own output-layer kernel (checked
    /// bit for bit against llama.cpp at start-up) or llama.cpp, with the reason.
    public var verificationOutputLayer: String { worker.outputLayerStatus }

    /// Whether this model's logits do not depend on the other jobs batched beside a job
    /// (measured at load). Without it, checks use the tolerance even for the same arithmetic.
    public var isBatchInvariant: Bool { worker.batchInvariant }

    /// Seconds the worker thread has spent generating and checking since the engine started.
    public func busyTime() -> BusyTime { worker.busyTime() }

    /// Where the worker thread's time went since the last call (benchmarks); resets the count.
    public func takeStepProfile() -> StepProfile { worker.takeProfile() }

    // MARK: text

    /// Tokenizes `text` (adding BOS if the model wants one; special tokens parsed when `parseSpecial`).
    public func tokenize(_ text: String, parseSpecial: Bool = false) throws(ExecutorError) -> [Int32] {
        try llama.tokenize(text, addSpecial: true, parseSpecial: parseSpecial)
    }

    /// The text of `tokens` (control and end-of-generation tokens left out).
    public func detokenize(_ tokens: [Int32]) -> String { llama.detokenize(tokens) }

    /// The text a generation that produced `tokens` under stop sequences `stop` returns: the
    /// tokens' text up to the first end-of-generation token, cut before the first stop sequence.
    public func outputText(_ tokens: [Int32], stop: [String]) -> String {
        var acc = TextAccumulator(stop: stop)
        for t in tokens {
            if llama.isEndOfGeneration(t) { break }
            _ = acc.append(llama.piece(t))
            if acc.stopAt != nil { break }
        }
        return acc.text
    }

    /// `messages` rendered with the model's chat template, ending with the assistant opener.
    public func applyChatTemplate(_ messages: [ChatMessage]) throws(ExecutorError) -> String {
        try llama.applyChatTemplate(messages)
    }

    /// The prompt tokens `request` evaluates.
    public func promptTokens(_ prompt: Prompt) throws(ExecutorError) -> [Int32] { try llama.promptTokens(prompt) }

    /// Whether `token` ends generation.
    public func isEndOfGeneration(_ token: Int32) -> Bool { llama.isEndOfGeneration(token) }

    // MARK: jobs

    private func prepare(_ request: GenerationRequest, outputTokens: Int) throws(ExecutorError) -> [Int32] {
        try request.validateForEngine()
        if !request.parameters.grammar.isEmpty, !Grammar.parses(request.parameters.grammar, model: llama) {
            throw ExecutorError(.invalidParameter, "the job's grammar does not parse (GBNF, root rule `root`)")
        }
        let prompt = try llama.promptTokens(request.prompt)
        let limit = configuration.contextPerSlot
        guard prompt.count + outputTokens <= limit else {
            throw ExecutorError(.contextExceeded, "the prompt has \(prompt.count) tokens and \(outputTokens) output tokens were asked for; together they exceed the context of \(limit) tokens per job (shorten the prompt or lower max tokens)")
        }
        return prompt
    }

    func run(_ kind: Job.Kind, prompt: [Int32], parameters: SamplingParameters,
             reusesCachedPrefix: Bool = true) async throws(ExecutorError) -> Job.Output {
        let box = OneShot<Result<Job.Output, ExecutorError>>()
        let job = Job(kind: kind, prompt: prompt, parameters: parameters, reusesCachedPrefix: reusesCachedPrefix) { box.deliver($0) }
        try worker.submit(job)
        let outcome = await withTaskCancellationHandler {
            await box.value()
        } onCancel: {
            job.cancel()
        }
        guard let outcome else { throw ExecutorError(.engineClosed, "the engine stopped before the job finished") }
        return try outcome.get()
    }

    public func generate(_ request: GenerationRequest) async throws(ExecutorError) -> GenerationResult {
        let prompt = try prepare(request, outputTokens: request.parameters.maxTokens)
        let out = try await run(.generate(onToken: nil, ignoreEndOfGeneration: false), prompt: prompt, parameters: request.parameters)
        guard case .generated(let r) = out else { throw ExecutorError(.decodeFailed, "internal: a generation job returned no result") }
        if r.finishReason == .cancelled { throw ExecutorError(.cancelled, "the generation was cancelled after \(r.tokens.count) tokens") }
        return r
    }

    /// Starts a generation job and returns at once; `onToken` (called on the engine's
    /// thread; keep it short) receives each token. Throws `queueFull` when the queue is full.
    public func start(_ request: GenerationRequest,
                      onToken: (@Sendable (GeneratedToken) -> Void)? = nil) throws(ExecutorError) -> GenerationHandle {
        let box = OneShot<Result<GenerationResult, ExecutorError>>()
        let job = try submitGeneration(request, onToken: onToken) { box.deliver($0) }
        return GenerationHandle(job: job, box: box)
    }

    public func stream(_ request: GenerationRequest) throws(ExecutorError) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let job = try submitGeneration(request, onToken: { continuation.yield(.token($0)) }) { r in
            switch r {
            case .success(let result):
                continuation.yield(.finished(result))
                continuation.finish()
            case .failure(let e):
                continuation.finish(throwing: e)
            }
        }
        continuation.onTermination = { _ in job.cancel() }
        return stream
    }

    private func submitGeneration(_ request: GenerationRequest, onToken: (@Sendable (GeneratedToken) -> Void)?,
                                  onFinish: @escaping @Sendable (Result<GenerationResult, ExecutorError>) -> Void) throws(ExecutorError) -> Job {
        let prompt = try prepare(request, outputTokens: request.parameters.maxTokens)
        let job = Job(kind: .generate(onToken: onToken, ignoreEndOfGeneration: false), prompt: prompt,
                      parameters: request.parameters) { r in
            switch r {
            case .success(.generated(let result)): onFinish(.success(result))
            case .success(.verified): onFinish(.failure(ExecutorError(.decodeFailed, "internal: a generation job returned a verdict")))
            case .failure(let e): onFinish(.failure(e))
            }
        }
        try worker.submit(job)
        return job
    }

    /// The arithmetic class of this engine's results (`RuntimeFingerprint.arithmetic`).
    public var arithmetic: String { worker.fingerprintBase.arithmetic }

    /// Whether this engine's arithmetic is the portable definition's (the same on every CPU
    /// class; `PortableExact`).
    public var isPortableExact: Bool { worker.model.portableCovered && PortableExact.buildVersion != nil }

    /// The mode a claim from a runtime of arithmetic class `claimedArithmetic` is checked in:
    /// exact when it is this engine's own class, the build is bit-exact and the model's logits
    /// do not depend on batching, else the configured tolerance.
    public func verificationMode(claimedArithmetic: String?) -> VerificationMode {
        if let a = claimedArithmetic, a == arithmetic, LlamaBackend.isBitExact, isBatchInvariant { return .exact }
        return .tolerant(configuration.tolerance)
    }

    /// Checks a claimed output by teacher forcing: every token (and, when the job asks for
    /// logprobs, `claimedLogprobs`, one per token) against this engine's model, in the mode
    /// the claimed arithmetic allows.
    public func verify(request: GenerationRequest, claimedTokens: [Int32], claimedLogprobs: [TokenLogprob],
                       claimedArithmetic: String?) async throws(ExecutorError) -> VerificationOutcome {
        try request.validateForEngine()
        let p = request.parameters
        let mode = verificationMode(claimedArithmetic: claimedArithmetic)
        let empty = VerificationReport(evaluatedTokens: 0, largestMargin: 0, inexactPositions: 0, mode: mode, seconds: 0)
        guard !claimedTokens.isEmpty else { return .fail(position: 0, reason: "the claimed output is empty", report: empty) }
        guard claimedTokens.count <= p.maxTokens else {
            return .fail(position: p.maxTokens, reason: "the claimed output has \(claimedTokens.count) tokens, more than max tokens \(p.maxTokens)", report: empty)
        }
        var claimed = claimedTokens
        var forced: (Int, String)?
        if p.topLogprobs != nil, claimedLogprobs.count != claimedTokens.count {
            forced = (min(claimedLogprobs.count, claimedTokens.count), "the job asks for logprobs: \(claimedTokens.count) tokens came with \(claimedLogprobs.count)")
        } else if p.topLogprobs == nil, !claimedLogprobs.isEmpty {
            forced = (0, "the job asks for no logprobs, yet the output carries them")
        }
        if let f = forced { claimed = Array(claimed.prefix(f.0)) }
        if forced == nil, let bad = claimed.firstIndex(where: { $0 < 0 || Int($0) >= model.vocabularySize }) {
            forced = (bad, "token \(claimed[bad]) at output position \(bad) is outside the vocabulary (0..<\(model.vocabularySize))")
            claimed = Array(claimed.prefix(bad))
        }
        let prompt = try prepare(request, outputTokens: claimed.count)
        if claimed.isEmpty, let forced { return .fail(position: forced.0, reason: forced.1, report: empty) }
        let out = try await run(.verify(claimed: claimed, forcedFailure: forced, mode: mode, claimedLogprobs: claimedLogprobs),
                                 prompt: prompt, parameters: p)
        guard case .verified(let v) = out else { throw ExecutorError(.decodeFailed, "internal: a verification job returned no verdict") }
        return v
    }
}
