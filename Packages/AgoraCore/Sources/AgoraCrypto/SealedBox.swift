import CSodium

/// Anonymous public-key encryption to one recipient (`crypto_box_seal`): only the holder
/// of the recipient's identity can open it; the sender stays unauthenticated, so callers
/// sign the surrounding message.
public enum SealedBox {
    /// Overhead in bytes added to every plaintext.
    public static let overhead = Int(crypto_box_sealbytes())

    /// Seals `plaintext` to the X25519 key of `recipient`.
    public static func seal(_ plaintext: [UInt8], to recipient: X25519PublicKey) -> [UInt8] {
        Sodium.mustBeReady()
        var out = [UInt8](repeating: 0, count: plaintext.count + overhead)
        _ = crypto_box_seal(&out, plaintext, UInt64(plaintext.count), recipient.bytes)
        return out
    }

    /// Seals `plaintext` to the node `recipient` (its X25519 key derived from its node id).
    public static func seal(_ plaintext: [UInt8], to recipient: PublicKey) throws(CryptoError) -> [UInt8] {
        seal(plaintext, to: try recipient.x25519())
    }

    /// Opens a sealed box addressed to `identity`.
    public static func open(_ ciphertext: [UInt8], with identity: Identity) throws(CryptoError) -> [UInt8] {
        guard ciphertext.count >= overhead else {
            throw CryptoError(.decryptionFailed, "sealed box shorter than its \(overhead)-byte overhead")
        }
        var out = [UInt8](repeating: 0, count: ciphertext.count - overhead)
        let rc = identity.withX25519Secret { sk in
            crypto_box_seal_open(&out, ciphertext, UInt64(ciphertext.count), identity.x25519PublicKey.bytes,
                                 sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard rc == 0 else { throw CryptoError(.decryptionFailed, "sealed box does not open with key \(identity.publicKey.short)") }
        return out
    }
}

/// Authenticated public-key encryption between two identities (`crypto_box_easy`): the
/// recipient knows the sender. The 24-byte nonce is random and prefixed to the output.
public enum Box {
    /// Overhead in bytes: nonce plus MAC.
    public static let overhead = Int(crypto_box_noncebytes()) + Int(crypto_box_macbytes())

    /// Encrypts `plaintext` from `sender` to `recipient`.
    public static func seal(_ plaintext: [UInt8], from sender: Identity, to recipient: PublicKey) throws(CryptoError) -> [UInt8] {
        let rx = try recipient.x25519()
        let nonce = SecureRandom.bytes(Int(crypto_box_noncebytes()))
        var out = [UInt8](repeating: 0, count: plaintext.count + Int(crypto_box_macbytes()))
        let rc = sender.withX25519Secret { sk in
            crypto_box_easy(&out, plaintext, UInt64(plaintext.count), nonce, rx.bytes,
                            sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard rc == 0 else { throw CryptoError(.invalidKey, "crypto_box_easy failed for recipient \(recipient.short)") }
        return nonce + out
    }

    /// Decrypts a box from `sender` addressed to `recipient`.
    public static func open(_ box: [UInt8], from sender: PublicKey, with recipient: Identity) throws(CryptoError) -> [UInt8] {
        guard box.count >= overhead else { throw CryptoError(.decryptionFailed, "box shorter than its \(overhead)-byte overhead") }
        let sx = try sender.x25519()
        let nonceLen = Int(crypto_box_noncebytes())
        let nonce = Array(box[..<nonceLen])
        let body = Array(box[nonceLen...])
        var out = [UInt8](repeating: 0, count: body.count - Int(crypto_box_macbytes()))
        let rc = recipient.withX25519Secret { sk in
            crypto_box_open_easy(&out, body, UInt64(body.count), nonce, sx.bytes,
                                 sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard rc == 0 else { throw CryptoError(.decryptionFailed, "box from \(sender.short) does not authenticate") }
        return out
    }
}
