import AgoraCrypto
import AgoraJob

extension Market {
    /// What a requester asks for (the node's user input to `Instance.submit`).
    public struct JobSubmission: Equatable, Sendable {
        /// Model to run.
        public var modelID: Digest
        /// The job description (secret: sealed to the winner and its validators only).
        public var request: GenerationRequest
        /// Approximate prompt length in tokens (for providers' estimates).
        public var promptTokens: UInt32
        /// Highest price per 1,000 tokens.
        public var maxPrice: UInt64
        /// Absolute deadline.
        public var deadline: Millis
        /// Passing attestations required before payment (0: spot checks only).
        public var verificationLevel: UInt8
        /// Whether the user wants the provider's output as it is generated
        /// (`Notification.streamText`).
        public var stream: Bool

        /// Creates a submission.
        public init(modelID: Digest, request: GenerationRequest, promptTokens: UInt32, maxPrice: UInt64, deadline: Millis,
                    verificationLevel: UInt8 = 0, stream: Bool = false) {
            self.modelID = modelID; self.request = request; self.promptTokens = promptTokens
            self.maxPrice = maxPrice; self.deadline = deadline
            self.verificationLevel = verificationLevel; self.stream = stream
        }

        /// Most tokens to generate (the request's).
        public var maxTokens: UInt32 { UInt32(clamping: request.parameters.maxTokens) }
    }

    /// A requester's job.
    struct RequesterJob: Equatable, Sendable {
        enum Phase: Equatable, Sendable {
            /// Asking peers for bids (round `RequesterJob.round`).
            case soliciting
            /// Waiting for the current award's result.
            case awarded
            /// Result accepted; waiting for passing attestations before payment.
            case verifying
            /// Paid (once) and delivered to the user.
            case completed
            /// Cancelled by the user; nothing paid.
            case cancelled
            /// Failed; nothing paid.
            case failed(FailureReason)

            var isOpen: Bool {
                switch self {
                case .soliciting, .awarded, .verifying: return true
                case .completed, .cancelled, .failed: return false
                }
            }
        }

        var request: Signed<JobRequest>
        /// The job description and its canonical bytes (what the prompt commitment covers).
        var input: GenerationRequest
        var inputBytes: [UInt8]
        var promptSalt: [UInt8]
        var phase: Phase
        var round = 1
        var askedThisRound = 0
        var asked: [PublicKey] = []
        var bids: [Signed<Bid>] = []
        /// When each provider's bid for this job arrived (`awardedSince`).
        var bidArrivals: [PublicKey: Millis] = [:]
        var tried: [PublicKey] = []
        /// Providers whose result for this job failed a check: never asked again.
        var caught: [PublicKey] = []
        var award: Signed<Award>?
        /// Awards made for this job so far, failovers included (what `attempts` reports).
        var awards = 0
        var awardedBid: Signed<Bid>?
        /// The arithmetic class the current award's provider advertised when it was awarded
        /// (validators of this class are the ones asked under `CheckPolicy.exactRequired`).
        var awardedClass: [UInt8] = []
        /// Whether the last round held back bids only because no validator could check their
        /// providers exactly (the job's failure reason if its deadline passes so).
        var waitingForExactValidator = false
        var result: Signed<ResultMessage>?
        var output: OutputPayload?
        var validatorsAsked: [PublicKey] = []
        var validatorsAnswered: [PublicKey] = []
        var passes: [PublicKey] = []
        /// Validators that failed the current result.
        var fails: [PublicKey] = []
        /// The passing attestations of the current result, gossiped once a validator fails it
        /// (everyone who hears the failure hears what the others found).
        var passMessages: [Signed<AttestationMessage>] = []
        var reserved: UInt64
        var spotChecked = false
        /// When the awarded provider last streamed output (progress).
        var lastProgress: Millis?
        /// What was streamed to the user, when the user streams.
        var assembly: StreamAssembly?
        /// When each step of the job happened.
        var timeline: JobTimeline
    }

    /// A provider's view of a job it bid on.
    struct ProviderJob: Equatable, Sendable {
        enum Phase: Equatable, Sendable {
            /// Bid sent, no award yet.
            case bid
            /// Awarded; waiting for a free executor slot.
            case queued
            /// Awarded; the executor is running it.
            case running
            /// Finished; the result entry is being appended.
            case appending
            /// Result sent.
            case delivered
            /// Cancelled by the requester.
            case cancelled
            /// Given back (decline sent) or the bid expired.
            case closed
        }

        var request: Signed<JobRequest>
        var bid: Signed<Bid>
        var phase: Phase
        var award: Signed<Award>?
        var payload: AwardPayload?
        var record: ResultRecord?
        var output: OutputPayload?
        /// The result as sent (sent again if a restarted requester asks: `reconcile`).
        var sent: Signed<ResultMessage>?
        /// The job's input boxed back to the requester, sent with `sent` to a restarted
        /// requester so that it can have the result checked (the prompt itself is dropped once
        /// the result is delivered).
        var sentInput: Signed<ReconcileInput>?
        /// Order of arrival in the queue.
        var queueSeq: UInt64 = 0
        /// Start tag of start-time fair queueing across requesters: jobs start in the order
        /// of their tags (ties by arrival).
        var fairTag: UInt64 = 0
        /// Bytes of output streamed to the requester so far.
        var streamed: UInt64 = 0
    }

    /// A job a restarted requester had open, being settled with its provider
    /// (`Instance.reconcile`): the award its journal kept, and what the provider sent back.
    struct ReconciledJob: Equatable, Sendable {
        /// The award, as journaled.
        var award: JournalAward
        /// The result the provider sent again, once checked against the award.
        var result: Signed<ResultMessage>?
        /// Its output, opened.
        var output: OutputPayload?
        /// The job's input the provider returned (`ReconcileInput`), once checked against the
        /// journaled prompt commitment.
        var input: AwardPayload?
        /// Validators asked to check the result since the restart.
        var validatorsAsked: [PublicKey] = []
        /// Rounds of validators asked so far.
        var checkRounds = 0
        /// When the validators asked last are given up on.
        var checkDeadline: Millis?
    }

    /// A validator's view of one result it was asked to check.
    struct ValidationJob: Equatable, Sendable {
        enum Phase: Equatable, Sendable {
            /// Waiting for a free check slot.
            case waiting
            /// The executor is re-checking.
            case checking
            /// The attestation entry is being appended.
            case appending
            /// Attestation sent.
            case done
            /// The executor could not check; nothing attested (the requester may ask again).
            case abandoned
        }

        var request: Signed<VerifyRequest>
        var phase: Phase
        var attestation: Attestation?
        /// The check to run.
        var spec: VerificationSpec
        /// Order of arrival.
        var queueSeq: UInt64
    }
}
