import AgoraCrypto
import AgoraLedgerStore
import ArgumentParser
import Foundation

/// `agora init`: creates the data directory, the identity key and the ledger database.
/// Running it again changes nothing and prints the same node id.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the node's data directory, identity key (0600) and ledger; idempotent.")

    @OptionGroup var dataDir: DataDirOption

    func run() async throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: dataDir.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ValidationError("\(dataDir.path) exists and is not a directory") }
        } else {
            try fm.createDirectory(atPath: dataDir.path, withIntermediateDirectories: true,
                                   attributes: [.posixPermissions: 0o700])
        }
        let identity: Identity
        let created: Bool
        if fm.fileExists(atPath: dataDir.identityPath) {
            identity = try IdentityFile.load(from: dataDir.identityPath)
            created = false
        } else {
            identity = Identity.generate()
            try IdentityFile.save(identity, to: dataDir.identityPath)
            created = true
        }
        let store = try LedgerStore.open(path: dataDir.ledgerPath, identity: identity)
        let count = await store.count
        await store.close()
        print("node id: \(identity.publicKey.hex)")
        print("data dir: \(dataDir.path)\(created ? " (new identity)" : "")")
        print("ledger: \(dataDir.ledgerPath) (\(count) entries)")
    }
}
