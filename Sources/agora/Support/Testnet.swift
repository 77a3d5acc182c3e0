import AgoraAPI
import AgoraNode
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The local testnet: N `agora node` processes on loopback, each with its own data directory.
struct Testnet {
    let config: TestnetConfig

    struct Failure: Error, CustomStringConvertible { let description: String }

    func dataDirectory(_ i: Int) -> String { config.runDirectory + "/node-\(i)" }
    func apiURL(_ i: Int) -> String { "http://\(config.host):\(config.baseHTTPPort + i)" }
    func pidPath(_ i: Int) -> String { dataDirectory(i) + "/node.pid" }

    /// Starts every node that is not running, then waits until each sees all the others alive.
    func up(timeout: Double) async throws {
        let exe = Spawn.selfExecutable
        try FileManager.default.createDirectory(atPath: config.runDirectory, withIntermediateDirectories: true)
        for i in 0..<config.nodes {
            if let pid = runningPID(i) {
                Stderr.line("node \(i): already running (pid \(pid))")
                continue
            }
            let dir = dataDirectory(i)
            let (code, out) = try Spawn.run(exe, ["init", "--data-dir", dir])
            guard code == 0 else { throw Failure(description: "agora init for node \(i) failed:\n\(out)") }
            var nc = NodeConfig()
            nc.host = config.host
            nc.port = config.basePort + i
            nc.httpPort = config.baseHTTPPort + i
            nc.bootstrap = i == 0 ? [] : ["\(config.host):\(config.basePort)"]
            nc.pricePer1kTokens = config.prices.isEmpty ? 10 : config.prices[i % config.prices.count]
            nc.slots = config.slots
            nc.threads = config.threads
            if let level = config.verificationLevel { nc.verificationLevel = level }
            try nc.save(to: DataDirectory(path: dir))
            let pid = try Spawn.detached(exe, ["node", "--data-dir", dir], log: dir + "/node.log")
            try "\(pid)\n".write(toFile: pidPath(i), atomically: true, encoding: .utf8)
            Stderr.line("node \(i): started pid \(pid), gossip \(config.host):\(config.basePort + i), API \(apiURL(i))")
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
                let peers = try? await NodeAPIClient(base: apiURL(i), timeout: 2).get("/api/peers")
                let alive = peers.flatMap { try? JSONDecoder().decode([PeerView].self, from: $0.1) }?
                    .filter { $0.state == "alive" }.count ?? 0
                seen.append(alive)
            }
            if seen.allSatisfy({ $0 >= config.nodes }) { converged = true; break }
            try await Task.sleep(nanoseconds: 500_000_000)
        }
        guard converged else { throw Failure(description: "the testnet did not converge within \(Int(timeout)) s; see the node logs in \(config.runDirectory)") }
        print("testnet up: \(config.nodes) nodes, each sees all \(config.nodes)")
        for i in 0..<config.nodes {
            print("  node \(i): API \(apiURL(i))/v1  dashboard \(apiURL(i))/")
        }
    }

    /// Prints each node's health.
    func status() async throws {
        var rows: [[String]] = []
        for i in 0..<config.nodes {
            let pid = runningPID(i)
            var row = ["\(i)", pid.map { "\($0)" } ?? "-", apiURL(i)]
            if pid != nil, let r = try? await NodeAPIClient(base: apiURL(i), timeout: 2).get("/api/health"),
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
        let client = NodeAPIClient(base: apiURL(node))
        let reply = try client.decode(SubmitCommand.Reply.self,
                                      try await client.post("/v1/chat/completions", json: try JSONSerialization.data(withJSONObject: body)))
        let a = reply.agora
        print("requester: node \(node)   provider: \(a.provider.prefix(8))   price: \(a.price) credits")
        print("ledger entry #\(a.ledgerSeq) \(a.ledgerEntry.prefix(16))…   verification: \(a.verification)")
        print("")
        print(reply.choices.first?.message.content ?? "")
    }

    /// Stops every node: SIGTERM, then SIGKILL after 15 s.
    func down() async throws {
        for i in 0..<config.nodes {
            guard let pid = runningPID(i) else { continue }
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(15)
            while Spawn.isAlive(pid), Date() < deadline { try await Task.sleep(nanoseconds: 100_000_000) }
            if Spawn.isAlive(pid) { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: pidPath(i))
            Stderr.line("node \(i): stopped (pid \(pid))")
        }
    }

    private func runningPID(_ i: Int) -> pid_t? {
        guard let text = try? String(contentsOfFile: pidPath(i), encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        // Reap it if it is our exited child, then check it is still alive.
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
        return Spawn.isAlive(pid) ? pid : nil
    }

    private func tail(_ path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(20).joined(separator: "\n")
    }
}
