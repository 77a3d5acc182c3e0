import AgoraCrypto
import AgoraWire

extension Gossip {
    /// What one UDP datagram carries: a few messages and piggybacked membership updates.
    /// The instance builds datagrams that fit `Packet.maxSize` once sealed; the shell seals
    /// them into packets (`Packet.seal`) and opens received ones (`PacketGuard.open`).
    public struct Datagram: Hashable, Sendable {
        /// At most this many messages per datagram.
        public static let maxMessages = 8
        /// At most this many updates per datagram.
        public static let maxUpdates = 64

        /// Messages (never `pushPull`).
        public var messages: [Message]
        /// Piggybacked updates.
        public var updates: [Update]

        /// A datagram.
        public init(messages: [Message] = [], updates: [Update] = []) {
            self.messages = messages
            self.updates = updates
        }

        /// The size of the sealed packet (header, messages, updates, signature).
        public var packetSize: Int {
            var n = Packet.headerSize + Packet.signatureSize + varintSize(UInt64(messages.count)) + varintSize(UInt64(updates.count))
            for m in messages { let e = m.envelopeSize; n += varintSize(UInt64(e)) + e }
            for u in updates { n += u.encodedSize }
            return n
        }
    }

    /// The datagram format (Protocol.md §5.1):
    ///
    ///     u8 version = 1 ‖ key32 sender ‖ u64 sequence
    ///     ‖ list<bytes envelope> messages (≤ 8) ‖ list<update> updates (≤ 64)
    ///     ‖ sig64 Ed25519 by sender over agora/v1/gossip-packet ‖ 0x00 ‖ all preceding bytes
    ///
    /// at most `maxSize` bytes. `sequence` increases with every packet a sender sends
    /// (start it from the wall clock in microseconds so a restart continues above the
    /// last run); receivers drop repeats and packets too old for their window.
    public enum Packet {
        /// The largest packet sent or accepted.
        public static let maxSize = 1_400
        /// Format version.
        public static let version: UInt8 = 1
        /// version + sender + sequence.
        public static let headerSize = 1 + 32 + 8
        /// Trailing signature.
        public static let signatureSize = 64

        /// The unsigned bytes of a packet (everything the signature covers).
        public static func body(_ d: Datagram, sender: NodeID, sequence: UInt64) -> [UInt8] {
            var w = WireWriter(capacity: 512)
            w.uint8(version)
            w.raw(sender.bytes)
            w.uint64(sequence)
            w.array(d.messages) { w, m in w.bytes(m.envelope) }
            w.array(d.updates) { w, u in u.encode(to: &w) }
            return w.bytes
        }

        /// Encodes and signs a datagram. Throws `oversized` above `maxSize` and
        /// `malformedPacket` for a push-pull (TCP only) or too many items.
        public static func seal(_ d: Datagram, by identity: Identity, sequence: UInt64) throws(GossipError) -> [UInt8] {
            guard d.messages.count <= Datagram.maxMessages, d.updates.count <= Datagram.maxUpdates,
                  !d.messages.contains(where: { $0.type == .pushPull }) else {
                throw GossipError(.malformedPacket, "\(d.messages.count) messages, \(d.updates.count) updates, or a push-pull")
            }
            var out = body(d, sender: identity.publicKey, sequence: sequence)
            out += identity.sign(out, in: .gossipPacket).bytes
            guard out.count <= maxSize else { throw GossipError(.oversized, "packet of \(out.count) bytes exceeds \(maxSize)") }
            return out
        }

        /// A decoded packet whose signature has not been checked yet.
        public struct Opened: Sendable {
            /// Claimed sender.
            public var sender: NodeID
            /// Sender's sequence number.
            public var sequence: UInt64
            /// Contents.
            public var datagram: Datagram
            /// The signed bytes.
            public var body: [UInt8]
            /// The signature.
            public var signature: [UInt8]

            /// Whether the signature verifies under `sender`.
            public var isAuthentic: Bool {
                guard let sig = try? Signature(bytes: signature) else { return false }
                return sender.isValidSignature(sig, for: body, in: .gossipPacket)
            }
        }

        /// Decodes a packet without checking its signature. Never traps on any input.
        public static func decode(_ bytes: [UInt8]) throws(GossipError) -> Opened {
            guard bytes.count <= maxSize else { throw GossipError(.oversized, "packet of \(bytes.count) bytes exceeds \(maxSize)") }
            guard bytes.count >= headerSize + signatureSize + 2 else {
                throw GossipError(.malformedPacket, "packet of \(bytes.count) bytes is too short")
            }
            let bodyBytes = Array(bytes[0..<(bytes.count - signatureSize)])
            var r = WireReader(bodyBytes)
            do {
                let v = try r.uint8("packet.version")
                guard v == version else { throw WireError(.unknownVersion, "packet version \(v)") }
                let sender = try r.nodeID("packet.sender")
                let seq = try r.uint64("packet.sequence")
                let messages = try r.array("packet.messages", max: Datagram.maxMessages) { r throws(WireError) in
                    let m = try Message(envelope: try r.bytes("packet.message", max: maxSize), maxPayload: maxSize)
                    if case .pushPull = m { throw WireError(.unknownType, "push-pull in a datagram") }
                    return m
                }
                let updates = try r.array("packet.updates", max: Datagram.maxUpdates) { r throws(WireError) in try Update(from: &r) }
                try r.expectEnd("packet")
                return Opened(sender: sender, sequence: seq, datagram: Datagram(messages: messages, updates: updates),
                              body: bodyBytes, signature: Array(bytes[(bytes.count - signatureSize)...]))
            } catch let error as WireError {
                throw GossipError(.malformedPacket, error.description)
            } catch {
                throw GossipError(.malformedPacket, "\(error)")
            }
        }
    }
}
