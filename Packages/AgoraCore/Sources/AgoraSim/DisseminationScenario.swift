import AgoraCrypto
import AgoraGossip

extension Sim {
    /// Dissemination of a new record.
    public struct DisseminationResult: Sendable {
        /// Per trial: seconds until `coverage` of the other nodes held the new record.
        public var timeToCoverage: Distribution
        /// Trials that never reached `coverage` within the trial window.
        public var incomplete: Int
        /// Coverage asked for (e.g. 0.9999).
        public var coverage: Double
        /// Per trial: the share of the other nodes holding the record at the end of the trial.
        public var finalCoverage: [Double]
        /// Trace hash.
        public var traceHash: UInt64
    }

    /// `trials` times, a random node publishes a new record (its queue depth changes) and
    /// the run measures when `coverage` of the other nodes have it.
    public static func dissemination(_ config: Config, trials: Int, coverage: Double = 0.9999,
                                     spacing: Double = 4, warmup: Double = 3) throws(GossipError) -> DisseminationResult {
        let sim = try Simulation(config: config)
        var rng = sim.random()
        var subject: NodeID?
        var subjectIncarnation: UInt64 = 0
        var start: Int64 = 0
        var reached = Set<Int>()
        var doneAt: Int64?
        let others = config.nodes - 1
        let need = Int((coverage * Double(others)).rounded(.up))
        sim.onEvent = { t, observer, e in
            guard doneAt == nil, let s = subject else { return }
            switch e {
            case .recordUpdated(let r), .alive(let r):
                guard r.nodeID == s, r.incarnation >= subjectIncarnation else { return }
                reached.insert(observer)
                if reached.count >= need { doneAt = t }
            default: return
            }
        }
        var times: [Double] = []
        var finals: [Double] = []
        var incomplete = 0
        var t = warmup
        for trial in 0..<trials {
            sim.run(until: ns(t))
            let v = rng.below(sim.count)
            guard let inst = sim.instance(v) else { continue }
            subject = inst.record.nodeID
            subjectIncarnation = inst.record.incarnation + 1
            reached = []
            doneAt = nil
            start = ns(t)
            let caps = Gossip.Capabilities(models: inst.record.capabilities.models, queueDepth: UInt32(trial + 1))
            sim.schedule(.command(v, .updateRecord(addresses: inst.record.addresses, capabilities: caps)), at: start)
            sim.run(until: ns(t + spacing))
            if let d = doneAt { times.append(Double(d - start) / 1e9) } else { incomplete += 1 }
            finals.append(Double(reached.count) / Double(others))
            subject = nil
            t += spacing
        }
        return DisseminationResult(timeToCoverage: Distribution(times), incomplete: incomplete, coverage: coverage,
                                   finalCoverage: finals,
                                   traceHash: sim.traceHash)
    }
}
