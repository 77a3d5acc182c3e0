import AgoraCrypto
import Testing

/// The per-key table must reach libsodium's `crypto_sign_verify_detached` decision on every
/// input: each test compares the two decisions, valid or not.
@Suite struct KeyTableDifferentialTests {
    typealias D = Differential

    static func identity(_ n: Int) throws -> Identity {
        try Identity(seed: [UInt8](repeating: UInt8(n), count: 31) + [0x5a])
    }

    @Test func twentyThousandValidSignaturesAgree() throws {
        var rng = SplitMix64(seed: 0xED25_5190)
        var accepted = 0
        for k in 0..<8 {
            let id = try Self.identity(k)
            let table = try #require(VerificationKeyTable(key: id.publicKey))
            #expect(table.isUsable)
            for _ in 0..<2_500 {
                let message = rng.bytes(Int.random(in: 0...96, using: &rng))
                let sig = id.sign(message, in: D.domain)
                let d = try D.decide(key: id.publicKey.bytes, signature: sig.bytes, message: message, table: table)
                #expect(d.agrees, "key \(k), message \(message): \(d)")
                if d.table { accepted += 1 }
            }
        }
        #expect(accepted == 20_000)
    }

    @Test func everySingleBitFlipAgrees() throws {
        var rng = SplitMix64(seed: 0xB17F)
        for k in 0..<3 {
            let id = try Self.identity(10 + k)
            let table = try #require(VerificationKeyTable(key: id.publicKey))
            let message = rng.bytes(64)
            let sig = id.sign(message, in: D.domain).bytes
            var rejected = 0
            for bit in 0..<(64 * 8) {
                var bad = sig
                bad[bit / 8] ^= 1 << (bit % 8)
                let d = try D.decide(key: id.publicKey.bytes, signature: bad, message: message, table: table)
                #expect(d.agrees, "signature bit \(bit): \(d)")
                if !d.libsodium { rejected += 1 }
                var badMessage = message
                badMessage[bit / 8] ^= 1 << (bit % 8)
                let m = try D.decide(key: id.publicKey.bytes, signature: sig, message: badMessage, table: table)
                #expect(m.agrees && !m.libsodium, "message bit \(bit): \(m)")
            }
            #expect(rejected == 64 * 8)
        }
    }

    @Test func wrongKeyAgrees() throws {
        let signer = try Self.identity(20), other = try Self.identity(21)
        let message = Array("wrong key".utf8)
        let sig = signer.sign(message, in: D.domain)
        let d = try D.decide(key: other.publicKey.bytes, signature: sig.bytes, message: message)
        #expect(d == Decision(libsodium: false, table: false))
    }

    @Test func nonCanonicalScalarsAgree() throws {
        let id = try Self.identity(30)
        let message = Array("malleable?".utf8)
        let sig = id.sign(message, in: D.domain).bytes
        let s = Array(sig[32...])
        var candidates = [D.add(s, D.groupOrder), D.add(D.add(s, D.groupOrder), D.groupOrder), D.groupOrder]
        var top = s
        top[31] |= 0xe0
        candidates.append(top)
        for bad in candidates {
            let d = try D.decide(key: id.publicKey.bytes, signature: Array(sig[..<32]) + bad, message: message)
            #expect(d == Decision(libsodium: false, table: false), "s = \(Hex.encode(bad))")
        }
    }

    @Test func smallOrderRAgrees() throws {
        let id = try Self.identity(40)
        let message = Array("small R".utf8)
        let sig = id.sign(message, in: D.domain).bytes
        for r in D.smallOrderEncodings {
            let d = try D.decide(key: id.publicKey.bytes, signature: r + sig[32...], message: message)
            #expect(d == Decision(libsodium: false, table: false), "R = \(Hex.encode(r))")
        }
    }

    @Test func badKeysAgreeAndTablesAreUnusable() throws {
        let id = try Self.identity(50)
        let message = Array("bad key".utf8)
        let sig = id.sign(message, in: D.domain).bytes
        var keys = D.smallOrderEncodings
        for k in UInt8(0)..<19 { keys.append(D.pPlus(k)); var neg = D.pPlus(k); neg[31] |= 0x80; keys.append(neg) }
        keys.append([UInt8](repeating: 0xff, count: 32))
        keys.append([2] + [UInt8](repeating: 0, count: 31)) // y = 2 is not on the curve
        for key in keys {
            let pk = try PublicKey(bytes: key)
            let table = try #require(VerificationKeyTable(key: pk))
            let d = try D.decide(key: key, signature: sig, message: message, table: table)
            #expect(d == Decision(libsodium: false, table: false), "key \(Hex.encode(key))")
            #expect(!table.isUsable, "key \(Hex.encode(key))")
        }
        let good = try #require(VerificationKeyTable(key: id.publicKey))
        #expect(good.isUsable)
    }

