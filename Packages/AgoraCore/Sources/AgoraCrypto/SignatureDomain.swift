/// A domain-separation context for signatures. Every signature in Agora is over
/// `context bytes ‖ 0x00 ‖ message`, so bytes signed for one purpose can never be
/// replayed as another (see Protocol.md, "Signatures").
public struct SignatureDomain: Hashable, Sendable, CustomStringConvertible {
    /// The ASCII context string, e.g. `agora/v1/ledger-entry`.
    public let context: String

    /// Creates a domain from its context string.
    public init(_ context: String) { self.context = context }

    public var description: String { context }

    /// The bytes actually signed for `message` in this domain.
    public func signedBytes(_ message: [UInt8]) -> [UInt8] {
        var out = Array(context.utf8)
        out.reserveCapacity(out.count + 1 + message.count)
        out.append(0)
        out.append(contentsOf: message)
        return out
    }

    /// Ledger entries.
    public static let ledgerEntry = SignatureDomain("agora/v1/ledger-entry")
    /// Peer records.
    public static let peerRecord = SignatureDomain("agora/v1/peer-record")
    /// Gossip datagrams.
    public static let gossipPacket = SignatureDomain("agora/v1/gossip-packet")
    /// Session handshakes.
    public static let handshake = SignatureDomain("agora/v1/handshake")
    /// Job requests.
    public static let jobRequest = SignatureDomain("agora/v1/job-request")
    /// Bids.
    public static let bid = SignatureDomain("agora/v1/bid")
    /// Awards.
    public static let award = SignatureDomain("agora/v1/award")
    /// Result messages.
    public static let result = SignatureDomain("agora/v1/result")
}
