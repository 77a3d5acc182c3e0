/// Seconds the engine's worker thread has spent on work since the engine started: decode
/// steps and the engine's own work in them, split between generating and checking by the
/// tokens each step decoded for either. Idle time is not counted.
public struct BusyTime: Sendable, Equatable {
    /// Seconds spent generating (prompt prefill and decoding of jobs).
    public var generatingSeconds = 0.0
    /// Seconds spent checking other nodes' results (teacher-forced decodes).
    public var checkingSeconds = 0.0

    /// The share of busy time that checks took.
    public var checkingShare: Double { checkingSeconds / max(generatingSeconds + checkingSeconds, 1e-12) }

    public init(generatingSeconds: Double = 0, checkingSeconds: Double = 0) {
        self.generatingSeconds = generatingSeconds
        self.checkingSeconds = checkingSeconds
    }

    /// Adds `other`'s seconds to these (busy time of several engines together).
    public mutating func add(_ other: BusyTime) {
        generatingSeconds += other.generatingSeconds
        checkingSeconds += other.checkingSeconds
    }
}
