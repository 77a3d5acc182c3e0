import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue [4/5], evidence: a provider that wipes its ledger and starts over signs a second
/// checkpoint for a size it signed before. The requester that holds both catches it, records
/// the evidence in its own ledger, stops using the provider, and the evidence reaches a third
/// node, which verifies it on its own and records it too.
@Suite(.serialized) struct EquivocationTests {
    @Test func aProviderThatRewritesItsLedgerIsCaughtAndTheEvidenceSpreads() async throws {
        let cluster = try TestCluster()
        try cluster.start(serving: [false, true, false], verificationLevel: 0)
        try await cluster.waitConverged(expected: 3)
        let a = cluster.nodes[0], c = cluster.nodes[2]

        let first = try await complete(cluster, a, "Name a fruit.")
        #expect(first.status == 200, "\(first.body)")

        // The provider loses its history: same identity, empty ledger.
        cluster.signal(1, SIGTERM)
        let deadline = Date().addingTimeInterval(30)
        while cluster.nodes[1].process.isRunning, Date() < deadline { try await Task.sleep(nanoseconds: 100_000_000) }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: cluster.nodes[1].dir + "/ledger.sqlite" + suffix) }
        try cluster.restart(1)
        try await cluster.waitConverged(expected: 3)

        let second = try await complete(cluster, a, "Name a vegetable.")
        #expect(second.status == 200, "\(second.body)")

        // A caught it (its ledger holds the evidence) and passed it on to C, which checked it.
        for node in [a, c] {
            var kinds: [String] = []
            let until = Date().addingTimeInterval(20)
            while Date() < until {
                let (_, data) = try await cluster.get(node, "/api/ledger?limit=20")
                let ledger = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
                kinds = (ledger?["entries"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
                if kinds.contains("evidence") { break }
                try await Task.sleep(nanoseconds: 300_000_000)
            }
            #expect(kinds.contains("evidence"), "node \(node.index) ledger holds \(kinds)\n\(cluster.logTail(node))")
        }
        let (_, peersData) = try await cluster.get(a, "/api/peers")
        let peers = try #require(try JSONSerialization.jsonObject(with: peersData) as? [[String: Any]])
        let providerID = try #require(second.provider)
        let provider = peers.first { $0["node_id"] as? String == providerID }
        #expect(provider?["reputation"] as? Double == 0, "\(String(describing: provider))")

        let exits = await cluster.stopAll()
        #expect(exits.allSatisfy { $0 == 0 }, "exit codes \(exits)\n\(cluster.exitReport(exits))")
        for n in [a, c] {
            let r = try await cluster.run([cluster.agora, "ledger", "verify", "--data-dir", n.dir])
            #expect(r.status == 0, "ledger verify failed on node \(n.index): \(r.output)")
        }
    }

    private func complete(_ cluster: TestCluster, _ node: TestCluster.Node, _ prompt: String) async throws
        -> (status: Int, provider: String?, body: String) {
        let (status, data) = try await cluster.post(node, "/v1/chat/completions", json: [
            "messages": [["role": "user", "content": prompt]], "max_tokens": 8,
        ])
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        return (status, (json?["agora"] as? [String: Any])?["provider"] as? String, String(decoding: data.prefix(400), as: UTF8.self))
    }
}
