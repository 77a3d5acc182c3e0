import AgoraNode
import ArgumentParser
import Foundation

/// `agora keys create|list|revoke`: the API keys of a node (whoever holds one may spend the
/// node's credits). Keys are stored hashed in the data directory; a change takes effect on
/// a running node with its next request.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create, list and revoke the node's API keys.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new API key and print its secret (shown this once; only its hash is kept).")
        @OptionGroup var dataDir: DataDirOption
        @Option(name: .long, help: "What the key is for.") var name: String = "default"
        @Flag(name: .long, help: "An admin key: may also load and unload models (`agora models add|remove`).")
        var admin = false

        func run() async throws {
            let path = try KeysCommand.keysPath(dataDir)
            var file = try APIKeyFile.load(path)
            let made = file.create(name: name, admin: admin)
            try file.save(path)
            Stderr.line("created \(admin ? "admin key" : "key") \(made.key.id) (\(name)); its secret, shown once:")
            print(made.secret)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the node's API keys (never their secrets).")
        @OptionGroup var dataDir: DataDirOption

        func run() async throws {
            let file = try APIKeyFile.load(try KeysCommand.keysPath(dataDir))
            guard !file.keys.isEmpty else { return Stderr.line("no API keys") }
            print(Table.render(header: ["id", "name", "scope", "created"], rows: file.keys.map { k in
                [k.id, k.name, k.admin ? "admin" : "use", ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(k.created)))]
            }))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key: it stops working at once.")
        @OptionGroup var dataDir: DataDirOption
        @Argument(help: "The key's id (from `agora keys list`).") var id: String

        func run() async throws {
            let path = try KeysCommand.keysPath(dataDir)
            var file = try APIKeyFile.load(path)
            guard file.revoke(id: id) else { throw ValidationError("no API key \(id) in \(path)") }
            try file.save(path)
            Stderr.line("revoked \(id)")
        }
    }

    static func keysPath(_ dataDir: DataDirOption) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataDir.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("no data directory at \(dataDir.path): run `agora init` first")
        }
        return DataDirectory(path: dataDir.path).apiKeysPath
    }
}
