import AgoraCrypto
import AgoraLedger
import Foundation
import GRDB

/// Export files (Protocol.md §4.7): writing one from a ledger database, and reading or
/// verifying one in a single streaming pass.
public enum LedgerExportFile {
    /// Writes every entry and the latest checkpoint of `database` to `path`, from one
    /// snapshot; the file appears under its name only once complete. Returns the entry count.
    @discardableResult
    public static func write(_ database: LedgerDatabase, to path: String) throws(LedgerStoreError) -> UInt64 {
        let tmp = path + ".partial"
        guard FileManager.default.createFile(atPath: tmp, contents: nil),
              let handle = FileHandle(forWritingAtPath: tmp) else {
            throw LedgerStoreError(.io, path: path, "cannot create the export file")
        }
        let id = database.ledgerID
        do {
            let count = try database.pool.read { db -> UInt64 in
                let count = try LedgerDatabase.count(db)
                let note = try Data.fetchOne(db, sql: "SELECT note FROM checkpoint ORDER BY size DESC LIMIT 1") ?? Data()
                var head = Ledger.Export.Header(ledgerID: id, count: count).encoded
                head += Ledger.Export.lengthPrefix(note.count) + Array(note)
                try handle.write(contentsOf: head)
                let cursor = try Row.fetchCursor(db, sql: "SELECT bytes FROM entry ORDER BY seq")
                var buffer = [UInt8]()
                buffer.reserveCapacity(1 << 20)
                while let row = try cursor.next() {
                    let bytes: Data = row["bytes"]
                    buffer += Ledger.Export.lengthPrefix(bytes.count)
                    buffer += bytes
                    if buffer.count >= 1 << 20 { try handle.write(contentsOf: buffer); buffer.removeAll(keepingCapacity: true) }
                }
                try handle.write(contentsOf: buffer)
                try handle.synchronize()
                return count
            }
            try handle.close()
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: tmp, toPath: path)
            return count
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: tmp)
            throw DatabaseOpening.map(error, path: path)
        }
    }

    /// Verifies an export file: header, checkpoint signature, every entry, and the
    /// checkpoint against the entries. A malformed or tampered file is an `invalid` result
    /// naming the first bad entry; only I/O failures throw.
    public static func verify(path: String) throws(LedgerStoreError) -> LedgerVerification {
        var reader = try ExportReader(path: path)
        do {
            let header = try Ledger.Export.Header(bytes: try reader.read(Ledger.Export.headerSize, what: "header"))
            let c = try Ledger.Export.length(try reader.read(4, what: "checkpoint length")[...],
                                             max: Ledger.maxCheckpointSize, what: "checkpoint")
            let checkpoint = c == 0 ? nil : try SignedCheckpoint(note: try reader.read(c, what: "checkpoint"))
            var verifier = try Ledger.Verifier(ledgerID: header.ledgerID, checkpoint: checkpoint)
            while verifier.count < header.count {
                let seq = verifier.count
                let n = try Ledger.Export.length(try reader.read(4, what: "entry \(seq) length", seq: seq)[...],
                                                 max: Ledger.maxEntrySize, what: "entry \(seq)")
                try verifier.append(bytes: try reader.read(n, what: "entry \(seq)", seq: seq))
            }
            guard try reader.atEnd() else {
                throw LedgerError(.malformedExport, "bytes after the \(header.count) entries the header announces")
            }
            try verifier.finish()
            return .valid(ledgerID: header.ledgerID, count: verifier.count, checkpoint: checkpoint)
        } catch let e as LedgerError {
            return .invalid(e)
        } catch {
            throw DatabaseOpening.map(error, path: path)
        }
    }
}

/// Buffered sequential reads from a file.
struct ExportReader {
    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0

    init(path: String) throws(LedgerStoreError) {
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw LedgerStoreError(.io, path: path, "cannot open the export file")
        }
        self.path = path
        handle = h
    }

    /// Reads exactly `n` bytes or throws `truncated` naming `what`.
    mutating func read(_ n: Int, what: String, seq: UInt64? = nil) throws -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(n)
        while out.count < n {
            if position == buffer.count {
                guard try fill() else {
                    throw LedgerError(.truncated, "file ends inside \(what)", seq: seq)
                }
            }
            let take = min(n - out.count, buffer.count - position)
            out += buffer[position..<position + take]
            position += take
        }
        return out
    }

    /// Whether every byte has been read.
    mutating func atEnd() throws -> Bool {
        if position < buffer.count { return false }
        return try !fill()
    }

    private mutating func fill() throws -> Bool {
        guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return false }
        buffer = Array(data)
        position = 0
        return true
    }
}
