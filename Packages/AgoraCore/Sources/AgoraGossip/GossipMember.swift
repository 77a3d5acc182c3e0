import AgoraCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Gossip {
    /// A member as this node sees it: its latest record and its status at an incarnation.
    public struct Member: Sendable, CustomStringConvertible {
        /// Membership status.
        public enum Status: UInt8, Sendable, Comparable {
            /// Answering probes (or not yet found otherwise).
            case alive = 0
            /// A probe failed; dead after the suspicion timeout unless it refutes.
            case suspect = 1
            /// Declared dead; kept until reaped so that no stale record revives it.
            case dead = 2
            /// Left gracefully (signed departing record).
            case left = 3

            public static func < (a: Status, b: Status) -> Bool { a.rawValue < b.rawValue }

            /// Alive or suspect: still probed and gossiped to.
            public var isLive: Bool { self == .alive || self == .suspect }
        }

        /// The latest signed record from the member.
        public internal(set) var record: PeerRecord
        /// The incarnation `status` refers to (≥ `record.incarnation`).
        public internal(set) var incarnation: UInt64
        /// Status.
        public internal(set) var status: Status

        /// Node id.
        public var nodeID: NodeID { record.nodeID }
        /// Address to reach it at.
        public var address: Address { record.address }

        public var description: String { "\(nodeID.short) \(status) #\(incarnation)" }
    }

    /// A member's tombstone after it was reaped.
    struct Tombstone: Sendable {
        var incarnation: UInt64
        var expires: Instant
        /// The member's last record, to try to reconnect after a partition (nil if it left).
        var record: PeerRecord?
    }

    /// Lifeguard suspicion timer for one member (memberlist `suspicion.go`).
    struct Suspicion: Sendable {
        let start: Instant
        let min: Int64
        let max: Int64
        let k: Int
        /// The first suspecter, then each independent confirmer.
        private(set) var confirmers: [NodeID]
        /// The last-chance probe sent when the timer ran out, if any.
        var finalProbe: UInt64?
        /// When the outstanding last-chance probe's window ends, if one is out.
        var finalProbeEnd: Instant?
        /// Last-chance probes sent for this suspicion.
        var finalProbesSent = 0
        /// When the next last-chance probe is due after an unanswered one (backoff).
        var retryAt: Instant?
        /// Whether the member answered the last-chance probe.
        var answered = false

        init(from: NodeID, start: Instant, min: Int64, max: Int64, k: Int) {
            self.start = start
            self.min = min
            self.max = max
            self.k = k
            confirmers = [from]
        }

        /// Adds a confirmation from a member not yet counted; false if not new or not needed.
        mutating func confirm(_ from: NodeID) -> Bool {
            guard k > 0, confirmers.count - 1 < k, !confirmers.contains(from) else { return false }
            confirmers.append(from)
            return true
        }

        /// When the member is declared dead: `max − (max − min) · log(c + 1) / log(k + 1)`
        /// after the start, never less than `min`.
        var deadline: Instant {
            guard k >= 1 else { return Instant(nanoseconds: start.nanoseconds + min) }
            let c = Double(confirmers.count - 1)
            let frac = naturalLog(c + 1) / naturalLog(Double(k) + 1)
            let raw = Double(max) - frac * Double(max - min)
            let ms = (raw / 1e6).rounded(.down) * 1e6
            return Instant(nanoseconds: start.nanoseconds + Swift.max(min, Int64(ms)))
        }
    }
}

/// Natural logarithm (the C library's `log`).
@inline(__always) func naturalLog(_ x: Double) -> Double { log(x) }
