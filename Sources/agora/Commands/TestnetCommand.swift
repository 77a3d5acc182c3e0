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
        subcommands: [Up.self, Status.self, Submit.self, Down.self, Chaos.self])

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

    struct Chaos: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run an adversarial testnet: load, a schedule of faults and byzantine nodes; report what held.",
            discussion: """
                The plan (--plan, default testnet/chaos.json) names the nodes, the gateways, the byzantine nodes \
                and their modes, the load and the faults (SIGKILL and restart, SIGSTOP/SIGCONT, partitions and \
                netem; the last two need --netns). The run starts its own testnet (ports and data of --config, \
                run directory testnet/chaos-run), sends the load, applies the faults, then reads and verifies \
                every ledger. Exits 1 when a request was lost, a job paid twice, an honest result rejected, an \
                honest provider penalised, or a byzantine result not caught.
                """)
        @OptionGroup var options: Options
        @Option(name: .long, help: "The chaos plan.") var plan: String = "testnet/chaos.json"
        @Option(name: .long, help: "Nodes (overrides the plan).") var nodes: Int?
        @Option(name: .long, help: "Requests (overrides the plan).") var jobs: Int?
        @Flag(name: .long, help: "Each node in its own network namespace (needs root): partitions and netem apply.")
        var netns = false
        @Flag(name: .long, help: "Print the report as one JSON object.") var json = false
        @Flag(name: .long, help: "Keep the run's data directories.") var keep = false

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: plan) else { throw ValidationError("cannot read the chaos plan \(plan)") }
            var p: ChaosPlan
            do { p = try JSONDecoder().decode(ChaosPlan.self, from: data) } catch {
                throw ValidationError("invalid chaos plan \(plan): \(error)")
            }
            if let nodes { p.nodes = nodes }
            if let jobs { p.jobs = jobs }
            do { try p.validate(modes: Set(Misbehaviour.allCases.map(\.rawValue))) } catch {
                throw ValidationError("chaos plan \(plan): \(error)")
            }
            var config = try options.load()
            config.nodes = p.nodes
            config.runDirectory = options.dir ?? "testnet/chaos-run"
            config.gateways = p.gateways
            config.byzantine = p.byzantine
            if let level = p.verificationLevel { config.verificationLevel = UInt8(clamping: level) }
            let net = Testnet(config: config, netns: netns)
            // A fresh run: whatever an earlier run left is stopped and removed.
            try await net.down()
            try? FileManager.default.removeItem(atPath: config.runDirectory)
            let report: ChaosReport
            let probes = LoadRun.makeClient(connections: 16)
            do {
                report = try await ChaosRun(plan: p, net: net, probes: probes).run(keep: keep)
                try? await probes.shutdown()
            } catch {
                try? await probes.shutdown()
                try? await net.down()
                throw error
            }
            if !keep { try? FileManager.default.removeItem(atPath: config.runDirectory) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.text())
            }
            if !report.problems.isEmpty { throw ExitCode.failure }
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
    /// Whether verified jobs go only to providers a validator of their arithmetic class can
    /// check exactly (`NodeConfig.requireExactChecks`; default false).
    var requireExactChecks: Bool?
    /// Whether node 0, the gateway, serves jobs too (default false: jobs submitted through it
    /// always run on another node).
    var gatewayServes: Bool?
    /// Nodes besides node 0 that take requests and do not serve (`agora testnet chaos`).
    var gateways: [Int]?
    /// Byzantine nodes: node index (as a string) → mode; they run `agora-byzantine`.
    var byzantine: [String: String]?
    /// GGUF files each node serves, by node index (`~` expands to the home directory); a node
    /// without an entry, or with an empty one, serves the default model.
    var models: [[String]]?
    /// llama.cpp builds some nodes run on instead of the bootstrap's, by node index (as a
    /// string): the name of a shared class build of `scripts/build-classes`
    /// (`shared-portable-avx512`, `shared-portable-scalar`), loaded from
    /// `$AGORA_CACHE/classes/<name>/lib` ahead of the bootstrap's libraries. A testnet of
    /// several arithmetic classes on one machine.
    var llamaClasses: [String: String]?

    /// The environment node `i` runs in: the process's own, with its llama.cpp class build
    /// preloaded when it has one.
    func environment(of i: Int) throws -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        guard let name = llamaClasses?[String(i)] else { return env }
        let cache = env["AGORA_CACHE"] ?? NSHomeDirectory() + "/.cache/agora"
        let lib = "\(cache)/classes/\(name)/lib"
        let libraries = ["libggml-base.so", "libggml-cpu.so", "libggml.so", "libllama.so"].map { "\(lib)/\($0)" }
        guard libraries.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else {
            throw Testnet.Failure(description: "node \(i) runs on llama.cpp class \(name), which is not built: scripts/build-classes \(name)")
        }
        env["LD_PRELOAD"] = libraries.joined(separator: ":")
        return env
    }

    /// The model entries of node `i` (empty: the default model).
    func models(of i: Int) -> [ModelEntry] {
        guard let all = models, i < all.count else { return [] }
        return all[i].map { ModelEntry(path: ($0 as NSString).expandingTildeInPath) }
    }
}
