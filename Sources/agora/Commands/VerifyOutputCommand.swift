import AgoraExecutor
import ArgumentParser
import Foundation

/// `agora verify-output FILE`: re-checks a saved result by teacher forcing on the local model.
struct VerifyOutputCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-output",
        abstract: "Re-check a saved result (from `agora generate --save`) by teacher forcing.",
        discussion: "Exits 0 when the result passes, 1 when it fails, 2 on an error (missing file, wrong model).")

    @Argument(help: "The saved result (JSON).")
    var file: String

    @Option(help: "The GGUF model the result names (default: the model installed by scripts/bootstrap).")
    var model: String = EngineConfiguration.defaultModelPath

    @Option(help: "CPU threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func run() async throws {
        let outcome: VerificationOutcome
        do throws(ExecutorError) {
            let saved = try SavedResult.load(from: file)
            let engine = try await LlamaEngine.load(EngineConfiguration(modelPath: model, threads: threads, slots: 1,
                                                                        contextPerSlot: 4096, queueCapacity: 0,
                                                                        measureSpeedAtStart: false))
            Diagnostics.write("output layer: \(engine.verificationOutputLayer)")
            outcome = try await saved.verify(on: engine)
        } catch {
            Diagnostics.write("agora verify-output: \(error)")
            throw ExitCode(2)
        }
        let r = outcome.report
        let details = String(format: "%d tokens checked in %.3f s", r.evaluatedTokens, r.seconds)
            + " (\(r.mode == .exact ? "exact" : "tolerant") check); "
            + String(format: "largest margin needed %.4f (tolerance %.2f); %d inexact positions",
                     r.largestMargin, r.tolerance, r.inexactPositions)
        switch outcome {
        case .pass:
            print("pass: \(details)")
        case .fail(let position, let reason, _):
            print("fail at output position \(position): \(reason)")
            Diagnostics.write(details)
            throw ExitCode(1)
        }
    }
}
