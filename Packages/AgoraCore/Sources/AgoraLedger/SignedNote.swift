import AgoraCrypto

/// C2SP signed-note framing (https://c2sp.org/signed-note) for Ed25519 keys: a text that
/// ends in a newline, a blank line, then signature lines
/// `— <key name> <base64(key hash ‖ signature)>`.
public enum SignedNote {
    /// The signature-type byte of an Ed25519 note key.
    public static let ed25519Type: UInt8 = 0x01
    /// Most signature lines a note may carry.
    public static let maxSignatures = 16
    /// The prefix of a signature line: an em dash (U+2014) and a space.
    static let linePrefix: [UInt8] = Array("\u{2014} ".utf8)

    /// The C2SP key hash: the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
    public static func keyHash(name: String, key: PublicKey) -> [UInt8] {
        Array(SHA256.hash(parts: [Array(name.utf8), [0x0A, ed25519Type], key.bytes]).bytes.prefix(4))
    }

    /// One signature line.
    public struct SignatureLine: Sendable, Equatable {
        /// The key name.
        public let name: String
        /// The 4-byte key hash.
        public let keyHash: [UInt8]
        /// The signature bytes after the key hash (64 for Ed25519).
        public let signature: [UInt8]

        /// The line, with its trailing newline.
        public var text: String {
            "\u{2014} \(name) \(Base64.encode(keyHash + signature))\n"
        }
    }

    /// Splits a note into its text (with the final newline) and its signature lines.
    /// Throws `malformedCheckpoint` naming the problem.
    public static func split(_ note: [UInt8]) throws(LedgerError) -> (text: [UInt8], signatures: [SignatureLine]) {
        guard note.count <= Ledger.maxCheckpointSize else {
            throw LedgerError(.malformedCheckpoint, "note is \(note.count) bytes, the limit is \(Ledger.maxCheckpointSize)")
        }
        guard String(validating: note, as: UTF8.self) != nil else {
            throw LedgerError(.malformedCheckpoint, "note is not valid UTF-8")
        }
        // C2SP signed-note: no ASCII control character but the newline, in the text or in
        // any signature (witness) line.
        if let bad = note.firstIndex(where: { $0 < 0x20 && $0 != 0x0A }) {
            throw LedgerError(.malformedCheckpoint, "note holds control character 0x\(String(note[bad], radix: 16)) at byte \(bad) (only newlines are allowed)")
        }
        guard note.last == 0x0A else { throw LedgerError(.malformedCheckpoint, "note does not end with a newline") }
        // The text ends at the last blank line ("\n\n").
        var cut: Int? = nil
        var i = note.count - 2
        while i >= 0 {
            if note[i] == 0x0A, note[i + 1] == 0x0A { cut = i; break }
            i -= 1
        }
        guard let cut else { throw LedgerError(.malformedCheckpoint, "note has no blank line before its signatures") }
        let text = Array(note[...cut])
        let sigBytes = note[(cut + 2)...]
        let lines = sigBytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
        guard !lines.isEmpty else { throw LedgerError(.malformedCheckpoint, "note has no signature lines") }
        guard lines.count <= maxSignatures else {
            throw LedgerError(.malformedCheckpoint, "note has \(lines.count) signature lines, the limit is \(maxSignatures)")
        }
        var signatures: [SignatureLine] = []
        for line in lines {
            guard line.starts(with: linePrefix) else {
                throw LedgerError(.malformedCheckpoint, "signature line does not start with an em dash and a space")
            }
            let parts = line.dropFirst(linePrefix.count).split(separator: 0x20, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw LedgerError(.malformedCheckpoint, "signature line must be \"— <name> <base64>\"")
            }
            // C2SP: a key name holds neither Unicode spaces nor a plus sign.
            let name = String(decoding: parts[0], as: UTF8.self)
            guard !name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0 == "+" }) else {
                throw LedgerError(.malformedCheckpoint, "signature line's key name holds a space or a plus sign")
            }
            let decoded: [UInt8]
            do { decoded = try Base64.decode(String(decoding: parts[1], as: UTF8.self)) } catch {
                throw LedgerError(.malformedCheckpoint, "signature line holds invalid base64")
            }
            guard decoded.count >= 5 else { throw LedgerError(.malformedCheckpoint, "signature line holds \(decoded.count) bytes, too short") }
            signatures.append(SignatureLine(name: name,
                                            keyHash: Array(decoded.prefix(4)), signature: Array(decoded.dropFirst(4))))
        }
        return (text, signatures)
    }
}
