import AgoraCrypto
import AgoraLedger
import Foundation
import GRDB
import Testing
@testable import AgoraLedgerStore

/// Corrupt, foreign and tampered databases give clear errors naming the file (and entry),
/// and never lose or rewrite what is stored.
@Suite struct CorruptionTests {
    func makeLedger(_ dir: TempDir, count: Int = 30) async throws -> String {
        let path = dir.file("ledger.sqlite")
        let store = try LedgerStore.open(path: path, identity: StoreFixtures.owner)
        _ = try await StoreFixtures.fill(store, count: count)
        _ = try await store.checkpoint()
        await store.close()
        return path
    }

    /// Every stored row, to compare before and after a refused open.
    func rows(_ path: String) async throws -> [String] {
        var config = Configuration()
        config.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: config)
        defer { try? queue.close() }
        return try await queue.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, hex(bytes) AS b FROM entry ORDER BY seq").map { "\($0["seq"] as Int64):\($0["b"] as String)" }
                + (try Row.fetchAll(db, sql: "SELECT size, hex(note) AS n FROM checkpoint ORDER BY size").map { "c\($0["size"] as Int64):\($0["n"] as String)" })
        }
    }

    @Test func randomBytesAreNotADatabase() throws {
        let dir = TempDir()
        let path = dir.file("garbage.sqlite")
        var rng = SplitMix64(seed: 5)
        let bytes = (0..<8192).map { _ in UInt8.random(in: 0...255, using: &rng) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        do { _ = try LedgerStore.open(path: path, identity: StoreFixtures.owner); Issue.record("garbage opened") } catch {
            #expect(error.code == .corruptDatabase && error.path == path)
            #expect(error.description.contains(path))
        }
        #expect(throws: LedgerStoreError.self) { try LedgerDatabase.openReadOnly(path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
    }

    @Test func foreignSQLiteDatabaseIsRefusedUntouched() async throws {
        let dir = TempDir()
        let path = dir.file("other-app.sqlite")
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes(text) VALUES ('keep me')")
        }
        try queue.close()
        let before = StoreFixtures.sha256(file: path)
        do { _ = try LedgerStore.open(path: path, identity: StoreFixtures.owner); Issue.record("foreign db opened") } catch {
            #expect(error.code == .notALedger && error.path == path)
        }
        #expect(StoreFixtures.sha256(file: path) == before)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func unknownEntryVersionIsNamed() async throws {
        let dir = TempDir()
        let path = try await makeLedger(dir)
        let queue = try DatabaseQueue(path: path)
        // Entry 12 claims version 2.
        try await queue.write { db in
            var bytes = Array(try Data.fetchOne(db, sql: "SELECT bytes FROM entry WHERE seq = 12")!)
            bytes[0] = 2
            try db.execute(sql: "UPDATE entry SET bytes = ? WHERE seq = 12", arguments: [Data(bytes)])
        }
        try queue.close()
        let db = try LedgerDatabase.openReadOnly(path: path)
        do { _ = try db.entries(from: 10, limit: 5); Issue.record("version 2 entry read") } catch {
            #expect(error.code == .corruptEntry && error.seq == 12 && error.path == path)
            #expect(error.description.contains("entry 12") && error.description.contains("unknownVersion"))
        }
        guard case let .invalid(e) = try db.verify() else { Issue.record("tampered ledger verified"); return }
        #expect(e.code == .unknownVersion && e.seq == 12)
        // The writer still opens (only the last entry is decoded on open) and appends nothing over it.
        let store = try LedgerStore.open(path: path, identity: StoreFixtures.owner)
        #expect(await store.count == 30)
        await store.close()
    }

    /// The stored Merkle index is checked too: a changed leaf hash, a changed or missing
    /// subtree hash, or a stray row makes `verify` fail, naming it (proofs served from such
    /// an index would fail their checks at the peers).
    @Test(arguments: [
        "UPDATE entry SET leaf_hash = zeroblob(32) WHERE seq = 7",
        "UPDATE merkle_node SET hash = zeroblob(32) WHERE level = 4 AND idx = 1",
        "DELETE FROM merkle_node WHERE level = 4 AND idx = 0",
        "INSERT INTO merkle_node(level, idx, hash) VALUES (8, 5, zeroblob(32))",
    ])
    func corruptMerkleIndexFailsVerification(_ tamper: String) async throws {
        let dir = TempDir()
        let path = try await makeLedger(dir, count: 40)
        guard case .valid(_, 40, _) = try LedgerDatabase.openReadOnly(path: path).verify() else {
            Issue.record("the untouched ledger did not verify"); return
        }
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: tamper) }
        try queue.close()
        guard case let .invalid(e) = try LedgerDatabase.openReadOnly(path: path).verify() else {
            Issue.record("a ledger with a corrupt Merkle index verified (\(tamper))"); return
        }
        #expect(e.code == .corruptIndex, "\(e)")
    }

    @Test func tamperedLastEntryStopsTheWriter() async throws {
        let dir = TempDir()
        let path = try await makeLedger(dir)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            var bytes = Array(try Data.fetchOne(db, sql: "SELECT bytes FROM entry WHERE seq = 29")!)
            bytes[0] = 7
            try db.execute(sql: "UPDATE entry SET bytes = ? WHERE seq = 29", arguments: [Data(bytes)])
        }
        try queue.close()
        let before = try await rows(path)
        do { _ = try LedgerStore.open(path: path, identity: StoreFixtures.owner); Issue.record("opened") } catch {
            #expect(error.code == .corruptEntry && error.seq == 29 && error.path == path)
        }
        #expect(try await rows(path) == before)
    }

    @Test func tamperedBodyIsNamedByVerify() async throws {
        let dir = TempDir()
        let path = try await makeLedger(dir)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            var bytes = Array(try Data.fetchOne(db, sql: "SELECT bytes FROM entry WHERE seq = 17")!)
            bytes[bytes.count - 70] ^= 0x20
            try db.execute(sql: "UPDATE entry SET bytes = ? WHERE seq = 17", arguments: [Data(bytes)])
        }
        try queue.close()
        guard case let .invalid(e) = try LedgerDatabase.openReadOnly(path: path).verify() else {
            Issue.record("tampered ledger verified"); return
        }
        #expect(e.code == .badSignature && e.seq == 17)
    }

    @Test func truncatedDatabaseFileIsAnErrorNamingTheFile() async throws {
        let dir = TempDir()
        let path = try await makeLedger(dir, count: 300)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        do {
            let store = try LedgerStore.open(path: path, identity: StoreFixtures.owner)
            await store.close()
            Issue.record("truncated database opened")
        } catch {
            #expect(error.path == path)
        }
    }

    @Test func emptyFileBecomesANewLedger() async throws {
        let dir = TempDir()
        let path = dir.file("empty.sqlite")
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        let store = try LedgerStore.open(path: path, identity: StoreFixtures.owner)
        #expect(try await store.append(kind: .result, body: []).seq == 0)
        await store.close()
    }
}
