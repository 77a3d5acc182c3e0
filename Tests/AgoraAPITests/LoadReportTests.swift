import AgoraAPI
import Foundation
import Testing

@Suite("agora bench load: report")
struct LoadReportTests {
    static let settings = LoadSettings(
        endpoint: "http://127.0.0.1:8710/v1/chat/completions", model: "default", requests: 8, concurrency: 2,
        maxTokens: "16-64", streamShare: 0.5, streamed: 4, disconnect: 1, seed: 1, temperature: 0, timeoutSeconds: 600)

    static let outcomes: [LoadOutcome] = [
        LoadOutcome(index: 0, streamed: false, result: .served, latencyMs: 100, completionTokens: 10,
                    agora: AgoraJobSummary(provider: "aaaa", verification: "attested-pass")),
        LoadOutcome(index: 1, streamed: false, result: .served, latencyMs: 300, completionTokens: 20,
                    agora: AgoraJobSummary(provider: "bbbb", verification: "proof-verified")),
        LoadOutcome(index: 2, streamed: true, result: .served, latencyMs: 200, ttftMs: 50, completionTokens: 30,
                    agora: AgoraJobSummary(provider: "aaaa", verification: "attested-pass")),
        LoadOutcome(index: 3, streamed: true, result: .disconnected, latencyMs: 60, ttftMs: 60, completionTokens: 1),
        LoadOutcome(index: 4, streamed: false, result: .httpStatus(503), latencyMs: 5, retryAfter: "5"),
        LoadOutcome(index: 5, streamed: false, result: .httpStatus(429), latencyMs: 5),
        LoadOutcome(index: 6, streamed: false, result: .transportError("timeout"), latencyMs: 600_000),
        LoadOutcome(index: 7, streamed: true, result: .streamError("server_error"), latencyMs: 80, ttftMs: 40),
    ]

    @Test("counts, tallies, percentiles and throughput")
    func summary() {
        let r = LoadReport(settings: Self.settings, outcomes: Self.outcomes, wallSeconds: 2)
        #expect(r.sent == 8 && r.served == 3 && r.failed == 4 && r.disconnected == 1)
        #expect(r.failedByStatus == ["503": 1, "429": 1])
        #expect(r.failedByError == ["transport: timeout": 1, "stream error: server_error": 1])
        #expect(r.latencyMs.count == 3 && r.latencyMs.p50 == 200 && r.latencyMs.p99 == 300)
        #expect(r.ttftMs.count == 3 && r.ttftMs.p50 == 50)
        #expect(r.completionTokens == 60 && r.tokensPerSecond == 30)
        #expect(r.verification == ["attested-pass": 2, "proof-verified": 1])
        #expect(r.providers == ["aaaa": 2, "bbbb": 1] && r.distinctProviders == 2)
        #expect(r.retryAfter == ["503": ["5": 1], "429": ["(none)": 1]])
        #expect(r.nodes == nil)
    }

