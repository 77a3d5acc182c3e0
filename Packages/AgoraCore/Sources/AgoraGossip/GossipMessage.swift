import AgoraCrypto
import AgoraWire

extension Gossip {
    /// A gossip message (Protocol.md §5.4). Each travels in an AgoraWire `Envelope` of its
    /// `MessageType`; all but `pushPull` travel in datagrams, `pushPull` over a TCP session.
    public enum Message: Hashable, Sendable {
        /// "Are you alive?" to `target` (a restarted node at the same address with another
        /// id does not answer). Answered by `ack(seq)`.
        case ping(seq: UInt64, target: NodeID)
        /// The answer to `ping` (or an indirect probe's result relayed to the requester).
        case ack(seq: UInt64)
        /// "Probe `target` at `address` for me"; the helper relays the ack under `seq`, and
        /// if `wantsNack`, sends `nack(seq)` when its own probe gets no answer in time.
        case pingRequest(seq: UInt64, target: NodeID, address: Address, wantsNack: Bool)
        /// Lifeguard: "I could not reach the target either" (so the requester knows its own
        /// path to the helper works).
        case nack(seq: UInt64)
        /// A signed record on its own.
        case peerRecord(PeerRecord)
        /// A graceful leave: the sender's signed record with `departing` set.
        case leave(PeerRecord)
        /// Full-state anti-entropy (TCP only).
        case pushPull(PushPull)

        /// The envelope type.
        public var type: MessageType {
            switch self {
            case .ping: .ping
            case .ack: .ack
            case .pingRequest: .pingRequest
            case .nack: .nack
            case .peerRecord: .peerRecord
            case .leave: .leave
            case .pushPull: .pushPull
            }
        }

        /// The envelope payload.
        public var payload: [UInt8] {
            var w = WireWriter(capacity: 64)
            switch self {
            case .ping(let seq, let target):
                w.varint(seq); w.raw(target.bytes)
            case .ack(let seq), .nack(let seq):
                w.varint(seq)
            case .pingRequest(let seq, let target, let address, let wantsNack):
                w.varint(seq); w.raw(target.bytes); address.encode(to: &w); w.bool(wantsNack)
            case .peerRecord(let r), .leave(let r):
                r.encode(to: &w)
            case .pushPull(let p):
                p.encode(to: &w)
            }
            return w.bytes
        }

        /// The payload's size in bytes, without encoding it (datagram messages only).
        var payloadSize: Int {
            switch self {
            case .ping(let seq, _): varintSize(seq) + 32
            case .ack(let seq), .nack(let seq): varintSize(seq)
            case .pingRequest(let seq, _, let a, _):
                varintSize(seq) + 32 + varintSize(UInt64(a.host.utf8.count)) + a.host.utf8.count + 2 + 1
            case .peerRecord(let r), .leave(let r): r.encodedSize
            case .pushPull: payload.count
            }
        }

        /// The size of `envelope` for a datagram message (never compressed).
        var envelopeSize: Int {
            let p = payloadSize
            return 4 + varintSize(UInt64(p)) + p
        }

        /// The encoded envelope (push-pull payloads may be zstd-compressed).
        public var envelope: [UInt8] { Envelope(type: type, payload: payload).encoded(compress: type == .pushPull) }

        /// Decodes an envelope into a message; `maxPayload` bounds the payload.
        public init(envelope bytes: [UInt8], maxPayload: Int = Envelope.maxPayload) throws(WireError) {
            let e = try Envelope(decoding: bytes, maxPayload: maxPayload)
            var r = WireReader(e.payload)
            switch e.type {
            case .ping: self = .ping(seq: try r.varint("ping.seq"), target: try r.nodeID("ping.target"))
            case .ack: self = .ack(seq: try r.varint("ack.seq"))
            case .nack: self = .nack(seq: try r.varint("nack.seq"))
            case .pingRequest:
                self = .pingRequest(seq: try r.varint("pingRequest.seq"), target: try r.nodeID("pingRequest.target"),
                                    address: try Address(from: &r), wantsNack: try r.bool("pingRequest.wantsNack"))
            case .peerRecord: self = .peerRecord(try PeerRecord(from: &r))
            case .leave:
                let rec = try PeerRecord(from: &r)
                guard rec.departing else { throw WireError(.invalidValue, "leave: record is not departing") }
                self = .leave(rec)
            case .pushPull: self = .pushPull(try PushPull(from: &r))
            default: throw WireError(.unknownType, "\(e.type) is not a gossip message")
            }
            try r.expectEnd("\(e.type)")
        }
    }

    /// A full-state exchange: every member the sender knows (and its tombstones) as
    /// updates, sorted by subject (Protocol.md §5.5). The initiator sends one with
    /// `isReply` false; the responder merges it and answers with its own, `isReply` true.
    public struct PushPull: Hashable, Sendable, WireCodable {
        /// The most updates a push-pull may carry.
        public static let maxUpdates = 1 << 17
        /// Whether this answers a push-pull.
        public var isReply: Bool
        /// The sender's state.
        public var updates: [Update]

        /// A state.
        public init(isReply: Bool, updates: [Update]) {
            self.isReply = isReply
            self.updates = updates
        }

        /// `bool reply ‖ list<update>`.
        public func encode(to w: inout WireWriter) {
            w.bool(isReply)
            w.array(updates) { w, u in u.encode(to: &w) }
        }

        /// Decodes at most `maxUpdates` updates.
        public init(from r: inout WireReader) throws(WireError) {
            isReply = try r.bool("pushPull.reply")
            updates = try r.array("pushPull.updates", max: PushPull.maxUpdates) { r throws(WireError) in try Update(from: &r) }
        }
    }
}
