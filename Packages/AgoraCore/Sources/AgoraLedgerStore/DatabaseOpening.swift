import AgoraCrypto
import Foundation
import GRDB

/// Checks a database file before anything writes to it, and maps errors.
enum DatabaseOpening {
    /// What the file holds.
    enum Contents {
        /// No file, an empty file, or an SQLite database with no tables.
        case empty
        /// An Agora ledger owned by this key.
        case ledger(PublicKey)
    }

    /// The SQLite file header magic.
    static let sqliteMagic = Array("SQLite format 3\u{0}".utf8)

    /// Inspects `path` read-only: never creates, migrates or rewrites anything.
    static func inspect(path: String) throws(LedgerStoreError) -> Contents {
        guard FileManager.default.fileExists(atPath: path) else { return .empty }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw LedgerStoreError(.io, path: path, "cannot open the file for reading")
        }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        if head.isEmpty { return .empty }
        guard Array(head) == sqliteMagic else {
            throw LedgerStoreError(.corruptDatabase, path: path, "not an SQLite database (bad file header)")
        }
        do {
            var config = Configuration()
            config.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: config)
            defer { try? queue.close() }
            return try queue.read { db throws -> Contents in
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                if tables.isEmpty { return .empty }
                guard tables.contains("ledger_meta") else {
                    throw LedgerStoreError(.notALedger, path: path, "an SQLite database without Agora ledger tables (has \(tables.sorted().prefix(5).joined(separator: ", ")))")
                }
                if try LedgerSchema.migrator.hasBeenSuperseded(db) {
                    throw LedgerStoreError(.newerFormat, path: path, "the ledger was written by a newer Agora build (unknown migrations)")
                }
                let format = try Data.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'format'")
                guard let format, String(decoding: format, as: UTF8.self) == LedgerSchema.format else {
                    throw LedgerStoreError(.notALedger, path: path, "ledger_meta does not mark an Agora ledger")
                }
                guard let idBytes = try Data.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'ledger_id'"),
                      let id = try? PublicKey(bytes: Array(idBytes)) else {
                    throw LedgerStoreError(.corruptDatabase, path: path, "ledger_meta has no valid ledger id")
                }
                return .ledger(id)
            }
        } catch {
            throw map(error, path: path)
        }
    }

    /// The configuration of every connection: WAL (DatabasePool), `synchronous=FULL` so a
    /// commit is durable when it returns, and a busy timeout for readers in other processes.
    static func configuration(readonly: Bool) -> Configuration {
        var config = Configuration()
        config.readonly = readonly
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return config
    }

    /// Maps any error to a `LedgerStoreError` naming the file.
    static func map(_ error: any Error, path: String) -> LedgerStoreError {
        if let e = error as? LedgerStoreError { return e }
        if let e = error as? DatabaseError {
            switch e.resultCode {
            case .SQLITE_CORRUPT, .SQLITE_NOTADB:
                return LedgerStoreError(.corruptDatabase, path: path, "SQLite reports the database corrupt: \(e.message ?? "\(e.resultCode)")")
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return LedgerStoreError(.locked, path: path, "the database is busy: \(e.message ?? "\(e.resultCode)")")
            default:
                return LedgerStoreError(.io, path: path, "SQLite error \(e.resultCode): \(e.message ?? "")")
            }
        }
        return LedgerStoreError(.io, path: path, "\(error)")
    }
}
