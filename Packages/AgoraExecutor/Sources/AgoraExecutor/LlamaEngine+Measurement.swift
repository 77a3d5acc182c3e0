import CLlama
import Foundation

/// Aggregate figures of several jobs run together (benchmarks).
public struct ConcurrentMeasurement: Sendable, Equatable {
    /// Jobs run.
    public var jobs: Int
    /// Prompt tokens, all jobs.
    public var promptTokens: Int
    /// Generated tokens, all jobs.
    public var generatedTokens: Int
    /// Seconds from submission to the last job's end.
    public var totalSeconds: Double
    /// Seconds from the first job's first token to the last job's last token.
    public var generationSeconds: Double
    /// All tokens (prompt + generated) per second of total time.
    public var totalTokensPerSecond: Double { Double(promptTokens + generatedTokens) / totalSeconds }
    /// Generated tokens per second of generation time.
    public var generationTokensPerSecond: Double { Double(generatedTokens - jobs) / generationSeconds }
}

extension LlamaEngine {
    /// A prompt of exactly `count` tokens (BOS plus English filler).
    func fillerPrompt(_ count: Int) throws(ExecutorError) -> [Int32] {
        let text = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: count / 8 + 2)
        return Array(try llama.tokenize(text, addSpecial: true, parseSpecial: false).prefix(max(1, count)))
    }

    /// Measures prefill and decode speed on this engine (as at start-up): a prefill of
    /// `promptTokens` tokens, then `generatedTokens` greedy tokens, one job alone.
    public func measureSpeed(promptTokens: Int, generatedTokens: Int) async throws(ExecutorError) -> SpeedProfile {
        let started = Clock.seconds()
        let prompt = try fillerPrompt(promptTokens)
        guard prompt.count + generatedTokens <= configuration.contextPerSlot else {
            throw ExecutorError(.contextExceeded, "speed probe of \(promptTokens)+\(generatedTokens) tokens exceeds the context of \(configuration.contextPerSlot)")
        }
        let params = SamplingParameters.greedy(maxTokens: max(1, generatedTokens))
        let out = try await run(.generate(onToken: nil, ignoreEndOfGeneration: true), prompt: prompt, parameters: params,
                               reusesCachedPrefix: false)
        guard case .generated(let r) = out else { throw ExecutorError(.decodeFailed, "internal: the speed probe returned no result") }
        let t = r.timings
        // The first token comes out of the prefill; the rest are one decode step each.
        let decodeSteps = max(1, t.generatedTokens - 1)
        return SpeedProfile(
            prefillTokensPerSecond: Double(t.promptTokens) / max(t.promptSeconds, 1e-9),
            decodeTokensPerSecond: Double(decodeSteps) / max(t.generationSeconds, 1e-9),
            threads: configuration.threads, measurementSeconds: Clock.seconds() - started)
    }

    /// Runs `jobs` jobs of `promptTokens` + `generatedTokens` (end-of-generation ignored)
    /// at once and measures their aggregate speed, as llama-batched-bench does.
    public func measureConcurrent(jobs: Int, promptTokens: Int, generatedTokens: Int) async throws(ExecutorError) -> ConcurrentMeasurement {
        let prompt = try fillerPrompt(promptTokens)
        let params = SamplingParameters.greedy(maxTokens: generatedTokens)
        let started = Clock.seconds()
        // Submitted together, so that they are admitted in one step, prefilled in one batch
        // and decoded together, as llama-batched-bench does.
        let boxes = (0..<jobs).map { _ in OneShot<Result<Job.Output, ExecutorError>>() }
        let batch = boxes.map { box in
            Job(kind: .generate(onToken: nil, ignoreEndOfGeneration: true), prompt: prompt, parameters: params,
                reusesCachedPrefix: false) { box.deliver($0) }
        }
        try worker.submit(batch)
        var results: [Result<Job.Output, ExecutorError>] = []
        for box in boxes {
            results.append(await box.value() ?? .failure(ExecutorError(.engineClosed, "the engine stopped during the measurement")))
        }
        let total = Clock.seconds() - started
        var generated = 0
        var firstToken = Double.infinity, lastToken = 0.0
        for r in results {
            guard case .generated(let g) = try r.get() else { continue }
            generated += g.tokens.count
            let admittedAt = started + g.timings.queueSeconds
            firstToken = min(firstToken, admittedAt + g.timings.promptSeconds)
            lastToken = max(lastToken, admittedAt + g.timings.promptSeconds + g.timings.generationSeconds)
        }
        return ConcurrentMeasurement(jobs: jobs, promptTokens: prompt.count * jobs, generatedTokens: generated,
                                     totalSeconds: total, generationSeconds: max(lastToken - firstToken, 1e-9))
    }
}

extension ModelFile {
    /// Target types for `requantize` (benchmarks derive "another quantisation" of a model).
    public enum Quantisation: Sendable {
        case q8_0, q4_0, q5_1

        /// The type's name, as in file names ("Q8_0").
        public var name: String {
            switch self {
            case .q8_0: return "Q8_0"
            case .q4_0: return "Q4_0"
            case .q5_1: return "Q5_1"
            }
        }

        var ftype: llama_ftype {
            switch self {
            case .q8_0: return LLAMA_FTYPE_MOSTLY_Q8_0
            case .q4_0: return LLAMA_FTYPE_MOSTLY_Q4_0
            case .q5_1: return LLAMA_FTYPE_MOSTLY_Q5_1
            }
        }
    }

    /// A re-quantised copy of `model` as `type`, made once with llama.cpp's quantiser into
    /// `$AGORA_CACHE/requantised/` (never in git) and reused: the benchmarks' "another
    /// quantisation" and the testnet's `substitute-quantisation` node share it.
    public static func requantisedCopy(of model: String, as type: Quantisation, threads: Int) throws(ExecutorError) -> String {
        let env = ProcessInfo.processInfo.environment
        let dir = (env["AGORA_CACHE"] ?? (NSHomeDirectory() + "/.cache/agora")) + "/requantised"
        let path = dir + "/\((model as NSString).lastPathComponent)-requantised-\(type.name).gguf"
        let fm = FileManager.default
        if fm.fileExists(atPath: path) { return path }
        let partial = path + ".partial-\(getpid())"
        do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw ExecutorError(.modelLoadFailed, "cannot create \(dir): \(error.localizedDescription)")
        }
        try requantize(model, to: partial, as: type, threads: threads)
        // Another process may have made it meanwhile: either copy is the same file.
        if (try? fm.moveItem(atPath: partial, toPath: path)) == nil { try? fm.removeItem(atPath: partial) }
        return path
    }

    /// Writes a re-quantised copy of `input` to `output` with llama.cpp's quantiser.
    public static func requantize(_ input: String, to output: String, as type: Quantisation, threads: Int) throws(ExecutorError) {
        try check(input)
        LlamaBackend.ensureInitialised()
        var params = llama_model_quantize_default_params()
        params.nthread = Int32(threads)
        params.ftype = type.ftype
        params.allow_requantize = true
        let status = llama_model_quantize(input, output, &params)
        guard status == 0 else { throw ExecutorError(.modelLoadFailed, "llama.cpp could not quantise \(input) to \(output) (status \(status))") }
    }
}
