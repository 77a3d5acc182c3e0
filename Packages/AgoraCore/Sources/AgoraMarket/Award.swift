import AgoraCrypto
import AgoraWire

extension Market {
    /// Sampling parameters for a job. Greedy (temperature 0) by default; seeded sampling
    /// records its seed so a validator can re-check it.
    public struct Sampling: Equatable, Sendable, WireCodable {
        /// Temperature × 1,000 (0 = greedy).
        public var temperatureMilli: UInt32
        /// Top-k (0 = off).
        public var topK: UInt32
        /// Top-p × 1,000,000 (1,000,000 = off).
        public var topPMicro: UInt32
        /// Sampler seed.
        public var seed: UInt64

        /// Creates sampling parameters.
        public init(temperatureMilli: UInt32 = 0, topK: UInt32 = 0, topPMicro: UInt32 = 1_000_000, seed: UInt64 = 0) {
            self.temperatureMilli = temperatureMilli; self.topK = topK; self.topPMicro = topPMicro; self.seed = seed
        }

        /// Greedy decoding.
        public static let greedy = Sampling()

        public func encode(to w: inout WireWriter) {
            w.varint(UInt64(temperatureMilli)); w.varint(UInt64(topK)); w.varint(UInt64(topPMicro)); w.uint64(seed)
        }

        public init(from r: inout WireReader) throws(WireError) {
            temperatureMilli = try r.varint32("sampling.temperatureMilli", max: 100_000)
            topK = try r.varint32("sampling.topK", max: 1 << 20)
            topPMicro = try r.varint32("sampling.topPMicro", max: 1_000_000)
            seed = try r.uint64("sampling.seed")
        }
    }

    /// What an award seals to the winning provider: the prompt, its salt and the sampling
    /// parameters (Protocol.md §7.4).
    public struct AwardPayload: Equatable, Sendable, WireCodable {
        /// The 32-byte salt of the prompt commitment.
        public var promptSalt: [UInt8]
        /// The prompt text (UTF-8 bytes; the executor applies the chat template).
        public var prompt: [UInt8]
        /// Sampling parameters.
        public var sampling: Sampling

        /// Creates a payload.
        public init(promptSalt: [UInt8], prompt: [UInt8], sampling: Sampling) {
            self.promptSalt = promptSalt; self.prompt = prompt; self.sampling = sampling
        }

        public func encode(to w: inout WireWriter) {
            w.raw(promptSalt); w.bytes(prompt); w.value(sampling)
        }

        public init(from r: inout WireReader) throws(WireError) {
            promptSalt = try r.raw(Commitment.saltLength, "awardPayload.promptSalt")
            prompt = try r.bytes("awardPayload.prompt", max: Limits.maxPromptBytes)
            sampling = try Sampling(from: &r)
        }
    }

    /// The requester's signed choice of one bid (Protocol.md §7.4). The prompt travels
    /// sealed to the provider's X25519 key; the body carries only its salted commitment.
    public struct Award: MarketSignedBody {
        public static let domain = SignatureDomain.award
        public static let messageType = MessageType.award

        /// The job.
        public var jobID: JobID
        /// SHA-256 of the winning bid's body bytes.
        public var bidHash: Digest
        /// The requester (signer).
        public var requester: PublicKey
        /// The winning provider.
        public var provider: PublicKey
        /// When the award was made.
        public var awardedAt: Millis
        /// The provider must deliver a result by this instant, or the job goes to the next bid.
        public var completeBy: Millis
        /// `SHA-256(promptSalt ‖ prompt)`.
        public var promptCommitment: Digest
        /// `AwardPayload` sealed to the provider (`crypto_box_seal`).
        public var sealedPayload: [UInt8]

        public var signer: PublicKey { requester }

        /// Creates an award.
        public init(jobID: JobID, bidHash: Digest, requester: PublicKey, provider: PublicKey, awardedAt: Millis,
                    completeBy: Millis, promptCommitment: Digest, sealedPayload: [UInt8]) {
            self.jobID = jobID; self.bidHash = bidHash; self.requester = requester; self.provider = provider
            self.awardedAt = awardedAt; self.completeBy = completeBy; self.promptCommitment = promptCommitment
            self.sealedPayload = sealedPayload
        }

