import AgoraCrypto
import AgoraJob
import AgoraWire

extension Market {
    /// A ledger entry as the ledger serialises it, with a checkpoint signed by the ledger's
    /// owner and an RFC 9162 inclusion proof of the entry in that checkpoint. The market
    /// treats all three as opaque bytes and hands them to a `LedgerProofVerifier`.
    public struct EntryProof: Equatable, Sendable, WireCodable {
        /// The serialised ledger entry.
        public var entry: [UInt8]
        /// The serialised signed checkpoint.
        public var checkpoint: [UInt8]
        /// The serialised inclusion proof.
        public var proof: [UInt8]

        /// Creates a proof bundle.
        public init(entry: [UInt8], checkpoint: [UInt8], proof: [UInt8]) {
            self.entry = entry; self.checkpoint = checkpoint; self.proof = proof
        }

        public func encode(to w: inout WireWriter) {
            w.bytes(entry); w.bytes(checkpoint); w.bytes(proof)
        }

        public init(from r: inout WireReader) throws(WireError) {
            entry = try r.bytes("entryProof.entry", max: Limits.maxEntryBytes)
            checkpoint = try r.bytes("entryProof.checkpoint", max: Limits.maxCheckpointBytes)
            proof = try r.bytes("entryProof.proof", max: Limits.maxProofBytes)
        }
    }

    /// What a result seals to the requester (`crypto_box` from the provider): the output
    /// and the salt of its commitments (Protocol.md §7.5).
    public struct OutputPayload: Equatable, Sendable, WireCodable {
        /// The 32-byte salt of the output commitments.
        public var outputSalt: [UInt8]
        /// Generated token ids.
        public var tokens: [UInt32]
        /// Generated text (UTF-8 bytes).
        public var text: [UInt8]
        /// Each token's logprobs, when the job asks for them (else empty).
        public var logprobs: [TokenLogprob]
        /// The prompt's length in the provider's tokens (as the provider reports it, for usage
        /// accounting; not checked, and not what the job is paid for).
        public var promptTokens: UInt32

        /// Creates a payload.
        public init(outputSalt: [UInt8], tokens: [UInt32], text: [UInt8], logprobs: [TokenLogprob] = [], promptTokens: UInt32 = 0) {
            self.outputSalt = outputSalt; self.tokens = tokens; self.text = text; self.logprobs = logprobs
            self.promptTokens = promptTokens
        }

        public func encode(to w: inout WireWriter) {
            w.raw(outputSalt); w.array(tokens) { $0.varint(UInt64($1)) }; w.bytes(text); w.array(logprobs) { $0.value($1) }
            w.varint(UInt64(promptTokens))
        }

        public init(from r: inout WireReader) throws(WireError) {
            outputSalt = try r.raw(Commitment.saltLength, "outputPayload.outputSalt")
            tokens = try r.array("outputPayload.tokens", max: Limits.maxTokens) { (r: inout WireReader) throws(WireError) in
                try r.varint32("outputPayload.token")
            }
            text = try r.bytes("outputPayload.text", max: Limits.maxOutputBytes)
            logprobs = try r.array("outputPayload.logprobs", max: Limits.maxTokens) { (r: inout WireReader) throws(WireError) in
                try TokenLogprob(from: &r)
            }
            promptTokens = try r.varint32("outputPayload.promptTokens", max: UInt32(JobLimits.maxPromptTokens * 4))
        }
    }

    /// A provider's signed result (Protocol.md §7.5): its result record, the ledger entry
    /// holding it with checkpoint and inclusion proof, and the output sealed to the requester.
    public struct ResultMessage: MarketSignedBody {
        public static let domain = SignatureDomain.result
        public static let messageType = MessageType.result

        /// The job.
        public var jobID: JobID
        /// The requester.
        public var requester: PublicKey
        /// The provider (signer).
        public var provider: PublicKey
        /// SHA-256 of the award's body bytes this result answers.
        public var awardHash: Digest
        /// The `ResultRecord` body bytes, exactly as appended to the provider's ledger.
        public let recordBytes: [UInt8]
        /// The decoded record.
        public let record: ResultRecord
        /// The ledger entry, checkpoint and inclusion proof.
        public var entryProof: EntryProof
        /// `OutputPayload` boxed from the provider to the requester.
        public var sealedOutput: [UInt8]

        public var signer: PublicKey { provider }

        /// Creates a result message.
        public init(jobID: JobID, requester: PublicKey, provider: PublicKey, awardHash: Digest, record: ResultRecord,
                    entryProof: EntryProof, sealedOutput: [UInt8]) {
            self.jobID = jobID; self.requester = requester; self.provider = provider; self.awardHash = awardHash
            self.record = record; self.recordBytes = record.wireBytes; self.entryProof = entryProof
            self.sealedOutput = sealedOutput
        }

        public func encode(to w: inout WireWriter) {
            w.value(jobID); w.key(requester); w.key(provider); w.digest(awardHash)
            w.bytes(recordBytes); w.value(entryProof); w.bytes(sealedOutput)
        }

        public init(from r: inout WireReader) throws(WireError) {
            jobID = try JobID(from: &r)
            requester = try r.key("result.requester")
            provider = try r.key("result.provider")
            awardHash = try r.digest("result.awardHash")
            recordBytes = try r.bytes("result.record", max: 4096)
            record = try ResultRecord(wireBytes: recordBytes)
            entryProof = try EntryProof(from: &r)
            sealedOutput = try r.bytes("result.sealedOutput", max: Limits.maxSealedBytes)
        }
    }

