import Foundation
import Testing

/// Issue [1/5] with separate processes and the real model: a burst far above capacity waits
/// instead of failing, never lowers an honest provider's reputation, never fails an honest
/// check, and leaves every node serving.
@Suite(.serialized) struct OverloadTests {
    struct Outcome: Sendable { let status: Int; let provider: String; let verification: String; let body: String }

    /// Sends `total` chat completions with `concurrency` clients at once.
    static func burst(_ cluster: TestCluster, to node: TestCluster.Node, total: Int, concurrency: Int,
                      maxTokens: Int = 8) async throws -> [Outcome] {
        try await withThrowingTaskGroup(of: Outcome.self) { group in
            var next = 0, outcomes: [Outcome] = []
            func launch() {
                let i = next
                next += 1
                group.addTask {
                    let (status, data) = try await cluster.post(node, "/v1/chat/completions", json: [
                        "messages": [["role": "user", "content": "Name a colour (\(i))."]], "max_tokens": maxTokens,
                    ])
                    let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
                    let agora = json?["agora"] as? [String: Any]
                    return Outcome(status: status, provider: agora?["provider"] as? String ?? "",
                                   verification: agora?["verification"] as? String ?? "",
                                   body: String(decoding: data.prefix(300), as: UTF8.self))
                }
            }
            for _ in 0..<concurrency { launch() }
            while let o = try await group.next() {
                outcomes.append(o)
                if next < total { launch() }
            }
            return outcomes
        }
    }

    /// Reputations a node holds of its peers (node id → score).
    static func reputations(_ cluster: TestCluster, at node: TestCluster.Node) async throws -> [String: Double] {
        let (_, data) = try await cluster.get(node, "/api/peers")
        let peers = (try JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
        var out: [String: Double] = [:]
        for p in peers { if let id = p["node_id"] as? String, let r = p["reputation"] as? Double { out[id] = r } }
        return out
    }

    /// A lone node with two slots and a queue of two gets 40 requests from 16 clients: all
    /// are served (the rest wait), it does not score itself down, and afterwards a single
    /// request is served at once.
    @Test func aLoneNodeServesABurstAndRecovers() async throws {
        let cluster = try TestCluster()
        try cluster.start(serving: [true], verificationLevel: 1, slots: 2, extra: ["queueLimit": 2])
        try await cluster.waitConverged(expected: 1)
        let a = cluster.nodes[0]
        let before = try await Self.reputations(cluster, at: a)
        let outcomes = try await Self.burst(cluster, to: a, total: 40, concurrency: 16)
        let failed = outcomes.filter { $0.status != 200 }
        #expect(failed.isEmpty, "failed: \(failed.prefix(3).map { "\($0.status) \($0.body)" })\n\(cluster.logTail(a))")
        let after = try await Self.reputations(cluster, at: a)
        #expect(after == before, "a node's view of itself changed: \(before) → \(after)")
        let started = Date()
        let (status, data) = try await cluster.post(a, "/v1/chat/completions", json: [
            "messages": [["role": "user", "content": "Say hi."]], "max_tokens": 8,
        ])
        #expect(status == 200, "\(String(decoding: data, as: UTF8.self))")
        #expect(Date().timeIntervalSince(started) < 20)
        _ = await cluster.stopAll()
    }

    /// A gateway and three providers (one slot, a queue of one each) at verification level 1
    /// get 36 requests from 18 clients: all served and verified at their level, no check fails,
    /// and no provider's reputation in the gateway's view falls.
    @Test func overloadNeverLowersReputation() async throws {
        let cluster = try TestCluster()
        try cluster.start(serving: [false, true, true, true], verificationLevel: 1, slots: 1, extra: ["queueLimit": 1])
        try await cluster.waitConverged(expected: 4)
        let gateway = cluster.nodes[0]
        let before = try await Self.reputations(cluster, at: gateway)
        let outcomes = try await Self.burst(cluster, to: gateway, total: 36, concurrency: 18)
        let failed = outcomes.filter { $0.status != 200 }
        #expect(failed.isEmpty, "failed: \(failed.prefix(3).map { "\($0.status) \($0.body)" })")
        #expect(outcomes.allSatisfy { $0.verification == "attested-pass" || $0.verification == "proof-verified" })
        #expect(outcomes.filter { $0.verification == "attested-pass" }.count >= 30)
        let after = try await Self.reputations(cluster, at: gateway)
        for (id, r) in before where after[id] != nil {
            #expect(after[id]! >= r - 0.05, "reputation of \(id.prefix(8)) fell from \(r) to \(after[id]!)")
        }
        _ = await cluster.stopAll()
        for n in cluster.nodes {
            let log = (try? String(contentsOfFile: n.dir + "/node.log", encoding: .utf8)) ?? ""
            #expect(!log.contains("verdict=fail"), "node \(n.index) failed an honest result")
            #expect(!log.contains("caught a provider"), "node \(n.index) saw an honest provider caught")
        }
        withExtendedLifetime(cluster) {}  // its directory, which holds the logs read above, goes with it
    }
}
