import ArgumentParser

/// `agora generate` (being built).
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "(not built yet)")

    func run() async throws {
        throw ValidationError("agora generate is not built yet")
    }
}
