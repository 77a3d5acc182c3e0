import ArgumentParser

/// `agora ledger` (being built).
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "(not built yet)")

    func run() async throws {
        throw ValidationError("agora ledger is not built yet")
    }
}