    @Test func mixedOrderKeysAgree() throws {
        var rng = SplitMix64(seed: 0x70_8510)
        var accepted = 0, rejected = 0
        for torsion in D.torsionPoints {
            for n in 0..<48 {
                let message = Array("mixed \(n)".utf8)
                guard let (key, sig) = D.mixedOrderSignature(message: message, torsion: torsion, rng: &rng) else {
                    Issue.record("could not build a mixed-order key with torsion \(Hex.encode(torsion))")
                    continue
                }
                let d = try D.decide(key: key, signature: sig, message: message)
                #expect(d.agrees, "torsion \(Hex.encode(torsion)), key \(Hex.encode(key)), sig \(Hex.encode(sig)): \(d)")
                if d.libsodium { accepted += 1 } else { rejected += 1 }
            }
        }
        // Accepted exactly when the torsion part vanishes from [h]A: both outcomes occur.
        #expect(accepted > 0 && rejected > 0, "accepted \(accepted), rejected \(rejected)")
    }

    /// R of small order that would satisfy the equation: with the mixed-order key
    /// A = a·B + T and s = h·a, [s]B − [h]A = −[h]T, a point of small order. Choosing R
    /// among the torsion points makes the equation hold for about one message in eight;
    /// libsodium (and so the table) must still reject every one, by its small-order-R check.
    @Test func smallOrderRThatSatisfiesTheEquationAgrees() throws {
        var rng = SplitMix64(seed: 0x5_0E0E)
        let torsion = D.torsionPoints[2] // order 8
        var rejected = 0
        for n in 0..<40 {
            for r in D.smallOrderEncodings {
                let message = Array("small R \(n)".utf8)
                guard let (key, sig) = D.smallOrderRSignature(message: message, torsion: torsion, r: r, rng: &rng) else {
                    Issue.record("could not build the key")
                    continue
                }
                let d = try D.decide(key: key, signature: sig, message: message)
                #expect(d.agrees, "R \(Hex.encode(r)), key \(Hex.encode(key)): \(d)")
                if !d.libsodium { rejected += 1 }
            }
        }
        #expect(rejected == 40 * D.smallOrderEncodings.count)
    }

    @Test func degenerateSignaturesAgree() throws {
        let id = try Self.identity(60)
        for sig in [[UInt8](repeating: 0, count: 64), [UInt8](repeating: 0xff, count: 64)] {
            for message in [[], Array("x".utf8)] {
                let d = try D.decide(key: id.publicKey.bytes, signature: sig, message: message)
                #expect(d == Decision(libsodium: false, table: false))
            }
        }
    }

    @Test func emptyAndLongMessagesAgree() throws {
        var rng = SplitMix64(seed: 0x1046)
        let id = try Self.identity(70)
        let table = try #require(VerificationKeyTable(key: id.publicKey))
        for message in [[], rng.bytes(1), rng.bytes(200_000)] {
            let sig = id.sign(message, in: D.domain).bytes
            let d = try D.decide(key: id.publicKey.bytes, signature: sig, message: message, table: table)
            #expect(d == Decision(libsodium: true, table: true), "length \(message.count)")
            var bad = sig
            bad[0] ^= 0x40
            let b = try D.decide(key: id.publicKey.bytes, signature: bad, message: message, table: table)
            #expect(b == Decision(libsodium: false, table: false), "length \(message.count)")
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func seededFuzzAgrees(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let id = try Self.identity(80)
        let realKey = try #require(VerificationKeyTable(key: id.publicKey))
        for round in 0..<400 {
            let message = rng.bytes(Int.random(in: 0...40, using: &rng))
            // Arbitrary key and signature bytes.
            let d = try D.decide(key: rng.bytes(32), signature: rng.bytes(64), message: message)
            #expect(d.agrees, "seed \(seed), round \(round): \(d)")
            // A real key with a random R and a random canonical s.
            var s = rng.bytes(32)
            s[31] &= 0x0f
            let r = try D.decide(key: id.publicKey.bytes, signature: rng.bytes(32) + s, message: message, table: realKey)
            #expect(r.agrees, "seed \(seed), round \(round): \(r)")
        }
    }
}
