import AgoraLedger
import AgoraLedgerStore
import ArgumentParser
import Foundation

/// `agora ledger`: inspect, verify, export and prove the node's ledger.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Inspect, verify, export and prove a ledger.",
        subcommands: [LedgerVerifyCommand.self, LedgerShowCommand.self, LedgerExportCommand.self, LedgerProofCommand.self])
}

/// Where a ledger command reads from: the data directory's ledger, or `--db PATH`.
struct LedgerSourceOptions: ParsableArguments {
    @OptionGroup var dataDir: DataDirOption

    @Option(name: .customLong("db"), help: "A ledger database file (instead of the data directory's).")
    var db: String?

    /// The database path to open.
    var databasePath: String { db.map { ($0 as NSString).expandingTildeInPath } ?? dataDir.ledgerPath }

    /// Opens the ledger read-only (safe while a node is writing it).
    func open() throws -> LedgerDatabase { try LedgerDatabase.openReadOnly(path: databasePath) }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// JSON text for command output (never signed; ordering fixed by sorted keys).
func jsonText(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// A ledger command failure shown to the user as is (no usage text).
struct LedgerCLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
