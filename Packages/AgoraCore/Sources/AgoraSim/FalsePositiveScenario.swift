import AgoraCrypto
import AgoraGossip

extension Sim {
    /// False `dead` declarations under loss and stalls.
    public struct FalsePositiveResult: Sendable {
        /// `dead` events (any observer) about nodes that never crashed.
        public var falseDeadEvents: Int
        /// Distinct (member, incarnation) pairs declared dead falsely.
        public var falseDeadIncidents: Int
        /// `suspect` events (any observer).
        public var suspectEvents: Int
        /// Stalls scheduled.
        public var stalls: Int
        /// N × simulated probe periods.
        public var memberPeriods: Double
        /// Trace hash.
        public var traceHash: UInt64

        /// False dead events per 10^6 member-periods.
        public var perMillion: Double { Double(falseDeadEvents) / memberPeriods * 1e6 }
    }

    /// Runs `seconds` with every node stalling (for 1–2 s) at random so that `stalledShare`
    /// of the nodes are stalled at any moment; nothing crashes, so every `dead` is false.
    /// `debug` prints each incident with the stalls around it.
    public static func falsePositives(_ config: Config, seconds: Double, stalledShare: Double = 0.05,
                                      stall: ClosedRange<Double> = 1...2, warmup: Double = 3,
                                      debug: Bool = false) throws(GossipError) -> FalsePositiveResult {
        let sim = try Simulation(config: config)
        var rng = sim.random()
        var falseDead = 0, suspects = 0
        var incidents = Set<String>()
        var stallLog: [Int: [(Int64, Int64)]] = [:]
        sim.onEvent = { t, o, e in
            switch e {
            case .dead(let id, let inc):
                falseDead += 1
                if incidents.insert("\(id.hex)/\(inc)").inserted, debug {
                    let x = sim.index(of: id) ?? -1
                    let st = (stallLog[x] ?? []).filter { $0.0 < t && $0.1 > t - 10_000_000_000 }
                    print("false dead t=\(Double(t) / 1e9) observer=\(o) subject=\(x) inc=\(inc) own-inc=\(sim.instance(x)?.record.incarnation ?? 0) stalls=\(st.map { (Double($0.0) / 1e9, Double($0.1) / 1e9) }) observer-stalls=\((stallLog[o] ?? []).filter { $0.0 < t && $0.1 > t - 10_000_000_000 }.map { (Double($0.0) / 1e9, Double($0.1) / 1e9) })")
                }
            case .suspect: suspects += 1
            default: break
            }
        }
        let meanStall = (stall.lowerBound + stall.upperBound) / 2
        let meanGap = meanStall * (1 - stalledShare) / stalledShare
        var stalls = 0
        let end = warmup + seconds
        for i in 0..<config.nodes {
            var t = warmup + rng.unit() * meanGap * 2
            while t < end {
                let d = stall.lowerBound + rng.unit() * (stall.upperBound - stall.lowerBound)
                sim.schedule(.stall(i, until: ns(t + d)), at: ns(t))
                stallLog[i, default: []].append((ns(t), ns(t + d)))
                stalls += 1
                t += d - meanGap * naturalLogarithm(max(rng.unit(), 1e-12))
            }
        }
        sim.run(until: ns(warmup))
        falseDead = 0; suspects = 0; incidents = []
        sim.run(until: ns(end))
        let periods = seconds / (Double(config.settings.probeInterval.gossipNanoseconds) / 1e9)
        return FalsePositiveResult(falseDeadEvents: falseDead, falseDeadIncidents: incidents.count, suspectEvents: suspects,
                                   stalls: stalls, memberPeriods: Double(config.nodes) * periods, traceHash: sim.traceHash)
    }
}