    @Test("where served jobs' time went, from their agora.timings")
    func timings() throws {
        let t = { (a: UInt64, q: UInt64, g: UInt64, v: UInt64) in
            AgoraJobTimings(auctionMs: a, queueAndPrefillMs: q, generationMs: g, verificationMs: v, totalMs: a + q + g + v)
        }
        let outcomes = [
            LoadOutcome(index: 0, streamed: false, result: .served, latencyMs: 100, completionTokens: 10,
                        agora: AgoraJobSummary(provider: "aaaa", timings: t(5, 100, 400, 200))),
            LoadOutcome(index: 1, streamed: false, result: .served, latencyMs: 100, completionTokens: 10,
                        agora: AgoraJobSummary(provider: "aaaa", timings: t(15, 300, 600, 0))),
            LoadOutcome(index: 2, streamed: false, result: .httpStatus(503), latencyMs: 5),
        ]
        let r = LoadReport(settings: Self.settings, outcomes: outcomes, wallSeconds: 1)
        let timings = try #require(r.timings)
        #expect(timings.auction.p50 == 5 && timings.auction.max == 15 && timings.total.count == 2)
        #expect(timings.generation.p50 == 400 && timings.verification.max == 200)
        #expect(r.text().contains("auction 5, queue+prefill 100, generation 400, verification 0"))
        #expect(LoadReport(settings: Self.settings, outcomes: Self.outcomes, wallSeconds: 2).timings == nil)
        let decoded = try JSONDecoder().decode(AgoraJobSummary.self, from: Data(#"{"provider":"p","timings":{"auction_ms":1,"queue_and_prefill_ms":2,"generation_ms":3,"verification_ms":4,"total_ms":10}}"#.utf8))
        #expect(decoded.timings == t(1, 2, 3, 4))
    }

    @Test("the text report names every figure")
    func text() {
        let text = LoadReport(settings: Self.settings, outcomes: Self.outcomes, wallSeconds: 2).text()
        for needle in ["sent 8, served 3, failed 4, disconnected 1", "HTTP 429 1, HTTP 503 1", "transport: timeout 1",
                       "2.00 s", "p50 200", "60 completion tokens, 30.0 tok/s", "attested-pass 2, proof-verified 1",
                       "2 distinct: aaaa 2, bbbb 1", "503: 5s 1", "429: (none) 1", "max_tokens 16-64"] {
            #expect(text.contains(needle), "missing \"\(needle)\" in:\n\(text)")
        }
    }

    @Test("the JSON report uses snake_case keys and round-trips")
    func json() throws {
        let r = LoadReport(settings: Self.settings, outcomes: Self.outcomes, wallSeconds: 2)
        let data = try JSONEncoder().encode(r)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["sent", "served", "failed", "disconnected", "failed_by_status", "failed_by_error", "wall_s", "latency_ms",
                    "ttft_ms", "completion_tokens", "tokens_per_s", "verification", "providers", "distinct_providers",
                    "retry_after", "settings"] {
            #expect(object[key] != nil, "missing key \(key)")
        }
        let back = try JSONDecoder().decode(LoadReport.self, from: data)
        #expect(back.served == 3 && back.latencyMs == r.latencyMs && back.settings == r.settings)
    }

    @Test("an empty run has no percentiles and no throughput")
    func empty() {
        let r = LoadReport(settings: Self.settings, outcomes: [], wallSeconds: 0)
        #expect(r.sent == 0 && r.tokensPerSecond == 0 && r.latencyMs.p50 == nil)
        #expect(r.text().contains("latency ms"))
    }
}

@Suite("agora bench load: nodes")
struct LoadNodesTests {
    static func peers(self id: String, _ others: [(String, Double)]) -> Data {
        var list: [[String: Any]] = [["node_id": id, "reputation": 1.0, "self": true, "address": "x"]]
        for (o, r) in others { list.append(["node_id": o, "reputation": r, "self": false, "state": "alive"]) }
        return (try? JSONSerialization.data(withJSONObject: list)) ?? Data()
    }

    static func jobs(_ records: [(String, String, String)]) -> Data {
        let list = records.map { ["job_id": $0.0, "role": $0.1, "verification": $0.2, "state": "attested"] }
        return (try? JSONSerialization.data(withJSONObject: list)) ?? Data()
    }

    @Test("Prometheus counters are summed over their labels")
    func prometheus() {
        let text = """
            # TYPE agora_verifications_total counter
            agora_verifications_total 12
            agora_verifications_total{check="exact"} 3 1700000000
            agora_verifications_total_other 99
            agora_jobs_served_total 4
            """
        #expect(PrometheusText.sum("agora_verifications_total", in: text) == 15)
        #expect(PrometheusText.sum("agora_missing_total", in: text) == nil)
    }

    @Test("reputation spread and minimum per member, and new failed checks")
    func report() {
        let a1 = NodeSnapshot.parse(url: "http://a", peers: Self.peers(self: "A", [("B", 1.0), ("C", 0.9)]),
                                    jobs: Self.jobs([("t1", "validator", "fail"), ("t2", "validator", "pass")]),
                                    metrics: "agora_verifications_total 10\nagora_checks_abandoned_total 1\n")
        let b1 = NodeSnapshot.parse(url: "http://b", peers: Self.peers(self: "B", [("A", 1.0), ("C", 1.0)]),
                                    jobs: Self.jobs([]), metrics: nil)
        let a2 = NodeSnapshot.parse(url: "http://a", peers: Self.peers(self: "A", [("B", 0.8), ("C", 0.9)]),
                                    jobs: Self.jobs([("t3", "validator", "fail"), ("t1", "validator", "fail"),
                                                     ("t4", "requester", "fail"), ("t2", "validator", "pass")]),
                                    metrics: "agora_verifications_total 14\nagora_checks_abandoned_total 3\n")
        let b2 = NodeSnapshot.unreachable(url: "http://b", error: "connection refused")
        #expect(a1.nodeID == "A" && a1.reputations == ["B": 1.0, "C": 0.9] && a1.failedChecks == ["t1"])
        #expect(b1.checksTotal == nil)  // /metrics not read: unknown
        let fresh = NodeSnapshot.parse(url: "http://c", peers: Self.peers(self: "C", []), jobs: nil, metrics: "# nothing yet\n")
        #expect(fresh.checksTotal == 0 && fresh.abandonedTotal == 0)  // read, counters not exported yet: zero

        let r = NodesReport(before: [a1, b1], after: [a2, b2])
        #expect(r.nodes.map(\.url) == ["http://a", "http://b"])
        #expect(r.nodes[0].checksRun == 4 && r.nodes[0].checksAbandoned == 2 && r.nodes[0].failedChecks == 1)
        #expect(r.nodes[1].errorAfter == "connection refused" && r.nodes[1].failedChecks == nil)
        #expect(r.failedChecks == 1)
        let c = r.providers.first { $0.provider == "C" }
        #expect(c?.observersBefore == 2 && c?.observersAfter == 1)
        #expect(c?.minBefore == 0.9 && c?.minAfter == 0.9)
        #expect(abs((c?.spreadBefore ?? 0) - 0.1) < 1e-9 && c?.spreadAfter == 0)
        let b = r.providers.first { $0.provider == "B" }
        #expect(b?.minBefore == 1.0 && b?.minAfter == 0.8)
        #expect(r.reputationsAfter == ["A": ["B": 0.8, "C": 0.9]])
        let text = r.text()
        #expect(text.contains("failed checks: 1") && text.contains("after: connection refused"))
    }

    @Test("a node whose /api/peers is not a peer list is reported, not fatal")
    func badPeers() {
        let s = NodeSnapshot.parse(url: "http://x", peers: Data("{}".utf8), jobs: nil, metrics: nil)
        #expect(s.error != nil)
    }
}
