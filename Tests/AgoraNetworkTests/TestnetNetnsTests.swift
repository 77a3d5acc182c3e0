import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue [5/5], `agora testnet up --netns`: three nodes, each in its own network namespace
/// with its own address, converge, serve a job submitted through the gateway (node 0, which
/// does not serve) on another node, and `down` removes every namespace. Needs root, as
/// creating namespaces does; CI runs as root.
extension NetworkNamespaceTests {
@Suite(.serialized) struct TestnetNetnsTests {
    @Test(.enabled(if: geteuid() == 0, "creating network namespaces needs root"))
    func testnetInNamespacesServesAJob() async throws {
        let agora = try TestCluster.agoraExecutable()
        let root = NSTemporaryDirectory() + "agora-netns-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let config: [String: Any] = [
            "nodes": 3, "host": "127.0.0.1", "basePort": 7900, "baseHTTPPort": 8900, "prices": [8, 10, 12],
            "slots": 2, "threads": 1, "runDirectory": root + "/run", "verificationLevel": 1,
        ]
        let configPath = root + "/testnet.json"
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        let cluster = try TestCluster()
        defer {
            _ = try? TestCluster.runBlocking([agora, "testnet", "down", "--config", configPath])
            try? FileManager.default.removeItem(atPath: root)
        }

        let up = try await cluster.run([agora, "testnet", "up", "--config", configPath, "--netns", "--timeout", "120"])
        #expect(up.status == 0, "\(up.output)")
        #expect(up.output.contains("http://10.77.0.1:8900"), "\(up.output)")
        let namespaces = try await cluster.run(["/usr/sbin/ip", "netns", "list"]).output
        for i in 0..<3 { #expect(namespaces.contains("agora-n\(i)"), "\(namespaces)") }
        // Each node listens on its own address only, not on the host's loopback.
        #expect(!Self.accepts(port: 8900), "node 0 answered on the host's loopback")

        let submit = try await cluster.run([agora, "testnet", "submit", "--config", configPath, "--max-tokens", "16", "Name a colour."])
        #expect(submit.status == 0, "\(submit.output)")
        #expect(submit.output.contains("verification: attested-pass"), "\(submit.output)")
        let status = try await cluster.run([agora, "testnet", "status", "--config", configPath])
        let gatewayID = status.output.split(separator: "\n").dropFirst().first?.split(separator: " ", omittingEmptySubsequences: true)
            .dropFirst(3).first.map(String.init) ?? "?"
        #expect(!submit.output.contains("provider: \(gatewayID)"), "the gateway served its own job:\n\(submit.output)\n\(status.output)")

        let down = try await cluster.run([agora, "testnet", "down", "--config", configPath])
        #expect(down.status == 0, "\(down.output)")
        let after = try await cluster.run(["/usr/sbin/ip", "netns", "list"]).output
        #expect(!after.contains("agora-n"), "namespaces left behind: \(after)")
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port` (in this namespace).
    static func accepts(port: Int) -> Bool {
        TestCluster.onLoopbackSocket(port: port, type: SOCK_STREAM) { fd, addr, len in connect(fd, addr, len) == 0 }
    }
}
}
