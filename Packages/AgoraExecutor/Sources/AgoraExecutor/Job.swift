import Foundation
import Synchronization

/// One unit of work for `LlamaWorker`: a generation or a verification.
final class Job: Sendable {
    enum Kind: Sendable {
        /// Generate; `onToken` receives each token as it is produced.
        case generate(onToken: (@Sendable (GeneratedToken) -> Void)?, ignoreEndOfGeneration: Bool)
        /// Teacher-force `claimed` after the prompt and check every token (and its claimed
        /// logprobs, when the job asks for them) under `mode`.
        case verify(claimed: [Int32], forcedFailure: (position: Int, reason: String)?, mode: VerificationMode,
                    claimedLogprobs: [TokenLogprob])
    }

    /// What a finished job delivers.
    enum Output: Sendable {
        case generated(GenerationResult)
        case verified(VerificationOutcome)
    }

    let kind: Kind
    let prompt: [Int32]
    let parameters: SamplingParameters
    let submitted: Double
    /// Whether the worker may start this job from keys and values a sequence already holds
    /// for a prefix of its prompt (`PrefixCache`); speed measurements turn it off, so that
    /// they time every prompt token.
    let reusesCachedPrefix: Bool
    let onFinish: @Sendable (Result<Output, ExecutorError>) -> Void
    private let cancelFlag = Atomic<Bool>(false)

    init(kind: Kind, prompt: [Int32], parameters: SamplingParameters, reusesCachedPrefix: Bool = true,
         onFinish: @escaping @Sendable (Result<Output, ExecutorError>) -> Void) {
        self.kind = kind
        self.reusesCachedPrefix = reusesCachedPrefix
        self.prompt = prompt
        self.parameters = parameters
        self.submitted = Clock.seconds()
        self.onFinish = onFinish
    }

    /// Asks the worker to stop this job at its next step (within one token).
    func cancel() { cancelFlag.store(true, ordering: .relaxed) }

    var isCancelled: Bool { cancelFlag.load(ordering: .relaxed) }
}

/// A monotonic clock in seconds.
enum Clock {
    static func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
