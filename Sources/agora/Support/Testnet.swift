import AgoraAPI
import AgoraNode
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The local testnet: N `agora node` processes on loopback, each with its own data directory.
struct Testnet {
    let config: TestnetConfig
    /// Each node in its own network namespace (`up --netns`; remembered in the run directory).
    let netns: Bool

    /// A testnet; `netns` is forced on when the run directory says it was started that way.
    init(config: TestnetConfig, netns: Bool = false) {
        self.config = config
        self.netns = netns || FileManager.default.fileExists(atPath: config.runDirectory + "/netns")
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    func dataDirectory(_ i: Int) -> String { config.runDirectory + "/node-\(i)" }
    func apiURL(_ i: Int) -> String { "http://\(host(i)):\(config.baseHTTPPort + i)" }

    /// Where node `i`'s API key is kept (a node in its own namespace listens beyond loopback,
    /// so its API needs a key; the testnet makes one at `up`).
    func apiKeyPath(_ i: Int) -> String { dataDirectory(i) + "/testnet-api-key" }

    /// A client of node `i`'s API, with its key when it has one.
    func client(_ i: Int, timeout: TimeInterval = 300) -> NodeAPIClient {
        let key = try? String(contentsOfFile: apiKeyPath(i), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return NodeAPIClient(base: apiURL(i), timeout: timeout, apiKey: key)
    }
    /// The address node `i` listens on.
    func host(_ i: Int) -> String { netns ? NetworkNamespaces.address(i) : config.host }
    func pidPath(_ i: Int) -> String { dataDirectory(i) + "/node.pid" }

    /// Starts every node that is not running, then waits until each sees all the others alive.
    func up(timeout: Double, summary: Bool = true) async throws {
        try FileManager.default.createDirectory(atPath: config.runDirectory, withIntermediateDirectories: true)
        if netns {
            try NetworkNamespaces.setUp(count: config.nodes)
            try "10.77.0.0/24\n".write(toFile: config.runDirectory + "/netns", atomically: true, encoding: .utf8)
        }
        for i in 0..<config.nodes {
            if let pid = runningPID(i) {
                Stderr.line("node \(i): already running (pid \(pid))")
                continue
            }
            try start(i)
        }
        Stderr.line("waiting for \(config.nodes) nodes to see each other…")
        let deadline = Date().addingTimeInterval(timeout)
        var converged = false
        while Date() < deadline {
            var seen = [Int]()
            for i in 0..<config.nodes {
                guard runningPID(i) != nil else {
                    throw Failure(description: "node \(i) exited; see \(dataDirectory(i))/node.log:\n" + tail(dataDirectory(i) + "/node.log"))
                }
                let peers = try? await client(i, timeout: 2).get("/api/peers")
                let alive = peers.flatMap { try? JSONDecoder().decode([PeerView].self, from: $0.1) }?
                    .filter { $0.state == "alive" }.count ?? 0
                seen.append(alive)
            }
            if seen.allSatisfy({ $0 >= config.nodes }) { converged = true; break }
            try await Task.sleep(nanoseconds: 500_000_000)
        }
        guard converged else { throw Failure(description: "the testnet did not converge within \(Int(timeout)) s; see the node logs in \(config.runDirectory)") }
        guard summary else { return Stderr.line("testnet up: \(config.nodes) nodes, each sees all \(config.nodes)") }
        print("testnet up: \(config.nodes) nodes, each sees all \(config.nodes)")
        for i in 0..<config.nodes {
            print("  node \(i): API \(apiURL(i))/v1  dashboard \(apiURL(i))/")
        }
    }

    /// Starts node `i` (creating its data directory and configuration on first start; a
    /// restart keeps both): `agora node`, or `agora-byzantine` for a byzantine node.
    func start(_ i: Int) throws {
        let exe = Spawn.selfExecutable
        let dir = dataDirectory(i)
        let (code, out) = try Spawn.run(exe, ["init", "--data-dir", dir])
        guard code == 0 else { throw Failure(description: "agora init for node \(i) failed:\n\(out)") }
        var nc = NodeConfig()
        nc.host = host(i)
        nc.port = config.basePort + i
        nc.httpPort = config.baseHTTPPort + i
        nc.apiHost = host(i)
        // A node restarted in an existing run keeps the key it has (no stale keys pile up).
        if !NodeConfig.isLoopback(nc.apiHost), !FileManager.default.fileExists(atPath: apiKeyPath(i)) {
            var keys = try APIKeyFile.load(DataDirectory(path: dir).apiKeysPath)
            // The testnet's operator key: it may also load and unload models.
            let made = keys.create(name: "testnet", admin: true)
            try keys.save(DataDirectory(path: dir).apiKeysPath)
            _ = FileManager.default.createFile(atPath: apiKeyPath(i), contents: Data(made.secret.utf8),
                                               attributes: [.posixPermissions: 0o600])
        }
        nc.bootstrap = i == 0 ? [] : ["\(host(0)):\(config.basePort)"]
        // Node 0 is the gateway (everyone's bootstrap, where `submit` sends jobs): unless
        // the configuration says otherwise it does not serve, so every job it requests is
        // served by another node. Other gateways (`gateways`) do not serve either.
        nc.serve = (i != 0 || config.gatewayServes == true) && !(config.gateways ?? []).contains(i)
        nc.pricePer1kTokens = config.prices.isEmpty ? 10 : config.prices[i % config.prices.count]
        nc.slots = config.slots
        nc.threads = config.threads
        nc.models = config.models(of: i)
        if let level = config.verificationLevel { nc.verificationLevel = level }
        if let exact = config.requireExactChecks { nc.requireExactChecks = exact }
        try nc.save(to: DataDirectory(path: dir))
        var (program, argv) = (exe, ["node", "--data-dir", dir])
        if let mode = config.byzantine?[String(i)] {
            program = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("agora-byzantine").path
            guard FileManager.default.isExecutableFile(atPath: program) else {
                throw Failure(description: "node \(i) is byzantine and \(program) is missing: swift build -c release --product agora-byzantine")
            }
            argv = ["--data-dir", dir, "--mode", mode]
        }
        if netns { (program, argv) = try NetworkNamespaces.wrap(i, program, argv) }
        let pid = try Spawn.detached(program, argv, log: dir + "/node.log", environment: try config.environment(of: i))
        try "\(pid)\n".write(toFile: pidPath(i), atomically: true, encoding: .utf8)
        let place = netns ? " in netns \(NetworkNamespaces.name(i))" : ""
        let role = (config.byzantine?[String(i)].map { " (byzantine: \($0))" } ?? "")
            + (config.llamaClasses?[String(i)].map { " (llama.cpp \($0))" } ?? "")
        Stderr.line("node \(i): started pid \(pid)\(place)\(role), gossip \(host(i)):\(config.basePort + i), API \(apiURL(i))")
    }

    /// Prints each node's health.
    func status() async throws {
        var rows: [[String]] = []
        for i in 0..<config.nodes {
            let pid = runningPID(i)
            var row = ["\(i)", pid.map { "\($0)" } ?? "-", apiURL(i)]
            if pid != nil, let r = try? await client(i, timeout: 2).get("/api/health"),
               let h = try? JSONDecoder().decode(HealthView.self, from: r.1) {
                row += [String(h.nodeID.prefix(8)), "\(h.peersAlive)", "\(h.ledgerSize)", "\(h.credits)"]
            } else {
                row += ["-", "-", "-", pid == nil ? "stopped" : "not answering"]
            }
            rows.append(row)
        }
        print(Table.render(header: ["node", "pid", "api", "id", "peers", "ledger", "credits"], rows: rows))
    }

    /// Submits one chat completion through node `node` and prints the verified answer.
    func submit(prompt: String, node: Int, maxTokens: Int) async throws {
        guard (0..<config.nodes).contains(node) else { throw Failure(description: "no node \(node) in a \(config.nodes)-node testnet") }
        let body: [String: Any] = ["messages": [["role": "user", "content": prompt]], "max_tokens": maxTokens]
        let api = client(node)
        let reply = try api.decode(SubmitCommand.Reply.self,
                                   try await api.post("/v1/chat/completions", json: try JSONSerialization.data(withJSONObject: body)))
        let a = reply.agora
        print("requester: node \(node)   provider: \(a.provider.prefix(8))   price: \(a.price) credits")
        print("ledger entry #\(a.ledgerSeq) \(a.ledgerEntry.prefix(16))…   verification: \(a.verification)")
        print("")
        print(reply.choices.first?.message.content ?? "")
    }

    /// Stops every node: SIGTERM to all, then SIGKILL to any still running after 15 s.
    func down() async throws {
        var running: [(Int, pid_t)] = []
        for i in 0..<config.nodes {
            guard let pid = runningPID(i) else { continue }
            kill(pid, SIGTERM)
            running.append((i, pid))
        }
        let deadline = Date().addingTimeInterval(15)
        // `runningPID` reaps a node that is this process's child (a chaos run's), so an exited
        // node is not mistaken for a live zombie.
        while running.contains(where: { runningPID($0.0) != nil }), Date() < deadline {
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        for (i, pid) in running {
            if runningPID(i) != nil { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: pidPath(i))
            Stderr.line("node \(i): stopped (pid \(pid))")
        }
        if netns {
            try NetworkNamespaces.tearDown(count: max(config.nodes, 64))
            try? FileManager.default.removeItem(atPath: config.runDirectory + "/netns")
            Stderr.line("network namespaces removed")
        }
    }

    /// The pid of node `i` when it is running.
    func runningPID(_ i: Int) -> pid_t? {
        guard let text = try? String(contentsOfFile: pidPath(i), encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        // Reap it if it is our exited child, then check it is still alive.
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
        return Spawn.isAlive(pid) ? pid : nil
    }

    func tail(_ path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(20).joined(separator: "\n")
    }
}
