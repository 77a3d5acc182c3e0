import AgoraCrypto
import AgoraGossip

extension Sim {
    /// Partition/heal cycles.
    public struct PartitionResult: Sendable {
        /// Cycles run.
        public var cycles: Int
        /// A member seen alive again by an observer at an incarnation at or below one it had
        /// seen it dead or departed at (stale state reviving it).
        public var resurrections: Int
        /// A crashed node seen alive again, after the observer declared it dead, through a
        /// record with a higher incarnation that it had published before crashing (delayed
        /// by the partition; legitimate by incarnation order, and declared dead again later).
        public var lateRecords: Int
        /// Crashes during the run.
        public var crashes: Int
        /// Dead events observed (true and false).
        public var deadEvents: Int
        /// Cycles whose views had not converged at the end (a live node missing from a
        /// live view, or a crashed node still live in one).
        public var unconverged: Int
        /// Trace hash.
        public var traceHash: UInt64
    }

    /// Each cycle splits the nodes into two random groups for `partition` seconds (crashing
    /// a random node half of the time), heals for `heal` seconds, then restarts the crashed
    /// node. Dead members are reaped quickly (`settings.deadRetention`) and push-pull runs
    /// often, so stale state meets tombstones all the time.
    public static func partitions(_ config: Config, cycles: Int, partition: Double = 12,
                                  heal: Double = 12, debug: Bool = false) throws(GossipError) -> PartitionResult {
        let sim = try Simulation(config: config)
        var rng = sim.random()
        var deadAt: [Int: [Int: UInt64]] = [:]            // observer → subject → incarnation seen dead
        var crashedSince: [Int: Int64] = [:]
        var resurrections = 0, lateRecords = 0, deadEvents = 0, crashes = 0, unconverged = 0
        var deadSinceCrash = Set<Int>()                    // observer * N + subject
        sim.onEvent = { t, o, e in
            switch e {
            case .dead(let id, let inc), .left(let id, let inc):
                guard let x = sim.index(of: id) else { return }
                deadEvents += 1
                deadAt[o, default: [:]][x] = max(inc, deadAt[o]?[x] ?? 0)
                if let c = crashedSince[x], t >= c { deadSinceCrash.insert(o * sim.count + x) }
            case .alive(let r), .recordUpdated(let r):
                guard let x = sim.index(of: r.nodeID), let d = deadAt[o]?[x] else { return }
                if r.incarnation <= d {
                    resurrections += 1
                    if debug {
                        print("resurrection t=\(Double(t) / 1e9) observer=\(o) subject=\(x) record-inc=\(r.incarnation) dead-inc=\(d)")
                    }
                } else if deadSinceCrash.contains(o * sim.count + x) {
                    lateRecords += 1
                }
            default: return
            }
        }
        var t = 5.0
        for _ in 0..<cycles {
            sim.run(until: ns(t))
            var groups = [UInt16](repeating: 0, count: sim.count)
            let cut = 0.2 + 0.6 * rng.unit()
            for i in 0..<sim.count where rng.unit() < cut { groups[i] = 1 }
            sim.schedule(.partition(groups), at: ns(t))
            var victim: Int?
            if rng.below(2) == 0 {
                let v = rng.below(sim.count)
                victim = v
                crashes += 1
                sim.schedule(.crash(v), at: ns(t + 1))
                crashedSince[v] = ns(t + 1)
            }
            sim.schedule(.heal, at: ns(t + partition))
            sim.run(until: ns(t + partition + heal))
            if !converged(sim) { unconverged += 1 }
            if let v = victim {
                sim.schedule(.restart(v), at: ns(t + partition + heal))
                crashedSince[v] = nil
                for o in 0..<sim.count { deadSinceCrash.remove(o * sim.count + v) }
            }
            t += partition + heal
        }
        sim.run(until: ns(t + 1))
        return PartitionResult(cycles: cycles, resurrections: resurrections, lateRecords: lateRecords, crashes: crashes, deadEvents: deadEvents,
                               unconverged: unconverged, traceHash: sim.traceHash)
    }

    static func converged(_ sim: Simulation) -> Bool {
        let live = (0..<sim.count).filter { !sim.isCrashed($0) }
        for o in live {
            guard let inst = sim.instance(o) else { continue }
            var seen = Set<Int>()
            for m in inst.liveMembers { if let x = sim.index(of: m.nodeID) { seen.insert(x) } }
            for x in live where x != o && !seen.contains(x) { return false }
            for x in seen where sim.isCrashed(x) { return false }
        }
        return true
    }
}
