import AgoraCrypto
import AgoraWire

extension Market {
    /// Ledger entry kinds the market writes (the ledger stores the bodies as opaque bytes).
    public enum LedgerKind: UInt8, Sendable, Comparable {
        /// A provider's `ResultRecord`.
        case result = 1
        /// A requester's `Receipt`.
        case receipt = 2
        /// A validator's `Attestation`.
        case attestation = 3
        /// Equivocation evidence (defined by the ledger).
        case evidence = 4

        public static func < (a: LedgerKind, b: LedgerKind) -> Bool { a.rawValue < b.rawValue }
    }

    /// The body of a provider's **result** ledger entry (kind 1, Protocol.md §7.9): what it
    /// ran, for whom, at what price, with commitments instead of prompt and output.
    public struct ResultRecord: Equatable, Sendable, WireCodable {
        /// Encoding format of this body.
        public static let format: UInt8 = 1
        /// The job.
        public var jobID: JobID
        /// Who asked.
        public var requester: PublicKey
        /// Who ran it (the ledger's owner).
        public var provider: PublicKey
        /// The model run.
        public var modelID: Digest
        /// `SHA-256(promptSalt ‖ prompt)`, as in the award.
        public var promptCommitment: Digest
        /// `SHA-256(outputSalt ‖ output text)`.
        public var outputCommitment: Digest
        /// Number of generated tokens.
        public var outputTokenCount: UInt32
        /// `Commitment.tokens(output token ids, outputSalt)`.
        public var outputTokensHash: Digest
        /// What the runtime says about itself (executor build, threads, backend…).
        public var fingerprint: [UInt8]
        /// Agreed price per 1,000 tokens.
        public var pricePer1k: UInt64
        /// Credits charged: ⌈price × tokens / 1,000⌉.
        public var credits: UInt64
        /// When the award was made.
        public var awardedAt: Millis
        /// When the executor started.
        public var startedAt: Millis
        /// When the executor finished.
        public var finishedAt: Millis

        /// Creates a record.
        public init(jobID: JobID, requester: PublicKey, provider: PublicKey, modelID: Digest, promptCommitment: Digest,
                    outputCommitment: Digest, outputTokenCount: UInt32, outputTokensHash: Digest, fingerprint: [UInt8],
                    pricePer1k: UInt64, credits: UInt64, awardedAt: Millis, startedAt: Millis, finishedAt: Millis) {
            self.jobID = jobID; self.requester = requester; self.provider = provider; self.modelID = modelID
            self.promptCommitment = promptCommitment; self.outputCommitment = outputCommitment
            self.outputTokenCount = outputTokenCount; self.outputTokensHash = outputTokensHash
            self.fingerprint = fingerprint; self.pricePer1k = pricePer1k; self.credits = credits
            self.awardedAt = awardedAt; self.startedAt = startedAt; self.finishedAt = finishedAt
        }

        /// Credits for `tokens` at `pricePer1k` (rounded up).
        public static func charge(tokens: UInt32, pricePer1k: UInt64) -> UInt64 {
            let (p, overflow) = pricePer1k.multipliedReportingOverflow(by: UInt64(tokens))
            return overflow ? .max : (p + 999) / 1000
        }

        public func encode(to w: inout WireWriter) {
            w.uint8(Self.format); w.value(jobID); w.key(requester); w.key(provider); w.digest(modelID)
            w.digest(promptCommitment); w.digest(outputCommitment); w.varint(UInt64(outputTokenCount))
            w.digest(outputTokensHash); w.bytes(fingerprint); w.varint(pricePer1k); w.varint(credits)
            w.uint64(awardedAt); w.uint64(startedAt); w.uint64(finishedAt)
        }

        public init(from r: inout WireReader) throws(WireError) {
            let f = try r.uint8("resultRecord.format")
            guard f == Self.format else { throw WireError(.unknownVersion, "resultRecord.format \(f)", offset: r.offset - 1) }
            jobID = try JobID(from: &r)
            requester = try r.key("resultRecord.requester")
            provider = try r.key("resultRecord.provider")
            modelID = try r.digest("resultRecord.modelID")
            promptCommitment = try r.digest("resultRecord.promptCommitment")
            outputCommitment = try r.digest("resultRecord.outputCommitment")
            outputTokenCount = try r.varint32("resultRecord.outputTokenCount", max: UInt32(Limits.maxTokens))
            outputTokensHash = try r.digest("resultRecord.outputTokensHash")
            fingerprint = try r.bytes("resultRecord.fingerprint", max: Limits.maxFingerprintBytes)
            pricePer1k = try r.varint("resultRecord.pricePer1k")
            credits = try r.varint("resultRecord.credits")
            awardedAt = try r.uint64("resultRecord.awardedAt")
            startedAt = try r.uint64("resultRecord.startedAt")
            finishedAt = try r.uint64("resultRecord.finishedAt")
        }
    }

    /// The body of a requester's **receipt** ledger entry (kind 2, Protocol.md §7.10): what
    /// the requester paid a provider for a job, or that it paid nothing and why.
    public struct Receipt: Equatable, Sendable, WireCodable {
        /// Encoding format of this body.
        public static let format: UInt8 = 1

        /// How a job ended for one provider.
        public enum Outcome: UInt8, Sendable {
            /// The result was accepted and `credits` paid.
            case paid = 0
            /// The provider missed its deadline; nothing paid.
            case timedOut = 1
            /// A validator attested a failure; nothing paid.
            case failedVerification = 2
        }

