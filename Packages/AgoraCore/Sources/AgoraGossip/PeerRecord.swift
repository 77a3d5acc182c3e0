import AgoraCrypto
import AgoraWire

extension Gossip {
    /// What a member says about itself, signed by its own key (Protocol.md §5.2): node id,
    /// incarnation, addresses and capabilities. A record is immutable and keeps the exact
    /// bytes it was signed over, so checking it never re-encodes anything.
    ///
    /// Records are ordered by incarnation: a member publishes a new record (incarnation + 1)
    /// to refute a suspicion, to change its capabilities, or (with `departing` set) to leave.
    public final class PeerRecord: Hashable, Sendable, CustomStringConvertible, WireCodable {
        /// Record format version (2: the arithmetic class is given per model).
        public static let version: UInt8 = 2
        /// The largest encoded record (body and signature) accepted, so a record always fits
        /// one datagram.
        public static let maxEncodedSize = 1_100
        /// At most this many addresses.
        public static let maxAddresses = 4

        /// The subject: the node id (public key) that signed the record.
        public let nodeID: NodeID
        /// Version of the record; higher wins.
        public let incarnation: UInt64
        /// Set on the record a member publishes when it leaves gracefully.
        public let departing: Bool
        /// Where the member listens (first is preferred); at least one.
        public let addresses: [Address]
        /// What the member serves.
        public let capabilities: Capabilities
        /// The signed bytes: the canonical encoding of every field above.
        public let body: [UInt8]
        /// Ed25519 signature (64 bytes) by `nodeID` over `agora/v1/peer-record ‖ 0x00 ‖ body`.
        public let signature: [UInt8]

        /// Builds and signs a record. Throws `invalidRecord` if it has no address, too many,
        /// or does not fit `maxEncodedSize`.
        public init(incarnation: UInt64, departing: Bool = false, addresses: [Address],
                    capabilities: Capabilities, signer: some RecordSigner) throws(GossipError) {
            guard !addresses.isEmpty, addresses.count <= PeerRecord.maxAddresses else {
                throw GossipError(.invalidRecord, "a record needs 1–\(PeerRecord.maxAddresses) addresses, got \(addresses.count)")
            }
            var w = WireWriter(capacity: 256)
            w.uint8(PeerRecord.version)
            w.raw(signer.nodeID.bytes)
            w.varint(incarnation)
            w.bool(departing)
            w.array(addresses) { w, a in a.encode(to: &w) }
            capabilities.encode(to: &w)
            guard w.bytes.count + 64 <= PeerRecord.maxEncodedSize else {
                throw GossipError(.invalidRecord, "record of \(w.bytes.count + 64) bytes exceeds \(PeerRecord.maxEncodedSize)")
            }
            self.nodeID = signer.nodeID
            self.incarnation = incarnation
            self.departing = departing
            self.addresses = addresses
            self.capabilities = capabilities
            self.body = w.bytes
            self.signature = signer.sign(w.bytes)
        }

        /// Decodes a record (`body ‖ sig64`). Does **not** check the signature: the instance
        /// does that through its `RecordVerifier`, and only for records newer than the one it holds.
        public init(from r: inout WireReader) throws(WireError) {
            let start = r.offset
            var atStart = r
            let v = try r.uint8("record.version")
            guard v == PeerRecord.version else { throw WireError(.unknownVersion, "peer record version \(v)", offset: start) }
            nodeID = try r.nodeID("record.nodeID")
            incarnation = try r.varint("record.incarnation")
            departing = try r.bool("record.departing")
            addresses = try r.array("record.addresses", max: PeerRecord.maxAddresses) { r throws(WireError) in try Address(from: &r) }
            guard !addresses.isEmpty else { throw WireError(.invalidValue, "record.addresses: empty", offset: start) }
            capabilities = try Capabilities(from: &r)
            let end = r.offset
            guard end - start + 64 <= PeerRecord.maxEncodedSize else {
                throw WireError(.oversized, "record of \(end - start + 64) bytes exceeds \(PeerRecord.maxEncodedSize)", offset: start)
            }
            signature = try r.raw(64, "record.signature")
            body = try atStart.raw(end - start, "record.body")
        }

        /// `body ‖ signature`.
        public func encode(to w: inout WireWriter) {
            w.raw(body)
            w.raw(signature)
        }

        /// Encoded size in bytes.
        public var encodedSize: Int { body.count + 64 }

        /// The address to reach the member at.
        public var address: Address { addresses[0] }

        public var description: String { "PeerRecord(\(nodeID.short) #\(incarnation)\(departing ? " departing" : ""))" }

        public static func == (a: PeerRecord, b: PeerRecord) -> Bool { a === b || (a.body == b.body && a.signature == b.signature) }
        public func hash(into h: inout Hasher) { h.combine(body); h.combine(signature) }

        /// Whether two records say the same thing apart from incarnation and signature.
        public func sameContent(as other: PeerRecord) -> Bool {
            addresses == other.addresses && capabilities == other.capabilities && departing == other.departing
        }
    }

    /// Signs record bodies for one node id (its own).
    public protocol RecordSigner: Sendable {
        /// The node id the signatures verify under.
        var nodeID: NodeID { get }
        /// A 64-byte signature over `body` in the `agora/v1/peer-record` domain.
        func sign(_ body: [UInt8]) -> [UInt8]
    }

    /// Decides whether a record's signature is valid. The instance calls it once per
    /// (node, incarnation) it accepts: records that are not newer than the one held are
    /// dropped before any check.
    public protocol RecordVerifier: Sendable {
        /// Whether `record.signature` is `record.nodeID`'s signature over `record.body`.
        func isValid(_ record: PeerRecord) -> Bool
    }

    /// The real signer: Ed25519 with the node's identity.
    public struct IdentitySigner: RecordSigner {
        private let identity: Identity
        /// A signer for `identity`.
        public init(_ identity: Identity) { self.identity = identity }
        public var nodeID: NodeID { identity.publicKey }
        public func sign(_ body: [UInt8]) -> [UInt8] { identity.sign(body, in: .peerRecord).bytes }
    }

    /// The real verifier: Ed25519 under the record's own node id (libsodium rules).
    public struct Ed25519Verifier: RecordVerifier {
        /// A verifier.
        public init() {}
        public func isValid(_ record: PeerRecord) -> Bool {
            guard let sig = try? Signature(bytes: record.signature) else { return false }
            return record.nodeID.isValidSignature(sig, for: record.body, in: .peerRecord)
        }
    }
}
