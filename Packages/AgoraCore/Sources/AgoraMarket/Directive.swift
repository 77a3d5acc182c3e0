import AgoraJob
import AgoraLedger
import AgoraCrypto
import AgoraWire

extension Market {
    /// Identifies a job across nodes: job ids are unique per requester only.
    public struct JobKey: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// The requester.
        public var requester: PublicKey
        /// The requester's job id.
        public var jobID: JobID

        /// Creates a key.
        public init(requester: PublicKey, jobID: JobID) { self.requester = requester; self.jobID = jobID }

        public var description: String { "\(requester.short)/\(jobID)" }

        public static func < (a: JobKey, b: JobKey) -> Bool {
            a.requester == b.requester ? a.jobID < b.jobID : a.requester < b.requester
        }
    }

    /// What an instance asks its shell to do. Exhaustive: a shell `switch`es over every case.
    public enum Directive: Equatable, Sendable {
        /// Send this message to node `to` over an authenticated session.
        case send(to: PublicKey, Envelope)
        /// Send this message to every live member (failed attestations, equivocation evidence).
        case gossip(Envelope)
        /// Call `timerFired(timer, now:)` at `at` (or later). Timers are never cancelled:
        /// the instance ignores ones that no longer apply.
        case schedule(Timer, at: Millis)
        /// Run a job on the executor; answer with `.executionFinished` or `.executionFailed`.
        case runJob(JobSpec)
        /// Stop a job the executor may be running (its result is no longer wanted).
        case cancelJob(JobKey)
        /// Re-check a result with the executor's teacher-forced verification; answer with
        /// `.verificationFinished`.
        case verify(VerificationSpec)
        /// Append an entry to this node's ledger; answer with `.ledgerAppended` carrying the
        /// entry, a checkpoint covering it and its inclusion proof.
        case appendLedger(LedgerAppend)
        /// Tell the node's user about a job (completion, failure, cancellation, a caught provider).
        case notify(Notification)
        /// An input was rejected (already counted in `stats`); for logs and metrics.
        case rejected(Rejection, from: PublicKey?)
        /// A verified entry of another node's ledger that counted here (a receipt paying this
        /// node, an attestation): keep it, and give it back with `restore(observed:)` after a
        /// restart, so that balances and reputation are rebuilt, not reset.
        case remember(EntryProof)
        /// Answer peer `to`'s consistency request about this node's own ledger with a
        /// `0x0405` message (`Ledger.ConsistencyAnswer`, from the ledger's stored tree); a
        /// request beyond the ledger's size is answered with nothing.
        case proveConsistency(to: PublicKey, Ledger.ConsistencyRequest)
        /// Append this record to the requester's job journal (kept across restarts and given
        /// back to `reconcile` at start). Written before the ledger entry it goes with.
        case journal(JournalRecord)
    }

    /// Timers an instance schedules for itself.
    public enum Timer: Hashable, Sendable {
        /// The bid-collection window of a job's solicitation round ended.
        case bidWindow(JobID, round: Int)
        /// An awarded provider's `completeBy` passed.
        case awardTimeout(JobID, provider: PublicKey)
        /// A validator asked about a job did not answer in time.
        case validationTimeout(JobID, validator: PublicKey)
        /// A job's own deadline passed.
        case jobDeadline(JobID)
        /// A job reconciled after a restart had no answer from its provider in time.
        case reconcileExpiry(JobID)
        /// A provider's bid on a job expired.
        case bidExpiry(JobKey)
        /// A consistency question about this ledger, deferred by `EquivocationWatch`, is due.
        case consistencyDue(PublicKey)
    }

    /// A job for the executor.
    public struct JobSpec: Equatable, Sendable {
        /// The job.
        public var key: JobKey
        /// The model to run.
        public var modelID: Digest
        /// The job description (secret: never log it).
        public var request: GenerationRequest
    }

    /// What the executor produced for a job.
    public struct ExecutionOutput: Equatable, Sendable {
        /// Generated token ids.
        public var tokens: [UInt32]
        /// Generated text.
        public var text: [UInt8]
        /// What the runtime says about itself.
        public var fingerprint: [UInt8]
        /// When generation started.
        public var startedAt: Millis
        /// When generation finished.
        public var finishedAt: Millis
        /// Each token's logprobs, when the job asks for them (else empty).
        public var logprobs: [TokenLogprob]
        /// The prompt's length in tokens.
        public var promptTokens: UInt32

        /// Creates an output.
        public init(tokens: [UInt32], text: [UInt8], fingerprint: [UInt8], startedAt: Millis, finishedAt: Millis,
                    logprobs: [TokenLogprob] = [], promptTokens: UInt32 = 0) {
            self.tokens = tokens; self.text = text; self.fingerprint = fingerprint
            self.startedAt = startedAt; self.finishedAt = finishedAt; self.logprobs = logprobs; self.promptTokens = promptTokens
        }
    }

    /// A result for the executor to re-check by teacher forcing. The executor must check
    /// every claimed token against the model's logits and that `text` is the detokenised
    /// `tokens`.
    public struct VerificationSpec: Equatable, Sendable {
        /// SHA-256 of the `ResultRecord` checked (the ticket to answer with).
        public var ticket: Digest
        /// The model the provider claims to have run.
        public var modelID: Digest
        /// The job description the provider ran (secret).
        public var request: GenerationRequest
        /// Claimed output tokens.
        public var tokens: [UInt32]
        /// Claimed output text.
        public var text: [UInt8]
        /// Claimed logprobs, one per token when the job asks for them (else empty).
        public var logprobs: [TokenLogprob] = []
        /// The provider's runtime fingerprint from the signed result record; a validator of
        /// the same arithmetic class checks the claim exactly.
        public var fingerprint: [UInt8]
        /// The arithmetic class the provider advertises for the job's model in its signed peer
        /// record (empty when unknown or none). A validator of this class checks exactly whatever the fingerprint says, so
        /// a provider cannot buy a tolerant check by naming an arithmetic nobody shares.
        public var providerClass: [UInt8] = []
    }

    /// An entry for the node's ledger.
    public struct LedgerAppend: Equatable, Sendable {
        /// Entry kind.
        public var kind: LedgerKind
        /// Opaque body (a `ResultRecord`, `Receipt` or `Attestation` encoding).
        public var body: [UInt8]
        /// What to hand back with `.ledgerAppended`.
        public var ticket: LedgerTicket
    }

    /// Why the instance appended an entry (returned with the entry's proof).
    public enum LedgerTicket: Hashable, Sendable {
        /// A provider's result record for a job.
        case result(JobKey)
        /// A requester's receipt for a job and provider.
        case receipt(JobID, provider: PublicKey)
        /// A validator's attestation about the result record with this hash.
        case attestation(Digest)
        /// Equivocation evidence against this ledger.
        case evidence(PublicKey)
    }

    /// Results the shell feeds back to the instance (`handle(_:now:)`).
    public enum Event: Equatable, Sendable {
        /// The executor finished a job.
        case executionFinished(JobKey, ExecutionOutput)
        /// The executor could not run a job.
        case executionFailed(JobKey)
        /// The ledger appended an entry asked for with `.appendLedger`.
        case ledgerAppended(LedgerTicket, EntryProof)
        /// The executor finished a teacher-forced check.
        case verificationFinished(ticket: Digest, Attestation.Verdict)
        /// The executor could not run a teacher-forced check (busy, cancelled, out of memory,
        /// an error of its own). Nothing is attested: "could not check" is never "failed".
        case verificationAbandoned(ticket: Digest, UncheckedReason)
        /// The executor generated more text of a running job (UTF-8, whole characters): the
        /// instance streams it to the job's requester as a `StreamPiece`.
        case generated(JobKey, text: [UInt8])
        /// Verified equivocation evidence against a node (from the ledger layer): exclude it.
        case evidence(against: PublicKey)
        /// Another node's ledger entry seen (fetched or gossiped): the instance verifies it
        /// and counts receipts and attestations in reputation and credits.
        case observedEntry(EntryProof)
        /// A message to this peer could not be delivered (no address, connection refused):
        /// work waiting on it moves on at once instead of waiting out a timeout. Unreachable
        /// is not dishonest: nothing is counted against the peer's reputation.
        case unreachable(PublicKey)
        /// A member joined, or came back (alive again after being suspect or dead): it may
        /// have missed gossip, so it is sent the warnings this node holds (failing
        /// attestations, equivocation evidence).
        case peerJoined(PublicKey)
    }

    /// What the node's user learns about jobs.
    public enum Notification: Equatable, Sendable {
        /// A job this node requested completed; its output, once, with the price paid.
        case jobCompleted(JobID, provider: PublicKey, output: OutputPayload, credits: UInt64, verifiedBy: [PublicKey])
        /// A job this node requested failed; nothing was paid.
        case jobFailed(JobID, FailureReason)
        /// A job this node requested was cancelled; nothing was paid.
        case jobCancelled(JobID)
        /// A validator attested that `provider` returned a wrong result.
        case providerCaught(PublicKey, job: JobKey, validator: PublicKey)
        /// A ledger was caught signing two conflicting checkpoints (found here when
        /// `reportedBy` is nil, else received from that peer and verified): the node is
        /// excluded, the evidence recorded and relayed.
        case equivocation(Ledger.Evidence, reportedBy: PublicKey?)
        /// A peer holds valid equivocation evidence against this node's own ledger.
        case evidenceAgainstThisNode(from: PublicKey)
        /// A job open when this node stopped was settled after its restart: the result its
        /// provider had delivered was checked (its ledger proof) and paid `credits` once
        /// (nil: nothing had been delivered; the provider was told to stop).
        case jobReconciled(JobID, provider: PublicKey, credits: UInt64?)
        /// More of a requested job's output, as its provider streams it (an unverified
        /// preview that only ever extends what was passed on before).
        case streamText(JobID, String)
        /// This node, as validator, could not check a result (nothing was attested).
        case checkAbandoned(ticket: Digest, UncheckedReason)
    }

    /// Why a validator could not check a result. None of these says anything about the
    /// provider: no attestation is written, and the requester asks another validator.
    public enum UncheckedReason: String, Equatable, Sendable {
        /// The executor's queue was full.
        case busy
        /// The check was cancelled (shutdown).
        case cancelled
        /// Memory or context could not be had for the check.
        case outOfResources
        /// The validator's own executor failed.
        case executorError
        /// The job's input could not be read by this node's executor.
        case unreadableInput
    }

    /// Why a requested job failed.
    public enum FailureReason: String, Equatable, Sendable {
        /// The deadline passed before any provider could take the job (every solicitation
        /// round found no acceptable bid).
        case noBids
        /// The job's deadline passed before a (verified) result.
        case deadlinePassed
        /// The deadline passed while the only bids came from providers no validator can
        /// check exactly (`CheckPolicy.exactRequired`: fewer validators of their arithmetic
        /// class than the job's verification level).
        case noExactValidator
    }
}
