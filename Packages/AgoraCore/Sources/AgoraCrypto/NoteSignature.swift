import CSodium

/// Ed25519 signatures over C2SP signed-note text (https://c2sp.org/signed-note).
///
/// C2SP notes are signed over the note text itself, with no context prefix, so that any
/// C2SP verifier (for example Go's `golang.org/x/mod/sumdb/note`) can check them. This does
/// not weaken Agora's domain separation: every message signed through `SignatureDomain`
/// starts with `agora/v1/` and a NUL byte, while a note text must be UTF-8 without NUL
/// bytes and must not start with `agora/`. The two sets of signed byte strings are
/// therefore disjoint (Protocol.md §4.4).
extension Identity {
    /// Signs C2SP note text. Throws `invalidEncoding` for text that could collide with a
    /// domain-separated message (starts with `agora/`, or contains a NUL byte) or that is
    /// not newline-terminated.
    public func signNote(_ text: [UInt8]) throws(CryptoError) -> Signature {
        try NoteText.check(text)
        var seed = [UInt8](repeating: 0, count: 32)
        withSeed { s in for i in 0..<32 { seed[i] = s[i] } }
        defer { for i in seed.indices { seed[i] = 0 } }
        var pk = [UInt8](repeating: 0, count: 32)
        var sk = [UInt8](repeating: 0, count: 64)
        defer { for i in sk.indices { sk[i] = 0 } }
        _ = crypto_sign_seed_keypair(&pk, &sk, seed)
        var sig = [UInt8](repeating: 0, count: 64)
        _ = crypto_sign_detached(&sig, nil, text, UInt64(text.count), sk)
        return Signature(unchecked: sig)
    }
}

extension PublicKey {
    /// Checks an Ed25519 signature over C2SP note text (no context prefix). Text that
    /// `Identity.signNote` would refuse never verifies. Like `isValidSignature`, it goes
    /// through `VerificationKeyCache.shared` (a ledger signs all its checkpoints with one
    /// key), with libsodium's `crypto_sign_verify_detached` decision.
    public func isValidNoteSignature(_ signature: Signature, for text: [UInt8]) -> Bool {
        Sodium.mustBeReady()
        guard (try? NoteText.check(text)) != nil else { return false }
        return VerificationKeyCache.shared.isValidSignature(signature, forSignedBytes: text, by: self)
    }
}

/// The rules that keep note signatures apart from domain-separated signatures.
enum NoteText {
    static func check(_ text: [UInt8]) throws(CryptoError) {
        guard text.last == UInt8(ascii: "\n") else {
            throw CryptoError(.invalidEncoding, "note text must end with a newline")
        }
        guard !text.starts(with: Array("agora/".utf8)) else {
            throw CryptoError(.invalidEncoding, "note text must not start with \"agora/\" (reserved for domain-separated signatures)")
        }
        guard !text.contains(0) else { throw CryptoError(.invalidEncoding, "note text must not contain NUL bytes") }
    }
}
