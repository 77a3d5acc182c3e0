import AgoraCrypto
import AgoraExecutor
import AgoraGossip
import AgoraMarket
import Foundation

/// Runs the market's jobs and checks on the llama.cpp executor. The job description
/// (`GenerationRequest`) is the executor's own type, so nothing is translated on the way.
enum ExecutorBridge {
    /// The canonical bytes of a runtime fingerprint, as results carry it.
    /// When long stop sequences would push it past `maxFingerprintBytes`, the sampling
    /// description (which the job itself carries) is left out, so the fingerprint still parses
    /// and a validator of the same arithmetic can check the result exactly.
    static func fingerprintBytes(_ f: RuntimeFingerprint) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let full = Array((try? encoder.encode(f)) ?? Data())
        if full.count <= Market.Limits.maxFingerprintBytes { return full }
        var short = f
        short.sampling = ""
        return Array(((try? encoder.encode(short)) ?? Data()).prefix(Market.Limits.maxFingerprintBytes))
    }

    /// Parses a result's fingerprint bytes; nil when they are not a fingerprint (the claim is
    /// then checked with the tolerance, as one from an unknown runtime).
    static func runtimeFingerprint(_ bytes: [UInt8]) -> RuntimeFingerprint? {
        try? JSONDecoder().decode(RuntimeFingerprint.self, from: Data(bytes))
    }

    /// Runs a job on `engine`; `onText` (called on the engine's thread) receives the text of
    /// each token as it is generated.
    static func run(_ spec: Market.JobSpec, on engine: LlamaEngine, misbehaviour: Misbehaviour? = nil,
                    onText: (@Sendable (String) -> Void)? = nil) async throws -> Market.ExecutionOutput {
        let started = NodeClock.unixMillis()
        if misbehaviour == .neverDeliver {
            // Holds the award until the requester gives up on it (its cancel ends this task).
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(1)) }
            throw ExecutorError(.cancelled, "the job was cancelled (never delivered)")
        }
        let request = misbehaviour?.run(spec.request) ?? spec.request
        var onToken: (@Sendable (GeneratedToken) -> Void)?
        if let onText {
            onToken = { token in if !token.text.isEmpty { onText(token.text) } }
        }
        let handle = try engine.start(request, onToken: onToken)
        let result: GenerationResult = try await withTaskCancellationHandler {
            try await handle.result()
        } onCancel: {
            handle.cancel()
        }
        if result.finishReason == .cancelled { throw ExecutorError(.cancelled, "the job was cancelled after \(result.tokens.count) tokens") }
        var tokens = result.tokens, text = result.text, logprobs = misbehaviour?.report(result.logprobs) ?? result.logprobs
        if let tampered = misbehaviour?.tamper(tokens, vocabulary: Int32(clamping: engine.model.vocabularySize)) {
            tokens = tampered
            text = engine.detokenize(tampered)
            logprobs = Array(logprobs.prefix(tampered.count))
        }
        return Market.ExecutionOutput(tokens: tokens.map { UInt32(bitPattern: $0) }, text: Array(text.utf8),
                                      fingerprint: fingerprintBytes(result.fingerprint), startedAt: started,
                                      finishedAt: NodeClock.unixMillis(),
                                      logprobs: logprobs,
                                      promptTokens: UInt32(clamping: result.promptTokens.count))
    }

    /// The arithmetic a claim is checked against: the validator's own when the provider
    /// advertises the validator's class in its signed peer record (the check is then exact
    /// whatever the fingerprint names), else the one the result's fingerprint names.
    static func claimedArithmetic(_ spec: Market.VerificationSpec, ownArithmetic: String) -> String? {
        if !spec.providerClass.isEmpty, spec.providerClass == Gossip.Capabilities.arithmeticClass(of: ownArithmetic) {
            return ownArithmetic
        }
        return runtimeFingerprint(spec.fingerprint)?.arithmetic
    }

    /// What a check came to: a verdict about the provider's result, or nothing to say
    /// about it because this node's executor could not run the check.
    enum CheckOutcome: Sendable {
        /// The check ran: pass or fail.
        case checked(Market.Attestation.Verdict)
        /// The check did not run (busy, cancelled, out of memory, an unreadable job): never a
        /// failure of the provider.
        case couldNotCheck(Market.UncheckedReason, String)
    }

    /// Why an executor error stopped a check.
    static func uncheckedReason(_ e: ExecutorError) -> Market.UncheckedReason {
        switch e.code {
        case .queueFull: return .busy
        case .cancelled, .engineClosed: return .cancelled
        case .contextExceeded, .contextCreateFailed, .memoryBudgetExceeded: return .outOfResources
        case .invalidParameter, .tokenizeFailed, .templateFailed: return .unreadableInput
        case .modelNotFound, .modelUnreadable, .notGGUF, .modelLoadFailed, .decodeFailed, .invalidResult: return .executorError
        }
    }

    /// Re-checks a claimed result by teacher forcing. Only a check that ran gives a verdict.
    static func verify(_ spec: Market.VerificationSpec, on engine: LlamaEngine) async -> CheckOutcome {
        let tokens = spec.tokens.map { Int32(bitPattern: $0) }
        // The claimed text must be what the claimed tokens spell (cut before a stop sequence).
        guard engine.outputText(tokens, stop: spec.request.parameters.stop) == String(decoding: spec.text, as: UTF8.self) else {
            return .checked(.fail(.invalidResult, position: 0))
        }
        do {
            switch try await engine.verify(request: spec.request, claimedTokens: tokens, claimedLogprobs: spec.logprobs,
                                           claimedArithmetic: claimedArithmetic(spec, ownArithmetic: engine.arithmetic)) {
            case .pass: return .checked(.pass)
            case .fail(let position, _, _): return .checked(.fail(.tokenMismatch, position: UInt32(max(0, position))))
            }
        } catch {
            return .couldNotCheck(uncheckedReason(error), "\(error)")
        }
    }
}
