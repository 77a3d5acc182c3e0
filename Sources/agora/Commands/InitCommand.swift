import ArgumentParser

/// `agora init` (being built).
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "(not built yet)")

    func run() async throws {
        throw ValidationError("agora init is not built yet")
    }
}