    /// What a verify request seals to the validator: everything needed to re-check the
    /// result against its commitments (Protocol.md §7.6).
    public struct VerifyPayload: Equatable, Sendable, WireCodable {
        /// The prompt commitment's salt.
        public var promptSalt: [UInt8]
        /// The job description's canonical bytes, as committed to.
        public let requestBytes: [UInt8]
        /// The job description the provider ran.
        public let request: GenerationRequest
        /// The output commitments' salt.
        public var outputSalt: [UInt8]
        /// The claimed output tokens.
        public var tokens: [UInt32]
        /// The claimed output text.
        public var text: [UInt8]
        /// The claimed logprobs (empty unless the job asks for them).
        public var logprobs: [TokenLogprob]

        /// Creates a payload.
        public init(promptSalt: [UInt8], request: GenerationRequest, outputSalt: [UInt8], tokens: [UInt32], text: [UInt8],
                    logprobs: [TokenLogprob] = []) {
            self.promptSalt = promptSalt; self.request = request; self.requestBytes = request.wireBytes
            self.outputSalt = outputSalt; self.tokens = tokens; self.text = text; self.logprobs = logprobs
        }

        public func encode(to w: inout WireWriter) {
            w.raw(promptSalt); w.bytes(requestBytes); w.raw(outputSalt)
            w.array(tokens) { $0.varint(UInt64($1)) }; w.bytes(text); w.array(logprobs) { $0.value($1) }
        }

        public init(from r: inout WireReader) throws(WireError) {
            promptSalt = try r.raw(Commitment.saltLength, "verifyPayload.promptSalt")
            requestBytes = try r.bytes("verifyPayload.job", max: Limits.maxJobBytes)
            request = try GenerationRequest(wireBytes: requestBytes)
            outputSalt = try r.raw(Commitment.saltLength, "verifyPayload.outputSalt")
            tokens = try r.array("verifyPayload.tokens", max: Limits.maxTokens) { (r: inout WireReader) throws(WireError) in
                try r.varint32("verifyPayload.token")
            }
            text = try r.bytes("verifyPayload.text", max: Limits.maxOutputBytes)
            logprobs = try r.array("verifyPayload.logprobs", max: Limits.maxTokens) { (r: inout WireReader) throws(WireError) in
                try TokenLogprob(from: &r)
            }
        }
    }

    /// A requester asking a validator to re-check a result (Protocol.md §7.6).
    public struct VerifyRequest: MarketSignedBody {
        public static let domain = SignatureDomain.verifyRequest
        public static let messageType = MessageType.verifyRequest

        /// The job.
        public var jobID: JobID
        /// The requester (signer).
        public var requester: PublicKey
        /// The validator asked.
        public var validator: PublicKey
        /// The result's `ResultRecord` body bytes.
        public let recordBytes: [UInt8]
        /// The decoded record.
        public let record: ResultRecord
        /// The provider's ledger entry, checkpoint and inclusion proof for the record.
        public var entryProof: EntryProof
        /// `VerifyPayload` sealed to the validator.
        public var sealedPayload: [UInt8]
        /// When asked.
        public var issuedAt: Millis

        public var signer: PublicKey { requester }

        /// Creates a verify request.
        public init(jobID: JobID, requester: PublicKey, validator: PublicKey, record: ResultRecord, entryProof: EntryProof,
                    sealedPayload: [UInt8], issuedAt: Millis) {
            self.jobID = jobID; self.requester = requester; self.validator = validator
            self.record = record; self.recordBytes = record.wireBytes; self.entryProof = entryProof
            self.sealedPayload = sealedPayload; self.issuedAt = issuedAt
        }

        public func encode(to w: inout WireWriter) {
            w.value(jobID); w.key(requester); w.key(validator); w.bytes(recordBytes); w.value(entryProof)
            w.bytes(sealedPayload); w.uint64(issuedAt)
        }

        public init(from r: inout WireReader) throws(WireError) {
            jobID = try JobID(from: &r)
            requester = try r.key("verifyRequest.requester")
            validator = try r.key("verifyRequest.validator")
            recordBytes = try r.bytes("verifyRequest.record", max: 4096)
            record = try ResultRecord(wireBytes: recordBytes)
            entryProof = try EntryProof(from: &r)
            sealedPayload = try r.bytes("verifyRequest.sealedPayload", max: Limits.maxSealedBytes)
            issuedAt = try r.uint64("verifyRequest.issuedAt")
        }
    }

    /// A validator's signed attestation with the ledger entry holding it (Protocol.md §7.7).
    /// Sent to the requester; a failing one is also gossiped.
    public struct AttestationMessage: MarketSignedBody {
        public static let domain = SignatureDomain.attestation
        public static let messageType = MessageType.attestation

        /// The `Attestation` body bytes, exactly as appended to the validator's ledger.
        public let attestationBytes: [UInt8]
        /// The decoded attestation.
        public let attestation: Attestation
        /// The validator's ledger entry, checkpoint and inclusion proof.
        public var entryProof: EntryProof

        public var signer: PublicKey { attestation.validator }

        /// Creates an attestation message.
        public init(attestation: Attestation, entryProof: EntryProof) {
            self.attestation = attestation; self.attestationBytes = attestation.wireBytes; self.entryProof = entryProof
        }

        public func encode(to w: inout WireWriter) {
            w.bytes(attestationBytes); w.value(entryProof)
        }

        public init(from r: inout WireReader) throws(WireError) {
            attestationBytes = try r.bytes("attestationMessage.attestation", max: 4096)
            attestation = try Attestation(wireBytes: attestationBytes)
            entryProof = try EntryProof(from: &r)
        }
    }
}
