import AgoraCrypto
import AgoraWire
import NIOCore

/// An established, mutually authenticated and encrypted session with one peer.
/// `inbound` yields the peer's envelopes in order (with backpressure) and ends when the
/// peer closes cleanly, or throws a `NetError` when the session breaks (tampering,
/// truncation, reset). The inbound sequence has one consumer.
public final class Session: Sendable, CustomStringConvertible {
    /// The peer's node id, proven in the handshake.
    public let remoteNodeID: NodeID
    /// The peer's socket address, when known.
    public let remoteAddress: NetAddress?
    /// Envelopes from the peer.
    public let inbound: SessionInbound
    private let channel: any Channel
    private let maxPayload: Int
    private let maxRecord: Int

    init(remoteNodeID: NodeID, channel: any Channel, inbound: SessionInbound,
         configuration: SessionConfiguration) {
        self.remoteNodeID = remoteNodeID
        self.remoteAddress = channel.remoteAddress.flatMap(NetAddress.init)
        self.inbound = inbound
        self.channel = channel
        self.maxPayload = configuration.maxPayload
        self.maxRecord = configuration.maxFrame - SecretStream.overhead
    }

    public var description: String { "Session(\(remoteNodeID.short)@\(remoteAddress.map(\.description) ?? "?"))" }

    /// Encrypts and sends one envelope (zstd-compressed above the threshold). Throws
    /// `messageTooLarge` (nothing sent) for a payload above the limit, `sessionClosed`
    /// once the session has ended.
    public func send(_ envelope: Envelope) async throws(NetError) {
        guard envelope.payload.count <= maxPayload else {
            throw NetError(.messageTooLarge, "envelope payload of \(envelope.payload.count) bytes exceeds the limit of \(maxPayload)")
        }
        let bytes = envelope.encoded()
        guard bytes.count <= maxRecord else {
            throw NetError(.messageTooLarge, "encoded envelope of \(bytes.count) bytes exceeds the record limit of \(maxRecord)")
        }
        do {
            try await channel.writeAndFlush(SessionHandler.Outbound.envelope(bytes))
        } catch let error as NetError {
            throw error
        } catch {
            throw NetError(.sessionClosed, "session with \(remoteNodeID.short) is closed: \(error)")
        }
    }

    /// Ends this side's stream with a final record and closes the connection. Idempotent.
    public func close() async {
        channel.writeAndFlush(SessionHandler.Outbound.finish, promise: nil)
        try? await channel.closeFuture.get()
    }
}
