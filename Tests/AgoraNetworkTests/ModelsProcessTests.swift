import Foundation
import Testing

/// Issue [3/5], real processes: several models per node and per network. The second and third
/// models are real GGUF files made from the default one by renaming it in its metadata
/// (`general.basename`), so they have their own model ids and names at no download cost;
/// `scripts/models-testnet` runs the same with Qwen2.5-Coder (BENCHMARKS.md).
@Suite(.serialized) struct ModelsProcessTests {
    /// The default model with `general.basename` "smollm2" replaced by `basename` (7 bytes):
    /// a different file, so a different model id and name, with the same weights.
    static func variant(_ basename: String, in dir: String) throws -> String {
        precondition(basename.utf8.count == 7)
        let source = ProcessInfo.processInfo.environment["AGORA_MODEL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? NSHomeDirectory() + "/.cache/agora/models/SmolLM2-135M-Instruct.Q4_1.gguf"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        // key "general.basename" (u64 length, bytes), type 8 (string, u32), value length 7 (u64), "smollm2"
        var pattern = Data("general.basename".utf8)
        pattern.append(contentsOf: [8, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0])
        pattern.append(contentsOf: Array("smollm2".utf8))
        guard let range = bytes.range(of: pattern, in: 0..<min(bytes.count, 1 << 20)) else {
            throw TestCluster.Failure("general.basename smollm2 not found in \(source)")
        }
        bytes.replaceSubrange((range.upperBound - 7)..<range.upperBound, with: Array(basename.utf8))
        let path = dir + "/\(basename)-Instruct.Q4_1.gguf"
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    static func models(_ cluster: TestCluster, _ node: TestCluster.Node) async -> [String: Int] {
        guard let (status, data) = try? await cluster.get(node, "/v1/models"), status == 200,
              let list = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["data"] as? [[String: Any]] else { return [:] }
        var out: [String: Int] = [:]
        for m in list {
            if let id = m["id"] as? String { out[id] = (m["agora"] as? [String: Any])?["providers"] as? Int ?? 0 }
        }
        return out
    }

    /// Waits until every node lists exactly `want` (name → serving nodes); returns the seconds it took.
    static func waitListed(_ cluster: TestCluster, _ want: [String: Int], timeout: Double = 20) async throws -> Double {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            var all = true
            for n in cluster.nodes where await models(cluster, n) != want { all = false; break }
            if all { return Date().timeIntervalSince(start) }
            try await Task.sleep(for: .milliseconds(100))
        }
        var seen: [String] = []
        for n in cluster.nodes { seen.append("node \(n.index): \(await models(cluster, n))") }
        throw TestCluster.Failure("not every node lists \(want) after \(timeout) s: \(seen.joined(separator: "; "))")
    }

    /// A process's resident set, KiB.
    static func rssKiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    static func chat(_ cluster: TestCluster, _ node: TestCluster.Node, model: String, maxTokens: Int = 8) async throws
        -> (status: Int, body: [String: Any]) {
        let (status, data) = try await cluster.post(node, "/v1/chat/completions", json: [
            "model": model, "messages": [["role": "user", "content": "Name a colour."]], "max_tokens": maxTokens])
        return (status, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
    }

    @Test func modelsAreNamedRoutedVerifiedAddedAndRemoved() async throws {
        let cluster = try TestCluster()
        let a = try Self.variant("smolvaa", in: cluster.root)
        let b = try Self.variant("smolvab", in: cluster.root)
        let base = ProcessInfo.processInfo.environment["AGORA_MODEL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? NSHomeDirectory() + "/.cache/agora/models/SmolLM2-135M-Instruct.Q4_1.gguf"
        // Node 0: gateway. Node 1: the default model and variant a. Node 2: the default model
        // only, with a memory budget that holds two models but not three.
        try cluster.start(serving: [false, true, true], verificationLevel: 1,
                          node: [1: ["models": [base, a]], 2: ["models": [base], "memory": "1100M"]])
        try await cluster.waitConverged(expected: 3)
        let smol = "smollm2:135m-instruct-q4_1", va = "smolvaa:135m-instruct-q4_1"
        _ = try await Self.waitListed(cluster, [smol: 2, va: 1], timeout: 10)

        // Jobs go to nodes serving their model: the default model by alias, variant a by name.
        let gateway = cluster.nodes[0]
        for model in ["smollm2", "default", smol] {
            let r = try await Self.chat(cluster, gateway, model: model)
            #expect(r.status == 200, "\(r.body)\n\(cluster.logTail(gateway))")
            #expect(r.body["model"] as? String == smol)
            #expect((r.body["agora"] as? [String: Any])?["verification"] as? String == "attested-pass")
        }
        // Served by one node only, a job of variant a could not be checked at level 1: 503 at once.
        let onlyOne = try await Self.chat(cluster, gateway, model: va)
        #expect(onlyOne.status == 503, "\(onlyOne.body)")
        #expect((onlyOne.body["error"] as? [String: Any])?["code"] as? String == "too_few_validators", "\(onlyOne.body)")

        // Unknown model: 404 with the names served.
        let unknown = try await Self.chat(cluster, gateway, model: "llama-9000")
        #expect(unknown.status == 404)
        let message = ((unknown.body["error"] as? [String: Any])?["message"] as? String) ?? ""
        #expect(message.contains(smol) && message.contains(va), "\(message)")

        // Added at runtime (CLI) to node 2: listed on every node within 5 s; its jobs are then
        // served and attested by the other node of the same model id.
        let add = try await cluster.run([cluster.agora, "models", "add", a, "--api", cluster.nodes[2].api])
        #expect(add.status == 0, "\(add.output)\n\(cluster.logTail(cluster.nodes[2]))")
        let listedIn = try await Self.waitListed(cluster, [smol: 2, va: 2], timeout: 5)
        print("variant a listed on every node \(String(format: "%.2f", listedIn)) s after `agora models add` returned")
        var providers: Set<String> = []
        for _ in 0..<4 {
            let r = try await Self.chat(cluster, gateway, model: va)
            #expect(r.status == 200, "\(r.body)")
            let info = r.body["agora"] as? [String: Any] ?? [:]
            #expect(info["verification"] as? String == "attested-pass", "\(info)")
            #expect((info["validators"] as? [String])?.count == 1)
            if let p = info["provider"] as? String { providers.insert(p) }
        }
        #expect(!providers.isEmpty)

        // The memory budget refuses a third model on node 2, naming what is loaded.
        let refused = try await cluster.run([cluster.agora, "models", "add", b, "--api", cluster.nodes[2].api])
        #expect(refused.status != 0)
        #expect(refused.output.contains("409") && refused.output.contains("memory budget") && refused.output.contains(smol),
                "\(refused.output)")

        // `agora models` shows the local and the network view.
        let list = try await cluster.run([cluster.agora, "models", "--api", cluster.nodes[2].api])
        #expect(list.status == 0 && list.output.contains(va) && list.output.contains("The network:"), "\(list.output)")

        // Removed from the node running a long job of it: it leaves every node's list within
        // 5 s, and the job still finishes there, attested by the other node.
        let long = Task {
            try await cluster.post(gateway, "/v1/chat/completions", json: [
                "model": va, "messages": [["role": "user", "content": "Tell me a long story."]], "max_tokens": 160])
        }
        var runner: TestCluster.Node?
        for _ in 0..<200 where runner == nil {
            for n in cluster.nodes.dropFirst() {
                let (_, data) = try await cluster.get(n, "/api/jobs")
                let jobs = (try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
                if jobs.contains(where: { $0["role"] as? String == "provider" && $0["state"] as? String == "running" }) { runner = n }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let running = try #require(runner, "the long job never ran")
        let rssBefore = Self.rssKiB(running.process.processIdentifier)
        let removed = try await cluster.run([cluster.agora, "models", "remove", "smolvaa", "--api", running.api])
        #expect(removed.status == 0, "\(removed.output)")
        _ = try await Self.waitListed(cluster, [smol: 2, va: 1], timeout: 5)
        let (finishedStatus, finishedBody) = try await long.value
        #expect(finishedStatus == 200, "\(String(decoding: finishedBody, as: UTF8.self))")
        let info = ((try? JSONSerialization.jsonObject(with: finishedBody) as? [String: Any])?["agora"] as? [String: Any]) ?? [:]
        #expect(info["verification"] as? String == "attested-pass", "\(info)")
        for _ in 0..<100 {
            if ((try? String(contentsOfFile: running.log, encoding: .utf8)) ?? "").contains("model removed") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(((try? String(contentsOfFile: running.log, encoding: .utf8)) ?? "").contains("model removed"))
        // Its memory is given back (weights unmapped, context and KV cache freed: ~190 MiB).
        let rssAfter = Self.rssKiB(running.process.processIdentifier)
        #expect(rssAfter + 80_000 < rssBefore, "RSS \(rssBefore) KiB before the removal, \(rssAfter) KiB after")
        // The node that dropped it still serves the default model.
        let still = try await Self.chat(cluster, gateway, model: smol)
        #expect(still.status == 200)
        let unknownRemove = try await cluster.run([cluster.agora, "models", "remove", "nope", "--api", running.api])
        #expect(unknownRemove.status != 0 && unknownRemove.output.contains("404"), "\(unknownRemove.output)")

        let exits = await cluster.stopAll()
        #expect(exits.allSatisfy { $0 == 0 }, "exit codes \(exits)\n\(cluster.exitReport(exits))")
    }
}
