import AgoraCrypto

extension Market {
    /// The instance's only source of randomness: a SHA-256 counter-mode generator over a
    /// 32-byte seed (`block i = SHA-256(seed ‖ i as u64 BE)`). A node seeds it from
    /// `SecureRandom.bytes(32)`, which makes every salt, job id and sealing key it yields
    /// unpredictable; the simulator seeds it from its run seed, which makes runs
    /// reproducible.
    public struct Random: Equatable, Sendable {
        private let seed: [UInt8]
        private var counter: UInt64 = 0
        private var buffer: [UInt8] = []

        /// A generator over a 32-byte seed (shorter or longer seeds are hashed to 32 bytes).
        public init(seed: [UInt8]) {
            self.seed = seed.count == 32 ? seed : SHA256.hash(seed).bytes
        }

        /// The next `count` bytes.
        public mutating func bytes(_ count: Int) -> [UInt8] {
            var out = [UInt8]()
            out.reserveCapacity(count)
            while out.count < count {
                if buffer.isEmpty { refill() }
                let n = Swift.min(count - out.count, buffer.count)
                out.append(contentsOf: buffer.prefix(n))
                buffer.removeFirst(n)
            }
            return out
        }

        /// A uniformly distributed `UInt64`.
        public mutating func next() -> UInt64 {
            bytes(8).reduce(0) { $0 << 8 | UInt64($1) }
        }

        /// A uniform integer in `0..<bound` (`bound` > 0), without modulo bias.
        public mutating func below(_ bound: Int) -> Int {
            precondition(bound > 0, "Random.below needs a positive bound")
            let b = UInt64(bound)
            let limit = UInt64.max - UInt64.max % b
            while true {
                let v = next()
                if v < limit { return Int(v % b) }
            }
        }

        /// A uniform double in [0, 1).
        public mutating func unit() -> Double {
            Double(next() >> 11) / Double(UInt64(1) << 53)
        }

        /// True with probability `p`.
        public mutating func chance(_ p: Double) -> Bool {
            p > 0 && unit() < p
        }

        /// `items` in a uniformly random order (Fisher–Yates).
        public mutating func shuffled<T>(_ items: [T]) -> [T] {
            var a = items
            var i = a.count
            while i > 1 {
                let j = below(i)
                i -= 1
                a.swapAt(i, j)
            }
            return a
        }

        private mutating func refill() {
            var c = [UInt8](repeating: 0, count: 8)
            for k in 0..<8 { c[k] = UInt8((counter >> UInt64(56 - 8 * k)) & 0xff) }
            counter &+= 1
            buffer = SHA256.hash(parts: [seed, c]).bytes
        }
    }
}
