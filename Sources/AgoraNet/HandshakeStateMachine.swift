import AgoraCrypto
import AgoraWire

/// The session handshake as a pure state machine (Protocol.md §6): no sockets, no clock,
/// no randomness beyond the ephemeral key it is given. The channel handler feeds it each
/// received frame body and carries out the actions it returns.
///
///     initiator                                   responder
///     hello  (E_i)                         ──▶
///                                          ◀──    reply  (E_r ‖ AEAD(k_reply, R ‖ sig_R))
///     finish (AEAD(k_finish, I ‖ sig_I))   ──▶
///
/// Both identities travel encrypted under keys from the ephemeral X25519 exchange, so a
/// passive observer learns neither; the initiator reveals its own only after verifying the
/// responder. Each side signs the running transcript hash in domain `agora/v1/handshake`.
public struct HandshakeStateMachine: Sendable {
    /// Which side of the connection this machine plays.
    public enum Role: Sendable, Equatable {
        /// The connecting side; with `expectedPeer` it refuses any other responder.
        case initiator(expectedPeer: NodeID?)
        /// The accepting side; it learns the initiator's node id.
        case responder
    }

    /// What the caller must do next.
    public enum Action: Sendable {
        /// Send this frame body (an encoded handshake envelope) to the peer.
        case send([UInt8])
        /// The handshake completed: switch to encrypted records under these keys.
        case established(SessionKeys)
        /// The handshake failed: close the connection.
        case fail(NetError)
    }

    private enum State: Sendable {
        case start
        case awaitingHello
        case awaitingReply(h1: [UInt8])
        case awaitingFinish(h3: [UInt8], prk: SecureBytes, finishKey: SecureBytes)
        case done
    }

    /// The largest handshake frame body accepted (the reply, 150 bytes, is the largest).
    public static let maxFrame = 256

    private let role: Role
    private let identity: Identity
    private let signer: Identity
    private let ephemeral: EphemeralKeyPair
    private var state: State = .start

    /// A machine for `role`, proving `identity`, with a fresh or given ephemeral key.
    public init(role: Role, identity: Identity, ephemeral: EphemeralKeyPair = .generate()) {
        self.init(role: role, identity: identity, ephemeral: ephemeral, signer: identity)
    }

    /// Tests only: claims `identity` but signs with `signer` (a forger).
    init(role: Role, identity: Identity, ephemeral: EphemeralKeyPair, signer: Identity) {
        self.role = role
        self.identity = identity
        self.signer = signer
        self.ephemeral = ephemeral
    }

    /// Starts the handshake: the initiator sends its hello; the responder waits.
    public mutating func start() -> [Action] {
        guard case .start = state else { return [] }
        switch role {
        case .responder:
            state = .awaitingHello
            return []
        case .initiator:
            let e = ephemeral.publicKey.bytes
            state = .awaitingReply(h1: HandshakeTranscript.mix(HandshakeTranscript.initialHash, e))
            return [.send(Envelope(type: .handshakeHello, payload: e).encoded(compress: false))]
        }
    }

    /// Handles one received frame body.
    public mutating func receive(_ frame: [UInt8]) -> [Action] {
        let current = state
        state = .done   // any failure below leaves the machine finished
        switch current {
        case .start, .done:
            return [.fail(NetError(.malformedHandshake, "handshake frame received in a finished or unstarted handshake"))]
        case .awaitingHello:
            return result { () throws(NetError) in try onHello(frame) }
        case .awaitingReply(let h1):
            return result { () throws(NetError) in try onReply(frame, h1: h1) }
        case .awaitingFinish(let h3, let prk, let finishKey):
            return result { () throws(NetError) in try onFinish(frame, h3: h3, prk: prk, finishKey: finishKey) }
        }
    }

    private func result(_ body: () throws(NetError) -> [Action]) -> [Action] {
        do { return try body() } catch { return [.fail(error)] }
    }

    // MARK: Responder

    private mutating func onHello(_ frame: [UInt8]) throws(NetError) -> [Action] {
        let payload = try Self.payload(frame, .handshakeHello, size: HandshakeTranscript.helloSize)
        let remoteEphemeral = try Self.x25519(payload)
        let h1 = HandshakeTranscript.mix(HandshakeTranscript.initialHash, payload)
        let e = ephemeral.publicKey.bytes
        let h2 = HandshakeTranscript.mix(h1, e)
        let keys = try HandshakeTranscript.handshakeKeys(ephemeral: ephemeral, remote: remoteEphemeral, h2: h2)
        let sig = signer.sign(HandshakeTranscript.signedMessage(role: .responder, hash: h2, id: identity.publicKey),
                              in: .handshake)
        let sealed = try Self.crypto { () throws(CryptoError) in
            try HandshakeAEAD.seal(identity.publicKey.bytes + sig.bytes, key: keys.reply, ad: h2)
        }
        state = .awaitingFinish(h3: HandshakeTranscript.mix(h2, sealed), prk: keys.prk, finishKey: keys.finish)
        return [.send(Envelope(type: .handshakeReply, payload: e + sealed).encoded(compress: false))]
    }

