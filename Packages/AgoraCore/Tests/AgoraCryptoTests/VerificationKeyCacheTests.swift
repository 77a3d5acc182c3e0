import AgoraCrypto
import Testing

@Suite struct VerificationKeyCacheTests {
    static func keys(_ count: Int, from base: Int = 0) throws -> [Identity] {
        try (0..<count).map { try Identity(seed: [UInt8](repeating: UInt8(base + $0), count: 31) + [0xc4]) }
    }

    @Test func firstSightingUsesLibsodiumSecondBuildsTheTable() throws {
        let cache = VerificationKeyCache(capacity: 4)
        let key = try Self.keys(1)[0].publicKey
        #expect(cache.table(for: key) == nil)
        #expect(cache.count == 0)
        let table = try #require(cache.table(for: key))
        #expect(table.key == key)
        #expect(cache.table(for: key) === table)
        #expect(cache.count == 1)
    }

    @Test func evictsTheLeastRecentlyUsedTable() throws {
        let cache = VerificationKeyCache(capacity: 3)
        let ids = try Self.keys(5, from: 100)
        for id in ids.prefix(3) {
            _ = cache.table(for: id.publicKey)
            _ = cache.table(for: id.publicKey)
        }
        #expect(cache.count == 3)
        _ = cache.table(for: ids[0].publicKey) // ids[1] is now the least recently used
        _ = cache.table(for: ids[3].publicKey)
        _ = cache.table(for: ids[3].publicKey)
        #expect(cache.count == 3)
        #expect(!cache.contains(ids[1].publicKey))
        #expect(cache.contains(ids[0].publicKey) && cache.contains(ids[2].publicKey) && cache.contains(ids[3].publicKey))
        for id in ids {
            _ = cache.table(for: id.publicKey)
            _ = cache.table(for: id.publicKey)
        }
        #expect(cache.count == 3)
    }

    @Test func onceSeenKeysAreBoundedAndNeverEvictTables() throws {
        let cache = VerificationKeyCache(capacity: 2, seenCapacity: 2)
        let ids = try Self.keys(6, from: 120)
        _ = cache.table(for: ids[0].publicKey)
        _ = cache.table(for: ids[0].publicKey)
        for id in ids[1...] { _ = cache.table(for: id.publicKey) } // one-off keys
        #expect(cache.contains(ids[0].publicKey))
        #expect(cache.count == 1)
        // ids[1] fell out of the two-entry ring, so it counts as new again.
        #expect(cache.table(for: ids[1].publicKey) == nil)
        // ids[5] is still remembered: its second sighting builds a table.
        #expect(cache.table(for: ids[5].publicKey) != nil)
    }

    @Test func routesToLibsodiumAndTablesWithTheSameDecisions() throws {
        let cache = VerificationKeyCache(capacity: 2)
        let id = try Self.keys(1, from: 140)[0]
        let message = Array("through the cache".utf8)
        let sig = id.sign(message, in: .gossipPacket)
        var bad = sig.bytes
        bad[40] ^= 4
        let badSig = try Signature(bytes: bad)
        for _ in 0..<3 {
            #expect(cache.isValidSignature(sig, for: message, in: .gossipPacket, by: id.publicKey))
            #expect(!cache.isValidSignature(badSig, for: message, in: .gossipPacket, by: id.publicKey))
            #expect(!cache.isValidSignature(sig, for: message, in: .bid, by: id.publicKey))
        }
        #expect(cache.contains(id.publicKey))
        // The public entry point goes through the shared cache and agrees too.
        for _ in 0..<3 {
            #expect(id.publicKey.isValidSignature(sig, for: message, in: .gossipPacket))
            #expect(!id.publicKey.isValidSignature(badSig, for: message, in: .gossipPacket))
        }
        #expect(VerificationKeyCache.shared.contains(id.publicKey))
    }

    @Test func noteSignaturesGoThroughTheSharedCache() throws {
        let id = try Self.keys(1, from: 200)[0]
        let text = Array("example.org/ledger\n42\nq83ZzfbMPTmL1rV/F6yVb5Z0Th7JOY8ZGvWWtA0bXTo=\n".utf8)
        let sig = try id.signNote(text)
        var bad = sig.bytes
        bad[3] ^= 1
        let badSig = try Signature(bytes: bad)
        for _ in 0..<3 {
            #expect(id.publicKey.isValidNoteSignature(sig, for: text))
            #expect(!id.publicKey.isValidNoteSignature(badSig, for: text))
            #expect(!id.publicKey.isValidNoteSignature(sig, for: text.dropLast() + Array("!\n".utf8)))
        }
        #expect(VerificationKeyCache.shared.contains(id.publicKey))
    }

    @Test func concurrentChecksMatchLibsodium() async throws {
        // A small cache under many keys, so tables are built and evicted while other
        // tasks are using them.
        let cache = VerificationKeyCache(capacity: 6, seenCapacity: 8)
        let ids = try Self.keys(16, from: 160)
        struct Case: Sendable { let key: PublicKey; let signature: Signature; let message: [UInt8] }
        var rng = SplitMix64(seed: 0xCAC4E)
        var cases: [Case] = []
        for n in 0..<256 {
            let id = ids[n % ids.count]
            let message = rng.bytes(32)
            var sig = id.sign(message, in: .result).bytes
            if n % 3 == 0 { sig[Int.random(in: 0..<64, using: &rng)] ^= 0x10 }
            let key = n % 7 == 0 ? ids[(n + 1) % ids.count].publicKey : id.publicKey
            cases.append(Case(key: key, signature: try Signature(bytes: sig), message: message))
        }
        let expected = cases.map { $0.key.isValidSignatureByLibsodium($0.signature, for: $0.message, in: .result) }
        let allCases = cases
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for task in 0..<24 {
                group.addTask {
                    var wrong = 0
                    for i in 0..<allCases.count where (i + task) % 2 == 0 {
                        let c = allCases[(i * 7 + task) % allCases.count]
                        let index = (i * 7 + task) % allCases.count
                        if cache.isValidSignature(c.signature, for: c.message, in: .result, by: c.key) != expected[index] {
                            wrong += 1
                        }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
        #expect(cache.count <= 6)
        #expect(expected.contains(true) && expected.contains(false))
    }
}
