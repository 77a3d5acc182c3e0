#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive advisory lock (`flock`) on `<database>.lock`, held while a `LedgerStore`
/// writes, so two writers can never fork one ledger. The kernel releases it when the
/// process dies, even by `kill -9`.
final class FileLock: Sendable {
    private let fd: Int32

    init(path: String) throws(LedgerStoreError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw LedgerStoreError(.io, path: path, "cannot open the lock file: \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw LedgerStoreError(.locked, path: path, "another process has this ledger open for writing")
        }
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
