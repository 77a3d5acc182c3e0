import AgoraCrypto

/// The handshake's transcript hashing and key schedule (Protocol.md §6.2), shared by both
/// roles and by the test vector.
enum HandshakeTranscript {
    /// Who signs a transcript hash; the byte is the first byte of the signed message.
    enum SignerRole: UInt8 {
        case responder = 0x01
        case initiator = 0x02
    }

    /// Hello payload: the initiator's ephemeral key.
    static let helloSize = 32
    /// Reply payload: ephemeral key, then node id and signature sealed with a 16-byte tag.
    static let replySize = 32 + proofSize
    /// Finish payload: node id and signature sealed with a 16-byte tag.
    static let finishSize = proofSize
    private static let proofSize = 32 + 64 + 16

    /// `h0 = SHA-256("agora/v1/session")`.
    static let initialHash = SHA256.hash(Array("agora/v1/session".utf8)).bytes

    /// `h' = SHA-256(h ‖ data)`.
    static func mix(_ hash: [UInt8], _ data: [UInt8]) -> [UInt8] { SHA256.hash(parts: [hash, data]).bytes }

    /// The message a side signs in domain `agora/v1/handshake`: `role ‖ hash ‖ own node id`.
    static func signedMessage(role: SignerRole, hash: [UInt8], id: NodeID) -> [UInt8] {
        [role.rawValue] + hash + id.bytes
    }

    /// `ee`, then `prk = BLAKE2b(key: ee, h2)`, `k_reply = BLAKE2b(key: prk, "reply")`,
    /// `k_finish = BLAKE2b(key: prk, "finish")`.
    static func handshakeKeys(ephemeral: EphemeralKeyPair, remote: X25519PublicKey,
                              h2: [UInt8]) throws(NetError) -> (prk: SecureBytes, reply: SecureBytes, finish: SecureBytes) {
        do {
            let ee = try ephemeral.sharedSecret(with: remote)
            let prk = try KeyedHash.derive(key: ee, parts: [h2])
            return (prk, try KeyedHash.derive(key: prk, parts: [Array("reply".utf8)]),
                    try KeyedHash.derive(key: prk, parts: [Array("finish".utf8)]))
        } catch {
            throw NetError(.malformedHandshake, "key agreement: \(error)")
        }
    }

    /// The two record keys: `BLAKE2b(key: prk, label ‖ h4)` for each direction.
    static func sessionKeys(prk: SecureBytes, h4: [UInt8], remote: NodeID, isInitiator: Bool) throws(NetError) -> SessionKeys {
        do {
            let i2r = try KeyedHash.derive(key: prk, parts: [Array("initiator-to-responder".utf8), h4])
            let r2i = try KeyedHash.derive(key: prk, parts: [Array("responder-to-initiator".utf8), h4])
            return SessionKeys(remoteNodeID: remote, sendKey: isInitiator ? i2r : r2i,
                               receiveKey: isInitiator ? r2i : i2r, transcriptHash: h4)
        } catch {
            throw NetError(.malformedHandshake, "session key derivation: \(error)")
        }
    }
}
