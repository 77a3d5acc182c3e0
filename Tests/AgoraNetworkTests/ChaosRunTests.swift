import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue [4/5], must-show 5: the short chaos of CI, for real. `agora testnet chaos` with the
/// plan `testnet/chaos-ci.json`: 8 node processes (two gateways, two byzantine nodes of
/// different kinds), 60 requests, a provider SIGKILLed and restarted, one stopped and
/// resumed, the gateway SIGKILLed mid-request and restarted, and (as root, each node in its
/// own namespace) a partition healed under packet loss and delay. The command's own verdict
/// must be clean: nothing lost or paid twice, no honest result rejected, no honest provider
/// penalised, every byzantine result caught and every byzantine node excluded.
extension NetworkNamespaceTests {
@Suite(.serialized) struct ChaosRunTests {
    @Test func theShortChaosHoldsEveryGuarantee() async throws {
        let agora = try TestCluster.agoraExecutable()
        var repository = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { repository.deleteLastPathComponent() }
        let root = NSTemporaryDirectory() + "agora-chaos-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let base = TestCluster.freeBasePort()
        let config: [String: Any] = [
            "nodes": 8, "host": "127.0.0.1", "basePort": base, "baseHTTPPort": base + 100, "prices": [8, 10, 12, 9, 11, 13, 7, 6],
            "slots": 2, "threads": 1, "runDirectory": root + "/run",
        ]
        let configPath = root + "/testnet.json"
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        let cluster = try TestCluster()
        let netns = geteuid() == 0
        defer {
            _ = try? TestCluster.runBlocking([agora, "testnet", "down", "--config", configPath] + (netns ? ["--netns"] : []))
            try? FileManager.default.removeItem(atPath: root)
        }

        let plan = repository.appendingPathComponent("testnet/chaos-ci.json").path
        let run = try await cluster.run([agora, "testnet", "chaos", "--config", configPath, "--plan", plan, "--json"]
                                        + (netns ? ["--netns"] : []))
        let line = try #require(run.output.split(separator: "\n").last { $0.hasPrefix("{") }, "no report:\n\(run.output)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(run.status == 0, "\(run.output.suffix(4000))")
        #expect((report["problems"] as? [String])?.isEmpty == true, "\(report)")
        #expect(report["submitted"] as? Int == 60 && report["served"] as? Int == 60 && report["lost"] as? Int == 0, "\(report)")
        #expect(report["verified"] as? Int == 60, "\(report)")
        #expect(report["paid_twice"] as? Int == 0 && report["false_rejections"] as? Int == 0, "\(report)")
        #expect(report["honest_penalised"] as? Int == 0, "\(report)")
        #expect(report["byzantine_detected"] as? Int == report["byzantine_results"] as? Int, "\(report)")
        #expect(report["byzantine_excluded"] as? Int == 2, "\(report)")
        #expect(report["ledgers_verified"] as? Int == 8, "\(report)")
        let faults = (report["faults"] as? [String] ?? []).joined(separator: "\n")
        #expect(faults.contains("SIGKILL node 0") && faults.contains("restarted node 0") && faults.contains("SIGCONT"), "\(faults)")
        if netns { #expect(faults.contains("partition healed") && faults.contains("netem"), "\(faults)") }
        // Dead detection of real processes: every SIGKILL seen by every running node. (The
        // 8 s goal is measured by the release build in BENCHMARKS.md; debug builds on two busy
        // cores are given more room here.)
        let detections = report["dead_detection_s"] as? [Double] ?? []
        #expect(detections.count == 2 && detections.allSatisfy { $0 <= 15 }, "\(detections)")
    }
}
}
