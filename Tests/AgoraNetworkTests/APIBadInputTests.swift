import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Issue [5/5], bad input: malformed JSON, unknown model, oversize prompt, out-of-range
/// parameters and unknown fields give OpenAI-shaped 4xx answers and the node keeps serving;
/// a second node on a used port or data directory fails with a clear message.
@Suite(.serialized) struct APIBadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let body: Data
        let status: Int
        var description: String { name }
    }

    static func json(_ object: [String: Any]) -> Data { (try? JSONSerialization.data(withJSONObject: object)) ?? Data() }
    static var user: [[String: Any]] { [["role": "user", "content": "hi"]] }

    static let cases: [Case] = [
        Case(name: "malformed JSON", body: Data("{\"messages\": [".utf8), status: 400),
        Case(name: "not an object", body: Data("[1,2,3]".utf8), status: 400),
        Case(name: "missing messages", body: json(["max_tokens": 4]), status: 400),
        Case(name: "unknown field", body: json(["messages": user, "frobnicate": true]), status: 400),
        Case(name: "max_tokens 0", body: json(["messages": user, "max_tokens": 0]), status: 400),
        Case(name: "max_tokens huge", body: json(["messages": user, "max_tokens": 10_000_000]), status: 400),
        Case(name: "temperature out of range", body: json(["messages": user, "temperature": 9.5]), status: 400),
        Case(name: "bad role", body: json(["messages": [["role": "wizard", "content": "x"]]]), status: 400),
        Case(name: "n = 99", body: json(["messages": user, "n": 99]), status: 400),
        Case(name: "oversize prompt", body: json(["messages": [["role": "user", "content": String(repeating: "a", count: 300_000)]]]), status: 400),
        Case(name: "prompt beyond the context", body: json(["messages": [["role": "user", "content": String(repeating: "a b ", count: 10_000)]]]), status: 400),
        Case(name: "body over 1 MiB", body: Data(repeating: 0x20, count: 1_100_000), status: 413),
        Case(name: "unknown model", body: json(["messages": user, "model": "gpt-17-ultra", "max_tokens": 4]), status: 404),
        // Carried options out of their ranges.
        Case(name: "nine stop sequences", body: json(["messages": user, "stop": (1...9).map(String.init)]), status: 400),
        Case(name: "an empty stop sequence", body: json(["messages": user, "stop": ""]), status: 400),
        Case(name: "presence_penalty 3", body: json(["messages": user, "presence_penalty": 3.0]), status: 400),
        Case(name: "frequency_penalty -2.5", body: json(["messages": user, "frequency_penalty": -2.5]), status: 400),
        Case(name: "logit_bias on a word", body: json(["messages": user, "logit_bias": ["hello": 100]]), status: 400),
        Case(name: "logit_bias 500", body: json(["messages": user, "logit_bias": ["1234": 500]]), status: 400),
        Case(name: "top_logprobs 25", body: json(["messages": user, "logprobs": true, "top_logprobs": 25]), status: 400),
        Case(name: "unknown response_format", body: json(["messages": user, "response_format": ["type": "yaml"]]), status: 400),
        Case(name: "a tool without a function", body: json(["messages": user, "tools": [["type": "function"]]]), status: 400),
        Case(name: "an image content part", body: json(["messages": [["role": "user", "content": [
            ["type": "text", "text": "What is this?"], ["type": "image_url", "image_url": ["url": "https://example.com/a.png"]],
        ]]]]), status: 400),
    ]

    /// Their no-op values are fine (clients send them by default).
    static var noOps: [[String: Any]] { [
        ["messages": user, "max_tokens": 4, "stop": [String](), "presence_penalty": 0, "frequency_penalty": 0, "logit_bias": [String: Int]()],
        ["messages": user, "max_tokens": 4, "stop": NSNull(), "presence_penalty": NSNull(), "logit_bias": NSNull()],
    ] }

    @Test func badRequestsGetOpenAIErrorsAndTheNodeKeepsServing() async throws {
        let cluster = try TestCluster()
        // Two nodes: a requester does not award its own job, so a valid request needs a peer.
        try cluster.start(serving: [true, true], verificationLevel: 0)
        try await cluster.waitConverged(expected: 2)
        let node = cluster.nodes[0]
        for c in Self.cases {
            var r = URLRequest(url: URL(string: node.api + "/v1/chat/completions")!)
            r.httpMethod = "POST"
            r.httpBody = c.body
            r.setValue("application/json", forHTTPHeaderField: "Content-Type")
            let (data, response) = try await URLSession.shared.data(for: r)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            #expect(status == c.status, "\(c.name): got \(status) \(String(decoding: data.prefix(300), as: UTF8.self))")
            let body = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            let error = body?["error"] as? [String: Any]
            #expect(error?["message"] is String, "\(c.name): no OpenAI error object in \(String(decoding: data.prefix(300), as: UTF8.self))")
            #expect(error?["type"] is String, "\(c.name)")
        }
        for body in Self.noOps {
            let (status, data) = try await cluster.post(node, "/v1/chat/completions", json: body)
            #expect(status == 200, "no-op values refused: \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        for body in [["prompt": "hi", "best_of": 3], ["prompt": "hi", "suffix": "end"]] as [[String: Any]] {
            let (status, data) = try await cluster.post(node, "/v1/completions", json: body)
            let code = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any]).flatMap { $0["error"] as? [String: Any] }?["code"]
            #expect(status == 400 && code as? String == "unsupported_parameter", "\(body): \(status) \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        // Errors say what to fix, in a client's words; unknown routes answer in the same shape.
        let (typeStatus, typeData) = try await cluster.post(node, "/v1/chat/completions", json: ["messages": [["role": "user", "content": 5]]])
        let typeText = String(decoding: typeData, as: UTF8.self)
        #expect(typeStatus == 400 && typeText.contains("messages[0].content") && typeText.contains("should be"), "\(typeText)")
        let (devStatus, devData) = try await cluster.post(node, "/v1/chat/completions", json: [
            "max_tokens": 4, "messages": [["role": "developer", "content": "Answer briefly."], ["role": "user", "content": [["type": "text", "text": "hi"]]]],
        ])
        #expect(devStatus == 200, "developer role and text parts: \(String(decoding: devData.prefix(300), as: UTF8.self))")
        let (seedStatus, seedData) = try await cluster.post(node, "/v1/chat/completions", json: ["messages": Self.user, "max_tokens": 4, "seed": -1])
        #expect(seedStatus == 200, "seed -1: \(String(decoding: seedData.prefix(300), as: UTF8.self))")
        let (routeStatus, routeData) = try await cluster.get(node, "/v1/nothing-here")
        let routeCode = ((try? JSONSerialization.jsonObject(with: routeData)) as? [String: Any]).flatMap { $0["error"] as? [String: Any] }?["code"]
        #expect(routeStatus == 404 && routeCode as? String == "unknown_route", "\(String(decoding: routeData, as: UTF8.self))")
        let (_, listData) = try await cluster.get(node, "/v1/models")
        let listed = (((try? JSONSerialization.jsonObject(with: listData)) as? [String: Any])?["data"] as? [[String: Any]])?.first?["id"] as? String
        let name = try #require(listed)
        let escaped = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name
        let (oneStatus, oneData) = try await cluster.get(node, "/v1/models/" + escaped)
        #expect(oneStatus == 200 && String(decoding: oneData, as: UTF8.self).contains(name), "\(String(decoding: oneData, as: UTF8.self))")
        #expect(try await cluster.get(node, "/v1/models/gpt-17-ultra").0 == 404)
        // An unknown model's 404 names the models that are served.
        let (unknownStatus, unknownData) = try await cluster.post(node, "/v1/chat/completions",
                                                                  json: ["messages": Self.user, "model": "gpt-17-ultra", "max_tokens": 4])
        #expect(unknownStatus == 404 && String(decoding: unknownData, as: UTF8.self).contains(name),
                "\(String(decoding: unknownData, as: UTF8.self))")
        // Still serving: a valid request succeeds.
        let (status, data) = try await cluster.post(node, "/v1/chat/completions", json: ["messages": Self.user, "max_tokens": 4])
        #expect(status == 200, "\(String(decoding: data, as: UTF8.self))")

        // A second node on the same data directory, and one on a used port, fail clearly.
        let sameDir = try await cluster.run([cluster.agora, "node", "--data-dir", node.dir, "--port", "\(node.port + 50)",
                                       "--http-port", "0"])
        #expect(sameDir.status != 0)
        #expect(sameDir.output.contains("already running"), "\(sameDir.output)")
        let other = cluster.root + "/other"
        _ = try await cluster.run([cluster.agora, "init", "--data-dir", other])
        let usedPort = try await cluster.run([cluster.agora, "node", "--data-dir", other, "--port", "\(node.port)", "--http-port", "0"])
        #expect(usedPort.status != 0)
        #expect(usedPort.output.contains("\(node.port)") && usedPort.output.lowercased().contains("in use"), "\(usedPort.output)")
        let usedHTTP = try await cluster.run([cluster.agora, "node", "--data-dir", other, "--port", "\(node.port + 60)",
                                              "--http-port", "\(node.httpPort)", "--no-serve"])
        #expect(usedHTTP.status != 0)
        #expect(usedHTTP.output.contains("HTTP API") && usedHTTP.output.contains("\(node.httpPort): the port is in use"), "\(usedHTTP.output)")
        _ = await cluster.stopAll()
    }
}
