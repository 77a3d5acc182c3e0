import AgoraGossip
import Foundation

/// The node's clocks: a monotonic one for gossip timers and wall-clock milliseconds for the
/// market (deadlines and expiries travel between nodes, so they are Unix times).
enum NodeClock {
    private static let epoch = ContinuousClock.now
    /// Unix time at `epoch`, in nanoseconds: gossip time is monotonic but Unix-aligned, so all
    /// nodes share probe rounds (`floor(now / period)`, the aligned probe schedule).
    private static let unixAtEpoch = Int64(Date().timeIntervalSince1970 * 1_000_000_000)

    /// Monotonic, Unix-aligned time for the gossip instance.
    static func gossipNow() -> Gossip.Instant {
        let d = ContinuousClock.now - epoch
        return Gossip.Instant(nanoseconds: unixAtEpoch + d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000)
    }

    /// How long until a gossip instant (zero if past).
    static func delay(until t: Gossip.Instant) -> Duration {
        let ns = max(0, t.nanoseconds - gossipNow().nanoseconds)
        return .nanoseconds(ns)
    }

    /// Unix time in milliseconds, for the market.
    static func unixMillis() -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }
}
