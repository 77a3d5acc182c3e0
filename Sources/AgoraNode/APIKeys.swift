import AgoraCrypto
import Foundation
import Synchronization

/// The API keys of a node, kept in its data directory (`api-keys.json`, mode 0600) as
/// SHA-256 hashes only: a key's secret is shown once, when it is created. Whoever holds a key
/// may submit jobs paid from this node's credits and read its jobs.
public struct APIKeyFile: Codable, Sendable, Equatable {
    /// One key.
    public struct Key: Codable, Sendable, Equatable {
        /// Short public id (`key_` and 8 hex digits), for listing and revoking.
        public var id: String
        /// What the key is for.
        public var name: String
        /// SHA-256 of the secret, hex.
        public var hash: String
        /// When it was created, unix seconds.
        public var created: Int64
    }

    /// Keys in the order they were created.
    public var keys: [Key] = []

    /// Prefix of every secret, so that a key is recognisable in a config file.
    public static let secretPrefix = "agora-"

    /// Creates an empty key file.
    public init() {}

    /// The hash of `secret` as stored.
    public static func hash(_ secret: String) -> String { SHA256.hash(Array(secret.utf8)).hex }

    /// Reads the keys at `path`; an absent file has none.
    public static func load(_ path: String) throws(NodeError) -> APIKeyFile {
        guard FileManager.default.fileExists(atPath: path) else { return APIKeyFile() }
        do {
            return try JSONDecoder().decode(APIKeyFile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw NodeError(.configuration, "cannot read the API keys in \(path): \(error.localizedDescription)")
        }
    }

    /// Writes the keys to `path` atomically, readable by the owner only.
    public func save(_ path: String) throws(NodeError) {
        let tmp = path + ".tmp"
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(self)
            _ = FileManager.default.createFile(atPath: tmp, contents: data, attributes: [.posixPermissions: 0o600])
            guard rename(tmp, path) == 0 else { throw NodeError(.configuration, String(cString: strerror(errno))) }
        } catch let e as NodeError {
            throw NodeError(.configuration, "cannot write the API keys to \(path): \(e.context)")
        } catch {
            throw NodeError(.configuration, "cannot write the API keys to \(path): \(error.localizedDescription)")
        }
    }

    /// Adds a new key named `name`; returns it and its secret (shown once, never stored).
    public mutating func create(name: String, now: Date = Date()) -> (key: Key, secret: String) {
        let secret = Self.secretPrefix + Hex.encode(SecureRandom.bytes(24))
        var id: String
        repeat { id = "key_" + Hex.encode(SecureRandom.bytes(4)) } while keys.contains { $0.id == id }
        let key = Key(id: id, name: name, hash: Self.hash(secret), created: Int64(now.timeIntervalSince1970))
        keys.append(key)
        return (key, secret)
    }

    /// Removes the key with `id`; false if there is none.
    public mutating func revoke(id: String) -> Bool {
        guard let i = keys.firstIndex(where: { $0.id == id }) else { return false }
        keys.remove(at: i)
        return true
    }
}

/// The keys a running API checks requests against. It re-reads the key file whenever the
/// file changes (a key created or revoked with `agora keys` while the node runs takes effect
/// with the next request).
public final class APIKeyring: Sendable {
    private let path: String
    private let state = Mutex<(modified: Date?, size: Int, hashes: Set<String>)>((nil, -1, []))

    /// A keyring backed by `path`.
    public init(path: String) { self.path = path }

    /// Whether any key exists.
    public var isEmpty: Bool { current().isEmpty }

    /// Whether `secret` is one of the keys.
    public func accepts(_ secret: String) -> Bool {
        let hash = APIKeyFile.hash(secret)
        // Every stored hash is compared in full, so the time taken says nothing of the keys.
        return current().reduce(false) { found, stored in Self.equal(stored, hash) || found }
    }

    private func current() -> Set<String> {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let modified = attributes?[.modificationDate] as? Date
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
        return state.withLock { s in
            if s.modified == modified && s.size == size { return s.hashes }
            let hashes = Set(((try? APIKeyFile.load(path))?.keys ?? []).map(\.hash))
            s = (modified, size, hashes)
            return hashes
        }
    }

    private static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
