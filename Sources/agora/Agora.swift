import ArgumentParser

/// The `agora` command: run a node, submit jobs, inspect ledgers, run a local testnet.
@main
struct Agora: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agora",
        abstract: "Agora: a peer-to-peer AI inference node.",
        version: "0.1.0",
        subcommands: [
            InitCommand.self,
            LedgerCommand.self,
            GenerateCommand.self,
            VerifyOutputCommand.self,
            NodeCommand.self,
            KeysCommand.self,
            SubmitCommand.self,
            PeersCommand.self,
            ModelsCommand.self,
            JobsCommand.self,
            TestnetCommand.self,
            BenchCommand.self,
        ]
    )
}
