import AgoraCrypto
import AgoraWire

extension Market {
    /// A requester's signed call for bids (Protocol.md §7.2). Carries no prompt: only its
    /// approximate length in tokens, so providers can estimate their completion time.
    public struct JobRequest: MarketSignedBody {
        public static let domain = SignatureDomain.jobRequest
        public static let messageType = MessageType.jobRequest

        /// The job's id (unique per requester).
        public var jobID: JobID
        /// The requester's node id.
        public var requester: PublicKey
        /// The model asked for (SHA-256 of its GGUF file).
        public var modelID: Digest
        /// Approximate prompt length in tokens.
        public var promptTokens: UInt32
        /// Most tokens to generate (1 … `Limits.maxTokens`).
        public var maxTokens: UInt32
        /// Highest acceptable price in credits per 1,000 tokens.
        public var maxPrice: UInt64
        /// When the job must be finished (absolute).
        public var deadline: Millis
        /// How many validators must attest a pass before payment (0: spot checks only).
        public var verificationLevel: UInt8
        /// When the request was issued.
        public var issuedAt: Millis

        public var signer: PublicKey { requester }

        /// Creates a request.
        public init(jobID: JobID, requester: PublicKey, modelID: Digest, promptTokens: UInt32, maxTokens: UInt32,
                    maxPrice: UInt64, deadline: Millis, verificationLevel: UInt8, issuedAt: Millis) {
            self.jobID = jobID; self.requester = requester; self.modelID = modelID
            self.promptTokens = promptTokens; self.maxTokens = maxTokens; self.maxPrice = maxPrice
            self.deadline = deadline; self.verificationLevel = verificationLevel; self.issuedAt = issuedAt
        }

        public func encode(to w: inout WireWriter) {
            w.value(jobID); w.key(requester); w.digest(modelID)
            w.varint(UInt64(promptTokens)); w.varint(UInt64(maxTokens)); w.varint(maxPrice)
            w.uint64(deadline); w.uint8(verificationLevel); w.uint64(issuedAt)
        }

        public init(from r: inout WireReader) throws(WireError) {
            jobID = try JobID(from: &r)
            requester = try r.key("jobRequest.requester")
            modelID = try r.digest("jobRequest.modelID")
            promptTokens = try r.varint32("jobRequest.promptTokens", max: UInt32(Limits.maxTokens))
            let at = r.offset
            maxTokens = try r.varint32("jobRequest.maxTokens", max: UInt32(Limits.maxTokens))
            guard maxTokens > 0 else { throw WireError(.invalidValue, "jobRequest.maxTokens must be positive", offset: at) }
            maxPrice = try r.varint("jobRequest.maxPrice")
            deadline = try r.uint64("jobRequest.deadline")
            let lv = r.offset
            verificationLevel = try r.uint8("jobRequest.verificationLevel")
            guard verificationLevel <= Limits.maxVerificationLevel else {
                throw WireError(.invalidValue, "jobRequest.verificationLevel \(verificationLevel) > \(Limits.maxVerificationLevel)", offset: lv)
            }
            issuedAt = try r.uint64("jobRequest.issuedAt")
        }
    }

    /// A provider's signed offer for one job request (Protocol.md §7.3).
    public struct Bid: MarketSignedBody {
        public static let domain = SignatureDomain.bid
        public static let messageType = MessageType.bid

        /// The job bid for.
        public var jobID: JobID
        /// SHA-256 of the job request's body bytes (binds the bid to that exact request).
        public var requestHash: Digest
        /// The bidding provider.
        public var provider: PublicKey
        /// The job's requester.
        public var requester: PublicKey
        /// Price in credits per 1,000 generated tokens.
        public var pricePer1k: UInt64
        /// Estimated time from award to result, from the provider's measured speed and queue.
        public var etaMillis: UInt64
        /// Jobs ahead of this one in the provider's queue when it bid.
        public var queueDepth: UInt32
        /// After this instant the bid no longer holds.
        public var expiresAt: Millis

        public var signer: PublicKey { provider }

        /// Creates a bid.
        public init(jobID: JobID, requestHash: Digest, provider: PublicKey, requester: PublicKey, pricePer1k: UInt64,
                    etaMillis: UInt64, queueDepth: UInt32, expiresAt: Millis) {
            self.jobID = jobID; self.requestHash = requestHash; self.provider = provider; self.requester = requester
            self.pricePer1k = pricePer1k; self.etaMillis = etaMillis; self.queueDepth = queueDepth; self.expiresAt = expiresAt
        }

        public func encode(to w: inout WireWriter) {
            w.value(jobID); w.digest(requestHash); w.key(provider); w.key(requester)
            w.varint(pricePer1k); w.varint(etaMillis); w.varint(UInt64(queueDepth)); w.uint64(expiresAt)
        }

        public init(from r: inout WireReader) throws(WireError) {
            jobID = try JobID(from: &r)
            requestHash = try r.digest("bid.requestHash")
            provider = try r.key("bid.provider")
            requester = try r.key("bid.requester")
            pricePer1k = try r.varint("bid.pricePer1k")
            etaMillis = try r.varint("bid.etaMillis")
            queueDepth = try r.varint32("bid.queueDepth")
            expiresAt = try r.uint64("bid.expiresAt")
        }
    }
}
