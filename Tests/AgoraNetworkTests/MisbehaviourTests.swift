import Foundation
import Testing

/// Issue [2/5], must-show 2, and [4/5], real: a provider that returns a wrong stop point,
/// altered logprobs, output outside the job's grammar, a replaced token or a truncated output
/// (a byzantine node, `agora-byzantine --mode`) wins the award with
/// the lowest price, and the other provider, validating, catches it; the job goes to the honest
/// provider and the client still gets a correct, attested answer.
@Suite(.serialized) struct MisbehaviourTests {
    static func job(_ lie: String) -> [String: Any]? {
        let jobs: [String: [String: Any]] = [
        "ignore-stop": ["messages": [["role": "user", "content": "List three colours, one per line."]], "stop": ["\n"],
                        "max_tokens": 24],
        "alter-logprobs": ["messages": [["role": "user", "content": "Name a fruit."]], "logprobs": true, "top_logprobs": 3,
                           "max_tokens": 8],
        "ignore-grammar": ["messages": [["role": "user", "content": "Say hello."]], "max_tokens": 24,
                           "response_format": ["type": "json_schema", "json_schema": ["name": "ok", "schema": [
                               "type": "object", "properties": ["ok": ["type": "boolean"]], "required": ["ok"]]]]],
        "alter-token": ["messages": [["role": "user", "content": "Describe the sea in one sentence."]], "max_tokens": 16],
        "truncate": ["messages": [["role": "user", "content": "Describe a forest in one sentence."]], "max_tokens": 16],
        "resample": ["messages": [["role": "user", "content": "Describe a mountain in one sentence."]], "max_tokens": 16],
        ]
        return jobs[lie]
    }

    @Test(arguments: ["ignore-stop", "alter-logprobs", "ignore-grammar", "alter-token", "truncate", "resample"])
    func aLyingProviderIsCaughtByItsValidator(_ lie: String) async throws {
        let cluster = try TestCluster()
        try cluster.start(serving: [false, true, true], verificationLevel: 1,
                          node: [2: ["misbehaviour": lie, "pricePer1kTokens": 1]])
        try await cluster.waitConverged(expected: 3)
        let a = cluster.nodes[0]
        // Both providers' records (with their prices) must have reached the requester.
        for _ in 0..<120 {
            let (_, models) = try await cluster.get(a, "/v1/models")
            let data = (try? JSONSerialization.jsonObject(with: models) as? [String: Any])?["data"] as? [[String: Any]]
            if (data?.first?["agora"] as? [String: Any])?["providers"] as? Int == 2 { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        let job = try #require(Self.job(lie))
        // The cheapest bid usually wins; a few jobs make sure the liar gets one.
        var caught = false
        for _ in 0..<8 where !caught {
            let (status, data) = try await cluster.post(a, "/v1/chat/completions", json: job)
            #expect(status == 200, "\(String(decoding: data, as: UTF8.self))\n\(cluster.logTail(a))")
            let reply = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let choice = try #require((reply["choices"] as? [[String: Any]])?.first)
            let text = try #require((choice["message"] as? [String: Any])?["content"] as? String)
            let agora = try #require(reply["agora"] as? [String: Any])
            #expect(agora["verification"] as? String == "attested-pass")
            switch lie {
            case "ignore-stop": #expect(!text.contains("\n"), "\(text)")
            case "ignore-grammar": #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any], "\(text)")
            case "alter-token", "truncate", "resample": #expect(!text.isEmpty)
            default: #expect(((choice["logprobs"] as? [String: Any])?["content"] as? [Any])?.isEmpty == false)
            }
            let log = (try? String(contentsOfFile: a.dir + "/node.log", encoding: .utf8)) ?? ""
            caught = log.contains("a validator caught a provider returning a wrong result")
            if caught { #expect(agora["attempts"] as? Int ?? 0 >= 1, "the job went to the honest provider after the liar: \(agora)") }
        }
        #expect(caught, "the lying provider was never caught:\n\(cluster.logTail(a))")
        let exits = await cluster.stopAll()
        #expect(exits.allSatisfy { $0 == 0 }, "exit codes \(exits)\n\(cluster.exitReport(exits))")
    }
}
