import AgoraAPI
import AgoraNode
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `agora testnet up|status|submit|down`: a local network of node processes on loopback.
struct TestnetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testnet",
        abstract: "Run a local test network of node processes on loopback.",
        subcommands: [Up.self, Status.self, Submit.self, Down.self])

    /// Options shared by the testnet subcommands.
    struct Options: ParsableArguments {
        @Option(name: .long, help: "The testnet configuration file.")
        var config: String = "testnet/testnet.json"

        @Option(name: .long, help: "Directory for the nodes' data directories (overrides the configuration).")
        var dir: String?

        func load() throws -> TestnetConfig {
            guard let data = FileManager.default.contents(atPath: config) else {
                throw ValidationError("cannot read the testnet configuration \(config)")
            }
            var c: TestnetConfig
            do { c = try JSONDecoder().decode(TestnetConfig.self, from: data) } catch {
                throw ValidationError("invalid testnet configuration \(config): \(error)")
            }
            if let dir { c.runDirectory = dir }
            return c
        }
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start the nodes and wait until they all see each other.")

        @OptionGroup var options: Options

        @Option(name: .long, help: "Number of nodes (overrides the configuration).")
        var nodes: Int?

        @Option(name: .long, help: "Seconds to wait for the network to converge.")
        var timeout: Double = 120

        @Flag(name: .long, help: "Put each node in its own network namespace with its own address (10.77.0.N; needs root).")
        var netns = false

        func validate() throws {
            if let nodes, !(1...64).contains(nodes) { throw ValidationError("--nodes must be between 1 and 64") }
        }

        func run() async throws {
            var config = try options.load()
            if let nodes { config.nodes = nodes }
            let net = Testnet(config: config, netns: netns)
            try await net.up(timeout: timeout)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show each node's state.")
        @OptionGroup var options: Options
        func run() async throws {
            try await Testnet(config: try options.load()).status()
        }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Submit a chat completion to one node of the testnet.")
        @OptionGroup var options: Options
        @Argument(help: "The prompt.") var prompt: String = "Why is the sky blue? Answer in two sentences."
        @Option(name: .long, help: "Index of the node to submit through.") var node: Int = 0
        @Option(name: .long, help: "Maximum tokens.") var maxTokens: Int = 64
        func run() async throws {
            let net = Testnet(config: try options.load())
            try await net.submit(prompt: prompt, node: node, maxTokens: maxTokens)
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop every node of the testnet.")
        @OptionGroup var options: Options
        func run() async throws {
            try await Testnet(config: try options.load()).down()
        }
    }
}

/// `testnet/testnet.json`.
struct TestnetConfig: Codable {
    var nodes: Int
    var host: String
    var basePort: Int
    var baseHTTPPort: Int
    var prices: [UInt64]
    var slots: Int
    var threads: Int
    var runDirectory: String
    /// Validators per job (default 1); 0 checks the ledger proof only.
    var verificationLevel: UInt8?
    /// Whether node 0, the gateway, serves jobs too (default false: jobs submitted through it
    /// always run on another node).
    var gatewayServes: Bool?
    /// GGUF files each node serves, by node index (`~` expands to the home directory); a node
    /// without an entry, or with an empty one, serves the default model.
    var models: [[String]]?

    /// The model entries of node `i` (empty: the default model).
    func models(of i: Int) -> [ModelEntry] {
        guard let all = models, i < all.count else { return [] }
        return all[i].map { ModelEntry(path: ($0 as NSString).expandingTildeInPath) }
    }
}
