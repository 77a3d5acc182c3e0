import AgoraCrypto
import AgoraGossip
import HeapModule

extension Sim {
    /// The simulator. Single-threaded; drive it with `schedule(_:at:)` and `run(until:)`.
    public final class Simulation {
        struct Node {
            var instance: Gossip.Instance?
            var guardian: Gossip.PacketGuard?
            var crashed = false
            var stalledUntil: Int64 = 0
            var generation = 0
            var skew: Int64 = 0
            var lastIncarnation: UInt64 = 1
            var sequence: UInt64 = 1
        }

        /// Parameters.
        public let config: Config
        /// Current simulated time, nanoseconds.
        public private(set) var now: Int64 = 0
        /// Traffic per node.
        public internal(set) var traffic: [Traffic]
        /// Events processed.
        public private(set) var eventsProcessed = 0
        /// A running hash of every delivery, timer and emitted event: same seed, same hash.
        public internal(set) var traceHash: UInt64 = 0xcbf2_9ce4_8422_2325
        /// Called for every membership event any node emits: (time ns, observer, event).
        public var onEvent: ((Int64, Int, Gossip.Event) -> Void)?

        var nodes: [Node]
        var queue = Heap<Slot>()
        var payloads: [Payload?] = []
        var freeSlots: [Int32] = []
        var seq: UInt64 = 0
        var rng: Random
        var groups: [UInt16]?
        let addresses: [Gossip.Address]
        let addressIndex: [Gossip.Address: Int]
        let identities: [Identity]
        let nodeIDs: [NodeID]
        let idIndex: [UInt64: Int]
        let capabilities: [Gossip.Capabilities]

        typealias Random = Gossip.Random

