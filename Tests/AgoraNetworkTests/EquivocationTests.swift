import AgoraCrypto
import AgoraLedgerStore
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

    /// Issue [4/5], must-show 4: a provider whose ledger is rewritten (entry 0 changed, every
    /// entry signed again, same size) and then grows never signs two checkpoints of one size
    /// that anyone holds; the requester holding a checkpoint of the old history asks the
    /// provider for a consistency proof to its next, larger checkpoint, and the provider's own
    /// answer is evidence, which excludes it on every node.
    @Test func aLedgerThatRewritesHistoryAndGrowsIsCaughtThroughAConsistencyProof() async throws {
        let cluster = try TestCluster()
        try cluster.start(serving: [false, true, false], verificationLevel: 0)
        try await cluster.waitConverged(expected: 3)
        let a = cluster.nodes[0], c = cluster.nodes[2]
        for prompt in ["Name a fruit.", "Name a colour."] {
            let r = try await complete(cluster, a, prompt)
            #expect(r.status == 200, "\(r.body)")
        }
        cluster.signal(1, SIGTERM)
        let deadline = Date().addingTimeInterval(30)
        while cluster.nodes[1].process.isRunning, Date() < deadline { try await Task.sleep(nanoseconds: 100_000_000) }
        let size = try await Self.rewriteHistory(dataDirectory: cluster.nodes[1].dir)
        #expect(size >= 2)
        try cluster.restart(1)
        try await cluster.waitConverged(expected: 3)
        let grown = try await complete(cluster, a, "Name a vegetable.")
        #expect(grown.status == 200, "\(grown.body)")
        let providerID = try #require(grown.provider)

        for node in [a, c] {
            var excluded = false
            let until = Date().addingTimeInterval(20)
            while Date() < until, !excluded {
                let (_, data) = try await cluster.get(node, "/api/peers")
                let peers = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] ?? []
                excluded = peers.first { $0["node_id"] as? String == providerID }?["reputation"] as? Double == 0
                if !excluded { try await Task.sleep(nanoseconds: 300_000_000) }
            }
            #expect(excluded, "node \(node.index) does not exclude the rewritten ledger\n\(cluster.logTail(node))")
        }
        // Caught by the proof it served (no checkpoint of one size was ever signed twice).
        let log = (try? String(contentsOfFile: a.log, encoding: .utf8)) ?? ""
        #expect(log.contains("its consistency proof shows a rewritten history"), "\(cluster.logTail(a))")
        let exits = await cluster.stopAll()
        #expect(exits.allSatisfy { $0 == 0 }, "exit codes \(exits)\n\(cluster.exitReport(exits))")
    }

    /// Rebuilds the ledger in `dataDirectory` with entry 0's body changed and every entry
    /// signed again by the node's own key: the history a cheating owner would like to have
    /// had. Returns the ledger's size.
    static func rewriteHistory(dataDirectory dir: String) async throws -> Int {
        let identity = try IdentityFile.load(from: dir + "/identity.key")
        let path = dir + "/ledger.sqlite", forged = dir + "/forged.sqlite"
        let old = try LedgerStore.open(path: path, identity: identity)
        let entries = try old.database.entries(from: 0, limit: 10_000)
        await old.close()
        let store = try LedgerStore.open(path: forged, identity: identity)
        for (i, e) in entries.enumerated() {
            _ = try await store.append(kind: e.kind, body: i == 0 ? e.body + [0x00] : e.body)
        }
        await store.close()
        let fm = FileManager.default
        for suffix in ["", "-wal", "-shm"] {
            try? fm.removeItem(atPath: path + suffix)
            if fm.fileExists(atPath: forged + suffix) { try fm.moveItem(atPath: forged + suffix, toPath: path + suffix) }
        }
        return entries.count
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
