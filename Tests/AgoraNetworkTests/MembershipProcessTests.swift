import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue [3/5], real sockets: five nodes as separate OS processes converge over UDP gossip
/// and TCP push-pull, detect a killed node, and a restarted process rejoins with a higher
/// incarnation. The nodes serve no model, so this runs in seconds.
@Suite(.serialized) struct MembershipProcessTests {
    func members(_ cluster: TestCluster, _ node: TestCluster.Node) async -> [[String: Any]] {
        guard let (status, data) = try? await cluster.get(node, "/api/peers"), status == 200 else { return [] }
        return (try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
    }

    @Test func fiveProcessesConvergeDetectACrashAndReadmitARestart() async throws {
        let cluster = try TestCluster()
        try cluster.start(serving: [false, false, false, false, false], verificationLevel: 0)
        try await cluster.waitConverged(expected: 5, timeout: 60)
        let victim = cluster.nodes[4]
        let before = await members(cluster, victim).first { $0["self"] as? Bool == true }
        let victimID = try #require(before?["node_id"] as? String)
        let oldIncarnation = try #require(before?["incarnation"] as? Int)

        cluster.signal(4, SIGKILL)
        let killedAt = Date()
        var detected = false
        while Date().timeIntervalSince(killedAt) < 30, !detected {
            try await Task.sleep(nanoseconds: 250_000_000)
            var all = true
            for n in cluster.nodes.prefix(4) {
                let view = await members(cluster, n).first { $0["node_id"] as? String == victimID }
                if let state = view?["state"] as? String, state == "dead" { continue }
                if view == nil { continue }  // already reaped
                all = false
            }
            detected = all
        }
        #expect(detected, "the killed node was not declared dead everywhere within 30 s")
        let detection = Date().timeIntervalSince(killedAt)
        print("killed node declared dead by all 4 survivors after \(String(format: "%.1f", detection)) s")

        // Restart the same data directory: it rejoins with a higher incarnation.
        try await Task.sleep(nanoseconds: 1_100_000_000)
        try cluster.restart(4)
        try await cluster.waitConverged(expected: 5, timeout: 60)
        let after = await members(cluster, cluster.nodes[0]).first { $0["node_id"] as? String == victimID }
        let newIncarnation = try #require(after?["incarnation"] as? Int)
        #expect(after?["state"] as? String == "alive")
        #expect(newIncarnation > oldIncarnation, "incarnation \(newIncarnation) after restart, \(oldIncarnation) before")
        let exits = await cluster.stopAll()
        #expect(exits.allSatisfy { $0 == 0 }, "exit codes \(exits)\n\(cluster.exitReport(exits))")
    }
}
