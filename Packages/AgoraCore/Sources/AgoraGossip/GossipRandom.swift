extension Gossip {
    /// A small, fast, seedable generator (xoshiro256** seeded through SplitMix64). The
    /// instance and the simulator take all their randomness from one of these, so a seed
    /// fixes every choice; nothing in the core uses `SystemRandomNumberGenerator`.
    public struct Random: RandomNumberGenerator, Sendable {
        private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

        /// A generator whose whole sequence is fixed by `seed`.
        public init(seed: UInt64) {
            var sm = seed
            func splitMix(_ x: inout UInt64) -> UInt64 {
                x &+= 0x9E37_79B9_7F4A_7C15
                var z = x
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return z ^ (z >> 31)
            }
            s0 = splitMix(&sm); s1 = splitMix(&sm); s2 = splitMix(&sm); s3 = splitMix(&sm)
        }

        /// The next 64 random bits.
        public mutating func next() -> UInt64 {
            let result = rotl(s1 &* 5, 7) &* 9
            let t = s1 << 17
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
            s2 ^= t
            s3 = rotl(s3, 45)
            return result
        }

        /// A uniform integer in `0..<n` (`n` > 0).
        public mutating func below(_ n: Int) -> Int {
            Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
        }

        /// A uniform double in [0, 1).
        public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

        /// A generator derived from this one (for giving each simulated node its own stream).
        public mutating func split() -> Random { Random(seed: next()) }

        private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
    }

    /// Mixes a 64-bit value (SplitMix64's finaliser); used for the shared probe schedule.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
