import AgoraCrypto
import AgoraWire

extension Market {
    /// A provider's answer, beside its result sent again, to the cancel of a restarted
    /// requester (Protocol.md §7.8): the job's input (the award payload: prompt salt and job
    /// description) boxed back to the requester, which kept no prompt across its restart. With
    /// it the requester can have the result checked by validators before paying it; the
    /// requester's journal holds the award's prompt commitment, so a provider cannot return
    /// another input than the one it was given.
    public struct ReconcileInput: MarketSignedBody {
        public static let domain = SignatureDomain.reconcileInput
        public static let messageType = MessageType.reconcileInput

        /// The job.
        public var jobID: JobID
        /// The requester the input goes back to.
        public var requester: PublicKey
        /// The provider (signer).
        public var provider: PublicKey
        /// SHA-256 of the award's body bytes whose payload this is.
        public var awardHash: Digest
        /// `AwardPayload` boxed from the provider to the requester (as the output is).
        public var sealedInput: [UInt8]

        public var signer: PublicKey { provider }

        /// Creates a reconcile input.
        public init(jobID: JobID, requester: PublicKey, provider: PublicKey, awardHash: Digest, sealedInput: [UInt8]) {
            self.jobID = jobID; self.requester = requester; self.provider = provider; self.awardHash = awardHash
            self.sealedInput = sealedInput
        }

        public func encode(to w: inout WireWriter) {
            w.value(jobID); w.key(requester); w.key(provider); w.digest(awardHash); w.bytes(sealedInput)
        }

        public init(from r: inout WireReader) throws(WireError) {
            jobID = try JobID(from: &r)
            requester = try r.key("reconcileInput.requester")
            provider = try r.key("reconcileInput.provider")
            awardHash = try r.digest("reconcileInput.awardHash")
            sealedInput = try r.bytes("reconcileInput.sealedInput", max: Limits.maxSealedBytes)
        }
    }
}
