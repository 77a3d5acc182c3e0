import AgoraCrypto
import AgoraWire

extension Market {
    /// What a requester keeps of its open jobs across a crash (`Directive.journal`): each
    /// award as it is sent, and each job's end. After a restart the open ones are reconciled
    /// (`Instance.reconcile`): the provider is told to stop, and a result it already delivered
    /// is checked and paid once. Nothing secret is kept: no prompt, no output.
    public enum JournalRecord: Equatable, Sendable, WireCodable {
        /// Job `jobID` was awarded to `provider` by the award with digest `awardHash`, at
        /// `pricePer1k` credits per 1,000 tokens, for at most `maxTokens` tokens.
        case awarded(jobID: JobID, provider: PublicKey, awardHash: Digest, pricePer1k: UInt64, maxTokens: UInt32)
        /// Job `jobID` ended (paid, failed, cancelled, or reconciled).
        case closed(jobID: JobID)

        /// The job the record is about.
        public var jobID: JobID {
            switch self {
            case .awarded(let id, _, _, _, _), .closed(let id): return id
            }
        }

        public func encode(to w: inout WireWriter) {
            switch self {
            case let .awarded(id, provider, hash, price, maxTokens):
                w.uint8(1); id.encode(to: &w); w.key(provider); w.digest(hash); w.uint64(price); w.uint32(maxTokens)
            case .closed(let id):
                w.uint8(2); id.encode(to: &w)
            }
        }

        public init(from r: inout WireReader) throws(WireError) {
            let at = r.offset
            switch try r.uint8("journal.tag") {
            case 1:
                self = .awarded(jobID: try JobID(from: &r), provider: try r.key("journal.provider"), awardHash: try r.digest("journal.award"),
                                pricePer1k: try r.uint64("journal.price"), maxTokens: try r.uint32("journal.maxTokens"))
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
}
