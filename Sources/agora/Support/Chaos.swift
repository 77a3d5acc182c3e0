import AgoraAPI
import AgoraCrypto
import AgoraLedger
import AgoraMarket
import AgoraNode
import AsyncHTTPClient
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `agora testnet chaos`: starts a testnet of real node processes laid out by a `ChaosPlan`
/// (some of them byzantine), sends its load through the gateways while its faults happen,
/// watches every node's view (who is dead, whom it excludes), then reads every ledger and
/// verifies it, and reports (`ChaosReport`).
struct ChaosRun {
    let plan: ChaosPlan
    let net: Testnet
    /// The client of the watch and the ledger reads (the load has its own).
    let probes: HTTPClient

    /// What the clients saw of one request.
    struct ClientResult: Sendable {
        var served: LoadOutcome?
        var attempts: Int
        var lastFailure: String?
    }

    /// Runs the plan (the testnet must be down: it is started here, and stopped at the end
    /// unless `keep`).
    func run(keep: Bool) async throws -> ChaosReport {
        let applied = ChaosLog()
        let log: @Sendable (String) -> Void = { line in
            Stderr.line("chaos: " + line)
            applied.append(line)
        }
        try await net.up(timeout: 240, summary: false)
        let ids = try await nodeIDs()
        // Liars are judged by what validators catch; attackers of the protocol around honest
        // results by the guarantees every honest node keeps meanwhile.
        let byzantine = plan.byzantineNodes.filter { Misbehaviour(rawValue: $0.value)?.liesAboutResults ?? true }
        let attackers = plan.byzantineNodes.filter { byzantine[$0.key] == nil }
        let honestObservers = (0..<plan.nodes).filter { plan.byzantineNodes[$0] == nil }
        let before = await views(of: Array(0..<plan.nodes))

        let clock = ContinuousClock()
        let started = clock.now
        let startedUnixMs = Int64(Date().timeIntervalSince1970 * 1000)
        @Sendable func elapsed() -> Double { ChaosRun.seconds(started.duration(to: ContinuousClock.now)) }
        let watch = ChaosWatch(ids: ids, byzantine: Set(byzantine.keys), honest: honestObservers)
        let stopWatching = ChaosFlag()
        let faults = ChaosFaults(plan: plan, net: net, log: log)

        let tokenRange = TokenRange(parsing: plan.maxTokens) ?? TokenRange(exactly: 32)
        let requests = try LoadPlan.make(requests: plan.jobs, maxTokens: tokenRange, streamShare: 0, disconnects: 0, seed: plan.seed)
        let client = LoadRun.makeClient(connections: plan.concurrency * plan.gateways.count + 8)
        let loads = plan.gateways.map { g in
            LoadRun(endpoint: net.apiURL(g) + "/v1/chat/completions", model: "default",
                    prompt: "Write one short sentence about the sea.", numbered: true, temperature: 0, timeout: 300,
                    apiKey: net.client(g).apiKey, concurrency: 1)
        }
        Stderr.line("chaos: \(plan.jobs) requests at concurrency \(plan.concurrency) through gateways \(plan.gateways), \(plan.faults.count) faults")
        let results: [ClientResult] = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let debug = ProcessInfo.processInfo.environment["AGORA_CHAOS_DEBUG"] != nil
                while !stopWatching.isSet {
                    let now = elapsed()
                    // A stopped or cut-off node cannot answer: it is not asked (requests to it
                    // would pile up on its connections until it resumes).
                    let away = faults.paused
                    let views = await self.views(of: (0..<self.plan.nodes).filter { !away.contains($0) }, timeout: 1)
                    let note = await watch.observe(views, at: now, paused: faults.paused, kills: faults.kills)
                    if debug { Stderr.line(String(format: "chaos: watch %.1f s (took %.1f s): %@", now, elapsed() - now, note)) }
                    try? await Task.sleep(nanoseconds: 500_000_000)
                }
            }
            async let faultsDone: Void = faults.run(since: started)
            let load = await self.send(requests, loads: loads, client: client)
            // The watch goes on until the last fault is undone (a kill late in the schedule
            // is still measured).
            await faultsDone
            stopWatching.set()
            await group.waitForAll()
            return load
        }
        let wall = elapsed()
        // Let the last checks, receipts and gossip settle, then read the views again.
        try? await Task.sleep(for: .seconds(8))
        let after = await views(of: Array(0..<plan.nodes))
        let ledgers = await readLedgers(ids: ids)
        try? await client.shutdown()

        // Stop every node, then check every ledger on disk.
        try await net.down()
        var verified = 0
        for i in 0..<plan.nodes {
            let (code, out) = try Spawn.run(Spawn.selfExecutable, ["ledger", "verify", "--data-dir", net.dataDirectory(i)])
            if code == 0 { verified += 1 } else { log("node \(i): ledger verify failed: \(out.prefix(300))") }
        }
        if keep { Stderr.line("chaos: the run's data directories are kept in \(net.config.runDirectory)") }

        let honestProviders = Set(plan.honestProviders.compactMap { ids[$0] })
        let byzantineIDs = Set(byzantine.keys.compactMap { ids[$0] })
        let facts = ChaosLedgerFacts(ledgers: ledgers, byzantine: byzantineIDs, honest: honestProviders,
                                     attackers: Set(attackers.keys.compactMap { ids[$0] }),
                                     honestCheckers: Set(byzantine.filter { !(Misbehaviour(rawValue: $0.value)?.substitutesWeights ?? true) }
                                                        .keys.compactMap { ids[$0] }))
        var penalised = Set<PublicKey>()
        for o in honestObservers {
            for p in honestProviders {
                guard let b = before[o]?[p]?.reputation, let a = after[o]?[p]?.reputation else { continue }
                if a < b - 0.05 {
                    penalised.insert(p)
                    log("node \(o)'s reputation of \(p.short) fell from \(String(format: "%.2f", b)) to \(String(format: "%.2f", a))")
                }
            }
        }
        var excludedEverywhere = 0
        for b in byzantineIDs {
            let views = honestObservers.compactMap { after[$0]?[b]?.reputation }
            if !views.isEmpty, views.allSatisfy({ $0 < 0.3 }) { excludedEverywhere += 1 }
        }
        let served = results.compactMap(\.served)
        var verifications: [String: Int] = [:]
        for s in served { verifications[s.agora?.verification ?? "none", default: 0] += 1 }
        let wanted = (plan.verificationLevel ?? 1) > 0 ? "attested-pass" : "proof-verified"
        var failed: [String: Int] = [:]
        for r in results where r.served == nil { failed[r.lastFailure ?? "unknown", default: 0] += 1 }
        let delivered = served.filter { s in s.agora?.provider.map { p in byzantineIDs.contains { $0.hex == p } } ?? false }.count
        var attackerServed: [String: Int] = [:]
        for (i, mode) in attackers {
            let hex = ids[i]?.hex
            attackerServed[mode, default: 0] += served.filter { $0.agora?.provider == hex }.count
        }
        // How long each byzantine node lied to users before every honest node excluded it:
        // from its first result for an honest requester (its own ledger's time; results for the
        // flooding attacker's jobs do not count) to the exclusion the watch saw.
        var exclusion: [Int: Double] = [:]
        let liars = byzantineIDs.union(attackers.keys.compactMap { ids[$0] })
        for (b, at) in await watch.exclusionSeconds.sorted(by: { $0.key < $1.key }) {
            guard let id = ids[b] else { continue }
            let forUsers = (ledgers[id] ?? []).filter { e in
                guard e.kind == .result, let r = try? Market.ResultRecord(wireBytes: e.body) else { return false }
                return !liars.contains(r.requester)
            }
            guard let first = forUsers.map(\.time).min() else {
                Stderr.line(String(format: "chaos: node %d excluded everywhere %.1f s after the start, having served no honest requester", b, at))
                continue
            }
            exclusion[b] = max(0, Double(startedUnixMs) / 1000 + at - Double(first) / 1000)
            Stderr.line(String(format: "chaos: node %d excluded everywhere %.1f s after its first result for an honest requester",
                               b, exclusion[b] ?? 0))
        }
        let detections = await watch.deadDetections
        var report = ChaosReport(
            nodes: plan.nodes, submitted: plan.jobs, served: served.count, verified: verifications[wanted] ?? 0,
            verifications: verifications, retried: results.filter { $0.attempts > 1 }.count, failed: failed,
            paidTwice: facts.paidTwice, falseRejections: facts.falseRejections, honestPenalised: penalised.count,
            byzantineResults: facts.byzantineResults, byzantineDetected: facts.byzantineDetected, byzantinePaid: facts.byzantinePaid,
            byzantineDelivered: delivered, byzantineExcluded: excludedEverywhere, byzantineNodes: byzantineIDs.count,
            exclusionSecondsMax: byzantineIDs.isEmpty ? nil : exclusion.values.max() ?? nil,
            deadDetectionSeconds: detections, ledgersVerified: verified, unpaidResults: facts.unpaidResults,
            faults: applied.lines, wallSeconds: wall)
        report.attackers = attackerServed
        report.byzantineAccusations = facts.byzantineAccusations
        report.attackerJobLies = facts.attackerJobLies
        report.attackerJobLiesCaught = facts.attackerJobLiesCaught
        for u in facts.uncaught { log("byzantine result not caught: \(u)") }
        for u in facts.paidByzantine { log("byzantine result paid: \(u)") }
        return report
    }

    /// Sends every request, each through the gateways in turn until one serves it or its
    /// time (`plan.requestTimeout`) runs out.
    private func send(_ requests: [LoadRequestPlan], loads: [LoadRun], client: HTTPClient) async -> [ClientResult] {
        let counter = RequestCounter(limit: requests.count)
        let timeout = plan.requestTimeout
        let all = await withTaskGroup(of: [(Int, ClientResult)].self) { group in
            for _ in 0..<min(plan.concurrency, requests.count) {
                group.addTask {
                    var mine: [(Int, ClientResult)] = []
                    while let i = counter.take() {
                        let deadline = Date().addingTimeInterval(timeout)
                        var r = ClientResult(served: nil, attempts: 0, lastFailure: nil)
                        while r.served == nil, Date() < deadline {
                            let load = loads[(i + r.attempts) % loads.count]
                            let outcome = await load.send(requests[i], client: client)
                            r.attempts += 1
                            if outcome.result == .served { r.served = outcome; break }
                            r.lastFailure = Self.failureName(outcome.result)
                            let wait = outcome.retryAfter.flatMap(Double.init).map { min($0, 5) } ?? 1
                            try? await Task.sleep(for: .seconds(wait))
                        }
                        mine.append((i, r))
                    }
                    return mine
                }
            }
            var out: [(Int, ClientResult)] = []
            for await part in group { out += part }
            return out
        }
        return all.sorted { $0.0 < $1.0 }.map(\.1)
    }

    static func failureName(_ r: LoadOutcome.Result) -> String {
        switch r {
        case .served: return "served"
        case .disconnected: return "disconnected"
        case .httpStatus(let s): return "http \(s)"
        case .transportError(let k): return k
        case .streamError(let k): return "stream: \(k)"
        case .invalidResponse(let k): return "invalid: \(k)"
        }
    }

    /// Every node's id, read from its API.
    private func nodeIDs() async throws -> [Int: PublicKey] {
        var ids: [Int: PublicKey] = [:]
        for i in 0..<plan.nodes {
            let r = try await net.client(i, timeout: 5).get("/api/health")
            let h = try JSONDecoder().decode(HealthView.self, from: r.1)
            guard let key = try? PublicKey(bytes: Hex.decode(h.nodeID)) else {
                throw Testnet.Failure(description: "node \(i) reports a bad node id \(h.nodeID)")
            }
            ids[i] = key
        }
        return ids
    }

    /// What each node (that answers within `timeout` s) sees of every member: state and reputation.
    func views(of nodes: [Int], timeout: TimeInterval = 5) async -> [Int: [PublicKey: PeerView]] {
        await withTaskGroup(of: (Int, [PublicKey: PeerView]?).self) { group in
            for i in nodes {
                group.addTask {
                    guard let body = await self.get(i, "/api/peers", timeout: timeout),
                          let peers = try? JSONDecoder().decode([PeerView].self, from: body) else { return (i, nil) }
                    var out: [PublicKey: PeerView] = [:]
                    for p in peers where !p.isSelf {
                        if let key = try? PublicKey(bytes: Hex.decode(p.nodeID)) { out[key] = p }
                    }
                    return (i, out)
                }
            }
            var all: [Int: [PublicKey: PeerView]] = [:]
            for await (i, v) in group { if let v { all[i] = v } }
            return all
        }
    }

    /// GETs `path` from node `i`'s API with the run's probe client (AsyncHTTPClient: its
    /// deadline holds against a stopped node that accepts the connection and never answers);
    /// nil on any failure or a status other than 200.
    func get(_ i: Int, _ path: String, timeout: TimeInterval) async -> Data? {
        var request = HTTPClientRequest(url: net.apiURL(i) + path)
        if let key = net.client(i).apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        guard let response = try? await probes.execute(request, timeout: .milliseconds(Int64(timeout * 1000))),
              response.status.code == 200,
              let body = try? await response.body.collect(upTo: 64 << 20) else { return nil }
        return Data(body.readableBytesView)
    }

    /// Every node's ledger entries, read through its API.
    private func readLedgers(ids: [Int: PublicKey]) async -> [PublicKey: [LedgerEntry]] {
        var out: [PublicKey: [LedgerEntry]] = [:]
        for i in 0..<plan.nodes {
            guard let id = ids[i] else { continue }
            var entries: [LedgerEntry] = []
            var from: UInt64 = 0
            while let body = await get(i, "/api/ledger/entries?from=\(from)&limit=1000", timeout: 30),
                  let page = try? JSONDecoder().decode([LedgerEntryView].self, from: body), !page.isEmpty {
                for v in page {
                    if let bytes = try? Hex.decode(v.bytes), let e = try? LedgerEntry(bytes: bytes) { entries.append(e) }
                }
                from = (page.last?.seq ?? from) + 1
                if page.count < 1000 { break }
            }
            out[id] = entries
        }
        return out
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
