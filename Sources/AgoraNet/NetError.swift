/// An error from `AgoraNet`: what failed, and the context a user needs to act on it.
/// Every failure of a session or datagram closes what it concerns, is counted in the
/// `agora_net_session_failures_total{code}` metric, and never stops the process.
public struct NetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable, CaseIterable {
        /// A handshake signature did not verify under the key the peer claimed.
        case badSignature
        /// The peer proved an identity other than the one the initiator required.
        case wrongPeer
        /// A handshake message was not the expected envelope, type or size.
        case malformedHandshake
        /// A handshake or session record did not decrypt: tampered, replayed, reordered
        /// or encrypted under another key.
        case decryptionFailed
        /// A frame's length prefix exceeds the limit of the current phase.
        case oversizedFrame
        /// The connection ended in the middle of a frame.
        case truncatedFrame
        /// A decrypted record is not a valid envelope.
        case invalidEnvelope
        /// The handshake did not complete in time.
        case handshakeTimeout
        /// The peer closed the connection before the handshake completed, or without
        /// ending its record stream.
        case connectionClosed
        /// The session is closed: nothing more can be sent.
        case sessionClosed
        /// An outgoing envelope or datagram exceeds its size limit; nothing was sent.
        case messageTooLarge
        /// A host or port could not be parsed or resolved.
        case invalidAddress
        /// A socket could not be bound, connected or written (the OS error is in the context).
        case io
    }

    /// What kind of failure this is.
    public let code: Code
    /// Human-readable context: which peer, which limit, which phase.
    public let context: String

    /// Creates an error.
    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code.rawValue): \(context)" }
}
