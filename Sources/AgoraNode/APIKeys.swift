import AgoraCrypto
import Foundation
import Synchronization

/// The API keys of a node, kept in its data directory (`api-keys.json`, mode 0600) as
/// SHA-256 hashes only: a key's secret is shown once, when it is created. Whoever holds a key
/// may submit jobs paid from this node's credits and read its jobs; only an admin key may
/// also change what the node serves (load or unload models).
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
        /// Whether the key may administer the node (load and unload models), not only use it.
        public var admin: Bool

        init(id: String, name: String, hash: String, created: Int64, admin: Bool) {
            self.id = id
            self.name = name
            self.hash = hash
            self.created = created
            self.admin = admin
        }

        /// Decodes a key; one written before admin keys existed is not an admin key.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(String.self, forKey: .id)
            name = try c.decode(String.self, forKey: .name)
            hash = try c.decode(String.self, forKey: .hash)
            created = try c.decode(Int64.self, forKey: .created)
            admin = try c.decodeIfPresent(Bool.self, forKey: .admin) ?? false
        }
    }

    /// What a key admits.
    public enum Access: Sendable, Equatable {
        /// Jobs, the node's views and metrics.
        case use
        /// All of `use`, and changing what the node serves.
        case administer
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

    /// Adds a new key named `name` (an admin key when `admin`); returns it and its secret
    /// (shown once, never stored).
    public mutating func create(name: String, admin: Bool = false, now: Date = Date()) -> (key: Key, secret: String) {
        let secret = Self.secretPrefix + Hex.encode(SecureRandom.bytes(24))
        var id: String
        repeat { id = "key_" + Hex.encode(SecureRandom.bytes(4)) } while keys.contains { $0.id == id }
        let key = Key(id: id, name: name, hash: Self.hash(secret), created: Int64(now.timeIntervalSince1970), admin: admin)
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
    private let state = Mutex<(modified: Date?, size: Int, keys: [(hash: String, admin: Bool)])>((nil, -1, []))

    /// A keyring backed by `path`.
    public init(path: String) { self.path = path }

    /// Whether any key exists.
    public var isEmpty: Bool { current().isEmpty }

    /// Whether `secret` is one of the keys.
    public func accepts(_ secret: String) -> Bool { access(secret) != nil }

    /// What `secret` admits; nil when it is not one of the keys.
    public func access(_ secret: String) -> APIKeyFile.Access? {
        let hash = APIKeyFile.hash(secret)
        // Every stored hash is compared in full, so the time taken says nothing of the keys.
        var found: APIKeyFile.Access?
        for stored in current() where Self.equal(stored.hash, hash) {
            found = stored.admin ? .administer : (found ?? .use)
        }
        return found
    }

    private func current() -> [(hash: String, admin: Bool)] {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let modified = attributes?[.modificationDate] as? Date
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
        return state.withLock { s in
            if s.modified == modified && s.size == size { return s.keys }
            let keys = ((try? APIKeyFile.load(path))?.keys ?? []).map { (hash: $0.hash, admin: $0.admin) }
            s = (modified, size, keys)
            return keys
        }
    }

    private static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
