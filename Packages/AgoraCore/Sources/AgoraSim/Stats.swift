extension Sim {
    /// Percentiles of a sample.
    public struct Distribution: Sendable, CustomStringConvertible {
        /// The sorted sample.
        public let sorted: [Double]

        /// A distribution of `values`.
        public init(_ values: [Double]) { sorted = values.sorted() }

        /// The `p`-th percentile (nearest rank), or NaN when empty.
        public func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
            return sorted[Swift.min(sorted.count - 1, Swift.max(0, rank - 1))]
        }

        /// Sample size.
        public var count: Int { sorted.count }
        /// Largest value.
        public var max: Double { sorted.last ?? .nan }
        /// Mean.
        public var mean: Double { sorted.isEmpty ? .nan : sorted.reduce(0, +) / Double(sorted.count) }

        public var description: String {
            "n=\(count) p50=\(fmt(percentile(50))) p90=\(fmt(percentile(90))) p99=\(fmt(percentile(99))) max=\(fmt(max))"
        }
    }
}

/// Formats with 3 decimals.
public func fmt(_ x: Double) -> String {
    guard x.isFinite else { return "n/a" }
    let v = (x * 1000).rounded() / 1000
    return "\(v)"
}

/// Seconds as nanoseconds.
func ns(_ seconds: Double) -> Int64 { Int64(seconds * 1e9) }
