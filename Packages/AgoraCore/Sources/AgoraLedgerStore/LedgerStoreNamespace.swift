/// SQLite (GRDB) storage for the result ledger.
public enum LedgerStore {}
