import Foundation
import Testing

/// Issue [5/5], "this node may win its own job": one `agora node` process, alone, serves a
/// chat completion sent to its own API, through the market, with its own ledger entry.
@Suite(.serialized) struct LoneNodeTests {
    @Test func aLoneNodeServesItsOwnJob() async throws {
        let cluster = try TestCluster()
        try cluster.start(serving: [true], verificationLevel: 1)
        try await cluster.waitConverged(expected: 1)
        let a = cluster.nodes[0]
        let (status, data) = try await cluster.post(a, "/v1/chat/completions", json: [
            "messages": [["role": "user", "content": "What colour is the sky?"]], "max_tokens": 12,
        ])
        #expect(status == 200, "\(String(decoding: data, as: UTF8.self))\n\(cluster.logTail(a))")
        let reply = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let agora = try #require(reply["agora"] as? [String: Any])
        let (hs, hdata) = try await cluster.get(a, "/api/health")
        #expect(hs == 200)
        let health = try #require(try JSONSerialization.jsonObject(with: hdata) as? [String: Any])
        #expect(agora["provider"] as? String == health["node_id"] as? String)
        #expect(agora["verification"] as? String == "proof-verified")
        let choices = try #require(reply["choices"] as? [[String: Any]])
        let text = (choices.first?["message"] as? [String: Any])?["content"] as? String ?? ""
        #expect(!text.isEmpty)
        let exits = await cluster.stopAll()
        #expect(exits == [0])
        let r = try await cluster.run([cluster.agora, "ledger", "verify", "--data-dir", a.dir])
        #expect(r.status == 0, "\(r.output)")
        let show = try await cluster.run([cluster.agora, "ledger", "show", "--data-dir", a.dir])
        #expect(show.output.contains("result") && show.output.contains("receipt"), "\(show.output)")
    }
}
