import AgoraCrypto
import AgoraLedger
import Foundation
import Testing
@testable import AgoraLedgerStore

@Suite struct ExportTests {
    func exported(_ dir: TempDir, count: Int) async throws -> (String, [LedgerEntry]) {
        let store = try LedgerStore.open(path: dir.file("ledger.sqlite"), identity: StoreFixtures.owner)
        let entries = try await StoreFixtures.fill(store, count: count)
        _ = try await store.checkpoint()
        let out = dir.file("ledger.export")
        #expect(try LedgerExportFile.write(store.database, to: out) == UInt64(count))
        await store.close()
        return (out, entries)
    }

    @Test func exportVerifiesAndMatchesInMemoryDecoder() async throws {
        let dir = TempDir()
        let (path, entries) = try await exported(dir, count: 50)
        guard case let .valid(id, count, checkpoint) = try LedgerExportFile.verify(path: path) else {
            Issue.record("export did not verify"); return
        }
        #expect(id == StoreFixtures.owner.publicKey && count == 50 && checkpoint?.checkpoint.size == 50)
        let (header, decoded, _) = try Ledger.Export.decode(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(header.count == 50 && decoded == entries.map(\.encoded))
    }

    /// Flipping any byte of an entry region is reported at that entry.
    @Test func flippedBytesAreNamed() async throws {
        let dir = TempDir()
        let (path, entries) = try await exported(dir, count: 20)
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let noteLength = (try LedgerDatabase.openReadOnly(path: dir.file("ledger.sqlite")).latestCheckpoint())?.note.count ?? 0
        var offset = Ledger.Export.headerSize + 4 + noteLength
        var rng = SplitMix64(seed: 3)
        for e in entries {
            let start = offset + 4
            for _ in 0..<5 {
                var bytes = original
                bytes[start + Int.random(in: 0..<e.encoded.count, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                guard case let .invalid(error) = try LedgerExportFile.verify(path: path) else {
                    Issue.record("flip in entry \(e.seq) undetected"); continue
                }
                #expect(error.seq == e.seq, "\(error)")
            }
            offset = start + e.encoded.count
        }
    }

    @Test func truncatedAndGarbageFilesAreInvalid() async throws {
        let dir = TempDir()
        let (path, _) = try await exported(dir, count: 10)
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        var rng = SplitMix64(seed: 4)
        for _ in 0..<40 {
            let cut = Int.random(in: 0..<original.count, using: &rng)
            try Data(original.prefix(cut)).write(to: URL(fileURLWithPath: path))
            guard case .invalid = try LedgerExportFile.verify(path: path) else { Issue.record("truncation at \(cut) verified"); continue }
        }
        for _ in 0..<40 {
            let garbage = (0..<Int.random(in: 0..<400, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            try Data(garbage).write(to: URL(fileURLWithPath: path))
            guard case .invalid = try LedgerExportFile.verify(path: path) else { Issue.record("garbage verified"); continue }
        }
        try Data(original + [0]).write(to: URL(fileURLWithPath: path))
        guard case .invalid = try LedgerExportFile.verify(path: path) else { Issue.record("trailing byte accepted"); return }
        #expect(throws: LedgerStoreError.self) { try LedgerExportFile.verify(path: dir.file("missing")) }
    }
}
