/// How strictly a teacher-forced verification checks claimed tokens.
///
/// llama.cpp built without llamafile's sgemm (`GGML_LLAMAFILE=OFF`) and run with flash
/// attention off computes bit-identical logits for a token whatever the thread count, the
/// batch it is decoded in and the other sequences beside it (BENCHMARKS.md, "Executor").
/// A validator whose arithmetic class (`RuntimeFingerprint.arithmetic`) equals the
/// provider's therefore re-derives every honest token exactly, and any other token is a
/// wrong result. Between different arithmetic classes (other CPU features, another build)
/// logits differ slightly, and only a tolerance calibrated from honest variation is sound.
public enum VerificationMode: Sendable, Equatable, CustomStringConvertible {
    /// Every claimed token must be exactly the validator's own choice (arg-max, or the
    /// seeded Gumbel choice) at its position.
    case exact
    /// Every claimed token must be explained within this many logits (see `Sampler`).
    case tolerant(Double)

    /// The tolerance in logit units (0 for `exact`).
    public var tolerance: Double {
        switch self {
        case .exact: return 0
        case .tolerant(let t): return t
        }
    }

    public var description: String {
        switch self {
        case .exact: return "exact"
        case .tolerant(let t): return "tolerance \(t)"
        }
    }
}
