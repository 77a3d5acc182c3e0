import Foundation
import Testing

/// Issue [5/5]: the dashboard, opened in headless Chromium, shows the network's peers and
/// its jobs. The test reads the rendered DOM and keeps a screenshot beside the nodes' data.
@Suite(.serialized) struct DashboardTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: chromium != nil, "needs Debian's chromium (scripts/bootstrap installs it)"))
    func dashboardShowsPeersAndJobs() async throws {
        let browser = try #require(Self.chromium)
        let cluster = try TestCluster()
        try cluster.start(serving: [true, true], verificationLevel: 0)
        try await cluster.waitConverged(expected: 2)
        let node = cluster.nodes[0]
        let (status, data) = try await cluster.post(node, "/v1/chat/completions", json: [
            "messages": [["role": "user", "content": "Say hi."]], "max_tokens": 4,
        ])
        #expect(status == 200, "\(String(decoding: data, as: UTF8.self))")
        let reply = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let jobID = try #require((reply["agora"] as? [String: Any])?["job_id"] as? String)

        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                      "--virtual-time-budget=6000", "--user-data-dir=\(cluster.root)/chromium"]
        let dom = try await cluster.run([browser] + common + ["--dump-dom", node.api + "/"])
        #expect(dom.status == 0, "chromium failed: \(dom.output.suffix(500))")
        let html = dom.output
        var ids: [String] = []
        for n in cluster.nodes {
            let (_, h) = try await cluster.get(n, "/api/health")
            let health = try #require(try JSONSerialization.jsonObject(with: h) as? [String: Any])
            ids.append(try #require(health["node_id"] as? String))
        }
        for id in ids { #expect(html.contains(String(id.prefix(8))), "peer \(id.prefix(8)) not on the page") }
        #expect(html.contains(String(jobID.prefix(8))), "job \(jobID.prefix(8)) not on the page")
        #expect(html.contains("requester"))
        #expect(html.contains("<div id=\"err\"></div>"), "the dashboard reported an error")

        let shot = NSTemporaryDirectory() + "agora-dashboard.png"  // kept after the cluster's directory is removed
        let s = try await cluster.run([browser] + common + ["--window-size=1280,900", "--screenshot=\(shot)", node.api + "/"])
        #expect(s.status == 0)
        let png = FileManager.default.contents(atPath: shot) ?? Data()
        #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "no screenshot at \(shot)")
        print("dashboard screenshot kept at \(shot)")
        _ = await cluster.stopAll()
    }
}
