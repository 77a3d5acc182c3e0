import AgoraCrypto
import AgoraMarket
import Collections

extension Sim {
    /// Runs a market scenario to completion: every node is a real `Market.Instance` with an
    /// in-memory ledger; the network, executor and failure detector are simulated on a
    /// virtual clock. Deterministic: same scenario, same report (trace hash included).
    public static func runMarket(_ scenario: MarketScenario) -> MarketReport {
        var run = MarketSimulation(scenario)
        return run.run()
    }
}

/// One simulated node.
struct MarketSimNode {
    var instance: Market.Instance
    var ledger: Market.MemoryLedger
    /// The second fork of a `forkedLedger` provider's ledger, and which fork appends next.
    var fork: Market.MemoryLedger?
    var appendToFork = false
    var behaviour: Sim.ProviderBehaviour
    var crashAt: Market.Millis?
    var down = false
    var busyUntil: Market.Millis = 0
}

/// A scheduled happening on the virtual clock.
struct MarketSimEvent: Comparable {
    enum Kind {
        case deliver(from: Int, to: Int, envelope: [UInt8])
        case timer(Int, Market.Timer)
        case executed(Int, Market.JobKey, Market.ExecutionOutput)
        case generated(Int, Market.JobKey, [UInt8])
        case verified(Int, Digest, Market.Attestation.Verdict)
        case submit(Int)
        case cancel(Int)
        case refreshPeers
    }

    var at: Market.Millis
    var seq: UInt64
    var kind: Kind

    static func < (a: Self, b: Self) -> Bool { (a.at, a.seq) < (b.at, b.seq) }
    static func == (a: Self, b: Self) -> Bool { a.at == b.at && a.seq == b.seq }
}

/// A planned job.
struct MarketSimJob {
    var requester: Int
    var submitAt: Market.Millis
    var prompt: [UInt8]
    var promptTokens: UInt32
    var maxTokens: UInt32
    var jobID: Market.JobID?
    var completions = 0
    var cancelled = false
    var completedAt: Market.Millis?
    var outputCorrect = true
    /// Whether the requester asked for the output as it is generated, and what streamed.
    var stream = false
    var streamed = ""
    /// The verified output's text.
    var outputText = ""
    /// Queue wait plus execution of the latest run (the rest of its latency is the market's).
    var lastRunMillis: Market.Millis = 0
}

struct MarketSimulation {
    let scenario: Sim.MarketScenario
    var nodes: [MarketSimNode] = []
    var index: [PublicKey: Int] = [:]
    var jobs: [MarketSimJob] = []
    var jobIndex: [Market.JobKey: Int] = [:]
    var queue = Heap<MarketSimEvent>()
    var seq: UInt64 = 0
    var now: Market.Millis = 0
    var random: Market.Random
    var trace = Digest.zero
    var report: Sim.MarketReport
    var runsByNode: [Int: [Market.Millis]] = [:]
    var caughtAt: [Int: Market.Millis] = [:]
    var submittedSoFar = 0

    init(_ s: Sim.MarketScenario) {
        scenario = s
        var seedBytes = Array("agora-market-sim".utf8)
        for k in 0..<8 { seedBytes.append(UInt8((s.seed >> UInt64(56 - 8 * k)) & 0xff)) }
        random = Market.Random(seed: seedBytes)
        report = Sim.MarketReport(seed: s.seed)
        report.nodes = s.nodes
        report.jobs = s.jobs
        report.verificationLevel = s.verificationLevel
        report.spotCheckRate = s.spotCheckRate
        build()
    }

