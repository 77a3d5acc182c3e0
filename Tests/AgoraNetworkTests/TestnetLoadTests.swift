import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue [5/5], end to end with separate processes: a 5-node network serves 50 chat
/// completions sent to one node's OpenAI-compatible API, spread over several providers, each
/// carrying a verified ledger proof; a provider SIGKILLed mid-run loses no request; every
/// node's ledger verifies afterwards.
@Suite(.serialized) struct TestnetLoadTests {
    @Test func fiftyCompletionsSurviveAKilledProvider() async throws {
        let cluster = try TestCluster()
        try cluster.start(serving: [true, true, true, true, true], verificationLevel: 0, slots: 2)
        try await cluster.waitConverged(expected: 5)
        let entry = cluster.nodes[0]
        let victim = 3
        let total = 50
        let prompts = (0..<total).map { "In one short sentence, what is \(["rain", "wind", "snow", "fog", "hail"][$0 % 5]) number \($0)?" }

        struct Outcome: Sendable { let index: Int; let status: Int; let provider: String; let verification: String; let body: String }
        var outcomes: [Outcome] = []
        try await withThrowingTaskGroup(of: Outcome.self) { group in
            var next = 0
            func launch() {
                let i = next
                next += 1
                group.addTask {
                    let (status, data) = try await cluster.post(entry, "/v1/chat/completions", json: [
                        "messages": [["role": "user", "content": prompts[i]]], "max_tokens": 12,
                    ])
                    let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
                    let agora = json?["agora"] as? [String: Any]
                    return Outcome(index: i, status: status, provider: agora?["provider"] as? String ?? "",
                                   verification: agora?["verification"] as? String ?? "",
                                   body: String(decoding: data.prefix(400), as: UTF8.self))
                }
            }
            for _ in 0..<4 { launch() }
            while let o = try await group.next() {
                outcomes.append(o)
                if outcomes.count == 12 { cluster.signal(victim, SIGKILL) }
                if next < total { launch() }
            }
        }

        let failed = outcomes.filter { $0.status != 200 }
        #expect(failed.isEmpty, "failed requests: \(failed.map { "#\($0.index) \($0.status) \($0.body)" })")
        #expect(outcomes.count == total)
        #expect(outcomes.allSatisfy { $0.verification == "proof-verified" || $0.verification == "attested-pass" })
        let providers = Set(outcomes.map(\.provider))
        #expect(providers.count >= 2, "all jobs went to \(providers)")

        _ = await cluster.stopAll()
        for n in cluster.nodes {
            let r = try await cluster.run([cluster.agora, "ledger", "verify", "--data-dir", n.dir])
            #expect(r.status == 0, "ledger verify failed on node \(n.index) (killed: \(n.index == victim)): \(r.output)")
        }
    }
}
