import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// Issue [2/5]: who may spend a node's credits. An API that listens beyond loopback needs a
/// key; a request without a valid one gets 401 in OpenAI's shape; a revoked key stops working
/// with the next request; a node beyond loopback without any key refuses to start.
@Suite(.serialized) struct APIKeyTests {
    static func request(_ url: String, key: String?) async throws -> (Int, [String: Any]) {
        var r = URLRequest(url: URL(string: url)!, timeoutInterval: 60)
        if let key { r.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: r)
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, json)
    }

    static func code(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

    @Test func beyondLoopbackTheAPINeedsAKey() async throws {
        let cluster = try TestCluster()
        let agora = cluster.agora

        // No key at all: the node refuses to start rather than open its credits to anyone.
        let bare = cluster.root + "/bare"
        #expect(try await cluster.run([agora, "init", "--data-dir", bare]).status == 0)
        let refused = try await cluster.run(["/usr/bin/timeout", "60", agora, "node", "--data-dir", bare, "--host", "127.0.0.1",
                                             "--port", "\(cluster.basePort + 50)", "--http-port", "\(cluster.basePort + 150)",
                                             "--api-host", "0.0.0.0", "--no-serve"])
        #expect(refused.status != 0 && refused.status != 124, "\(refused.output)")
        #expect(refused.output.contains("agora keys create"), "\(refused.output)")

        // With a key made by `agora keys create`, it serves requests that carry it.
        let dir = cluster.root + "/node-0"
        #expect(try await cluster.run([agora, "init", "--data-dir", dir]).status == 0)
        let made = try await cluster.run([agora, "keys", "create", "--data-dir", dir, "--name", "test"])
        #expect(made.status == 0, "\(made.output)")
        let secret = made.output.split(separator: "\n").last.map(String.init) ?? ""
        let id = made.output.split(separator: " ").first { $0.hasPrefix("key_") }.map(String.init) ?? ""
        #expect(secret.hasPrefix("agora-") && !id.isEmpty, "\(made.output)")
        let stored = try String(contentsOfFile: dir + "/api-keys.json", encoding: .utf8)
        #expect(!stored.contains(secret), "the secret itself was stored")
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/api-keys.json")[.posixPermissions] as? Int
        #expect(mode == 0o600)

        try cluster.start(serving: [true], verificationLevel: 0, slots: 1, extra: ["apiHost": "0.0.0.0"])
        let node = cluster.nodes[0]
        var ready = false
        for _ in 0..<240 where !ready {
            if let (status, _) = try? await Self.request(node.api + "/v1/models", key: secret), status == 200 { ready = true }
            else { try await Task.sleep(nanoseconds: 500_000_000) }
        }
        #expect(ready, "\(cluster.logTail(node))")

        for path in ["/v1/models", "/api/health", "/metrics", "/"] {
            let (status, body) = try await Self.request(node.api + path, key: nil)
            #expect(status == 401 && Self.code(body) == "invalid_api_key", "\(path) without a key: \(status) \(body)")
        }
        let (wrong, wrongBody) = try await Self.request(node.api + "/v1/models", key: "agora-not-a-key")
        #expect(wrong == 401 && Self.code(wrongBody) == "invalid_api_key")
        let (ok, _) = try await Self.request(node.api + "/api/health", key: secret)
        #expect(ok == 200)
        // The official openai client, configured with the key, works unchanged.
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let python = try OpenAIClientTests.openAIPython()
        let client = try await cluster.run([python, root.appendingPathComponent("scripts/openai-check.py").path, node.api + "/v1", secret])
        #expect(client.status == 0 && client.output.contains("openai client: all checks passed"), "\(client.output)")

        // Revoked while the node runs: the next request is refused.
        let revoke = try await cluster.run([agora, "keys", "revoke", "--data-dir", dir, id])
        #expect(revoke.status == 0, "\(revoke.output)")
        let (after, afterBody) = try await Self.request(node.api + "/api/health", key: secret)
        #expect(after == 401 && Self.code(afterBody) == "invalid_api_key")
        _ = await cluster.stopAll()
    }
}
