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

    /// Issue [4/5], must-show 3: the gateway is SIGKILLed while its job runs; the provider
    /// finishes and cannot deliver. Restarted, the gateway settles the jobs its award journal
    /// says were open: it cancels, the provider sends the result it had delivered again, and
    /// the gateway checks it and pays it once.
    @Test func aGatewayKilledMidRequestPaysTheDeliveredResultOnceAfterItsRestart() async throws {
        let cluster = try TestCluster()
        try cluster.start(serving: [false, true], verificationLevel: 0)
        try await cluster.waitConverged(expected: 2)
        let provider = cluster.nodes[1]
        let before = try await Self.health(cluster, provider)
        let request = Task {
            try? await cluster.post(cluster.nodes[0], "/v1/chat/completions", json: [
                "messages": [["role": "user", "content": "Write a long story about a lighthouse keeper."]], "max_tokens": 160])
        }
        // Kill the gateway once the provider runs the job, then let the provider finish it.
        var running = false
        for _ in 0..<100 where !running {
            try await Task.sleep(for: .milliseconds(100))
            let (_, jobs) = try await cluster.get(provider, "/api/jobs")
            running = ((try? JSONSerialization.jsonObject(with: jobs)) as? [[String: Any]] ?? []).contains { $0["role"] as? String == "provider" }
        }
        #expect(running, "the provider never got the job\n\(cluster.logTail(provider))")
        cluster.signal(0, SIGKILL)
        cluster.nodes[0].process.waitUntilExit()
        _ = await request.value
        var delivered = false
        for _ in 0..<300 where !delivered {
            try await Task.sleep(for: .milliseconds(200))
            delivered = (try await Self.health(cluster, provider)).ledger > before.ledger
        }
        #expect(delivered, "the provider never appended its result\n\(cluster.logTail(provider))")
        let unpaid = try await Self.health(cluster, provider)
        #expect(unpaid.credits == before.credits, "paid before the gateway came back?")

        try cluster.restart(0)
        try await cluster.waitConverged(expected: 2)
        var receipts = 0
        for _ in 0..<100 where receipts == 0 {
            try await Task.sleep(for: .milliseconds(200))
            receipts = try await Self.receipts(cluster, cluster.nodes[0])
        }
        #expect(receipts == 1, "the gateway's ledger holds \(receipts) receipts\n\(cluster.logTail(cluster.nodes[0]))")
        var paid = unpaid
        for _ in 0..<50 where paid.credits == unpaid.credits {
            try await Task.sleep(for: .milliseconds(200))
            paid = try await Self.health(cluster, provider)
        }
        #expect(paid.credits > unpaid.credits, "the provider was not paid\n\(cluster.logTail(provider))")
        let log = (try? String(contentsOfFile: cluster.nodes[0].log, encoding: .utf8)) ?? ""
        #expect(log.contains("job open at the last stop settled"), "\(cluster.logTail(cluster.nodes[0]))")
        // Once: a second restart settles nothing again.
        cluster.signal(0, SIGKILL)
        cluster.nodes[0].process.waitUntilExit()
        try cluster.restart(0)
        try await cluster.waitConverged(expected: 2)
        try await Task.sleep(for: .seconds(5))
        let afterSecondRestart = try await Self.receipts(cluster, cluster.nodes[0])
        #expect(afterSecondRestart == 1)
        let exits = await cluster.stopAll()
        #expect(exits.allSatisfy { $0 == 0 }, "exit codes \(exits)\n\(cluster.exitReport(exits))")
    }

    static func health(_ cluster: TestCluster, _ n: TestCluster.Node) async throws -> (ledger: Int, credits: Int) {
        let (_, data) = try await cluster.get(n, "/api/health")
        let h = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return ((h["ledger_size"] as? NSNumber)?.intValue ?? 0, (h["credits"] as? NSNumber)?.intValue ?? 0)
    }

    static func receipts(_ cluster: TestCluster, _ n: TestCluster.Node) async throws -> Int {
        let (_, data) = try await cluster.get(n, "/api/ledger/entries?from=0&limit=1000")
        let entries = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] ?? []
        return entries.filter { $0["kind"] as? String == "receipt" }.count
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