        /// The job.
        public var jobID: JobID
        /// The requester (the ledger's owner).
        public var requester: PublicKey
        /// The provider.
        public var provider: PublicKey
        /// SHA-256 of the `ResultRecord` body (zero when there was no result).
        public var resultRecordHash: Digest
        /// The outcome.
        public var outcome: Outcome
        /// Credits paid (0 unless `paid`).
        public var credits: UInt64
        /// Validators whose attestations the outcome relied on, sorted by key.
        public var validators: [PublicKey]
        /// When.
        public var issuedAt: Millis

        /// Creates a receipt.
        public init(jobID: JobID, requester: PublicKey, provider: PublicKey, resultRecordHash: Digest, outcome: Outcome,
                    credits: UInt64, validators: [PublicKey], issuedAt: Millis) {
            self.jobID = jobID; self.requester = requester; self.provider = provider
            self.resultRecordHash = resultRecordHash; self.outcome = outcome; self.credits = credits
            self.validators = validators.sorted(); self.issuedAt = issuedAt
        }

        public func encode(to w: inout WireWriter) {
            w.uint8(Self.format); w.value(jobID); w.key(requester); w.key(provider); w.digest(resultRecordHash)
            w.uint8(outcome.rawValue); w.varint(credits); w.array(validators) { $0.key($1) }; w.uint64(issuedAt)
        }

        public init(from r: inout WireReader) throws(WireError) {
            let f = try r.uint8("receipt.format")
            guard f == Self.format else { throw WireError(.unknownVersion, "receipt.format \(f)", offset: r.offset - 1) }
            jobID = try JobID(from: &r)
            requester = try r.key("receipt.requester")
            provider = try r.key("receipt.provider")
            resultRecordHash = try r.digest("receipt.resultRecordHash")
            let at = r.offset
            let o = try r.uint8("receipt.outcome")
            guard let outcome = Outcome(rawValue: o) else { throw WireError(.invalidValue, "receipt.outcome \(o)", offset: at) }
            self.outcome = outcome
            credits = try r.varint("receipt.credits")
            validators = try r.array("receipt.validators", max: Limits.maxValidators) { (r: inout WireReader) throws(WireError) in
                try r.key("receipt.validator")
            }
            issuedAt = try r.uint64("receipt.issuedAt")
        }
    }

    /// The body of a validator's **attestation** ledger entry (kind 3, Protocol.md §7.11).
    public struct Attestation: Equatable, Sendable, WireCodable {
        /// Encoding format of this body.
        public static let format: UInt8 = 1

        /// The verdict.
        public enum Verdict: Equatable, Sendable {
            /// Every claimed token and commitment checked out.
            case pass
            /// The check failed: why, and at which output token (0 when not token-specific).
            case fail(FailCode, position: UInt32)

            /// Whether this is a pass.
            public var passed: Bool { if case .pass = self { return true } else { return false } }
        }

        /// Why a result failed its check.
        public enum FailCode: UInt8, Sendable {
            /// A claimed token is not what the model produces (teacher-forced check).
            case tokenMismatch = 1
            /// The output cannot be checked at all: its text does not match its tokens, or
            /// it does not fit the model's context.
            case invalidResult = 2
        }

        /// The job.
        public var jobID: JobID
        /// The job's requester.
        public var requester: PublicKey
        /// The provider whose result was checked.
        public var provider: PublicKey
        /// The validator (the ledger's owner).
        public var validator: PublicKey
        /// SHA-256 of the `ResultRecord` body checked.
        public var resultRecordHash: Digest
        /// The model checked against.
        public var modelID: Digest
        /// The verdict.
        public var verdict: Verdict
        /// When.
        public var issuedAt: Millis

        /// Creates an attestation.
        public init(jobID: JobID, requester: PublicKey, provider: PublicKey, validator: PublicKey, resultRecordHash: Digest,
                    modelID: Digest, verdict: Verdict, issuedAt: Millis) {
            self.jobID = jobID; self.requester = requester; self.provider = provider; self.validator = validator
            self.resultRecordHash = resultRecordHash; self.modelID = modelID; self.verdict = verdict; self.issuedAt = issuedAt
        }

        public func encode(to w: inout WireWriter) {
            w.uint8(Self.format); w.value(jobID); w.key(requester); w.key(provider); w.key(validator)
            w.digest(resultRecordHash); w.digest(modelID)
            switch verdict {
            case .pass: w.uint8(0); w.uint8(0); w.varint(0)
            case .fail(let code, let position): w.uint8(1); w.uint8(code.rawValue); w.varint(UInt64(position))
            }
            w.uint64(issuedAt)
        }

        public init(from r: inout WireReader) throws(WireError) {
            let f = try r.uint8("attestation.format")
            guard f == Self.format else { throw WireError(.unknownVersion, "attestation.format \(f)", offset: r.offset - 1) }
            jobID = try JobID(from: &r)
            requester = try r.key("attestation.requester")
            provider = try r.key("attestation.provider")
            validator = try r.key("attestation.validator")
            resultRecordHash = try r.digest("attestation.resultRecordHash")
            modelID = try r.digest("attestation.modelID")
            let at = r.offset
            let v = try r.uint8("attestation.verdict")
            let c = try r.uint8("attestation.failCode")
            let p = try r.varint32("attestation.failPosition", max: UInt32(Limits.maxTokens))
            switch (v, c, p) {
            case (0, 0, 0): verdict = .pass
            case (1, _, _):
                guard let code = FailCode(rawValue: c) else { throw WireError(.invalidValue, "attestation.failCode \(c)", offset: at + 1) }
                verdict = .fail(code, position: p)
            default: throw WireError(.invalidValue, "attestation verdict \(v) with code \(c), position \(p)", offset: at)
            }
            issuedAt = try r.uint64("attestation.issuedAt")
        }
    }
}
