import AgoraLedgerStore
import ArgumentParser

/// `agora ledger export`: writes every entry and the latest checkpoint to a file
/// (Protocol.md §4.7) that `agora ledger verify --file` checks.
struct LedgerExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export the ledger to a file.")

    @OptionGroup var source: LedgerSourceOptions

    @Option(help: "The export file to write.") var out: String

    func run() async throws {
        let count = try LedgerExportFile.write(try source.open(), to: out)
        print("exported \(count) entries to \(out)")
    }
}
