extension Gossip {
    /// Protocol parameters. Defaults are the tuned values reported in BENCHMARKS.md
    /// ("Gossip simulation"); memberlist's LAN defaults are noted where they differ.
    public struct Settings: Sendable {
        /// Probe period T. Members probe in rounds `floor(now / T)`.
        public var probeInterval: Duration = .seconds(1)
        /// How long to wait for a direct ack before asking helpers (memberlist: 500 ms).
        public var probeTimeout: Duration = .milliseconds(200)
        /// From the start of a probe until, without any ack, the target is suspected.
        public var indirectWindow: Duration = .milliseconds(500)
        /// Helpers asked to probe indirectly (k).
        public var indirectProbes = 3
        /// Lifeguard on: local health multiplier, nacks, and a suspicion timeout that starts
        /// at `suspicionMaxMultiplier × suspicionTimeout` and shrinks with independent
        /// confirmations. Off: plain SWIM with a fixed `suspicionTimeout`.
        public var lifeguard = true
        /// Local health multiplier ceiling (scores 0 ..< this).
        public var maxLocalHealth = 8
        /// The shortest suspicion timeout (memberlist: 4 · log10 N · T).
        public var suspicionTimeout: Duration = .seconds(1)
        /// The longest suspicion timeout as a multiple of `suspicionTimeout` (memberlist: 6).
        public var suspicionMaxMultiplier = 6.0
        /// Independent confirmations that bring the suspicion timeout down to its minimum
        /// (memberlist: SuspicionMult − 2 = 2).
        public var suspicionConfirmations = 3
        /// When a suspicion runs out, probe the member once more directly (carrying the
        /// suspicion, so a live member refutes or re-sends its newer record) and declare it
        /// dead only if that probe fails too (`lastChanceProbes` times). Catches members whose refutation this node
        /// missed. Not part of memberlist; off when `lifeguard` is off.
        public var finalProbe = true
        /// When the direct ack is late, ping the target directly once more (same sequence
        /// number) alongside the indirect probes: a second chance for a lost ping or ack.
        public var directRetry = true
        /// When the direct ack is late, also ping the target over a stream (TCP) session in
        /// parallel with the indirect probes (`Directive.streamPing`; memberlist's TCP fallback
        /// ping), and do the same in the last-chance probe. A reliable transport survives
        /// datagram loss that would fail every UDP path of a probe.
        public var streamPing = true
        /// Answer a datagram carrying a suspect or dead claim about a member at an incarnation
        /// older than the live record this node holds (or about this node) by sending that
        /// record straight back to the sender, so a node that missed a refutation learns it
        /// before its suspicion runs out (helpers of a last-chance probe do this too).
        public var answerStaleClaims = true
        /// Last-chance probes before `dead` (with `finalProbe`): an unanswered one is repeated
        /// after `lastChanceBackoff`, up to this many in all, so that a member stalled through
        /// the first (e.g. two stalls back to back) can still answer.
        public var lastChanceProbes = 2
        /// Wait between an unanswered last-chance probe's end and the next one.
        public var lastChanceBackoff: Duration = .seconds(1)
        /// Probe targets follow a permutation shared by all members for each round (each
        /// member is probed about once per period), instead of independent random choices.
        public var alignedProbeSchedule = true
        /// Gossip round period (memberlist: 200 ms).
        public var gossipInterval: Duration = .milliseconds(200)
        /// Members sent to per gossip round (memberlist: 3).
        public var gossipFanout = 3
        /// Run a gossip round as soon as a datagram brings news, instead of waiting for
        /// the next tick.
        public var eagerPush = true
        /// At most one eager round per this interval (news arriving faster waits for the
        /// next round, eager or periodic).
        public var eagerPushGap: Duration = .milliseconds(50)
        /// λ: each update is sent `λ · ceil(log10(N + 1))` times (memberlist: 4).
        public var retransmitMultiplier = 4
        /// Push-pull period for up to 32 members; scaled by `ceil(log2(N / 32)) + 1` above.
        public var pushPullInterval: Duration = .seconds(30)
        /// Period of push-pull attempts with a random dead or reaped member (partition healing;
        /// Serf's reconnect interval is 30 s).
        public var reconnectInterval: Duration = .seconds(10)
        /// How long a dead or departed member stays in the member list before it is reaped.
        public var deadRetention: Duration = .seconds(30)
        /// How long a reaped member's tombstone (its last incarnation) is kept, so that no
        /// stale record brings it back.
        public var tombstoneRetention: Duration = .seconds(6 * 3600)
        /// At most this many tombstones are kept (oldest dropped first).
        public var maxTombstones = 100_000
        /// Retry period for joining while no member is known.
        public var joinRetry: Duration = .seconds(2)
        /// The first periodic push-pull after joining comes this long (× 1–2, jittered) after
        /// the join instead of a full period: nodes that join together learn of each other
        /// through gossip, and one that missed an `alive` update in the burst would otherwise
        /// wait a whole push-pull period (30 s or more) to learn of that member.
        public var settleSync: Duration = .seconds(2)
        /// Largest packet built (Protocol.md §5.1 caps it at 1,400 bytes).
        public var maxPacketSize = Packet.maxSize

        /// Defaults.
        public init() {}
    }
}
