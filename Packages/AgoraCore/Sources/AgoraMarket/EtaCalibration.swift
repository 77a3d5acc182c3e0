import AgoraCrypto

extension Market {
    /// How far each provider's estimates (`Bid.etaMillis`) have been from the time its results
    /// really took, as this requester saw it: the ranking scales a provider's estimate by it,
    /// so a provider that claims more speed than it has gains nothing from the claim.
    ///
    /// It is a correction, not a judgement: a slow or busy provider is not dishonest and its
    /// reputation never moves for this (issue [1/5]). An honest estimate counts the work
    /// queued ahead at single-stream speed, and batching only makes the real time shorter, so
    /// honest providers keep a factor near or below 1, and factors below 1 are not used (a
    /// provider gains nothing by under-promising either).
    public struct EtaCalibration: Equatable, Sendable {
        /// Observed time over estimated time per provider (exponentially weighted).
        private var factors: [PublicKey: Double] = [:]
        /// Weight of the newest observation.
        public static let weight = 0.3
        /// The largest factor kept (a stuck job must not make a provider unrankable forever).
        public static let maxFactor = 100.0
        /// Providers remembered; the least recent observation goes first (bounded state).
        public static let maxProviders = 4_096
        private var order: [PublicKey] = []

        public init() {}

        /// The factor that scales `provider`'s estimates (≥ 1; 1 with no observation).
        public func factor(of provider: PublicKey) -> Double { Swift.max(1, factors[provider] ?? 1) }

        /// A result of `provider` arrived `observed` ms after its award, for an estimate of
        /// `estimated` ms.
        public mutating func observe(_ provider: PublicKey, estimated: Millis, observed: Millis) {
            let ratio = Swift.min(Self.maxFactor, Double(observed) / Double(Swift.max(estimated, 1)))
            if let f = factors[provider] {
                factors[provider] = f + Self.weight * (ratio - f)
                order.removeAll { $0 == provider }
            } else {
                factors[provider] = ratio
            }
            order.append(provider)
            if order.count > Self.maxProviders { factors[order.removeFirst()] = nil }
        }
    }
}