    /// Creates the nodes (cheaters first after node 0, crashers after them) and the job plan.
    private mutating func build() {
        let s = scenario
        let cheaterSlots = Array(1...max(1, s.cheaters.count)).prefix(s.cheaters.count)
        let crashCount = Int((Double(s.nodes) * s.crashFraction).rounded())
        let crashSlots = Array((s.cheaters.count + 1)..<(s.cheaters.count + 1 + crashCount))
        for i in 0..<s.nodes {
            let id = try! Identity(seed: random.bytes(32))  // 32 bytes: cannot fail
            var settings = Market.Settings()
            settings.spotCheckRate = s.spotCheckRate
            settings.initialGrant = 10_000_000
            let cheating = cheaterSlots.firstIndex(of: i).map { s.cheaters[$0 - cheaterSlots.startIndex] }
            settings.provider = Market.ProviderProfile(
                models: [Sim.FakeEngine.model],
                // Cheaters undercut everyone; crash-prone nodes are cheap too, so they win work to crash in.
                pricePer1k: cheating != nil ? 6 : crashSlots.contains(i) ? 8 : UInt64(10 + random.below(11)),
                prefillTokensPerSecond: Double(300 + random.below(200)),
                decodeTokensPerSecond: Double(60 + random.below(90)),
                maxQueue: 3, bidTTL: 5_000, fingerprint: Array("sim-engine/1".utf8))
            let instance = Market.Instance(identity: id, settings: settings, verifier: Market.MemoryLedgerVerifier(),
                                           randomSeed: random.bytes(32))
            var node = MarketSimNode(instance: instance, ledger: Market.MemoryLedger(identity: id), behaviour: cheating ?? .honest)
            if cheating == .forkedLedger { node.fork = Market.MemoryLedger(identity: id) }
            if crashSlots.contains(i) { node.crashAt = Market.Millis(Double(s.arrivalSpan) * (0.1 + 0.5 * random.unit())) }
            index[id.publicKey] = i
            nodes.append(node)
        }
        let requesters = (0..<s.nodes).filter { !cheaterSlots.contains($0) && !crashSlots.contains($0) }
        for j in 0..<s.jobs {
            let r = requesters[random.below(requesters.count)]
            let at = Market.Millis(random.below(Int(s.arrivalSpan)))
            let prompt = Array("job \(j): \(random.next())".utf8)
            jobs.append(MarketSimJob(requester: r, submitAt: at, prompt: prompt, promptTokens: UInt32(20 + random.below(40)),
                                     maxTokens: UInt32(32 + random.below(33)), stream: random.unit() < s.streamFraction))
            push(at, .submit(j))
            if random.chance(s.cancelFraction) { push(at + 1 + Market.Millis(random.below(1_500)), .cancel(j)) }
        }
        refreshPeers()
    }

    private mutating func push(_ at: Market.Millis, _ kind: MarketSimEvent.Kind) {
        seq += 1
        queue.insert(MarketSimEvent(at: at, seq: seq, kind: kind))
    }

    private mutating func note(_ line: String) {
        trace = SHA256.hash(parts: [trace.bytes, Array(line.utf8)])
    }

    private mutating func refreshPeers() {
        let peers = nodes.enumerated().filter { !$0.element.down }.compactMap { _, n -> Market.PeerInfo? in
            guard let p = n.instance.settings.provider else { return nil }
            // Simulated nodes share one arithmetic class: every verified job can be checked exactly.
            return Market.PeerInfo(nodeID: n.instance.nodeID, models: p.models, pricePer1k: p.offers.map(\.pricePer1k).min() ?? 0,
                                   arithmeticClass: [UInt8](repeating: 0x51, count: 16))
        }
        // Each node's view leaves itself out: a job its own requester serves involves no
        // market (it is paid to itself without validators), and this simulation measures the
        // market between nodes.
        for i in nodes.indices where !nodes[i].down {
            let me = nodes[i].instance.nodeID
            nodes[i].instance.updatePeers(peers.filter { $0.nodeID != me })
        }
    }

    mutating func run() -> Sim.MarketReport {
        let stop = scenario.arrivalSpan + scenario.deadline + 60_000
        while let e = queue.popMin(), e.at <= stop {
            now = e.at
            handle(e.kind)
        }
        report.simulatedMillis = now
        finish()
        return report
    }

