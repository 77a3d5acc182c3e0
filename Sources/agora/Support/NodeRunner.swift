import AgoraNode

/// Composes and runs a node process (being built).
enum NodeRunner {
    static func run(dataDirectory: DataDirectory, config: NodeConfig) async throws {
        let lock = try dataDirectory.lock()
        defer { lock.release() }
        throw NodeError(.configuration, "agora node is not built yet")
    }
}
