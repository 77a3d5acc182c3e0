import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A real cluster of `agora node` processes on loopback, each with its own data directory,
/// for end-to-end tests. Nodes are stopped (SIGKILL) when the cluster is released.
final class TestCluster: @unchecked Sendable {
    // Safety: mutated only from the test that owns the cluster, one call at a time.
    struct Node {
        let index: Int
        let dir: String
        let port: Int
        let httpPort: Int
        let process: Process
        /// How this node lies (run by `agora-byzantine`), nil for an honest `agora node`.
        var misbehaviour: String? = nil
        var api: String { "http://127.0.0.1:\(httpPort)" }
        var log: String { dir + "/node.log" }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    let root: String
    let agora: String
    let basePort: Int
    private(set) var nodes: [Node] = []

    /// The `agora` executable built beside the tests.
    static func agoraExecutable() throws -> String {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["AGORA_BIN"] { candidates.append(env) }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("agora").path)
            dir.deleteLastPathComponent()
        }
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        candidates.append(root.appendingPathComponent(".build/debug/agora").path)
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure("agora binary not found (looked in \(candidates)); run `swift build --product agora` or set AGORA_BIN")
        }
        return found
    }

    init() throws {
        agora = try Self.agoraExecutable()
        root = NSTemporaryDirectory() + "agora-net-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        basePort = Self.freeBasePort()
    }

    /// A base port whose node ports (base…base+9, TCP and UDP) and HTTP ports (base+100…base+109)
    /// are free now. Chosen below the kernel's ephemeral range (32768–60999 on Linux), where
    /// outgoing connections of other tests would otherwise take them between probe and bind.
    static func freeBasePort() -> Int {
        for _ in 0..<200 {
            let base = 10_000 + Int.random(in: 0..<2_000) * 10
            let ports = Array(base..<(base + 10)) + Array((base + 100)..<(base + 110))
            if ports.allSatisfy({ canBind($0, type: SOCK_STREAM) }),
               (base..<(base + 10)).allSatisfy({ canBind($0, type: SOCK_DGRAM) }) {
                return base
            }
        }
        return 10_000 + Int.random(in: 0..<2_000) * 10
    }

    private static func canBind(_ port: Int, type: __socket_type) -> Bool {
        onLoopbackSocket(port: port, type: type) { fd, addr, len in bind(fd, addr, len) == 0 }
    }

    /// Opens a socket of `type`, calls `body` with it and 127.0.0.1:`port`, and closes it.
    static func onLoopbackSocket(port: Int, type: __socket_type,
                                 _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Bool) -> Bool {
        let fd = socket(AF_INET, Int32(type.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    deinit {
        for n in nodes where n.process.isRunning { kill(n.process.processIdentifier, SIGKILL) }
        // Each cluster's directory holds its nodes' data and model copies (up to ~190 MB);
        // left behind, every test run would add them to the temporary directory.
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The program and arguments that run a node on `dir`: `agora node`, or for a byzantine
    /// node (`misbehaviour`) the `agora-byzantine` executable built beside it.
    func command(dir: String, misbehaviour: String?) -> (String, [String]) {
        guard let misbehaviour else { return (agora, ["node", "--data-dir", dir]) }
        let byzantine = URL(fileURLWithPath: agora).deletingLastPathComponent().appendingPathComponent("agora-byzantine").path
        return (byzantine, ["--data-dir", dir, "--mode", misbehaviour])
    }

    /// Starts `serving.count` nodes; node *i* serves jobs when `serving[i]`. Node 0 is every
    /// other node's bootstrap peer. A node whose settings hold `"misbehaviour": MODE` runs as
    /// a byzantine node (`agora-byzantine`).
    func start(serving: [Bool], verificationLevel: Int = 1, slots: Int = 2, extra: [String: Any] = [:],
               node: [Int: [String: Any]] = [:]) throws {
        for (i, serve) in serving.enumerated() {
            let dir = root + "/node-\(i)"
            let initRun = try Self.runBlocking([agora, "init", "--data-dir", dir])
            guard initRun.status == 0 else { throw Failure("agora init failed: \(initRun.output)") }
            var config: [String: Any] = [
                "host": "127.0.0.1", "port": basePort + i, "httpPort": basePort + 100 + i,
                "bootstrap": i == 0 ? [] : ["127.0.0.1:\(basePort)"], "serve": serve, "threads": 1, "slots": slots,
                "pricePer1kTokens": 8 + i, "verificationLevel": verificationLevel,
            ]
            config.merge(extra) { _, new in new }
            config.merge(node[i] ?? [:]) { _, new in new }
            let misbehaviour = config.removeValue(forKey: "misbehaviour") as? String
            try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
            let p = Process()
            let (program, arguments) = command(dir: dir, misbehaviour: misbehaviour)
            p.executableURL = URL(fileURLWithPath: program)
            p.arguments = arguments
            _ = FileManager.default.createFile(atPath: dir + "/node.log", contents: nil)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/node.log"))
            p.standardOutput = log
            p.standardError = log
            try p.run()
            nodes.append(Node(index: i, dir: dir, port: basePort + i, httpPort: basePort + 100 + i, process: p,
                              misbehaviour: misbehaviour))
        }
    }

    /// Waits until every running node sees `expected` members alive (itself included).
    func waitConverged(expected: Int, timeout: TimeInterval = 180) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var ok = true
            for n in nodes where n.process.isRunning {
                guard let (status, data) = try? await get(n, "/api/peers"), status == 200,
                      let peers = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
                      peers.filter({ $0["state"] as? String == "alive" }).count >= expected else { ok = false; break }
            }
            if ok { return }
            for n in nodes where !n.process.isRunning {
                throw Failure("node \(n.index) exited with \(n.process.terminationStatus):\n\(logTail(n))")
            }
            try await Task.sleep(nanoseconds: 500_000_000)
        }
        throw Failure("cluster did not converge in \(Int(timeout)) s\n" + nodes.map { "node \($0.index):\n\(logTail($0))" }.joined(separator: "\n"))
    }

    func get(_ node: Node, _ path: String) async throws -> (Int, Data) {
        try await http(node, path, method: "GET", body: nil)
    }

    func post(_ node: Node, _ path: String, json: [String: Any]) async throws -> (Int, Data) {
        try await http(node, path, method: "POST", body: try JSONSerialization.data(withJSONObject: json))
    }

    private func http(_ node: Node, _ path: String, method: String, body: Data?) async throws -> (Int, Data) {
        var r = URLRequest(url: URL(string: node.api + path)!, timeoutInterval: 600)
        r.httpMethod = method
        r.httpBody = body
        if body != nil { r.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        let (data, response) = try await URLSession.shared.data(for: r)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    func replace(_ i: Int, with node: Node) { nodes[i] = node }

    /// Sends `signal` to node `i`.
    func signal(_ i: Int, _ sig: Int32) { kill(nodes[i].process.processIdentifier, sig) }

    /// SIGTERM to every running node; waits for each to exit and returns their exit codes.
    func stopAll(timeout: TimeInterval = 30) async -> [Int32?] {
        for n in nodes where n.process.isRunning { kill(n.process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(timeout)
        while nodes.contains(where: { $0.process.isRunning }), Date() < deadline {
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        return nodes.map { $0.process.isRunning ? nil : $0.process.terminationStatus }
    }

    /// Runs a command to completion, waiting off Swift's cooperative pool (2 threads on CI:
    /// a blocking wait here would stall every other suite's sessions and timers).
    func run(_ argv: [String]) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<(status: Int32, output: String), Error>) in
            DispatchQueue.global().async { c.resume(with: Result { try Self.runBlocking(argv) }) }
        }
    }

    static func runBlocking(_ argv: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The log tails of the nodes whose exit code in `exits` (from `stopAll`) is not 0: a node
    /// that crashed on the way out says why (its backtrace is in its log).
    func exitReport(_ exits: [Int32?]) -> String {
        zip(nodes, exits).filter { $0.1 != 0 }
            .map { "node \($0.0.log) exited \($0.1.map(String.init) ?? "(still running)"):\n\(logTail($0.0, lines: 80))" }
            .joined(separator: "\n")
    }

    func logTail(_ n: Node, lines: Int = 25) -> String {
        let text = (try? String(contentsOfFile: n.log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// Every file under the cluster's data directories, as bytes.
    func allFileContents() -> [(String, Data)] {
        let fm = FileManager.default
        var out: [(String, Data)] = []
        let items = (fm.enumerator(atPath: root)?.allObjects as? [String]) ?? []
        for rel in items.sorted() {
            let path = root + "/" + rel
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue, let d = fm.contents(atPath: path) {
                out.append((path, d))
            }
        }
        return out
    }
}

extension TestCluster {
    /// Starts node `i` again on its data directory (after it was killed).
    func restart(_ i: Int) throws {
        let old = nodes[i]
        let p = Process()
        let (program, arguments) = command(dir: old.dir, misbehaviour: old.misbehaviour)
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = arguments
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: old.log))
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        try p.run()
        replace(i, with: Node(index: i, dir: old.dir, port: old.port, httpPort: old.httpPort, process: p,
                              misbehaviour: old.misbehaviour))
    }
}
