import ArgumentParser

/// `agora bench`: measurements against a running node (or any OpenAI-compatible endpoint).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a node or any OpenAI-compatible endpoint.",
        subcommands: [BenchLoadCommand.self])
}
