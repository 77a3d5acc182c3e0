import CSodium

/// Secret bytes held in memory from `sodium_malloc` (guard pages, locked where the OS
/// allows), zeroed and freed by `sodium_free` when the last reference goes.
public final class SecureBytes: @unchecked Sendable {
    // Safety: the buffer is written only in `init` and read-only afterwards; readers get
    // it through `withUnsafeBytes`, which never escapes the pointer.
    private let pointer: UnsafeMutableRawPointer
    /// Number of secret bytes.
    public let count: Int

    /// Copies `bytes` into secure memory. The caller should zero its own copy.
    public init(copying bytes: some Collection<UInt8>) {
        Sodium.mustBeReady()
        let n = bytes.count
        guard let p = sodium_malloc(max(n, 1)) else { fatalError("sodium_malloc(\(n)) failed: out of memory") }
        pointer = p
        count = n
        let typed = p.bindMemory(to: UInt8.self, capacity: max(n, 1))
        var i = 0
        for b in bytes { typed[i] = b; i += 1 }
    }

    /// Allocates `count` bytes and lets `fill` write them.
    public init(count n: Int, fill: (UnsafeMutableRawBufferPointer) -> Void) {
        Sodium.mustBeReady()
        guard let p = sodium_malloc(max(n, 1)) else { fatalError("sodium_malloc(\(n)) failed: out of memory") }
        pointer = p
        count = n
        fill(UnsafeMutableRawBufferPointer(start: p, count: n))
    }

    deinit { sodium_free(pointer) }

    /// Gives read access to the secret for the duration of `body`.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
