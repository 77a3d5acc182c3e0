import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue [4/5], must-show 3, real processes: balances and reputation are facts of the ledgers,
/// so a provider and the gateway killed with SIGKILL and started again hold exactly the
/// credit balances and reputations they held before (their own ledger and the remembered
/// entries of others' ledgers are counted again), and serve on.
@Suite(.serialized) struct RestartTests {
    /// Every member's (reputation, credits) as node `n` sees it, by node id.
    static func book(_ cluster: TestCluster, _ n: TestCluster.Node) async throws -> [String: [Double]] {
        let (status, data) = try await cluster.get(n, "/api/peers")
        guard status == 200, let peers = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw TestCluster.Failure("GET /api/peers on node \(n.index): \(status)")
        }
        var out: [String: [Double]] = [:]
        for p in peers {
            guard let id = p["node_id"] as? String, let r = p["reputation"] as? Double,
                  let c = (p["credits"] as? NSNumber)?.doubleValue else { continue }
            out[id] = [r, c]
        }
        return out
    }

    @Test func aKilledProviderAndGatewayComeBackWithTheSameBalancesAndReputations() async throws {
        let cluster = try TestCluster()
        try cluster.start(serving: [false, true, true], verificationLevel: 1)
        try await cluster.waitConverged(expected: 3)
        let gateway = cluster.nodes[0]
        for i in 0..<6 {
            let (status, data) = try await cluster.post(gateway, "/v1/chat/completions", json: [
                "messages": [["role": "user", "content": "Say a word about the number \(i)."]], "max_tokens": 8])
            #expect(status == 200, "\(String(decoding: data, as: UTF8.self))\n\(cluster.logTail(gateway))")
        }
        // Attestations arrive after the answers: wait until every node's book holds still.
        var before: [[String: [Double]]] = []
        for _ in 0..<60 {
            let now = try await cluster.nodes.asyncMap { try await Self.book(cluster, $0) }
            if now == before { break }
            before = now
            try await Task.sleep(for: .seconds(2))
        }
        let gatewayID = try await Self.selfID(cluster, gateway)
        let providers = Set(before[0].keys).subtracting([gatewayID])
        #expect(providers.contains { (before[0][$0]?[1] ?? 0) > 1_000_000 }, "no provider earned: \(before[0])")
        #expect((before[0].values.map { $0[1] }.min() ?? 0) < 1_000_000, "the gateway paid nothing: \(before[0])")

        for i in [1, 0] {
            cluster.signal(i, SIGKILL)
            cluster.nodes[i].process.waitUntilExit()
        }
        try cluster.restart(1)
        try cluster.restart(0)
        try await cluster.waitConverged(expected: 3)
        for i in [0, 1] {
            let after = try await Self.book(cluster, cluster.nodes[i])
            for (id, was) in before[i] {
                #expect(after[id] == was, "node \(i)'s view of \(id.prefix(8)): \(was) before the kill, \(after[id] ?? []) after\n\(cluster.logTail(cluster.nodes[i]))")
            }
        }
        // And the restarted pair serves on.
        let (status, data) = try await cluster.post(cluster.nodes[0], "/v1/chat/completions", json: [
            "messages": [["role": "user", "content": "One more word."]], "max_tokens": 8])
        #expect(status == 200, "\(String(decoding: data, as: UTF8.self))")
        let exits = await cluster.stopAll()
        #expect(exits.allSatisfy { $0 == 0 }, "exit codes \(exits)\n\(cluster.exitReport(exits))")
    }

    static func selfID(_ cluster: TestCluster, _ n: TestCluster.Node) async throws -> String {
        let (_, data) = try await cluster.get(n, "/api/health")
        return try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["node_id"] as? String)
    }
}

extension Array {
    /// `transform` applied to each element in order, awaiting each.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
