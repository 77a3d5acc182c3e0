import AgoraCrypto
import AgoraWire

extension Ledger {
    /// What an entry records. The market defines the bodies of each kind; unknown kinds
    /// are rejected when decoding.
    public enum Kind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        /// A provider's result for a job.
        case result = 1
        /// A requester's receipt (payment of credits) for a result.
        case receipt = 2
        /// A validator's attestation (pass or fail) about a result.
        case attestation = 3
        /// Equivocation evidence against another ledger (`Ledger.Evidence` bytes).
        case evidence = 4

        public var description: String {
            switch self {
            case .result: "result"
            case .receipt: "receipt"
            case .attestation: "attestation"
            case .evidence: "evidence"
            }
        }
    }

    /// One signed ledger entry (Protocol.md §4.1). Values are immutable; an entry decoded
    /// from bytes keeps those exact bytes (`encoded`), and its signature is checked over
    /// them, never over a re-encoding.
    public struct Entry: Sendable, Hashable {
        /// Format version (always `Ledger.entryVersion` for entries this build accepts).
        public let version: UInt8
        /// The ledger's id: its owner's Ed25519 public key, which signs every entry.
        public let ledgerID: PublicKey
        /// Position in the ledger, from 0.
        public let seq: UInt64
        /// Hash of the entry at `seq - 1` (`Digest.zero` for seq 0).
        public let previousHash: Digest
        /// Unix time in milliseconds, as the owner's clock read it.
        public let time: Int64
        /// What the entry records.
        public let kind: Kind
        /// Opaque body bytes (at most `Ledger.maxBodySize`).
        public let body: [UInt8]
        /// Ed25519 signature by `ledgerID` over `signedBytes` in domain `agora/v1/ledger-entry`.
        public let signature: Signature
        /// The full canonical encoding, signature included.
        public let encoded: [UInt8]
        /// The entry hash: SHA-256 of `encoded` (the next entry's `previousHash`).
        public let hash: Digest
        /// The Merkle leaf hash: SHA-256(0x00 ‖ `encoded`).
        public let leafHash: Digest

        /// The bytes the signature covers: `encoded` without its last 64 bytes.
        public var signedBytes: ArraySlice<UInt8> { encoded.dropLast(64) }

        /// Creates and signs entry `seq` with `identity` (whose public key is the ledger id).
        /// Throws `bodyTooLarge` for a body above `Ledger.maxBodySize`.
        public static func sign(identity: Identity, seq: UInt64, previousHash: Digest, time: Int64,
                                kind: Kind, body: [UInt8]) throws(LedgerError) -> Entry {
            guard body.count <= Ledger.maxBodySize else {
                throw LedgerError(.bodyTooLarge, "body is \(body.count) bytes, the limit is \(Ledger.maxBodySize)", seq: seq)
            }
            var w = WireWriter(capacity: 160 + body.count)
            w.uint8(Ledger.entryVersion)
            w.raw(identity.publicKey.bytes)
            w.uint64(seq)
            w.raw(previousHash.bytes)
            w.int64(time)
            w.uint8(kind.rawValue)
            w.bytes(body)
            let signature = identity.sign(w.bytes, in: .ledgerEntry)
            w.raw(signature.bytes)
            // The bytes were produced by our own encoder, so decoding cannot fail.
            return try Entry(bytes: w.bytes)
        }

        /// Decodes one entry from its canonical bytes (trailing bytes are an error). Checks
        /// the format (version, kind, body bound) but not the signature: see `isSignatureValid`.
        public init(bytes: [UInt8]) throws(LedgerError) {
            guard bytes.count <= Ledger.maxEntrySize else {
                throw LedgerError(.malformedEntry, "entry is \(bytes.count) bytes, the limit is \(Ledger.maxEntrySize)")
            }
            var r = WireReader(bytes)
            do {
                version = try r.uint8("version")
                guard version == Ledger.entryVersion else {
                    throw LedgerError(.unknownVersion, "entry version \(version) is not supported (this build reads version \(Ledger.entryVersion))")
                }
                ledgerID = try PublicKey(bytes: try r.raw(32, "ledger id"))
                seq = try r.uint64("seq")
                previousHash = try Digest(bytes: try r.raw(32, "previous hash"))
                time = try r.int64("time")
                let rawKind = try r.uint8("kind")
                guard let kind = Kind(rawValue: rawKind) else {
                    throw LedgerError(.unknownKind, "entry kind \(rawKind) is not known", seq: seq)
                }
                self.kind = kind
                let bodyLength = try r.count("body length", max: Int.max)
                guard bodyLength <= Ledger.maxBodySize else {
                    throw LedgerError(.bodyTooLarge, "body is \(bodyLength) bytes, the limit is \(Ledger.maxBodySize)", seq: seq)
                }
                body = try r.raw(bodyLength, "body")
                signature = try Signature(bytes: try r.raw(64, "signature"))
                try r.expectEnd("entry")
            } catch let e as LedgerError {
                throw e
            } catch let e as WireError {
                throw LedgerError(.malformedEntry, "entry: \(e)")
            } catch {
                throw LedgerError(.malformedEntry, "entry: \(error)")
            }
            encoded = bytes
            hash = SHA256.hash(bytes)
            leafHash = MerkleTree.leafHash(bytes)
        }

        /// Whether the signature verifies under `ledgerID` over the signed bytes.
        public var isSignatureValid: Bool {
            ledgerID.isValidSignature(signature, for: Array(signedBytes), in: .ledgerEntry)
        }
    }
}

extension Ledger.Entry: CustomStringConvertible {
    public var description: String {
        "Entry(\(ledgerID.short) #\(seq) \(kind) \(body.count) B, hash \(hash.hex.prefix(16)))"
    }
}
