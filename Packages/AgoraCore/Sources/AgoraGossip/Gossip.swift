/// SWIM + Lifeguard membership as a pure instance that returns directives.
///
/// `Gossip.Instance` is the protocol core: the node's shell (and `AgoraSim`) feed it
/// datagrams, push-pull states, timer expiries and commands, each with the current
/// `Gossip.Instant`, and carry out the `Gossip.Directive`s it returns. See
/// `Protocol.md` §5 for the wire format and `GossipInstance.swift` for the state machine.
public enum Gossip {}

extension Gossip {
    /// A point in time in nanoseconds on the clock the shell feeds the instance.
    ///
    /// Only differences matter, except for the probe schedule: members probe each other
    /// in rounds `floor(now / probeInterval)`, so a shell should feed a monotonic clock
    /// offset to Unix time (so that rounds of different nodes roughly line up; see
    /// `Settings.probeInterval`). A node whose clock is off still works, it just probes
    /// like plain randomised SWIM.
    public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// Nanoseconds since the clock's epoch.
        public var nanoseconds: Int64

        /// An instant `nanoseconds` after the epoch.
        public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

        /// An instant `milliseconds` after the epoch.
        public static func milliseconds(_ ms: Int64) -> Instant { Instant(nanoseconds: ms * 1_000_000) }

        /// The epoch.
        public static let zero = Instant(nanoseconds: 0)

        /// Seconds since the epoch, for reports.
        public var seconds: Double { Double(nanoseconds) / 1e9 }

        public var description: String { "\(seconds)s" }

        public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }

        /// `a` moved by `d`.
        public static func + (a: Instant, d: Duration) -> Instant { Instant(nanoseconds: a.nanoseconds &+ d.gossipNanoseconds) }

        /// The time from `b` to `a`.
        public static func - (a: Instant, b: Instant) -> Duration { .nanoseconds(a.nanoseconds &- b.nanoseconds) }
    }
}

extension Duration {
    /// This duration in whole nanoseconds (saturating at ±2^63).
    public var gossipNanoseconds: Int64 {
        let (s, a) = components
        let (m, o1) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if o1 { return s < 0 ? .min : .max }
        let (r, o2) = m.addingReportingOverflow(a / 1_000_000_000)
        return o2 ? (s < 0 ? .min : .max) : r
    }

    /// This duration scaled by `factor`, in nanoseconds.
    func scaled(_ factor: Double) -> Duration { .nanoseconds(Int64(Double(gossipNanoseconds) * factor)) }
}
