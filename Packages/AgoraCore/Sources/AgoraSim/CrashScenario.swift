import AgoraCrypto
import AgoraGossip

extension Sim {
    /// Crash detection: nodes crash one batch at a time; for each crash, when it is first
    /// suspected by anyone, and when every live node has declared it dead.
    public struct CrashResult: Sendable {
        /// Crash → first `suspect` event anywhere, seconds.
        public var firstSuspicion: Distribution
        /// Crash → the last live node declares it dead, seconds (cluster-wide).
        public var clusterDead: Distribution
        /// Crash → each live observer's `dead`, seconds (all pairs).
        public var observerDead: Distribution
        /// Crashes never declared dead by every live node before the run ended.
        public var undetected: Int
        /// `dead` events about nodes that were not crashed.
        public var falseDead: Int
        /// Trace hash.
        public var traceHash: UInt64
    }

    /// Runs `batches` rounds; each crashes `perBatch` random nodes at a random moment, waits
    /// `spacing` seconds, and restarts them (after detection completes) so N stays steady.
    public static func crashDetection(_ config: Config, batches: Int, perBatch: Int, spacing: Double = 20,
                                      warmup: Double = 5) throws(GossipError) -> CrashResult {
        let sim = try Simulation(config: config)
        var rng = sim.random()
        var crashAt: [Int: Int64] = [:]                 // node → crash time (while crashed)
        var firstSuspect: [Int: Int64] = [:]
        var deadBy: [Int: [Int: Int64]] = [:]           // crashed → observer → time
        var firsts: [Double] = [], pairs: [Double] = [], clusters: [Double] = []
        var falseDead = 0, undetected = 0
        sim.onEvent = { t, observer, e in
            switch e {
            case .suspect(let id, _):
                guard let x = sim.index(of: id), let c = crashAt[x], firstSuspect[x] == nil else { return }
                firstSuspect[x] = t
                firsts.append(Double(t - c) / 1e9)
            case .dead(let id, _):
                guard let x = sim.index(of: id) else { return }
                guard let c = crashAt[x] else { falseDead += 1; return }
                if deadBy[x, default: [:]][observer] == nil {
                    deadBy[x, default: [:]][observer] = t
                    pairs.append(Double(t - c) / 1e9)
                }
            default: break
            }
        }
        var t = warmup
        for _ in 0..<batches {
            let at = ns(t + rng.unit())
            var victims: [Int] = []
            while victims.count < perBatch {
                let v = rng.below(sim.count)
                if !victims.contains(v) { victims.append(v) }
            }
            sim.run(until: at)
            for v in victims.sorted() { sim.schedule(.crash(v), at: at); crashAt[v] = at }
            sim.run(until: ns(t + spacing - 1))
            for v in victims.sorted() {
                let observers = (0..<sim.count).filter { !sim.isCrashed($0) && !victims.contains($0) }
                let times = observers.compactMap { deadBy[v]?[$0] }
                if times.count == observers.count, let last = times.max(), let c = crashAt[v] {
                    clusters.append(Double(last - c) / 1e9)
                } else {
                    undetected += 1
                }
                crashAt[v] = nil
                firstSuspect[v] = nil
                deadBy[v] = nil
                sim.schedule(.restart(v), at: ns(t + spacing - 1))
            }
            t += spacing
        }
        sim.run(until: ns(t))
        return CrashResult(firstSuspicion: Distribution(firsts), clusterDead: Distribution(clusters),
                           observerDead: Distribution(pairs), undetected: undetected, falseDead: falseDead,
                           traceHash: sim.traceHash)
    }
}
