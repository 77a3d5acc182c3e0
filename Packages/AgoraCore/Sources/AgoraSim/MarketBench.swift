import AgoraCrypto
import AgoraMarket

extension Sim {
    /// Figures from `marketOverheadBenchmark`.
    public struct MarketBenchResult: Sendable {
        /// Jobs run.
        public var jobs: Int
        /// Verification level of the jobs.
        public var level: UInt8
        /// Time inside market instance calls per job, all roles summed (µs, median over jobs).
        public var perJobMedianMicros: Double
        /// Same, mean.
        public var perJobMeanMicros: Double
        /// One Ed25519 sign + verify of a 200-byte message, measured in the same run (µs).
        public var signVerifyMicros: Double
        /// One sealed box of a 1 KiB prompt, seal + open (µs).
        public var sealOpenMicros: Double
        /// Median over jobs of (job time / one sign+verify measured just before that job).
        public var medianRatio: Double
        /// Market messages per job.
        public var messagesPerJob: Double
        /// Bytes of market envelopes per job.
        public var bytesPerJob: Double
    }

    /// Measures the pure-core cost of the market per job: message building, signing,
    /// sealing and opening, signature and proof checks, in requester, provider (and
    /// validator) together, excluding the executor and the ledger's own appends. The
    /// network is a FIFO in one process, so there is no latency either.
    public static func marketOverheadBenchmark(jobs: Int, level: UInt8) -> MarketBenchResult {
        let clock = ContinuousClock()
        func micros(_ d: Duration) -> Double {
            Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
        }
        // Baselines in the same invocation.
        let id = try! Identity(seed: [UInt8](repeating: 3, count: 32))  // 32 bytes: cannot fail
        let msg = [UInt8](repeating: 0x5a, count: 200)
        let baseN = 2_000
        var ok = 0
        let t0 = clock.now
        for _ in 0..<baseN {
            let s = id.sign(msg, in: .bid)
            if id.publicKey.isValidSignature(s, for: msg, in: .bid) { ok += 1 }
        }
        let signVerify = micros(clock.now - t0) / Double(baseN)
        let prompt = [UInt8](repeating: 0x41, count: 1024)
        let t1 = clock.now
        for _ in 0..<baseN {
            let sealed = SealedBox.seal(prompt, to: id.x25519PublicKey)
            if (try? SealedBox.open(sealed, with: id)) != nil { ok += 1 }
        }
        let sealOpen = micros(clock.now - t1) / Double(baseN)
        precondition(ok == 2 * baseN, "baseline crypto failed")

        // Jobs, each paired with a fresh sign+verify baseline taken just before it, so that a
        // busy machine slows both alike and their ratio stays meaningful.
        var bench = MarketBenchNet(level: level)
        var perJob: [Double] = []
        var ratios: [Double] = []
        for j in 0..<jobs {
            let b0 = clock.now
            for _ in 0..<4 {
                let s = id.sign(msg, in: .bid)
                if id.publicKey.isValidSignature(s, for: msg, in: .bid) { ok += 1 }
            }
            let base = micros(clock.now - b0) / 4
            let t = micros(bench.runJob(j))
            perJob.append(t)
            ratios.append(t / base)
        }
        perJob.sort()
        ratios.sort()
        return MarketBenchResult(jobs: jobs, level: level, perJobMedianMicros: perJob[perJob.count / 2],
                                 perJobMeanMicros: perJob.reduce(0, +) / Double(perJob.count), signVerifyMicros: signVerify,
                                 sealOpenMicros: sealOpen, medianRatio: ratios[ratios.count / 2],
                                 messagesPerJob: Double(bench.messages) / Double(jobs),
                                 bytesPerJob: Double(bench.bytes) / Double(jobs))
    }
}

/// Requester, provider and validator in one FIFO "network", timing instance calls only.
struct MarketBenchNet {
    var nodes: [Market.Instance] = []
    var ledgers: [Market.MemoryLedger] = []
    var inbox: [(from: Int, to: Int, envelope: [UInt8])] = []
    var timers: [(node: Int, timer: Market.Timer)] = []
    var spent: Duration = .zero
    var messages = 0
    var bytes = 0
    let level: UInt8
    let clock = ContinuousClock()
    var now: Market.Millis = 1_000_000