    private mutating func handle(_ kind: MarketSimEvent.Kind) {
        switch kind {
        case .submit(let j):
            let job = jobs[j]
            let sub = Market.JobSubmission(modelID: Sim.FakeEngine.model, request: Sim.FakeEngine.request(job.prompt, maxTokens: job.maxTokens),
                                           promptTokens: job.promptTokens, maxPrice: 25, deadline: now + scenario.deadline,
                                           verificationLevel: scenario.verificationLevel, stream: job.stream)
            switch nodes[job.requester].instance.submit(sub, now: now) {
            case .success(let s):
                jobs[j].jobID = s.jobID
                jobIndex[Market.JobKey(requester: nodes[job.requester].instance.nodeID, jobID: s.jobID)] = j
                submittedSoFar += 1
                note("\(now) submit \(j) \(job.requester) \(s.jobID.hex)")
                apply(s.directives, at: job.requester)
            case .failure(let r):
                note("\(now) submit-refused \(j) \(r.reason)")
            }
        case .deliver(let from, let to, let env):
            guard !nodes[to].down else { return }
            apply(nodes[to].instance.receive(env, from: nodes[from].instance.nodeID, now: now), at: to)
        case .timer(let i, let t):
            guard !nodes[i].down else { return }
            apply(nodes[i].instance.timerFired(t, now: now), at: i)
        case .executed(let i, let key, let out):
            guard !nodes[i].down else { return }
            apply(nodes[i].instance.handle(.executionFinished(key, out), now: now), at: i)
        case .generated(let i, let key, let text):
            guard !nodes[i].down else { return }
            apply(nodes[i].instance.handle(.generated(key, text: text), now: now), at: i)
        case .verified(let i, let ticket, let verdict):
            guard !nodes[i].down else { return }
            apply(nodes[i].instance.handle(.verificationFinished(ticket: ticket, verdict), now: now), at: i)
        case .cancel(let j):
            guard let id = jobs[j].jobID else { return }
            note("\(now) cancel \(j)")
            apply(nodes[jobs[j].requester].instance.cancel(id, now: now), at: jobs[j].requester)
        case .refreshPeers:
            refreshPeers()
        }
    }

    private mutating func latency() -> Market.Millis {
        scenario.latency.lowerBound + Market.Millis(random.below(Int(scenario.latency.upperBound - scenario.latency.lowerBound) + 1))
    }

    private mutating func apply(_ directives: [Market.Directive], at i: Int) {
        for d in directives {
            switch d {
            case .send(let to, let message):
                guard let j = index[to] else { continue }
                let env = message.encoded(compress: false)
                report.messages += 1
                note("\(now) \(i)>\(j) \(message.type) \(SHA256.hash(env).hex.prefix(16))")
                push(now + latency(), .deliver(from: i, to: j, envelope: env))
            case .gossip(let message):
                let env = message.encoded(compress: false)
                note("\(now) \(i) gossip \(message.type) \(SHA256.hash(env).hex.prefix(16))")
                for j in nodes.indices where j != i && !nodes[j].down {
                    report.messages += 1
                    push(now + latency() + latency(), .deliver(from: i, to: j, envelope: env))
                }
            case .schedule(let timer, let at):
                push(at, .timer(i, timer))
            case .runJob(let spec):
                if let c = nodes[i].crashAt, now >= c {
                    nodes[i].down = true
                    report.crashed += 1
                    note("\(now) crash \(i) running \(spec.key)")
                    push(now + scenario.detectionDelay, .refreshPeers)
                    return
                }
                runsByNode[i, default: []].append(now)
                let p = nodes[i].instance.settings.provider?.offer(spec.modelID)
                let start = max(now, nodes[i].busyUntil)
                let promptTokens = jobIndex[spec.key].map { jobs[$0].promptTokens } ?? 40
                let seconds = Double(promptTokens) / (p?.prefillTokensPerSecond ?? 300)
                    + Double(spec.request.parameters.maxTokens) / (p?.decodeTokensPerSecond ?? 60)
                let finish = start + Market.Millis(seconds * 1000)
                nodes[i].busyUntil = finish
                if let j = jobIndex[spec.key] { jobs[j].lastRunMillis = finish - now }
                let tokens = Sim.FakeEngine.run(spec, behaviour: nodes[i].behaviour, random: &random)
                let out = Market.ExecutionOutput(tokens: tokens, text: Sim.FakeEngine.text(tokens), fingerprint: Array("sim".utf8),
                                                 startedAt: start, finishedAt: finish)
                note("\(now) \(i) run \(spec.key) until \(finish)")
                // The executor's text as it is generated, in four pieces (a word boundary each).
                let words = out.text.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
                let step = max(1, (words.count + 3) / 4)
                for (k, from) in stride(from: 0, to: words.count, by: step).enumerated() {
                    var piece = Array(words[from..<min(words.count, from + step)].joined(separator: [UInt8(ascii: " ")]))
                    if from + step < words.count { piece.append(UInt8(ascii: " ")) }
                    let at = start + (finish - start) * Market.Millis(k + 1) / 5
                    push(at, .generated(i, spec.key, piece))
                }
                push(finish, .executed(i, spec.key, out))
            case .cancelJob(let key):
                note("\(now) \(i) cancel-run \(key)")
            case .verify(let spec):
                let p = nodes[i].instance.settings.provider?.offer(spec.modelID)
                let ms = Market.Millis(Double(spec.tokens.count + 40) / (p?.prefillTokensPerSecond ?? 300) * 1000)
                let verdict = Sim.FakeEngine.check(spec)
                note("\(now) \(i) verify \(spec.ticket.hex.prefix(16)) \(verdict.passed)")
                push(now + ms, .verified(i, spec.ticket, verdict))
            case .appendLedger(let a):
                let proof: Market.EntryProof
                if nodes[i].appendToFork, nodes[i].fork != nil {
                    proof = nodes[i].fork!.append(kind: a.kind.rawValue, body: a.body)
                } else {
                    proof = nodes[i].ledger.append(kind: a.kind.rawValue, body: a.body)
                }
                if nodes[i].fork != nil { nodes[i].appendToFork.toggle() }
                note("\(now) \(i) append \(a.kind) \(SHA256.hash(a.body).hex.prefix(16))")
                apply(nodes[i].instance.handle(.ledgerAppended(a.ticket, proof), now: now), at: i)
            case .notify(let n):
                notify(n, at: i)
            case .rejected(let r, _):
                report.rejections[r.reason.rawValue, default: 0] += 1
                note("\(now) \(i) rejected \(r.reason)")
            case .remember, .journal:
                break  // the simulation does not restart nodes
            case .proveConsistency(let to, let q):
                guard let j = index[to], let env = nodes[i].ledger.consistencyEnvelope(q)?.encoded(compress: false) else { continue }
                report.messages += 1
                push(now + latency(), .deliver(from: i, to: j, envelope: env))
            }
        }
    }

