import AgoraCrypto
import AgoraWire
import CoreMetrics

/// Limits and hooks of encrypted sessions. The defaults suit the node.
public struct SessionConfiguration: Sendable {
    /// Time from TCP connect to an established session; a slower handshake is closed
    /// with `handshakeTimeout`.
    public var handshakeTimeout: Duration = .seconds(5)
    /// How long `Session.close()` waits for its final record to reach a peer that has
    /// stopped reading before closing the connection regardless.
    public var closeTimeout: Duration = .seconds(5)
    /// Largest record frame body accepted after the handshake (during it the limit is
    /// `HandshakeStateMachine.maxFrame`). Default 4 MiB + 64 bytes.
    public var maxFrame: Int = FrameDecoder.defaultMaxFrame
    /// Largest envelope payload sent or accepted (after decompression). Default 4 MiB.
    public var maxPayload: Int = Envelope.maxPayload
    /// Where counters go; the node bootstraps the global backend, tests inject their own.
    public var metricsFactory: any MetricsFactory = MetricsSystem.factory
    /// Tests only: sign handshakes with this key instead of the identity's own.
    var forgedSigner: Identity?

    /// The defaults.
    public init() {}
}
