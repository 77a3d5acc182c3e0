import AgoraCrypto
import AgoraWire

extension Gossip {
    /// Where a member listens: a host (IP literal or DNS name) and a port. The same
    /// address serves UDP datagrams and TCP sessions.
    public struct Address: Hashable, Comparable, Sendable, CustomStringConvertible, WireCodable {
        /// The longest host accepted (a DNS name's maximum).
        public static let maxHost = 253
        /// IP literal or DNS name.
        public var host: String
        /// UDP/TCP port.
        public var port: UInt16

        /// An address.
        public init(host: String, port: UInt16) {
            self.host = host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

        public static func < (a: Address, b: Address) -> Bool { (a.host, a.port) < (b.host, b.port) }

        /// `string host ‖ u16 port`.
        public func encode(to w: inout WireWriter) {
            w.string(host)
            w.uint16(port)
        }

        /// Reads `string host (≤ 253 bytes) ‖ u16 port`.
        public init(from r: inout WireReader) throws(WireError) {
            host = try r.string("address.host", max: Address.maxHost)
            port = try r.uint16("address.port")
        }
    }

    /// A member as a datagram's sender: its authenticated node id and the address the
    /// datagram came from.
    public struct Peer: Hashable, Sendable {
        /// The sender's node id (from the packet header, whose signature the shell checked).
        public var nodeID: NodeID
        /// The datagram's source address.
        public var address: Address

        /// A peer.
        public init(nodeID: NodeID, address: Address) {
            self.nodeID = nodeID
            self.address = address
        }
    }
}

extension WireReader {
    /// Reads a 32-byte node id.
    mutating func nodeID(_ field: String) throws(WireError) -> NodeID {
        let at = offset
        let b = try raw(32, field)
        guard let key = try? PublicKey(bytes: b) else { throw WireError(.invalidValue, "\(field): bad key", offset: at) }
        return key
    }
}