        /// Builds `config.nodes` nodes that already know each other (as after a join) and
        /// starts them at time 0.
        public init(config: Config) throws(GossipError) {
            self.config = config
            var rng = Random(seed: config.seed)
            var ids: [Identity] = []
            var keys: [NodeID] = []
            keys.reserveCapacity(config.nodes)
            for _ in 0..<config.nodes {
                var seed = [UInt8](repeating: 0, count: 32)
                for j in 0..<4 { let v = rng.next(); for b in 0..<8 { seed[j * 8 + b] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(b))) } }
                let identity = try! Identity(seed: seed)  // 32 bytes: cannot fail
                keys.append(identity.publicKey)
                // Identities hold locked memory (sodium_malloc): keep them only when they sign.
                if config.signatures == .ed25519 || config.realPackets { ids.append(identity) }
            }
            identities = ids
            nodeIDs = keys
            var byKey: [UInt64: Int] = [:]
            for (i, id) in nodeIDs.enumerated() { byKey[Simulation.key(id)] = i }
            idIndex = byKey
            addresses = (0..<config.nodes).map { Gossip.Address(host: "10.\($0 >> 16).\(($0 >> 8) & 255).\($0 & 255)", port: 7946) }
            var index: [Gossip.Address: Int] = [:]
            for (i, a) in addresses.enumerated() { index[a] = i }
            addressIndex = index
            capabilities = (0..<config.nodes).map { i in Simulation.capabilities(for: i, models: config.modelsPerNode) }
            traffic = Array(repeating: Traffic(), count: config.nodes)
            nodes = Array(repeating: Node(), count: config.nodes)
            let skewNs = Int64(config.clockSkewMs * 1e6)
            for i in 0..<config.nodes where skewNs > 0 { nodes[i].skew = Int64(rng.below(Int(2 * skewNs + 1))) - skewNs }
            self.rng = rng
            var records: [Gossip.PeerRecord] = []
            for i in 0..<config.nodes {
                nodes[i].instance = try makeInstance(i, incarnation: 1)
                records.append(nodes[i].instance!.record)
            }
            records.sort { $0.nodeID < $1.nodeID }
            for i in 0..<config.nodes {
                let ds = nodes[i].instance!.onCommand(.join(bootstrap: [], knownRecords: records), now: instant(i))
                carryOut(ds, from: i)
            }
        }

        static func capabilities(for i: Int, models: Int) -> Gossip.Capabilities {
            let offers = (0..<models).map { m in
                Gossip.ModelOffer(modelID: SHA256.hash(Array("model-\(m)".utf8)), name: "SmolLM2-135M-Instruct.Q4_1",
                                  contextLength: 8192, prefillMilliTokensPerSecond: 374_000 + UInt64(i % 97) * 1000,
                                  decodeMilliTokensPerSecond: 123_000, pricePer1kTokens: 2_000)
            }
            return Gossip.Capabilities(models: offers, queueDepth: 0)
        }

        func makeInstance(_ i: Int, incarnation: UInt64) throws(GossipError) -> Gossip.Instance {
            let seed = Gossip.mixSeed(config.seed, UInt64(i), UInt64(nodes[i].generation))
            if config.realPackets { nodes[i].guardian = Gossip.PacketGuard(selfID: nodeIDs[i]) }
            switch config.signatures {
            case .ed25519:
                return try Gossip.Instance(signer: Gossip.IdentitySigner(identities[i]), addresses: [addresses[i]],
                                           capabilities: capabilities[i], incarnation: incarnation,
                                           settings: config.settings, seed: seed, verifier: Gossip.Ed25519Verifier())
            case .trusted:
                return try Gossip.Instance(signer: TrustedSigner(nodeID: nodeIDs[i]), addresses: [addresses[i]],
                                           capabilities: capabilities[i], incarnation: incarnation,
                                           settings: config.settings, seed: seed, verifier: TrustedVerifier())
            }
        }

        /// Node `i`'s clock reading now.
        func instant(_ i: Int) -> Gossip.Instant { Gossip.Instant(nanoseconds: now + nodes[i].skew) }

        /// The node id of node `i`.
        public func nodeID(_ i: Int) -> NodeID { nodeIDs[i] }
        /// The index of a node id.
        public func index(of id: NodeID) -> Int? {
            guard let i = idIndex[Simulation.key(id)], nodeIDs[i] == id else { return nil }
            return i
        }

        static func key(_ id: NodeID) -> UInt64 { id.bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) } }
        /// Node `i`'s instance, unless crashed.
        public func instance(_ i: Int) -> Gossip.Instance? { nodes[i].instance }
        /// Whether node `i` is crashed.
        public func isCrashed(_ i: Int) -> Bool { nodes[i].crashed }
        /// Whether node `i` is stalled now.
        public func isStalled(_ i: Int) -> Bool { nodes[i].stalledUntil > now }
        /// The simulator's own random stream (for scenario scripts).
        public func random() -> Gossip.Random { rng.split() }
        /// Number of nodes.
        public var count: Int { nodes.count }

        /// Schedules a scripted action at time `at` (ns).
        public func schedule(_ action: Action, at: Int64) {
            push(Event(time: at, seq: 0, payload: .action(action)))
        }

        func push(_ e: Event) {
            seq += 1
            let slot: Int32
            if let free = freeSlots.popLast() {
                slot = free
                payloads[Int(free)] = e.payload
            } else {
                slot = Int32(payloads.count)
                payloads.append(e.payload)
            }
            queue.insert(Slot(time: e.time, seq: seq, slot: slot))
        }

        func pop() -> Event? {
            let s = queue.removeMin()
            defer { payloads[Int(s.slot)] = nil; freeSlots.append(s.slot) }
            guard let payload = payloads[Int(s.slot)] else { return nil }
            return Event(time: s.time, seq: s.seq, payload: payload)
        }

        /// Runs every event up to and including time `end` (ns).
        public func run(until end: Int64) {
            while let top = queue.min, top.time <= end {
                guard let e = pop() else { continue }
                now = e.time
                if let t = e.target, nodes[t].stalledUntil > now, !nodes[t].crashed {
                    var later = e
                    later.time = nodes[t].stalledUntil
                    push(later)
                    continue
                }
                eventsProcessed += 1
                process(e)
            }
            now = max(now, end)
        }
    }
}

extension Gossip {
    /// Mixes seeds for per-node generators.
    static func mixSeed(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        var r = Gossip.Random(seed: a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ (c &* 0xC2B2_AE3D_27D4_EB4F))
        return r.next()
    }
}
