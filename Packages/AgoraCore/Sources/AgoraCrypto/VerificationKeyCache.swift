import Synchronization

/// A thread-safe, bounded, least-recently-used cache of `VerificationKeyTable`s, keyed by
/// public key.
///
/// Policy: the first time a key is seen the cache only remembers it (the caller checks
/// with plain libsodium, so a one-off key never pays for a table); from the second time
/// on it builds the key's table and keeps it. When more than `capacity` tables are held,
/// the one used least recently is dropped. Keys seen only once are remembered in a
/// separate bounded ring of `seenCapacity` entries, so a stream of one-off keys never
/// evicts a table.
///
/// Tables are built outside the lock; two threads meeting the same key at once may both
/// build one, and the first to finish is kept.
public final class VerificationKeyCache: Sendable {
    /// The process-wide cache `PublicKey.isValidSignature` uses (512 tables, about 15 MB).
    public static let shared = VerificationKeyCache(capacity: 512)

    /// The most tables this cache keeps.
    public let capacity: Int
    /// The most keys this cache remembers as seen once.
    public let seenCapacity: Int

    private let state: Mutex<State>

    /// Creates an empty cache holding at most `capacity` tables (at least 1) and
    /// remembering at most `seenCapacity` once-seen keys (default: `4 × capacity`).
    public init(capacity: Int, seenCapacity: Int? = nil) {
        self.capacity = max(1, capacity)
        self.seenCapacity = max(1, seenCapacity ?? 4 * self.capacity)
        state = Mutex(State(seenCapacity: self.seenCapacity))
    }

    /// The table for `key`, or `nil` the first time `key` is seen (or if memory runs out).
    /// The second call for a key builds its table.
    public func table(for key: PublicKey) -> VerificationKeyTable? {
        let lookup = state.withLock { $0.lookUp(key) }
        switch lookup {
        case .hit(let table):
            return table
        case .firstSighting:
            return nil
        case .build:
            guard let built = VerificationKeyTable(key: key) else { return nil }
            return state.withLock { $0.insert(built, capacity: capacity) }
        }
    }

    /// Checks a detached signature through the cache: with `key`'s table if it has one
    /// (or now earns one), with libsodium otherwise. Same decision either way.
    public func isValidSignature(_ signature: Signature, for message: [UInt8], in domain: SignatureDomain,
                                 by key: PublicKey) -> Bool {
        isValidSignature(signature, forSignedBytes: domain.signedBytes(message), by: key)
    }

    /// The same check over bytes signed as they are (domain prefix already applied, or
    /// none at all, as for C2SP notes).
    func isValidSignature(_ signature: Signature, forSignedBytes signed: [UInt8], by key: PublicKey) -> Bool {
        if let table = table(for: key) {
            return table.isValidSignature(signature, forSignedBytes: signed)
        }
        return key.isValidSignatureByLibsodium(signature, forSignedBytes: signed)
    }

    /// How many tables the cache holds now.
    public var count: Int { state.withLock { $0.tables.count } }

    /// Whether the cache holds a table for `key` (does not count as a use).
    public func contains(_ key: PublicKey) -> Bool { state.withLock { $0.tables[key] != nil } }
}

extension VerificationKeyCache {
    /// What a lookup found, decided under the lock.
    enum Lookup {
        /// The key's table.
        case hit(VerificationKeyTable)
        /// The key was not known; it is now remembered as seen once.
        case firstSighting
        /// The key was seen once before: build its table.
        case build
    }

    /// The cache's mutable state, only ever touched under the mutex.
    struct State: ~Copyable {
        struct Entry {
            var table: VerificationKeyTable
            var lastUse: UInt64
        }

        var tables: [PublicKey: Entry] = [:]
        /// Once-seen keys and their slot in `ring`.
        var seen: [PublicKey: Int] = [:]
        /// Once-seen keys in arrival order; the oldest is forgotten when the ring is full.
        var ring: [PublicKey?]
        var nextSlot = 0
        var clock: UInt64 = 0

        init(seenCapacity: Int) {
            ring = Array(repeating: nil, count: seenCapacity)
        }

        mutating func lookUp(_ key: PublicKey) -> Lookup {
            clock &+= 1
            if var entry = tables[key] {
                entry.lastUse = clock
                tables[key] = entry
                return .hit(entry.table)
            }
            if seen.removeValue(forKey: key) != nil { return .build }
            if let old = ring[nextSlot], seen[old] == nextSlot { seen.removeValue(forKey: old) }
            ring[nextSlot] = key
            seen[key] = nextSlot
            nextSlot = (nextSlot + 1) % ring.count
            return .firstSighting
        }

        /// Keeps `built` (or the table another thread stored first) and evicts the least
        /// recently used tables beyond `capacity`.
        mutating func insert(_ built: VerificationKeyTable, capacity: Int) -> VerificationKeyTable {
            clock &+= 1
            if let existing = tables[built.key] {
                tables[built.key]?.lastUse = clock
                return existing.table
            }
            tables[built.key] = Entry(table: built, lastUse: clock)
            while tables.count > capacity {
                // Linear scan: only on inserting into a full cache, and cheap next to
                // the table build that preceded it.
                guard let oldest = tables.min(by: { $0.value.lastUse < $1.value.lastUse })?.key else { break }
                tables.removeValue(forKey: oldest)
            }
            return built
        }
    }
}
