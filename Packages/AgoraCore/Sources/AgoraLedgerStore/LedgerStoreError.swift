import AgoraLedger

/// An error from the ledger store: what failed, in which file, and (for entry problems)
/// which entry.
public struct LedgerStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// The file is not an SQLite database, or SQLite reports it corrupt.
        case corruptDatabase
        /// The file is an SQLite database but not an Agora ledger.
        case notALedger
        /// The ledger was written by a newer build (unknown migrations or format).
        case newerFormat
        /// The ledger belongs to another identity than the one opening it.
        case wrongIdentity
        /// Another process holds the ledger open for writing.
        case locked
        /// A stored entry, node or checkpoint does not decode or is missing.
        case corruptEntry
        /// A caller asked for something that does not exist (seq or size beyond the ledger).
        case outOfRange
        /// The store was opened read-only.
        case readOnly
        /// An append was refused (body too large).
        case invalidEntry
        /// SQLite or the file system failed.
        case io
    }

    /// What kind of failure this is.
    public let code: Code
    /// The database or export file involved.
    public let path: String
    /// What went wrong, with the numbers involved.
    public let context: String
    /// The entry to blame, when there is one.
    public let seq: UInt64?

    /// Creates an error.
    public init(_ code: Code, path: String, _ context: String, seq: UInt64? = nil) {
        self.code = code
        self.path = path
        self.context = context
        self.seq = seq
    }

    public var description: String {
        let at = seq.map { " (entry \($0))" } ?? ""
        return "\(code.rawValue): \(path)\(at): \(context)"
    }
}