    private mutating func notify(_ n: Market.Notification, at i: Int) {
        switch n {
        case .jobCompleted(let id, let provider, let output, _, _):
            note("\(now) \(i) completed \(id.hex) by \(index[provider] ?? -1)")
            guard let j = jobIndex[Market.JobKey(requester: nodes[i].instance.nodeID, jobID: id)] else { return }
            jobs[j].completions += 1
            jobs[j].completedAt = now
            let expected = Sim.FakeEngine.generate(model: Sim.FakeEngine.model, prompt: jobs[j].prompt, maxTokens: jobs[j].maxTokens)
            jobs[j].outputCorrect = output.tokens == expected
            jobs[j].outputText = String(decoding: output.text, as: UTF8.self)
        case .jobFailed(let id, let reason):
            note("\(now) \(i) failed \(id.hex) \(reason)")
            report.failed += 1
        case .jobCancelled(let id):
            note("\(now) \(i) cancelled \(id.hex)")
            if let j = jobIndex[Market.JobKey(requester: nodes[i].instance.nodeID, jobID: id)] { jobs[j].cancelled = true }
        case .streamText(let id, let text):
            if let j = jobIndex[Market.JobKey(requester: nodes[i].instance.nodeID, jobID: id)] { jobs[j].streamed += text }
        case .equivocation(let evidence, let reportedBy):
            note("\(now) \(i) evidence against \(index[evidence.ledgerID] ?? -1) from \(reportedBy.flatMap { index[$0] } ?? i)")
        case .evidenceAgainstThisNode:
            note("\(now) \(i) evidence against itself")
        case .jobReconciled(let id, _, let credits):
            note("\(now) \(i) reconciled \(id.hex) \(credits.map(String.init) ?? "unpaid")")
        case .checkAbandoned(let ticket, let reason):
            note("\(now) \(i) could-not-check \(ticket.hex.prefix(16)) \(reason)")
        case .providerCaught(let p, _, _):
            guard let c = index[p] else { return }
            if caughtAt[c] == nil {
                caughtAt[c] = now
                note("\(now) caught \(c)")
            }
        }
    }
}
