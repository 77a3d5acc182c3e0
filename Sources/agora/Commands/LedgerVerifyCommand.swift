import AgoraLedger
import AgoraLedgerStore
import ArgumentParser
import Foundation

/// `agora ledger verify`: checks every entry (format, seq, chain, signature) and the latest
/// checkpoint; on failure names the first bad entry and the reason, and exits with 1.
struct LedgerVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a ledger (database or export file); names the first bad entry.")

    @OptionGroup var source: LedgerSourceOptions

    @Option(name: .customLong("file"), help: "An export file written by `agora ledger export`.")
    var file: String?

    func validate() throws {
        if file != nil, source.db != nil { throw ValidationError("give either --db or --file, not both") }
    }

    func run() async throws {
        let target = file ?? source.databasePath
        let result: LedgerVerification
        do {
            result = try file.map { try LedgerExportFile.verify(path: $0) } ?? source.open().verify()
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        switch result {
        case let .valid(id, count, checkpoint):
            print("ok: \(target): ledger \(id.hex), \(count) entries verified")
            if let c = checkpoint?.checkpoint {
                print("checkpoint: size \(c.size), root \(c.root.hex), time \(c.time) — matches the entries")
            } else {
                print("checkpoint: none")
            }
        case let .invalid(e):
            let place = e.seq.map { "entry \($0)" } ?? "ledger"
            print("FAILED: \(target): \(place): \(e.code.rawValue): \(e.context)")
            throw ExitCode(1)
        }
    }
}
