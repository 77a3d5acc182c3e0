import AgoraCrypto
import AgoraWire

extension Market {
    /// What a requester keeps of its open jobs across a crash (`Directive.journal`): each
    /// award as it is sent, and each job's end. After a restart the open ones are reconciled
    /// (`Instance.reconcile`): the provider is told to stop, and a result it already delivered
    /// is checked and paid once. Nothing secret is kept: no prompt, no output (only the
    /// prompt's salted commitment, which the provider's record carries too).
    public enum JournalRecord: Equatable, Sendable, WireCodable {
        /// A job was awarded.
        case awarded(JournalAward)
        /// Job `jobID` ended (paid, failed, cancelled, or reconciled).
        case closed(jobID: JobID)

        /// The job the record is about.
        public var jobID: JobID {
            switch self {
            case .awarded(let a): return a.jobID
            case .closed(let id): return id
            }
        }

        public func encode(to w: inout WireWriter) {
            switch self {
            case .awarded(let a):
                if let job = a.job {
                    w.uint8(3); a.jobID.encode(to: &w); w.key(a.provider); w.digest(a.awardHash); w.uint64(a.pricePer1k)
                    w.uint32(a.maxTokens); w.digest(job.modelID); w.digest(job.promptCommitment); w.uint8(job.verificationLevel)
                } else {
                    w.uint8(1); a.jobID.encode(to: &w); w.key(a.provider); w.digest(a.awardHash); w.uint64(a.pricePer1k)
                    w.uint32(a.maxTokens)
                }
            case .closed(let id):
                w.uint8(2); id.encode(to: &w)
            }
        }

        public init(from r: inout WireReader) throws(WireError) {
            let at = r.offset
            switch try r.uint8("journal.tag") {
            case let tag where tag == 1 || tag == 3:
                var a = JournalAward(jobID: try JobID(from: &r), provider: try r.key("journal.provider"),
                                     awardHash: try r.digest("journal.award"), pricePer1k: try r.uint64("journal.price"),
                                     maxTokens: try r.uint32("journal.maxTokens"))
                if tag == 3 {
                    a.job = JournalAward.Job(modelID: try r.digest("journal.model"),
                                             promptCommitment: try r.digest("journal.promptCommitment"),
                                             verificationLevel: try r.uint8("journal.verificationLevel"))
                }
                self = .awarded(a)
            case 2:
                self = .closed(jobID: try JobID(from: &r))
            case let t:
                throw WireError(.invalidValue, "journal record tag \(t)", offset: at)
            }
        }

        /// The jobs still open after `records` (in order): each one's last award.
        public static func open(_ records: [JournalRecord]) -> [JobID: JournalRecord] {
            var open: [JobID: JournalRecord] = [:]
            for r in records {
                switch r {
                case .awarded: open[r.jobID] = r
                case .closed: open[r.jobID] = nil
                }
            }
            return open
        }
    }

    /// An award as the requester's journal keeps it.
    public struct JournalAward: Equatable, Sendable {
        /// What the journal keeps of the job itself, to check a result sent again after a
        /// restart. Journals written before it was kept (tag 1) have none: such a result is
        /// settled on its proof and the verdicts alone.
        public struct Job: Equatable, Sendable {
            /// The model the job asked for.
            public var modelID: Digest
            /// The award's prompt commitment (salted; not the prompt).
            public var promptCommitment: Digest
            /// Passing attestations the job required.
            public var verificationLevel: UInt8

            /// Creates a job summary.
            public init(modelID: Digest, promptCommitment: Digest, verificationLevel: UInt8) {
                self.modelID = modelID; self.promptCommitment = promptCommitment; self.verificationLevel = verificationLevel
            }
        }

        /// The job.
        public var jobID: JobID
        /// The provider awarded.
        public var provider: PublicKey
        /// SHA-256 of the award's body bytes.
        public var awardHash: Digest
        /// The winning bid's price per 1,000 tokens.
        public var pricePer1k: UInt64
        /// The job's most tokens.
        public var maxTokens: UInt32
        /// The job's model, prompt commitment and verification level (nil in old journals).
        public var job: Job?

        /// Creates a journal award.
        public init(jobID: JobID, provider: PublicKey, awardHash: Digest, pricePer1k: UInt64, maxTokens: UInt32, job: Job? = nil) {
            self.jobID = jobID; self.provider = provider; self.awardHash = awardHash; self.pricePer1k = pricePer1k
            self.maxTokens = maxTokens; self.job = job
        }
    }
}
