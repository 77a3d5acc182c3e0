import Foundation
import Testing

/// Issue [5/5]: the API works unchanged with the official `openai` Python client from PyPI
/// (pinned and installed by `scripts/bootstrap`): models, chat, completions, streaming, and
/// an OpenAI-shaped 400, through `scripts/openai-check.py` against a two-node network.
@Suite(.serialized) struct OpenAIClientTests {
    @Test func officialOpenAIClientWorksUnchanged() async throws {
        let python = try Self.openAIPython()
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let script = root.appendingPathComponent("scripts/openai-check.py").path

        let cluster = try TestCluster()
        try cluster.start(serving: [false, true], verificationLevel: 0)
        try await cluster.waitConverged(expected: 2)
        let r = try await cluster.run([python, script, cluster.nodes[0].api + "/v1"])
        #expect(r.status == 0, "\(r.output)\n\(cluster.logTail(cluster.nodes[0]))")
        #expect(r.output.contains("openai client: all checks passed"), "\(r.output)")
        #expect(r.output.contains("stream:"), "\(r.output)")
        let exits = await cluster.stopAll()
        #expect(exits.allSatisfy { $0 == 0 }, "exit codes \(exits)\n\(cluster.exitReport(exits))")
    }

    /// Issue [2/5], must-show 1: the whole OpenAI surface (`scripts/openai-surface.py`: stop,
    /// n, logprobs, json_object, json_schema, forced tool calls, a tool result turn, streams of
    /// each, and every accepted field changing the output) through the official client, every
    /// answer checked by the other provider (`attested-pass`).
    @Test func wholeOpenAISurfaceIsServedAndAttested() async throws {
        let python = try Self.openAIPython()
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let script = root.appendingPathComponent("scripts/openai-surface.py").path

        let cluster = try TestCluster()
        try cluster.start(serving: [false, true, true], verificationLevel: 1)
        try await cluster.waitConverged(expected: 3)
        let r = try await cluster.run([python, script, cluster.nodes[0].api + "/v1", "--level=1"])
        #expect(r.status == 0, "\(r.output)\n\(cluster.logTail(cluster.nodes[0]))")
        #expect(r.output.contains("openai surface: all checks passed"), "\(r.output)")
        let exits = await cluster.stopAll()
        #expect(exits.allSatisfy { $0 == 0 }, "exit codes \(exits)\n\(cluster.exitReport(exits))")
    }

    /// The venv's Python with `openai` installed (`AGORA_OPENAI_PYTHON` from the bootstrap's env file).
    static func openAIPython() throws -> String {
        let env = ProcessInfo.processInfo.environment
        let home = env["HOME"] ?? NSHomeDirectory()
        let candidates = [env["AGORA_OPENAI_PYTHON"], (env["AGORA_CACHE"] ?? home + "/.cache/agora") + "/venv-openai-3.54.0/bin/python"]
        guard let found = candidates.compactMap({ $0 }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestCluster.Failure("the openai Python client is not installed (looked at \(candidates.compactMap { $0 })); run scripts/bootstrap")
        }
        return found
    }
}
