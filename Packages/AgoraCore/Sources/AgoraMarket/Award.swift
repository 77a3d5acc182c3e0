import AgoraCrypto
import AgoraJob
import AgoraWire

extension Market {
    /// What an award seals to the winning provider: the salt of the prompt commitment and
    /// the job description (prompt, sampling, stop, grammar, logprobs), whose canonical bytes
    /// the commitment covers (Protocol.md §7.4, §7.4a).
    public struct AwardPayload: Equatable, Sendable, WireCodable {
        /// The 32-byte salt of the prompt commitment.
        public var promptSalt: [UInt8]
        /// The job description's canonical bytes, as committed to.
        public let requestBytes: [UInt8]
        /// The job description.
        public let request: GenerationRequest

        /// Creates a payload.
        public init(promptSalt: [UInt8], request: GenerationRequest) {
            self.promptSalt = promptSalt; self.request = request; self.requestBytes = request.wireBytes
        }

        public func encode(to w: inout WireWriter) {
            w.raw(promptSalt); w.bytes(requestBytes)
        }

        public init(from r: inout WireReader) throws(WireError) {
            promptSalt = try r.raw(Commitment.saltLength, "awardPayload.promptSalt")
            requestBytes = try r.bytes("awardPayload.job", max: Limits.maxJobBytes)
            request = try GenerationRequest(wireBytes: requestBytes)
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
