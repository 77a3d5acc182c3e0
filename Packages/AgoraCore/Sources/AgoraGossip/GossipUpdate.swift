import AgoraCrypto
import AgoraWire

extension Gossip {
    /// A membership update, piggybacked on datagrams and exchanged in push-pull
    /// (Protocol.md §5.3). `alive` carries the subject's own signed record (a record with
    /// `departing` set announces a graceful leave); `suspect` and `dead` are claims by
    /// `from` about the subject at an incarnation, which the subject refutes by publishing
    /// a newer record.
    public enum Update: Hashable, Sendable, WireCodable {
        /// The subject's signed record (kind 1).
        case alive(PeerRecord)
        /// `from` suspects `node` at `incarnation` (kind 2).
        case suspect(node: NodeID, incarnation: UInt64, from: NodeID)
        /// `from` declares `node` dead at `incarnation` (kind 3).
        case dead(node: NodeID, incarnation: UInt64, from: NodeID)

        /// The member the update is about.
        public var subject: NodeID {
            switch self {
            case .alive(let r): r.nodeID
            case .suspect(let n, _, _), .dead(let n, _, _): n
            }
        }

        /// The incarnation the update refers to.
        public var incarnation: UInt64 {
            switch self {
            case .alive(let r): r.incarnation
            case .suspect(_, let i, _), .dead(_, let i, _): i
            }
        }

        /// Encoded size in bytes.
        public var encodedSize: Int {
            switch self {
            case .alive(let r): 1 + r.encodedSize
            case .suspect(_, let i, _), .dead(_, let i, _): 1 + 32 + varintSize(i) + 32
            }
        }

        /// `u8 kind ‖ fields`.
        public func encode(to w: inout WireWriter) {
            switch self {
            case .alive(let r):
                w.uint8(1)
                r.encode(to: &w)
            case .suspect(let n, let i, let f):
                w.uint8(2); w.raw(n.bytes); w.varint(i); w.raw(f.bytes)
            case .dead(let n, let i, let f):
                w.uint8(3); w.raw(n.bytes); w.varint(i); w.raw(f.bytes)
            }
        }

        /// Decodes one update; unknown kinds are rejected.
        public init(from r: inout WireReader) throws(WireError) {
            let at = r.offset
            switch try r.uint8("update.kind") {
            case 1: self = .alive(try PeerRecord(from: &r))
            case 2: self = .suspect(node: try r.nodeID("update.node"), incarnation: try r.varint("update.incarnation"),
                                    from: try r.nodeID("update.from"))
            case 3: self = .dead(node: try r.nodeID("update.node"), incarnation: try r.varint("update.incarnation"),
                                 from: try r.nodeID("update.from"))
            case let k: throw WireError(.invalidValue, "update kind \(k)", offset: at)
            }
        }
    }
}

/// Bytes of `v` as a varint.
func varintSize(_ v: UInt64) -> Int { v == 0 ? 1 : (64 - v.leadingZeroBitCount + 6) / 7 }