    init(level: UInt8) {
        self.level = level
        for k in 0..<3 {
            let id = try! Identity(seed: [UInt8](repeating: UInt8(10 + k), count: 32))  // 32 bytes: cannot fail
            var s = Market.Settings()
            s.spotCheckRate = 0
            s.initialGrant = .max / 4
            if k > 0 {
                s.provider = Market.ProviderProfile(models: [Sim.FakeEngine.model], pricePer1k: UInt64(10 * k),
                                                    prefillTokensPerSecond: 374, decodeTokensPerSecond: 123,
                                                    maxQueue: 1_000_000, bidTTL: 60_000, fingerprint: Array("bench".utf8))
            }
            nodes.append(Market.Instance(identity: id, settings: s, verifier: Market.MemoryLedgerVerifier(), randomSeed: [UInt8(k)]))
            ledgers.append(Market.MemoryLedger(identity: id))
        }
        // Both providers bid; the cheaper one wins, and the other validates (level ≥ 1).
        // One arithmetic class for all: the validator checks the winner exactly.
        let cls = [UInt8](repeating: 0x51, count: 16)
        let peers = nodes.compactMap { n in
            n.settings.provider.map { Market.PeerInfo(nodeID: n.nodeID, models: $0.models, pricePer1k: $0.offers.map(\.pricePer1k).min() ?? 0,
                                                      arithmeticClass: cls) }
        }
        for k in nodes.indices { nodes[k].updatePeers(peers) }
    }

    private mutating func timed(_ body: (inout Market.Instance) -> [Market.Directive], at i: Int) -> [Market.Directive] {
        let t = clock.now
        let ds = body(&nodes[i])
        spent += clock.now - t
        return ds
    }

    /// Runs one 64-token job to payment; returns the time spent in instance calls.
    mutating func runJob(_ j: Int) -> Duration {
        spent = .zero
        now += 1_000
        let sub = Market.JobSubmission(modelID: Sim.FakeEngine.model, request: Sim.FakeEngine.request(Array("benchmark prompt \(j)".utf8), maxTokens: 64),
                                       promptTokens: 41, maxPrice: 100, deadline: now + 600_000, verificationLevel: level)
        let t = clock.now
        let submitted = nodes[0].submit(sub, now: now)
        spent += clock.now - t
        guard case .success(let s) = submitted else { return spent }
        apply(s.directives, at: 0)
        while !inbox.isEmpty || !timers.isEmpty {
            if !inbox.isEmpty {
                let m = inbox.removeFirst()
                let from = nodes[m.from].nodeID
                let now = self.now
                apply(timed({ $0.receive(m.envelope, from: from, now: now) }, at: m.to), at: m.to)
            } else {
                let tm = timers.removeFirst()
                let now = self.now
                apply(timed({ $0.timerFired(tm.timer, now: now) }, at: tm.node), at: tm.node)
            }
        }
        return spent
    }

    private mutating func apply(_ ds: [Market.Directive], at i: Int) {
        let now = self.now
        for d in ds {
            switch d {
            case .send(let to, let message):
                guard let j = nodes.firstIndex(where: { $0.nodeID == to }) else { continue }
                let env = message.encoded(compress: false)
                messages += 1
                bytes += env.count
                inbox.append((i, j, env))
            case .gossip:
                break
            case .schedule(let timer, _):
                if case .bidWindow = timer { timers.append((i, timer)) }  // others would be stale
            case .runJob(let spec):
                let tokens = Sim.FakeEngine.generate(model: spec.modelID, request: spec.request)
                let out = Market.ExecutionOutput(tokens: tokens, text: Sim.FakeEngine.text(tokens), fingerprint: Array("bench".utf8),
                                                 startedAt: now, finishedAt: now)
                apply(timed({ $0.handle(.executionFinished(spec.key, out), now: now) }, at: i), at: i)
            case .cancelJob:
                break
            case .verify(let spec):
                let verdict = Sim.FakeEngine.check(spec)
                apply(timed({ $0.handle(.verificationFinished(ticket: spec.ticket, verdict), now: now) }, at: i), at: i)
            case .appendLedger(let a):
                let proof = ledgers[i].append(kind: a.kind.rawValue, body: a.body)
                apply(timed({ $0.handle(.ledgerAppended(a.ticket, proof), now: now) }, at: i), at: i)
            case .notify, .rejected, .remember, .journal:
                break
            case .proveConsistency(let to, let q):
                guard let j = nodes.firstIndex(where: { $0.nodeID == to }),
                      let env = ledgers[i].consistencyEnvelope(q)?.encoded(compress: false) else { continue }
                messages += 1
                bytes += env.count
                inbox.append((i, j, env))
            }
        }
    }
}
