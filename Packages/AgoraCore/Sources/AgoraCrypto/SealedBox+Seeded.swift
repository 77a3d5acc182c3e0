import CSodium

// Sealing with caller-supplied randomness. The pure market core takes all its randomness
// from an injected generator (a CSPRNG-seeded one in a node, a seeded one in the simulator),
// so it seals through these variants. Their output opens with the ordinary
// `SealedBox.open` / `Box.open`: the formats are exactly libsodium's.

extension SealedBox {
    /// Seals `plaintext` to `recipient` with an ephemeral X25519 key pair derived from the
    /// 32-byte `ephemeralSeed` (`crypto_box_seed_keypair`). The output is byte-for-byte what
    /// `crypto_box_seal` produces: `ephemeral public key ‖ crypto_box_easy(plaintext,
    /// nonce = BLAKE2b-192(ephemeral pk ‖ recipient pk))`, so `SealedBox.open` opens it.
    /// The seed must be fresh, secret randomness: reusing one reveals nothing about other
    /// plaintexts' keys but links the messages.
    public static func seal(_ plaintext: [UInt8], to recipient: X25519PublicKey,
                            ephemeralSeed: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard ephemeralSeed.count == Int(crypto_box_SEEDBYTES) else {
            throw CryptoError(.invalidLength, "sealed-box ephemeral seed must be \(crypto_box_SEEDBYTES) bytes, got \(ephemeralSeed.count)")
        }
        try Sodium.ready()
        var epk = [UInt8](repeating: 0, count: Int(crypto_box_PUBLICKEYBYTES))
        var esk = [UInt8](repeating: 0, count: Int(crypto_box_SECRETKEYBYTES))
        defer { sodium_memzero(&esk, esk.count) }
        _ = crypto_box_seed_keypair(&epk, &esk, ephemeralSeed)
        var nonce = [UInt8](repeating: 0, count: Int(crypto_box_NONCEBYTES))
        let nonceInput = epk + recipient.bytes
        _ = crypto_generichash(&nonce, nonce.count, nonceInput, UInt64(nonceInput.count), nil, 0)
        var out = [UInt8](repeating: 0, count: plaintext.count + Int(crypto_box_MACBYTES))
        guard crypto_box_easy(&out, plaintext, UInt64(plaintext.count), nonce, recipient.bytes, esk) == 0 else {
            throw CryptoError(.invalidKey, "crypto_box_easy failed sealing to an X25519 key")
        }
        return epk + out
    }
}

extension Box {
    /// Encrypts `plaintext` from `sender` to `recipient` with the caller's 24-byte `nonce`
    /// (prefixed to the output, as `Box.seal` does). A nonce must never repeat for one
    /// sender/recipient pair; take it from a CSPRNG-seeded generator.
    public static func seal(_ plaintext: [UInt8], from sender: Identity, to recipient: PublicKey,
                            nonce: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard nonce.count == Int(crypto_box_NONCEBYTES) else {
            throw CryptoError(.invalidLength, "box nonce must be \(crypto_box_NONCEBYTES) bytes, got \(nonce.count)")
        }
        let rx = try recipient.x25519()
        var out = [UInt8](repeating: 0, count: plaintext.count + Int(crypto_box_MACBYTES))
        let rc = sender.withX25519Secret { sk in
            crypto_box_easy(&out, plaintext, UInt64(plaintext.count), nonce, rx.bytes,
                            sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard rc == 0 else { throw CryptoError(.invalidKey, "crypto_box_easy failed for recipient \(recipient.short)") }
        return nonce + out
    }
}
