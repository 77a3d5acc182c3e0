import ArgumentParser
import Foundation

/// `--data-dir DIR`: where a node keeps its identity key and ledger (default `~/.agora`).
struct DataDirOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The node's data directory (default: ~/.agora).")
    var dataDir: String?

    /// The data directory, with `~` expanded.
    var path: String {
        let raw = dataDir ?? "~/.agora"
        return (raw as NSString).expandingTildeInPath
    }

    /// The identity key file inside the data directory.
    var identityPath: String { path + "/identity.key" }
    /// The ledger database inside the data directory.
    var ledgerPath: String { path + "/ledger.sqlite" }
}
