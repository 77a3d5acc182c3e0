import ArgumentParser

/// `agora verify-output` (being built).
struct VerifyOutputCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify-output", abstract: "(not built yet)")

    func run() async throws {
        throw ValidationError("agora verify-output is not built yet")
    }
}
