import AgoraCrypto

extension Market {
    /// What this node knows about one provider, from verified ledger entries only.
    public struct Standing: Equatable, Sendable {
        /// Jobs completed and paid (receipts with outcome `paid`).
        public var completed = 0
        /// Deadlines missed (receipts with outcome `timedOut`).
        public var timeouts = 0
        /// Passing attestations.
        public var passes = 0
        /// Results of this provider that more validators failed than passed (`Verdicts`): one
        /// validator's failing attestation counts until another validator passes the result.
        public var fails = 0
        /// Failing attestations this node gave as a validator on results that at least two
        /// other validators passed, more than failed them: a false accusation.
        public var falseAccusations = 0
        /// Equivocation evidence seen: the node is excluded.
        public var evidence = false

        /// A blank standing.
        public init() {}
    }

    /// Reputation and credit balances computed from verified ledger facts (own receipts
    /// and attestations, and other nodes' verified entries). Local to each node: there is
    /// no consensus, and two nodes that saw different entries disagree.
    public struct Reputation: Equatable, Sendable {
        /// Weights.
        public var policy: ReputationPolicy
        /// Starting balance of every node.
        public var grant: UInt64
        private var standings: [PublicKey: Standing] = [:]
        private var balances: [PublicKey: Int64] = [:]
        private var countedReceipts: Set<Digest> = []
        private var countedAttestations: Set<Digest> = []
        /// Verdicts per result, by the hash of its record.
        private var verdicts: [Digest: Verdicts] = [:]

        /// An empty book.
        public init(policy: ReputationPolicy, grant: UInt64) {
            self.policy = policy
            self.grant = grant
        }

        /// The standing of `node`.
        public func standing(of node: PublicKey) -> Standing { standings[node] ?? Standing() }

        /// Reputation in [0, 1]; 0 for an excluded node.
        public func score(of node: PublicKey) -> Double {
            let s = standing(of: node)
            if s.evidence { return 0 }
            let good = Double(s.completed) + policy.passWeight * Double(s.passes)
            let bad = policy.timeoutWeight * Double(s.timeouts) + policy.failWeight * Double(s.fails + s.falseAccusations)
            return (policy.prior + good) / (policy.prior + good + policy.priorBad + bad)
        }

        /// Whether `node` has evidence against it.
        public func isExcluded(_ node: PublicKey) -> Bool { standing(of: node).evidence }

        /// Credit balance of `node`: the grant plus credits earned minus credits paid, by
        /// the receipts counted here.
        public func balance(of node: PublicKey) -> Int64 {
            Int64(clamping: grant) &+ (balances[node] ?? 0)
        }

        /// Counts a verified receipt once (by the hash of its body). Returns false if it was
        /// already counted.
        @discardableResult
        public mutating func count(receipt: Receipt, bodyHash: Digest) -> Bool {
            guard countedReceipts.insert(bodyHash).inserted else { return false }
            switch receipt.outcome {
            case .paid:
                // A node paying itself moves no credit and earns no standing.
                guard receipt.provider != receipt.requester else { return true }
                standings[receipt.provider, default: Standing()].completed += 1
                let c = Int64(clamping: receipt.credits)
                balances[receipt.provider, default: 0] &+= c
                balances[receipt.requester, default: 0] &-= c
            case .timedOut:
                // A node never scores itself.
                guard receipt.provider != receipt.requester else { return true }
                standings[receipt.provider, default: Standing()].timeouts += 1
            case .failedVerification:
                // The requester's word that it caught the provider on the failures of the
                // validators it names: what makes one validator's failure count (`Verdicts`).
                guard receipt.provider != receipt.requester else { return true }
                update(receipt.resultRecordHash, provider: receipt.provider) { $0.convictedBy.formUnion(receipt.validators) }
            }
            return true
        }

        /// Counts a verified attestation once (by the hash of its body). Returns false if
        /// it was already counted.
        @discardableResult
        public mutating func count(attestation: Attestation, bodyHash: Digest) -> Bool {
            guard countedAttestations.insert(bodyHash).inserted else { return false }
            let a = attestation
            // A validator's second word on one result does not change its first.
            var newPass = false
            update(a.resultRecordHash, provider: a.provider) { v in
                guard !v.passes.contains(a.validator), !v.fails.contains(a.validator) else { return }
                if a.verdict.passed { v.passes.insert(a.validator); newPass = true } else { v.fails.insert(a.validator) }
            }
            if newPass { standings[a.provider, default: Standing()].passes += 1 }
            return true
        }

        /// The distinct validators that passed and failed the result with record hash `record`,
        /// as far as this node has heard.
        public func verdicts(onRecord record: Digest) -> (passes: Set<PublicKey>, fails: Set<PublicKey>) {
            guard let v = verdicts[record] else { return ([], []) }
            return (v.passes, v.fails)
        }

        /// Applies `change` to the verdicts on the result with record hash `record`, and moves
        /// the standings its outcome changes: the provider's failure, the false accusers'.
        private mutating func update(_ record: Digest, provider: PublicKey, _ change: (inout Verdicts) -> Void) {
            var v = verdicts[record] ?? Verdicts(provider: provider)
            // A record names its provider: a fact naming another for it proves nothing.
            guard v.provider == provider else { return }
            let before = (failed: v.failed, accusers: v.falseAccusers)
            change(&v)
            if v.failed != before.failed { standings[provider, default: Standing()].fails += v.failed ? 1 : -1 }
            for n in v.falseAccusers.subtracting(before.accusers) { standings[n, default: Standing()].falseAccusations += 1 }
            for n in before.accusers.subtracting(v.falseAccusers) { standings[n, default: Standing()].falseAccusations -= 1 }
            verdicts[record] = v
        }

        /// The validators' verdicts on one result (by its record's hash), each validator once.
        struct Verdicts: Equatable, Sendable {
            let provider: PublicKey
            var passes: Set<PublicKey> = []
            var fails: Set<PublicKey> = []
            /// Validators named by the requester's `failedVerification` receipt for the result.
            var convictedBy: Set<PublicKey> = []
            /// The result counts against its provider: more validators failed it than passed
            /// it, and either two did or the requester caught the provider on a failure it
            /// names (it asks a second validator first, when there is one). One validator's
            /// failure alone, which a requester outvoted or never acted on, counts nowhere.
            var failed: Bool {
                fails.count > passes.count && (fails.count >= 2 || !fails.isDisjoint(with: convictedBy))
            }
            /// Validators that failed a result at least two others passed, more than failed it.
            var falseAccusers: Set<PublicKey> { passes.count >= 2 && passes.count > fails.count ? fails : [] }
        }

        /// Records verified equivocation evidence against `node`.
        public mutating func exclude(_ node: PublicKey) {
            standings[node, default: Standing()].evidence = true
        }
    }
}
