import AgoraCrypto
import AgoraJob

/// The job market (requester, provider, validator) as a pure instance that returns
/// directives (`Market.Instance`). Messages are defined in Protocol.md §7.
///
/// Credits are accounting, not a currency: balances are derived from signed receipts in
/// the nodes' ledgers, every new testnet node starts with a grant, and there is no
/// consensus on balances (see `docs/market.md`).
public enum Market {
    /// Milliseconds since the Unix epoch (injected time; cores never read a clock).
    public typealias Millis = UInt64

    /// Hard bounds every decoder checks before allocating.
    public enum Limits {
        /// Warnings (failing attestations, evidence) an instance keeps to pass on to members
        /// that come back.
        public static let maxWarnings = 64
        /// Consistency proofs a node computes for one peer per `consistencyWindow` (each is a
        /// ledger read; more questions than a watch ever asks are refused, not answered).
        public static let consistencyAnswersPerWindow = 30
        /// The window of `consistencyAnswersPerWindow`, milliseconds.
        public static let consistencyWindow: Millis = 60_000
        /// Peers whose consistency questions are counted at once (older windows are dropped).
        public static let maxConsistencyAskers = 4_096
        /// Largest encoded job description an award or verify request may carry.
        public static let maxJobBytes = JobLimits.maxEncodedBytes
        /// Largest output text a result may carry.
        public static let maxOutputBytes = 1024 * 1024
        /// Most output tokens a job may ask for.
        public static let maxTokens = JobLimits.maxTokens
        /// Largest sealed payload (award, result, verify request).
        public static let maxSealedBytes = 2 * 1024 * 1024
        /// Largest opaque ledger entry carried in a message.
        public static let maxEntryBytes = 64 * 1024
        /// Largest opaque checkpoint carried in a message.
        public static let maxCheckpointBytes = 8 * 1024
        /// Largest opaque inclusion proof carried in a message.
        public static let maxProofBytes = 8 * 1024
        /// Largest runtime fingerprint in a result record.
        public static let maxFingerprintBytes = 512
        /// Most validators a receipt may name.
        public static let maxValidators = 8
        /// Highest verification level (independent passing attestations before payment).
        public static let maxVerificationLevel: UInt8 = 3
    }
}

extension SignatureDomain {
    /// Cancel messages (Protocol.md §7).
    public static let cancel = SignatureDomain("agora/v1/cancel")
    /// Decline messages.
    public static let decline = SignatureDomain("agora/v1/decline")
    /// A job's input a provider returns to a restarted requester.
    public static let reconcileInput = SignatureDomain("agora/v1/reconcile-input")
    /// Verify requests (requester to validator).
    public static let verifyRequest = SignatureDomain("agora/v1/verify-request")
    /// Attestation messages (validator's signature over the attestation and its proof).
    public static let attestation = SignatureDomain("agora/v1/attestation")
}
