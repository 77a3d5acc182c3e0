import Foundation

/// How a `LlamaEngine` is set up.
public struct EngineConfiguration: Sendable, Equatable {
    /// The GGUF file.
    public var modelPath: String
    /// CPU threads for decoding and prompt processing.
    public var threads: Int
    /// Jobs decoded together, each as its own sequence of one batch.
    public var slots: Int
    /// Context (prompt + output tokens) available to each job.
    public var contextPerSlot: Int
    /// Jobs that may wait for a free slot; one more is refused with `queueFull`.
    public var queueCapacity: Int
    /// Verification tolerance in logit units (see `Sampler` and BENCHMARKS.md for its calibration).
    public var tolerance: Double
    /// Whether to measure prefill and decode speed at start-up (about a second).
    public var measureSpeedAtStart: Bool
    /// Where speeds measured before are kept (`SpeedCache`); nil measures at every start.
    /// With a cached speed for the model, build, CPU and thread count, the start-up
    /// measurement is skipped.
    public var speedCachePath: String?
    /// Whether verification computes the output layer with the engine's own kernel
    /// (`OutputLayer`), bit-identical to llama.cpp's and used only after a start-up check
    /// proves it so on the loaded model; false always lets llama.cpp compute the logits.
    public var ownOutputLayer: Bool
    /// Which of the engine's kernels computes it (all give the same bits).
    public var outputLayerKernel: OutputLayerKernel
    /// Whether a job may start from the keys and values a slot kept of an earlier job that
    /// shared a prefix of its prompt (a chat template's system prompt, a conversation's
    /// earlier turns), as llama.cpp's server does with `cache_prompt`. Exact: a token's keys
    /// and values do not depend on the batch that computed them (`PrefixCache`).
    public var reusesPromptPrefixes: Bool

    /// The tolerance calibrated from measured honest variation (BENCHMARKS.md, "Executor"):
    /// about 4.6× the largest margin an honest result needed there (0.325 logits, on 128-token
    /// outputs produced batched or alone at 1 or 2 threads). Honest margins grow with the output
    /// length (0 at 12 tokens, 0.034 at 64, 0.325 at 128), and other CPUs were not measured, so
    /// the multiple stays wide; 10× (3.25) would cost detection of prompt and model swaps.
    public static let calibratedTolerance = 1.5

    /// The model `scripts/bootstrap` installs: `$AGORA_MODEL`, else
    /// `~/.cache/agora/models/SmolLM2-135M-Instruct.Q4_1.gguf`.
    public static var defaultModelPath: String {
        let env = ProcessInfo.processInfo.environment
        if let p = env["AGORA_MODEL"], !p.isEmpty { return p }
        let cache = env["AGORA_CACHE"] ?? (NSHomeDirectory() + "/.cache/agora")
        return cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    /// Creates a configuration; every value has a sensible default.
    public init(modelPath: String = EngineConfiguration.defaultModelPath,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                slots: Int = 4, contextPerSlot: Int = 2048, queueCapacity: Int = 16,
                tolerance: Double = EngineConfiguration.calibratedTolerance,
                measureSpeedAtStart: Bool = true, ownOutputLayer: Bool = true,
                outputLayerKernel: OutputLayerKernel = .automatic, speedCachePath: String? = nil,
                reusesPromptPrefixes: Bool = true) {
        self.reusesPromptPrefixes = reusesPromptPrefixes
        self.speedCachePath = speedCachePath
        self.modelPath = modelPath
        self.threads = threads
        self.slots = slots
        self.contextPerSlot = contextPerSlot
        self.queueCapacity = queueCapacity
        self.tolerance = tolerance
        self.measureSpeedAtStart = measureSpeedAtStart
        self.ownOutputLayer = ownOutputLayer
        self.outputLayerKernel = outputLayerKernel
    }

    /// Throws `invalidParameter` naming the first value out of range.
    public func validate() throws(ExecutorError) {
        guard (1...256).contains(threads) else { throw ExecutorError(.invalidParameter, "threads must be 1...256, got \(threads)") }
        guard (1...64).contains(slots) else { throw ExecutorError(.invalidParameter, "slots must be 1...64, got \(slots)") }
        guard (16...131_072).contains(contextPerSlot) else {
            throw ExecutorError(.invalidParameter, "context per slot must be 16...131072 tokens, got \(contextPerSlot)")
        }
        guard (0...100_000).contains(queueCapacity) else {
            throw ExecutorError(.invalidParameter, "queue capacity must be 0...100000, got \(queueCapacity)")
        }
        guard tolerance.isFinite, tolerance >= 0 else { throw ExecutorError(.invalidParameter, "tolerance must be finite and ≥ 0, got \(tolerance)") }
    }
}