    private mutating func onFinish(_ frame: [UInt8], h3: [UInt8], prk: SecureBytes, finishKey: SecureBytes) throws(NetError) -> [Action] {
        let sealed = try Self.payload(frame, .handshakeFinish, size: HandshakeTranscript.finishSize)
        let remote = try Self.openProof(sealed, key: finishKey, hash: h3, role: .initiator, what: "finish")
        let h4 = HandshakeTranscript.mix(h3, sealed)
        let keys = try HandshakeTranscript.sessionKeys(prk: prk, h4: h4, remote: remote, isInitiator: false)
        return [.established(keys)]
    }

    // MARK: Initiator

    private mutating func onReply(_ frame: [UInt8], h1: [UInt8]) throws(NetError) -> [Action] {
        let payload = try Self.payload(frame, .handshakeReply, size: HandshakeTranscript.replySize)
        let remoteEphemeralBytes = Array(payload[0..<32])
        let sealed = Array(payload[32...])
        let remoteEphemeral = try Self.x25519(remoteEphemeralBytes)
        let h2 = HandshakeTranscript.mix(h1, remoteEphemeralBytes)
        let keys = try HandshakeTranscript.handshakeKeys(ephemeral: ephemeral, remote: remoteEphemeral, h2: h2)
        let remote = try Self.openProof(sealed, key: keys.reply, hash: h2, role: .responder, what: "reply")
        if case .initiator(let expected?) = role, expected != remote {
            throw NetError(.wrongPeer, "expected node \(expected.short), the responder proved \(remote.short)")
        }
        let h3 = HandshakeTranscript.mix(h2, sealed)
        let sig = signer.sign(HandshakeTranscript.signedMessage(role: .initiator, hash: h3, id: identity.publicKey),
                              in: .handshake)
        let finish = try Self.crypto { () throws(CryptoError) in
            try HandshakeAEAD.seal(identity.publicKey.bytes + sig.bytes, key: keys.finish, ad: h3)
        }
        let h4 = HandshakeTranscript.mix(h3, finish)
        let session = try HandshakeTranscript.sessionKeys(prk: keys.prk, h4: h4, remote: remote, isInitiator: true)
        return [.send(Envelope(type: .handshakeFinish, payload: finish).encoded(compress: false)), .established(session)]
    }

    // MARK: Helpers

    /// Decrypts `node id ‖ signature` and checks the signature over the transcript.
    private static func openProof(_ sealed: [UInt8], key: SecureBytes, hash: [UInt8],
                                  role: HandshakeTranscript.SignerRole, what: String) throws(NetError) -> NodeID {
        let plain: [UInt8]
        do { plain = try HandshakeAEAD.open(sealed, key: key, ad: hash) } catch {
            throw NetError(.decryptionFailed, "handshake \(what) does not decrypt")
        }
        let id: NodeID, sig: Signature
        do {
            id = try NodeID(bytes: Array(plain[0..<32]))
            sig = try Signature(bytes: Array(plain[32..<96]))
        } catch { throw NetError(.malformedHandshake, "handshake \(what) identity proof: \(error)") }
        guard id.isValidSignature(sig, for: HandshakeTranscript.signedMessage(role: role, hash: hash, id: id), in: .handshake) else {
            throw NetError(.badSignature, "handshake \(what) signature does not verify under the claimed node id \(id.short)")
        }
        return id
    }

    private static func payload(_ frame: [UInt8], _ type: MessageType, size: Int) throws(NetError) -> [UInt8] {
        let envelope: Envelope
        do { envelope = try Envelope(decoding: frame, maxPayload: maxFrame) } catch {
            throw NetError(.malformedHandshake, "expected \(type): \(error)")
        }
        guard envelope.type == type else { throw NetError(.malformedHandshake, "expected \(type), got \(envelope.type)") }
        guard envelope.payload.count == size else {
            throw NetError(.malformedHandshake, "\(type) payload must be \(size) bytes, got \(envelope.payload.count)")
        }
        return envelope.payload
    }

    private static func x25519(_ bytes: [UInt8]) throws(NetError) -> X25519PublicKey {
        do { return try X25519PublicKey(bytes: bytes) } catch { throw NetError(.malformedHandshake, "ephemeral key: \(error)") }
    }

    private static func crypto<R>(_ body: () throws(CryptoError) -> R) throws(NetError) -> R {
        do { return try body() } catch { throw NetError(.malformedHandshake, "handshake crypto: \(error)") }
    }
}

/// The outcome of a completed handshake: who the peer is and the two record-stream keys.
public struct SessionKeys: Sendable {
    /// The peer's proven node id.
    public let remoteNodeID: NodeID
    /// Key of the secretstream this side sends on.
    public let sendKey: SecureBytes
    /// Key of the secretstream this side receives on.
    public let receiveKey: SecureBytes
    /// The final transcript hash `h4` (both sides hold the same value).
    public let transcriptHash: [UInt8]
}
