import AgoraGossip

extension Sim {
    /// Steady-state membership traffic.
    public struct TrafficResult: Sendable {
        /// Datagram bytes sent per node per second (packet headers and signatures included).
        public var datagramSent: Distribution
        /// Datagram bytes sent + received per node per second.
        public var datagramTotal: Distribution
        /// Push-pull bytes sent + received per node per second, averaged over the window.
        public var streamTotalMean: Double
        /// Size of one push-pull state (bytes of envelope payload) at the end.
        public var pushPullStateBytes: Int
        /// Push-pull period at this N, seconds.
        public var pushPullPeriod: Double
        /// Events processed.
        public var events: Int
        /// Trace hash.
        public var traceHash: UInt64

        /// Steady push-pull bytes sent + received per node per second: each node starts one
        /// exchange per period and answers one on average; an exchange moves two states.
        public var streamSteady: Double { 4 * Double(pushPullStateBytes) / pushPullPeriod }
    }

    /// Runs `seconds` with no faults after `warmup` and measures per-node traffic.
    public static func traffic(_ config: Config, seconds: Double, warmup: Double = 10) throws(GossipError) -> TrafficResult {
        let sim = try Simulation(config: config)
        sim.run(until: ns(warmup))
        let before = sim.traffic
        sim.run(until: ns(warmup + seconds))
        var sent: [Double] = [], total: [Double] = []
        var stream = 0.0
        for i in 0..<sim.count {
            let a = before[i], b = sim.traffic[i]
            let s = Double(b.datagramBytesSent - a.datagramBytesSent) / seconds
            let r = Double(b.datagramBytesReceived - a.datagramBytesReceived) / seconds
            sent.append(s)
            total.append(s + r)
            stream += Double(b.streamBytesSent - a.streamBytesSent + b.streamBytesReceived - a.streamBytesReceived) / seconds
        }
        let inst = sim.instance(0)
        let state = inst.map { Gossip.Message.pushPull($0.fullState(isReply: false)).payload.count } ?? 0
        let n = config.nodes
        var scale = 1, v = 32
        while v < n { v *= 2; scale += 1 }
        let period = Double(config.settings.pushPullInterval.gossipNanoseconds) / 1e9 * Double(n > 32 ? scale : 1)
        return TrafficResult(datagramSent: Distribution(sent), datagramTotal: Distribution(total),
                             streamTotalMean: stream / Double(sim.count), pushPullStateBytes: state, pushPullPeriod: period,
                             events: sim.eventsProcessed, traceHash: sim.traceHash)
    }
}
