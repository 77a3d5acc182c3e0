import CSodium

/// Standard (RFC 4648, padded) base64, as used by C2SP signed notes.
public enum Base64 {
    /// Encodes bytes as padded standard base64.
    public static func encode(_ bytes: [UInt8]) -> String {
        Sodium.mustBeReady()
        let variant = Int32(sodium_base64_VARIANT_ORIGINAL)
        let size = sodium_base64_encoded_len(bytes.count, variant)
        var out = [CChar](repeating: 0, count: size)
        bytes.withUnsafeBufferPointer { b in
            _ = sodium_bin2base64(&out, size, b.baseAddress, b.count, variant)
        }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Decodes padded standard base64; throws on any invalid character or padding.
    public static func decode(_ text: some StringProtocol) throws(CryptoError) -> [UInt8] {
        try Sodium.ready()
        let input = Array(text.utf8)
        var out = [UInt8](repeating: 0, count: input.count / 4 * 3 + 3)
        var written = 0
        var end: UnsafePointer<CChar>? = nil
        let rc = input.withUnsafeBufferPointer { inp in
            inp.withMemoryRebound(to: CChar.self) { c in
                sodium_base642bin(&out, out.count, c.baseAddress, c.count, nil, &written, &end,
                                  Int32(sodium_base64_VARIANT_ORIGINAL))
            }
        }
        guard rc == 0 else { throw CryptoError(.invalidEncoding, "invalid base64") }
        // sodium stops at the first invalid character; require that it consumed everything.
        let consumed = input.withUnsafeBufferPointer { inp in
            inp.withMemoryRebound(to: CChar.self) { c in end.map { $0 - c.baseAddress! } ?? c.count }
        }
        guard consumed == input.count else { throw CryptoError(.invalidEncoding, "invalid base64 character at \(consumed)") }
        return Array(out.prefix(written))
    }
}
