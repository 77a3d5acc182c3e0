/// The verdict of a teacher-forced re-check.
public enum VerificationOutcome: Sendable, Equatable {
    /// Every claimed token is the validator's own choice (exact mode) or is explained by the
    /// validator's own logits within the tolerance (tolerant mode).
    case pass(VerificationReport)
    /// The claim cannot be explained from `position` (an output index; the output length
    /// for a claim that ends too early or too late).
    case fail(position: Int, reason: String, report: VerificationReport)

    /// Whether the claim passed.
    public var passed: Bool {
        if case .pass = self { return true }
        return false
    }

    /// The measurements behind the verdict.
    public var report: VerificationReport {
        switch self {
        case .pass(let r): return r
        case .fail(_, _, let r): return r
        }
    }
}

/// Measurements of one verification, used for calibration and benchmarks.
public struct VerificationReport: Sendable, Equatable {
    /// Tokens evaluated in the prefill (prompt + claimed output).
    public var evaluatedTokens: Int
    /// Largest margin (logit units) any claimed token needed to be accepted; 0 when every
    /// token is exactly the validator's own choice.
    public var largestMargin: Double
    /// Positions whose claimed token is not exactly the validator's own choice.
    public var inexactPositions: Int
    /// The mode the claim was checked in.
    public var mode: VerificationMode
    /// The tolerance applied (logit units; 0 in exact mode).
    public var tolerance: Double { mode.tolerance }
    /// Wall-clock seconds of the check (queueing excluded).
    public var seconds: Double
}