        public func encode(to w: inout WireWriter) {
            w.value(jobID); w.digest(bidHash); w.key(requester); w.key(provider)
            w.uint64(awardedAt); w.uint64(completeBy); w.digest(promptCommitment); w.bytes(sealedPayload)
        }

        public init(from r: inout WireReader) throws(WireError) {
            jobID = try JobID(from: &r)
            bidHash = try r.digest("award.bidHash")
            requester = try r.key("award.requester")
            provider = try r.key("award.provider")
            awardedAt = try r.uint64("award.awardedAt")
            completeBy = try r.uint64("award.completeBy")
            promptCommitment = try r.digest("award.promptCommitment")
            sealedPayload = try r.bytes("award.sealedPayload", max: Limits.maxSealedBytes)
        }
    }

    /// A requester withdrawing a job from its current provider (Protocol.md §7.8).
    public struct Cancel: MarketSignedBody {
        public static let domain = SignatureDomain.cancel
        public static let messageType = MessageType.cancel

        /// The job.
        public var jobID: JobID
        /// The requester (signer).
        public var requester: PublicKey
        /// The provider told to stop.
        public var provider: PublicKey
        /// When the job was cancelled.
        public var issuedAt: Millis

        public var signer: PublicKey { requester }

        /// Creates a cancel.
        public init(jobID: JobID, requester: PublicKey, provider: PublicKey, issuedAt: Millis) {
            self.jobID = jobID; self.requester = requester; self.provider = provider; self.issuedAt = issuedAt
        }

        public func encode(to w: inout WireWriter) {
            w.value(jobID); w.key(requester); w.key(provider); w.uint64(issuedAt)
        }

        public init(from r: inout WireReader) throws(WireError) {
            jobID = try JobID(from: &r)
            requester = try r.key("cancel.requester")
            provider = try r.key("cancel.provider")
            issuedAt = try r.uint64("cancel.issuedAt")
        }
    }

    /// A provider giving an award back (it failed to run the job) (Protocol.md §7.8).
    public struct Decline: MarketSignedBody {
        public static let domain = SignatureDomain.decline
        public static let messageType = MessageType.decline

        /// Why a provider gives an award back.
        public enum Reason: UInt8, Sendable {
            /// The executor failed.
            case executionFailed = 1
            /// The provider is shutting down or overloaded.
            case unavailable = 2
        }

        /// The job.
        public var jobID: JobID
        /// The provider (signer).
        public var provider: PublicKey
        /// The requester.
        public var requester: PublicKey
        /// SHA-256 of the award's body bytes.
        public var awardHash: Digest
        /// Why.
        public var reason: Reason
        /// When.
        public var issuedAt: Millis

        public var signer: PublicKey { provider }

        /// Creates a decline.
        public init(jobID: JobID, provider: PublicKey, requester: PublicKey, awardHash: Digest, reason: Reason, issuedAt: Millis) {
            self.jobID = jobID; self.provider = provider; self.requester = requester
            self.awardHash = awardHash; self.reason = reason; self.issuedAt = issuedAt
        }

        public func encode(to w: inout WireWriter) {
            w.value(jobID); w.key(provider); w.key(requester); w.digest(awardHash); w.uint8(reason.rawValue); w.uint64(issuedAt)
        }

        public init(from r: inout WireReader) throws(WireError) {
            jobID = try JobID(from: &r)
            provider = try r.key("decline.provider")
            requester = try r.key("decline.requester")
            awardHash = try r.digest("decline.awardHash")
            let at = r.offset
            let code = try r.uint8("decline.reason")
            guard let reason = Reason(rawValue: code) else { throw WireError(.invalidValue, "decline.reason \(code)", offset: at) }
            self.reason = reason
            issuedAt = try r.uint64("decline.issuedAt")
        }
    }
}
