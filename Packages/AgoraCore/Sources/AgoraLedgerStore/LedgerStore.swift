import AgoraCrypto
import AgoraLedger
import Foundation
import GRDB

/// A node's own ledger on disk: SQLite in WAL mode with `synchronous=FULL`, written by
/// one process at a time (an exclusive lock file).
///
/// Appends are **group-committed**: concurrent `append` calls queue up, and one writer
/// signs and stores everything queued in a single transaction, then answers each caller.
/// `append` returns only after its transaction is durable, so an acknowledged entry
/// survives `kill -9` and power loss. A signed checkpoint is added to a batch's
/// transaction whenever the last one is older than `Options.checkpointInterval`; call
/// `checkpoint()` on a timer to cover entries appended since.
public actor LedgerStore {
    /// Tuning.
    public struct Options: Sendable {
        /// A batch commit also signs a checkpoint when the latest is at least this old
        /// (milliseconds). Default 1,000.
        public var checkpointIntervalMilliseconds: Int64
        /// Most appends per transaction. Default 8,192.
        public var maxBatch: Int

        /// Options with the defaults.
        public init(checkpointIntervalMilliseconds: Int64 = 1_000, maxBatch: Int = 8_192) {
            self.checkpointIntervalMilliseconds = checkpointIntervalMilliseconds
            self.maxBatch = max(1, maxBatch)
        }
    }

    /// Read access (entries, checkpoints, proofs, verification, export).
    public nonisolated let database: LedgerDatabase
    /// The database file.
    public nonisolated var path: String { database.path }
    /// The ledger id: the identity's public key.
    public nonisolated var ledgerID: PublicKey { database.ledgerID }

    private let identity: Identity
    private let options: Options
    private var lock: FileLock?
    private var state: ChainState
    private var queue: [Request] = []
    private var writing = false
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    private enum Request {
        case append(Ledger.Kind, [UInt8], CheckedContinuation<Result<LedgerEntry, LedgerStoreError>, Never>)
        case checkpoint(CheckedContinuation<Result<SignedCheckpoint, LedgerStoreError>, Never>)
    }

    private init(database: LedgerDatabase, identity: Identity, options: Options, lock: FileLock, state: ChainState) {
        self.database = database
        self.identity = identity
        self.options = options
        self.lock = lock
        self.state = state
    }

    /// Opens (creating if needed) the ledger at `path`, owned by `identity`. Refuses a
    /// file that is not an SQLite database (`corruptDatabase`), a database of another
    /// application (`notALedger`), a ledger of another identity (`wrongIdentity`), a newer
    /// format (`newerFormat`), a ledger another process is writing (`locked`), and stored
    /// entries that do not decode (`corruptEntry`, naming the entry). It never rewrites
    /// or deletes what is already stored.
    public static func open(path: String, identity: Identity, options: Options = Options()) throws(LedgerStoreError) -> LedgerStore {
        let lock = try FileLock(path: path + ".lock")
        let contents = try DatabaseOpening.inspect(path: path)
        if case let .ledger(id) = contents, id != identity.publicKey {
            throw LedgerStoreError(.wrongIdentity, path: path, "the ledger belongs to \(id.short), not to \(identity.publicKey.short)")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: DatabaseOpening.configuration(readonly: false))
            let id = identity.publicKey
            let migrator = LedgerSchema.migrator
            // Write only to create a ledger or to apply new migrations: a ledger that
            // fails its checks below is left byte for byte as it was.
            if try !pool.read({ db in try migrator.hasCompletedMigrations(db) }) {
                try migrator.migrate(pool)
            }
            if case .empty = contents {
                try pool.write { db in
                    try db.execute(sql: "INSERT OR IGNORE INTO ledger_meta(key, value) VALUES ('format', ?), ('ledger_id', ?)",
                                   arguments: [Data(LedgerSchema.format.utf8), Data(id.bytes)])
                }
            }
            let state = try pool.read { db in try ChainState.load(db, ledgerID: id, path: path) }
            let database = LedgerDatabase(path: path, ledgerID: id, pool: pool)
            return LedgerStore(database: database, identity: identity, options: options, lock: lock, state: state)
        } catch {
            throw DatabaseOpening.map(error, path: path)
        }
    }

    /// Number of transactions committed by this store since it was opened (each holds
    /// one batch of appends); with concurrent appenders it is far below the append count.
    public private(set) var transactionCount = 0
    /// Number of entries acknowledged so far.
    public var count: UInt64 { state.count }
    /// The latest checkpoint signed (nil before the first).
    public var latestCheckpoint: SignedCheckpoint? { state.lastCheckpoint }

    /// Signs and durably stores a new entry; returns it once its transaction has committed.
    /// Throws `invalidEntry` for a body over `Ledger.maxBodySize`.
    public func append(kind: Ledger.Kind, body: [UInt8]) async throws(LedgerStoreError) -> LedgerEntry {
        guard body.count <= Ledger.maxBodySize else {
            throw LedgerStoreError(.invalidEntry, path: path, "body is \(body.count) bytes, the limit is \(Ledger.maxBodySize)")
        }
        let result = await withCheckedContinuation { c in
            enqueue(.append(kind, body, c))
        }
        return try result.get()
    }

    /// A checkpoint covering every entry acknowledged before the call: the latest one if it
    /// already does, otherwise a newly signed and stored one.
    public func checkpoint() async throws(LedgerStoreError) -> SignedCheckpoint {
        if let c = state.lastCheckpoint, c.checkpoint.size == state.count, queue.isEmpty, !writing { return c }
        let result = await withCheckedContinuation { c in enqueue(.checkpoint(c)) }
        return try result.get()
    }

    /// Waits for queued appends, folds the WAL into the database file, then closes the
    /// database and releases the write lock.
    public func close() async {
        while writing || !queue.isEmpty {
            await withCheckedContinuation { idleWaiters.append($0) }
        }
        _ = try? await database.pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        try? database.pool.close()
        lock = nil
    }

    /// Up to `limit` entries from seq `from` on (reads committed entries).
    public nonisolated func entries(from: UInt64, limit: Int) throws(LedgerStoreError) -> [LedgerEntry] {
        try database.entries(from: from, limit: limit)
    }

    /// The inclusion proof of entry `seq` in the tree of `treeSize` entries (default: the
    /// latest checkpoint's size).
    public nonisolated func inclusionProof(seq: UInt64, treeSize: UInt64? = nil) throws(LedgerStoreError) -> Ledger.InclusionProof {
        try database.inclusionProof(seq: seq, treeSize: treeSize)
    }

    /// The consistency proof between tree sizes `from ≤ to`.
    public nonisolated func consistencyProof(from: UInt64, to: UInt64) throws(LedgerStoreError) -> Ledger.ConsistencyProof {
        try database.consistencyProof(from: from, to: to)
    }

    private func enqueue(_ request: Request) {
        guard lock != nil else {
            let e = LedgerStoreError(.io, path: path, "the store is closed")
            switch request {
            case let .append(_, _, c): c.resume(returning: .failure(e))
            case let .checkpoint(c): c.resume(returning: .failure(e))
            }
            return
        }
        queue.append(request)
        if !writing {
            writing = true
            Task { await self.drain() }
        }
    }

    /// Commits queued requests batch by batch until the queue is empty. Appends that
    /// arrive while a transaction is in flight form the next batch.
    private func drain() async {
        while !queue.isEmpty {
            let batch = Array(queue.prefix(options.maxBatch))
            queue.removeFirst(batch.count)
            var work: [(Ledger.Kind, [UInt8])] = []
            var wantsCheckpoint = false
            for r in batch {
                switch r {
                case let .append(kind, body, _): work.append((kind, body))
                case .checkpoint: wantsCheckpoint = true
                }
            }
            let commit = Commit(identity: identity, path: path, start: state, work: work,
                                forceCheckpoint: wantsCheckpoint, interval: options.checkpointIntervalMilliseconds)
            let outcome: Result<Commit.Output, LedgerStoreError>
            do {
                outcome = .success(try await database.pool.write { db in try commit.run(db) })
            } catch {
                outcome = .failure(DatabaseOpening.map(error, path: path))
            }
            var index = 0
            switch outcome {
            case let .success(out):
                state = out.state
                transactionCount += 1
                for r in batch {
                    switch r {
                    case let .append(_, _, c): c.resume(returning: .success(out.entries[index])); index += 1
                    case let .checkpoint(c):
                        if let cp = out.state.lastCheckpoint { c.resume(returning: .success(cp)) } else {
                            c.resume(returning: .failure(LedgerStoreError(.io, path: path, "no checkpoint was signed")))
                        }
                    }
                }
            case let .failure(e):
                for r in batch {
                    switch r {
                    case let .append(_, _, c): c.resume(returning: .failure(e))
                    case let .checkpoint(c): c.resume(returning: .failure(e))
                    }
                }
            }
        }
        writing = false
        let waiters = idleWaiters
        idleWaiters = []
        for w in waiters { w.resume() }
    }
}
