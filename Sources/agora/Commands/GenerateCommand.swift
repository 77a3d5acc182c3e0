import AgoraExecutor
import ArgumentParser
import Foundation

/// `agora generate`: runs one job on the local executor and prints the text to stdout
/// (diagnostics and speed to stderr).
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text with the local executor (no network).",
        discussion: "Prints the generated text to stdout and diagnostics to stderr. --save writes the result for `agora verify-output`.")

    @Option(help: "The user message (rendered with the model's chat template; see --raw).")
    var prompt: String

    @Option(help: "A GGUF model file (default: the model installed by scripts/bootstrap).")
    var model: String = EngineConfiguration.defaultModelPath

    @Option(help: "Most tokens to generate.")
    var maxTokens: Int = 128

    @Option(help: "Sampling seed (recorded in the result).")
    var seed: UInt64 = 0

    @Option(help: "Temperature; 0 is greedy decoding.")
    var temperature: Double = 0

    @Option(help: "Top-k (0 = off), used when temperature > 0.")
    var topK: Int = 40

    @Option(help: "Top-p (1 = off), used when temperature > 0.")
    var topP: Double = 0.95

    @Option(help: "CPU threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Context in tokens, prompt plus output (a smaller one can decode a few per cent faster).")
    var context: Int = 4096

    @Option(help: "Write the result (request, tokens, fingerprint) as JSON to this file.")
    var save: String?

    @Flag(help: "Use the prompt as raw text instead of a chat message.")
    var raw = false

    func run() async throws {
        let parameters = SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: seed, maxTokens: maxTokens)
        let request = GenerationRequest(prompt: raw ? .text(prompt) : .chat([ChatMessage(role: "user", content: prompt)]),
                                        parameters: parameters)
        do {
            try request.validate()
        } catch {
            throw ValidationError("\(error.parameter): \(error.message)")
        }
        do throws(ExecutorError) {
            let engine = try await LlamaEngine.load(EngineConfiguration(modelPath: model, threads: threads, slots: 1,
                                                                        contextPerSlot: context, queueCapacity: 0,
                                                                        measureSpeedAtStart: false))
            Diagnostics.write("model \(engine.model.name) (\(engine.model.quantisation), id \(engine.model.id.prefix(16))…), \(threads) threads")
            var result: GenerationResult?
            do {
                for try await event in try engine.stream(request) {
                    switch event {
                    case .token(let t):
                        FileHandle.standardOutput.write(Data(t.text.utf8))
                    case .finished(let r):
                        result = r
                    }
                }
            } catch let e as ExecutorError {
                throw e
            } catch {
                throw ExecutorError(.decodeFailed, "\(error)")
            }
            FileHandle.standardOutput.write(Data("\n".utf8))
            guard let r = result else { return }
            let t = r.timings
            Diagnostics.write(String(format: "prompt %d tokens in %.3f s (%.1f tok/s); generated %d tokens in %.3f s (%.1f tok/s); finish: %@",
                                     t.promptTokens, t.promptSeconds, Double(t.promptTokens) / max(t.promptSeconds, 1e-9),
                                     t.generatedTokens, t.generationSeconds,
                                     Double(max(0, t.generatedTokens - 1)) / max(t.generationSeconds, 1e-9), r.finishReason.rawValue))
            if let save {
                try SavedResult(request: request, result: r).save(to: save)
                Diagnostics.write("result saved to \(save)")
            }
        } catch {
            Diagnostics.write("agora generate: \(error)")
            throw ExitCode(2)
        }
    }
}

/// Writes diagnostics to stderr.
enum Diagnostics {
    static func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
