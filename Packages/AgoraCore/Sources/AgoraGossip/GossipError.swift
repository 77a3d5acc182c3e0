/// An error from `AgoraGossip`: what failed and the context needed to act on it. Protocol
/// outcomes (a stale update, a duplicate) are not errors: the instance counts them in
/// `Gossip.Counters`.
public struct GossipError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// A record cannot be built: no address, too many, or too large.
        case invalidRecord
        /// A packet is malformed, oversized or not in the format of Protocol.md §5.
        case malformedPacket
        /// A packet's signature does not verify under its sender's key.
        case badSignature
        /// A packet's sequence number was already seen, or is too old to tell.
        case replayed
        /// A packet is larger than `Gossip.Packet.maxSize`.
        case oversized
    }

    /// What kind of failure this is.
    public let code: Code
    /// Which field or which numbers.
    public let context: String

    /// Creates an error.
    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code.rawValue): \(context)" }
}
