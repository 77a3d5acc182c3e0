import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A node's data directory (default `~/.agora`): identity key, ledger database,
/// configuration file, and a lock that keeps a second node off the same directory.
public struct DataDirectory: Sendable {
    /// The directory.
    public let path: String

    /// The default data directory, `~/.agora` (or `$AGORA_HOME`).
    public static var defaultPath: String {
        if let home = ProcessInfo.processInfo.environment["AGORA_HOME"], !home.isEmpty { return home }
        return NSHomeDirectory() + "/.agora"
    }

    /// A data directory at `path` (`~` is expanded).
    public init(path: String) {
        self.path = (path as NSString).expandingTildeInPath
    }

    /// The identity key file (mode 0600).
    public var identityPath: String { path + "/identity.key" }
    /// The ledger database.
    public var ledgerPath: String { path + "/ledger.sqlite" }
    /// The configuration file.
    public var configPath: String { path + "/config.json" }
    /// The API keys (hashes only, mode 0600).
    public var apiKeysPath: String { path + "/api-keys.json" }
    /// The lock file held while a node runs.
    public var lockPath: String { path + "/node.lock" }
    /// Entries of other nodes' ledgers that counted here (`ObservedFacts`).
    public var observedPath: String { path + "/observed.bin" }
    /// The requester's award journal (`AwardJournal`).
    public var journalPath: String { path + "/jobs.journal" }

    /// Creates the directory (mode 0700) if needed.
    public func create() throws(NodeError) {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw NodeError(.dataDirectory, "\(path) exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw NodeError(.dataDirectory, "cannot create data directory \(path): \(error.localizedDescription)")
        }
    }

    /// Takes the directory's exclusive lock for the life of the process; throws
    /// `dataDirectoryInUse` if another node holds it.
    public func lock() throws(NodeError) -> DataDirectoryLock {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw NodeError(.dataDirectory, "cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw NodeError(.dataDirectoryInUse,
                            "another agora node is already running with data directory \(path); stop it or pass another --data-dir")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        return DataDirectoryLock(fd: fd)
    }
}

/// The held lock of a data directory; released when the process exits or `release()` is called.
public final class DataDirectoryLock: @unchecked Sendable {
    // Safety: `fd` is set once and only closed in `release`, guarded by `released`'s lock.
    private let fd: Int32
    private let state = NSLock()
    private var released = false

    init(fd: Int32) { self.fd = fd }

    /// Releases the lock.
    public func release() {
        state.lock(); defer { state.unlock() }
        guard !released else { return }
        released = true
        close(fd)
    }

    deinit { release() }
}
