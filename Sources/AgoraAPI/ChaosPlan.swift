import Foundation

/// What `agora testnet chaos` runs (a file in `testnet/`, e.g. `testnet/chaos.json`): how many
/// nodes, which of them take the clients' requests and which lie, the load, and a schedule of
/// faults in seconds from the start of the load. The schedule is a file, not a random draw at
/// run time, so that a run can be repeated exactly and a failing schedule kept.
public struct ChaosPlan: Codable, Sendable, Equatable {
    /// One scheduled fault.
    public struct Fault: Codable, Sendable, Equatable {
        /// What happens.
        public enum Kind: String, Codable, Sendable {
            /// SIGKILL, then (after `duration` seconds, when given) a restart on the same data.
            case kill
            /// SIGSTOP, then SIGCONT after `duration` seconds.
            case stop
            /// The nodes lose every packet (tc netem loss 100 %, each node's own namespace:
            /// needs `--netns`) for `duration` seconds, then heal.
            case partition
            /// Every node's link gets `delayMs` of delay and `lossPercent` of loss (tc netem;
            /// needs `--netns`) for `duration` seconds, or to the end when none.
            case netem
        }

        public var kind: Kind
        /// Seconds from the start of the load.
        public var at: Double
        /// The node (`kill`, `stop`).
        public var node: Int?
        /// The nodes (`partition`).
        public var nodes: [Int]?
        /// Seconds until the restart, SIGCONT or heal.
        public var duration: Double?
        /// Packet loss, percent (`netem`).
        public var lossPercent: Double?
        /// Added one-way delay, milliseconds (`netem`).
        public var delayMs: Int?

        /// A fault.
        public init(kind: Kind, at: Double, node: Int? = nil, nodes: [Int]? = nil, duration: Double? = nil,
                    lossPercent: Double? = nil, delayMs: Int? = nil) {
            self.kind = kind; self.at = at; self.node = node; self.nodes = nodes; self.duration = duration
            self.lossPercent = lossPercent; self.delayMs = delayMs
        }

        /// Whether it needs each node in its own network namespace.
        public var needsNamespaces: Bool { kind == .partition || kind == .netem }
    }

    /// Nodes in the testnet.
    public var nodes: Int
    /// Chat completions to send.
    public var jobs: Int
    /// Requests in flight at once.
    public var concurrency: Int
    /// `max_tokens` of each request, `A-B` or `A`.
    public var maxTokens: String
    /// Seed of the load (each request's `max_tokens`).
    public var seed: UInt64
    /// The nodes that take clients' requests and do not serve (node 0 first: everyone's
    /// bootstrap). A client whose request fails at one tries the next.
    public var gateways: [Int]
    /// Byzantine nodes: node index (as a string) → `Misbehaviour` mode.
    public var byzantine: [String: String]
    /// Validators per job (default 1).
    public var verificationLevel: Int?
    /// Seconds a client keeps trying one request (across gateways) before it counts as lost.
    public var requestTimeout: Double
    /// The faults.
    public var faults: [Fault]

    /// A plan.
    public init(nodes: Int, jobs: Int, concurrency: Int, maxTokens: String, seed: UInt64, gateways: [Int],
                byzantine: [String: String], verificationLevel: Int? = nil, requestTimeout: Double, faults: [Fault]) {
        self.nodes = nodes; self.jobs = jobs; self.concurrency = concurrency; self.maxTokens = maxTokens; self.seed = seed
        self.gateways = gateways; self.byzantine = byzantine; self.verificationLevel = verificationLevel
        self.requestTimeout = requestTimeout; self.faults = faults
    }

    /// The byzantine nodes by index.
    public var byzantineNodes: [Int: String] {
        Dictionary(uniqueKeysWithValues: byzantine.compactMap { k, v in Int(k).map { ($0, v) } })
    }

    /// Honest nodes that serve jobs.
    public var honestProviders: [Int] {
        (0..<nodes).filter { !gateways.contains($0) && byzantineNodes[$0] == nil }
    }

    /// A plan problem, in words.
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let description: String
        init(_ d: String) { description = d }
    }

    /// Checks the plan: every node named exists, the gateways are honest, enough honest
    /// providers remain, and each fault names what it needs.
    public func validate(modes: Set<String>) throws(Invalid) {
        guard (2...64).contains(nodes) else { throw Invalid("nodes must be 2…64, is \(nodes)") }
        guard (1...1_000_000).contains(jobs) else { throw Invalid("jobs must be 1…1000000, is \(jobs)") }
        guard (1...1024).contains(concurrency) else { throw Invalid("concurrency must be 1…1024, is \(concurrency)") }
        guard requestTimeout > 0 else { throw Invalid("requestTimeout must be positive") }
        guard !gateways.isEmpty, gateways.allSatisfy({ (0..<nodes).contains($0) }), gateways.first == 0 else {
            throw Invalid("gateways must be nodes of the testnet, node 0 first")
        }
        for (k, mode) in byzantine {
            guard let i = Int(k), (0..<nodes).contains(i) else { throw Invalid("byzantine node \(k) is not a node of the testnet") }
            guard !gateways.contains(i) else { throw Invalid("byzantine node \(i) is a gateway") }
            guard modes.contains(mode) else { throw Invalid("byzantine node \(i): unknown mode \(mode) (\(modes.sorted().joined(separator: ", ")))") }
        }
        guard honestProviders.count >= 2 else { throw Invalid("at least two honest providers are needed, there are \(honestProviders.count)") }
        for (n, f) in faults.enumerated() {
            guard f.at >= 0 else { throw Invalid("fault \(n): at must be ≥ 0") }
            if let d = f.duration, d <= 0 { throw Invalid("fault \(n): duration must be positive") }
            switch f.kind {
            case .kill, .stop:
                guard let node = f.node, (0..<nodes).contains(node) else { throw Invalid("fault \(n) (\(f.kind)): node missing or not in the testnet") }
                if f.kind == .stop, f.duration == nil { throw Invalid("fault \(n) (stop): a duration is needed") }
            case .partition:
                guard let ns = f.nodes, !ns.isEmpty, ns.allSatisfy({ (0..<nodes).contains($0) }) else {
                    throw Invalid("fault \(n) (partition): nodes missing or not in the testnet")
                }
                guard f.duration != nil else { throw Invalid("fault \(n) (partition): a duration is needed") }
            case .netem:
                guard (f.lossPercent ?? 0) >= 0, (f.lossPercent ?? 0) < 100, (f.delayMs ?? 0) >= 0 else {
                    throw Invalid("fault \(n) (netem): loss must be 0…<100 %, delay ≥ 0")
                }
            }
        }
    }
}
