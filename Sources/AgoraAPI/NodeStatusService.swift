/// What the node API (`/api/...`) and the dashboard read from a node.
public protocol NodeStatusService: Sendable {
    /// `GET /api/health`.
    func health() async -> HealthView
    /// `GET /api/peers`: the membership view with each member's peer record.
    func peers() async -> [PeerView]
    /// `GET /api/jobs`: recent jobs this node took part in, newest first.
    func jobs() async -> [JobView]
    /// `GET /api/ledger`: the latest checkpoint and the newest entries.
    func ledger(limit: Int) async -> LedgerView
    /// `GET /api/ledger/entries?from=&limit=`.
    func ledgerEntries(from: UInt64, limit: Int) async throws -> [LedgerEntryView]
    /// `GET /api/ledger/proof?seq=`: an inclusion proof against the latest checkpoint.
    func inclusionProof(seq: UInt64) async throws -> InclusionProofView
}

/// Node health.
public struct HealthView: Codable, Sendable {
    public var status: String
    public var nodeID: String
    public var address: String
    public var uptimeSeconds: Double
    public var peersAlive: Int
    public var models: [String]
    public var ledgerSize: UInt64
    public var credits: Int64

    enum CodingKeys: String, CodingKey {
        case status, nodeID = "node_id", address, uptimeSeconds = "uptime_s", peersAlive = "peers_alive", models,
             ledgerSize = "ledger_size", credits
    }

    public init(status: String, nodeID: String, address: String, uptimeSeconds: Double, peersAlive: Int, models: [String],
                ledgerSize: UInt64, credits: Int64) {
        self.status = status; self.nodeID = nodeID; self.address = address; self.uptimeSeconds = uptimeSeconds
        self.peersAlive = peersAlive; self.models = models; self.ledgerSize = ledgerSize; self.credits = credits
    }
}

/// One member as this node sees it.
public struct PeerView: Codable, Sendable {
    public struct Model: Codable, Sendable {
        public var name: String
        public var modelID: String
        public var contextLength: Int
        /// The arithmetic class the peer runs the model in (32 hex digits), empty when none.
        public var arithmeticClass: String
        enum CodingKeys: String, CodingKey {
            case name, modelID = "model_id", contextLength = "context_length", arithmeticClass = "arithmetic_class"
        }
        public init(name: String, modelID: String, contextLength: Int, arithmeticClass: String = "") {
            self.name = name; self.modelID = modelID; self.contextLength = contextLength; self.arithmeticClass = arithmeticClass
        }
    }

    public var nodeID: String
    public var address: String
    public var state: String
    public var incarnation: UInt64
    public var models: [Model]
    public var prefillTokensPerSecond: Double
    public var decodeTokensPerSecond: Double
    public var pricePer1kTokens: UInt64
    public var queueDepth: Int
    /// The arithmetic classes the peer advertises (32 hex digits each, comma-separated, one
    /// per class among its models), empty when none: validators of a provider's class for a
    /// model check its results of that model exactly.
    public var arithmeticClass: String
    public var reputation: Double
    /// The member's credit balance as this node counts it.
    public var credits: Int64
    public var isSelf: Bool

    enum CodingKeys: String, CodingKey {
        case nodeID = "node_id", address, state, incarnation, models, prefillTokensPerSecond = "prefill_tps",
             decodeTokensPerSecond = "decode_tps", pricePer1kTokens = "price_per_1k", queueDepth = "queue_depth",
             arithmeticClass = "arithmetic_class", reputation, credits, isSelf = "self"
    }

    public init(nodeID: String, address: String, state: String, incarnation: UInt64, models: [Model],
                prefillTokensPerSecond: Double, decodeTokensPerSecond: Double, pricePer1kTokens: UInt64, queueDepth: Int,
                arithmeticClass: String = "", reputation: Double, credits: Int64 = 0, isSelf: Bool) {
        self.nodeID = nodeID; self.address = address; self.state = state; self.incarnation = incarnation
        self.models = models; self.prefillTokensPerSecond = prefillTokensPerSecond
        self.decodeTokensPerSecond = decodeTokensPerSecond; self.pricePer1kTokens = pricePer1kTokens
        self.queueDepth = queueDepth; self.arithmeticClass = arithmeticClass
        self.reputation = reputation; self.credits = credits; self.isSelf = isSelf
    }
}

/// One job as this node knows it.
public struct JobView: Codable, Sendable {
    public var jobID: String
    public var role: String
    public var state: String
    public var requester: String
    public var provider: String?
    public var price: UInt64?
    public var latencyMs: Double?
    public var verification: String
    public var attempts: Int
    public var createdUnixMs: Int64

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id", role, state, requester, provider, price, latencyMs = "latency_ms", verification,
             attempts, createdUnixMs = "created_unix_ms"
    }

    public init(jobID: String, role: String, state: String, requester: String, provider: String?, price: UInt64?,
                latencyMs: Double?, verification: String, attempts: Int, createdUnixMs: Int64) {
        self.jobID = jobID; self.role = role; self.state = state; self.requester = requester; self.provider = provider
        self.price = price; self.latencyMs = latencyMs; self.verification = verification; self.attempts = attempts
        self.createdUnixMs = createdUnixMs
    }
}

/// A ledger entry for display.
public struct LedgerEntryView: Codable, Sendable {
    public var seq: UInt64
    public var kind: String
    public var timeUnixMs: Int64
    public var hash: String
    public var summary: String
    /// The entry's canonical bytes, hex: any peer can check its signature and hash itself.
    public var bytes: String

    enum CodingKeys: String, CodingKey { case seq, kind, timeUnixMs = "time_unix_ms", hash, summary, bytes }

    public init(seq: UInt64, kind: String, timeUnixMs: Int64, hash: String, summary: String, bytes: String) {
        self.seq = seq; self.kind = kind; self.timeUnixMs = timeUnixMs; self.hash = hash; self.summary = summary
        self.bytes = bytes
    }
}

/// The ledger's latest checkpoint and newest entries.
public struct LedgerView: Codable, Sendable {
    public var ledgerID: String
    public var size: UInt64
    public var rootHash: String
    public var checkpoint: String
    public var entries: [LedgerEntryView]

    enum CodingKeys: String, CodingKey { case ledgerID = "ledger_id", size, rootHash = "root_hash", checkpoint, entries }

    public init(ledgerID: String, size: UInt64, rootHash: String, checkpoint: String, entries: [LedgerEntryView]) {
        self.ledgerID = ledgerID; self.size = size; self.rootHash = rootHash; self.checkpoint = checkpoint; self.entries = entries
    }
}

/// An inclusion proof for display and independent checking.
public struct InclusionProofView: Codable, Sendable {
    public var seq: UInt64
    public var treeSize: UInt64
    public var leafHash: String
    public var rootHash: String
    public var path: [String]
    public var checkpoint: String

    enum CodingKeys: String, CodingKey {
        case seq, treeSize = "tree_size", leafHash = "leaf_hash", rootHash = "root_hash", path, checkpoint
    }

    public init(seq: UInt64, treeSize: UInt64, leafHash: String, rootHash: String, path: [String], checkpoint: String) {
        self.seq = seq; self.treeSize = treeSize; self.leafHash = leafHash; self.rootHash = rootHash; self.path = path
        self.checkpoint = checkpoint
    }
}
