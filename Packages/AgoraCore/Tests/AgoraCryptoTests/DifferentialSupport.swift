import AgoraCrypto
import CSodium

/// SplitMix64: seeded randomness for the differential and fuzz tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

/// One verification decided by both paths: libsodium's `crypto_sign_verify_detached` and
/// a per-key table.
struct Decision: Equatable, CustomStringConvertible {
    var libsodium: Bool
    var table: Bool
    var agrees: Bool { libsodium == table }
    var description: String { "libsodium \(libsodium), table \(table)" }
}

enum Differential {
    static let domain = SignatureDomain.ledgerEntry

    /// Both decisions for raw 32-byte key and 64-byte signature bytes over `message`.
    static func decide(key: [UInt8], signature: [UInt8], message: [UInt8],
                       table: VerificationKeyTable? = nil) throws -> Decision {
        let pk = try PublicKey(bytes: key)
        let sig = try Signature(bytes: signature)
        guard let table = table ?? VerificationKeyTable(key: pk) else { throw TableUnavailable() }
        return Decision(libsodium: pk.isValidSignatureByLibsodium(sig, for: message, in: domain),
                        table: table.isValidSignature(sig, for: message, in: domain))
    }

    struct TableUnavailable: Error {}

    /// l = 2^252 + 27742317777372353535851937790883648493, little-endian.
    static let groupOrder: [UInt8] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
    ]

    /// a + b for 32-byte little-endian numbers (mod 2^256).
    static func add(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var carry = 0
        for i in 0..<32 {
            let sum = Int(a[i]) + Int(b[i]) + carry
            out[i] = UInt8(sum & 0xff)
            carry = sum >> 8
        }
        return out
    }

    /// p = 2^255 - 19 plus `k`, little-endian (a non-canonical encoding of k for k < 19).
    static func pPlus(_ k: UInt8) -> [UInt8] {
        var p = [UInt8](repeating: 0xff, count: 32)
        p[0] = 0xed
        p[31] = 0x7f
        return add(p, [k] + [UInt8](repeating: 0, count: 31))
    }

    /// Encodings of the points of small order libsodium 1.0.18 blocks (y = 0, 1, the two
    /// order-8 values, p-1, and the non-canonical p and p+1), each with both sign bits.
    static var smallOrderEncodings: [[UInt8]] {
        let zero = [UInt8](repeating: 0, count: 32)
        let one = [1] + [UInt8](repeating: 0, count: 31)
        let order8a: [UInt8] = [
            0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
            0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05,
        ]
        let order8b: [UInt8] = [
            0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
            0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a,
        ]
        var pMinus1 = pPlus(0)
        pMinus1[0] = 0xec
        let canonical = [zero, one, order8a, order8b, pMinus1, pPlus(0), pPlus(1)]
        return canonical + canonical.map { var e = $0; e[31] |= 0x80; return e }
    }

    /// The decodable small-order points (torsion), for building mixed-order keys.
    static var torsionPoints: [[UInt8]] { Array(smallOrderEncodings[0..<5]) }

    /// A signature libsodium's signing would never make: an honest Schnorr signature
    /// under the mixed-order key `a·B + torsion` (accepted only when 8 divides h).
    static func mixedOrderSignature(message: [UInt8], torsion: [UInt8],
                                    rng: inout SplitMix64) -> (key: [UInt8], signature: [UInt8])? {
        var a = [UInt8](repeating: 0, count: 32), r = a, pureKey = a, key = a, bigR = a
        crypto_core_ed25519_scalar_reduce(&a, rng.bytes(64))
        crypto_core_ed25519_scalar_reduce(&r, rng.bytes(64))
        guard crypto_scalarmult_ed25519_base_noclamp(&pureKey, a) == 0,
              crypto_core_ed25519_add(&key, pureKey, torsion) == 0,
              crypto_scalarmult_ed25519_base_noclamp(&bigR, r) == 0 else { return nil }
        let signed = domain.signedBytes(message)
        var digest = [UInt8](repeating: 0, count: 64)
        let input = bigR + key + signed
        crypto_hash_sha512(&digest, input, UInt64(input.count))
        var h = [UInt8](repeating: 0, count: 32), ha = h, s = h
        crypto_core_ed25519_scalar_reduce(&h, digest)
        crypto_core_ed25519_scalar_mul(&ha, h, a)
        crypto_core_ed25519_scalar_add(&s, r, ha)
        return (key, bigR + s)
    }

    /// A signature (R, h·a) under the mixed-order key a·B + `torsion`, with R chosen by
    /// the caller: [s]B − [h]A = −[h]·torsion, so it satisfies the verification equation
    /// exactly when −[h]·torsion = R.
    static func smallOrderRSignature(message: [UInt8], torsion: [UInt8], r: [UInt8],
                                     rng: inout SplitMix64) -> (key: [UInt8], signature: [UInt8])? {
        var a = [UInt8](repeating: 0, count: 32), pureKey = a, key = a
        crypto_core_ed25519_scalar_reduce(&a, rng.bytes(64))
        guard crypto_scalarmult_ed25519_base_noclamp(&pureKey, a) == 0,
              crypto_core_ed25519_add(&key, pureKey, torsion) == 0 else { return nil }
        let input = r + key + domain.signedBytes(message)
        var digest = [UInt8](repeating: 0, count: 64)
        crypto_hash_sha512(&digest, input, UInt64(input.count))
        var h = [UInt8](repeating: 0, count: 32), s = h
        crypto_core_ed25519_scalar_reduce(&h, digest)
        crypto_core_ed25519_scalar_mul(&s, h, a)
        return (key, r + s)
    }
}
