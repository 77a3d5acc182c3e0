import GRDB

/// The ledger database schema. Migrations are named by strings and frozen once shipped:
/// a change is a new migration, never an edit. They use SQL only, no app types.
enum LedgerSchema {
    /// The `format` value in `ledger_meta` that marks an Agora ledger database.
    static let format = "agora-ledger"
    /// Merkle nodes are stored for levels that are positive multiples of this stride;
    /// others are computed from the level below (at most 2^(stride−1) hashes).
    static let nodeStride = 4

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-ledger") { db in
            try db.execute(sql: """
                CREATE TABLE ledger_meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value BLOB NOT NULL
                );
                CREATE TABLE entry (
                    seq INTEGER PRIMARY KEY NOT NULL,
                    bytes BLOB NOT NULL,
                    leaf_hash BLOB NOT NULL
                );
                CREATE TABLE merkle_node (
                    level INTEGER NOT NULL,
                    idx INTEGER NOT NULL,
                    hash BLOB NOT NULL,
                    PRIMARY KEY (level, idx)
                ) WITHOUT ROWID;
                CREATE TABLE checkpoint (
                    size INTEGER PRIMARY KEY NOT NULL,
                    time INTEGER NOT NULL,
                    note BLOB NOT NULL
                );
                """)
        }
        return m
    }
}
