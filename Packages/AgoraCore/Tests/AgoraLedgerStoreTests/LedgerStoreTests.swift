import AgoraCrypto
import AgoraLedger
import Foundation
import Testing
@testable import AgoraLedgerStore

@Suite struct LedgerStoreTests {
    @Test func appendReadAndVerify() async throws {
        let dir = TempDir()
        let store = try LedgerStore.open(path: dir.file("ledger.sqlite"), identity: StoreFixtures.owner)
        let a = try await store.append(kind: .result, body: Array("first".utf8))
        let b = try await store.append(kind: .receipt, body: Array("second".utf8))
        #expect(a.seq == 0 && b.seq == 1 && b.previousHash == a.hash && a.previousHash == .zero)
        #expect(try store.database.entries(from: 0, limit: 10) == [a, b])
        #expect(try store.database.entry(seq: 1) == b)
        #expect(throws: LedgerStoreError.self) { try store.database.entry(seq: 2) }
        let checkpoint = try await store.checkpoint()
        #expect(checkpoint.checkpoint.size == 2)
        #expect(checkpoint.checkpoint.root == MerkleTree.root(leafHashes: [a.leafHash, b.leafHash]))
        #expect(try store.database.latestCheckpoint() == checkpoint)
        // Unchanged ledger: the same checkpoint comes back.
        #expect(try await store.checkpoint() == checkpoint)
        guard case .valid(_, 2, _) = try store.database.verify() else { Issue.record("ledger did not verify"); return }
        await store.close()
    }

    @Test func concurrentAppendsAreGroupCommitted() async throws {
        let dir = TempDir()
        let store = try LedgerStore.open(path: dir.file("ledger.sqlite"), identity: StoreFixtures.owner)
        let entries = try await StoreFixtures.fill(store, count: 400, concurrency: 100)
        #expect(entries.map(\.seq) == (0..<400).map(UInt64.init))
        let transactions = await store.transactionCount
        #expect(transactions < 200, "400 concurrent appends took \(transactions) transactions")
        try Ledger.Verifier.verify(entries: entries.map(\.encoded), ledgerID: StoreFixtures.owner.publicKey,
                                   checkpoint: try await store.checkpoint())
        await store.close()
    }

    /// Proofs served from SQLite (stored nodes at levels 4, 8 and folded levels between)
    /// equal those computed in memory, for every leaf and many size pairs.
    @Test func proofsFromDatabaseMatchMemory() async throws {
        let dir = TempDir()
        let store = try LedgerStore.open(path: dir.file("ledger.sqlite"), identity: StoreFixtures.owner,
                                         options: .init(maxBatch: 37))
        let entries = try await StoreFixtures.fill(store, count: 600, concurrency: 50)
        let memory = MerkleTree.Memory(leafHashes: entries.map(\.leafHash))
        for size in [1, 2, 15, 16, 17, 255, 256, 257, 511, 600] {
            #expect(try store.database.root(size: UInt64(size)) == memory.root(size: UInt64(size)))
        }
        for seq in stride(from: 0, to: 600, by: 7) {
            let p = try store.database.inclusionProof(seq: UInt64(seq), treeSize: 600)
            #expect(p.hashes == (try memory.inclusionProof(index: UInt64(seq), size: 600)))
            try p.verify(leafHash: entries[seq].leafHash, root: try memory.root())
        }
        for (m, n) in [(1, 600), (16, 600), (255, 513), (300, 301), (599, 600), (0, 5), (600, 600)] {
            let p = try store.database.consistencyProof(from: UInt64(m), to: UInt64(n))
            #expect(p.hashes == (try memory.consistencyProof(from: UInt64(m), to: UInt64(n))))
        }
        #expect(throws: LedgerStoreError.self) { try store.database.inclusionProof(seq: 600, treeSize: 600) }
        #expect(throws: LedgerStoreError.self) { try store.database.consistencyProof(from: 10, to: 601) }
        // Default tree size: the latest checkpoint.
        let checkpoint = try await store.checkpoint()
        let p = try store.database.inclusionProof(seq: 5)
        try p.verify(entry: entries[5], checkpoint: checkpoint.checkpoint)
        await store.close()
    }

    @Test func reopenContinuesTheChain() async throws {
        let dir = TempDir()
        let path = dir.file("ledger.sqlite")
        var store = try LedgerStore.open(path: path, identity: StoreFixtures.owner)
        let first = try await StoreFixtures.fill(store, count: 40)
        let c1 = try await store.checkpoint()
        await store.close()
        store = try LedgerStore.open(path: path, identity: StoreFixtures.owner)
        #expect(await store.count == 40)
        #expect(await store.latestCheckpoint == c1)
        let next = try await store.append(kind: .attestation, body: [1, 2, 3])
        #expect(next.seq == 40 && next.previousHash == first[39].hash && next.time >= first[39].time)
        let c2 = try await store.checkpoint()
        let proof = try store.database.consistencyProof(from: 40, to: 41)
        try proof.verify(from: c1.checkpoint, to: c2.checkpoint)
        let sizes = try store.database.checkpointSizes()
        #expect(Array(sizes.suffix(2)) == [40, 41] && sizes == sizes.sorted())
        await store.close()
    }

    @Test func checkpointsAreSignedPeriodically() async throws {
        let dir = TempDir()
        let store = try LedgerStore.open(path: dir.file("ledger.sqlite"), identity: StoreFixtures.owner,
                                         options: .init(checkpointIntervalMilliseconds: 0))
        for _ in 0..<5 { _ = try await store.append(kind: .result, body: []) }
        // Interval 0: every commit that grows the tree also signs a checkpoint.
        #expect(try store.database.checkpointSizes() == [1, 2, 3, 4, 5])
        await store.close()
    }

    @Test func refusesBadAppendsAndSecondWriter() async throws {
        let dir = TempDir()
        let path = dir.file("ledger.sqlite")
        let store = try LedgerStore.open(path: path, identity: StoreFixtures.owner)
        await #expect(throws: LedgerStoreError.self) {
            try await store.append(kind: .result, body: [UInt8](repeating: 0, count: Ledger.maxBodySize + 1))
        }
        do { _ = try LedgerStore.open(path: path, identity: StoreFixtures.owner); Issue.record("second writer opened") } catch {
            #expect(error.code == .locked)
        }
        // A reader may open while the writer runs.
        let reader = try LedgerDatabase.openReadOnly(path: path)
        _ = try await store.append(kind: .result, body: [9])
        #expect(try reader.count() == 1)
        await store.close()
        do { _ = try await store.append(kind: .result, body: []); Issue.record("closed store appended") } catch {
            #expect(error.code == .io)
        }
        do { _ = try LedgerStore.open(path: path, identity: StoreFixtures.other); Issue.record("foreign identity opened") } catch {
            #expect(error.code == .wrongIdentity)
        }
    }
}
