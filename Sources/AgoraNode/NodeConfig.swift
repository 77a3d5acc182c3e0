import Foundation

/// A node's configuration. Every field has a default; the config file in the data
/// directory (`config.json`) overrides the defaults, and command-line flags override the file.
public struct NodeConfig: Codable, Sendable, Equatable {
    /// Address to bind and to advertise to peers.
    public var host: String = "127.0.0.1"
    /// Port for gossip datagrams (UDP) and peer sessions (TCP); the same number serves both, as in memberlist.
    public var port: Int = 7700
    /// Port of the HTTP API (OpenAI-compatible, node API, metrics, dashboard); 0 disables it.
    public var httpPort: Int = 8700
    /// Address the HTTP API binds: loopback by default, whatever `host` is. Beyond loopback
    /// every request needs an API key (`agora keys create`), since a key spends this node's
    /// credits.
    public var apiHost: String = "127.0.0.1"
    /// Addresses (`host:port`) of nodes to join through.
    public var bootstrap: [String] = []
    /// GGUF model to serve when `models` is empty; empty means the bootstrap's default model
    /// (`$AGORA_MODEL`).
    public var modelPath: String = ""
    /// Models to serve, each with its own slots, context and price (the node-wide values when
    /// left out); empty means `modelPath` alone. In `config.json` an entry is an object or a path.
    public var models: [ModelEntry] = []
    /// Most memory the node's models may take (weights plus KV caches, as estimated before
    /// loading), e.g. `"6G"`; a model that would not fit is refused. nil: no limit.
    public var memory: String?
    /// Names users may ask for, each standing for a model name (`"coder": "qwen2.5-coder:0.5b-instruct-q4_k_m"`).
    public var aliases: [String: String] = [:]
    /// Threads llama.cpp uses (0: one per core).
    public var threads: Int = 0
    /// Parallel job slots that decode together in one batch.
    public var slots: Int = 4
    /// Context (prompt + output tokens) each slot holds; the largest job this node takes.
    /// Decode slows as it grows (llama.cpp's V cache rows are this long; BENCHMARKS.md).
    public var contextPerSlot: Int = 2048
    /// Awarded jobs that may wait for a slot here (beyond them, the node bids on nothing and
    /// jobs wait at their requesters).
    public var queueLimit: Int = 64
    /// Whether a job may start from the keys and values a slot kept of an earlier job that
    /// shared its prompt's opening (a chat template's system prompt, a conversation's earlier
    /// turns), as llama.cpp's server does with `cache_prompt`; results are bit-identical.
    public var promptCache: Bool = true
    /// Whether this node's verified jobs (level ≥ 1) go only to providers that validators of
    /// their own arithmetic class can check exactly (`Market.CheckPolicy.exactRequired`);
    /// false prefers such validators and falls back to a tolerant check.
    public var requireExactChecks: Bool = false
    /// Asking price, in credits per 1,000 tokens.
    public var pricePer1kTokens: UInt64 = 10
    /// Share of results this node re-checks as a validator when it is asked to spot-check (0…1).
    public var spotCheckRate: Double = 0.1
    /// Whether this node serves jobs (false: requester and validator only).
    public var serve: Bool = true
    /// Validators that re-check each job this node requests before it is paid (0: the
    /// ledger proof only).
    public var verificationLevel: UInt8 = 1
    /// Seconds a job this node requests may wait for capacity and run before it fails.
    public var jobTimeout: Int = 600
    /// Jobs this node's users may have open at once (waiting or running); beyond that the
    /// API answers 429 with `Retry-After`.
    public var maxOpenJobs: Int = 1_024

    /// The defaults.
    public init() {}

    /// Reads `config.json` from `dataDirectory` if present; defaults otherwise.
    public static func load(from dataDirectory: DataDirectory) throws(NodeError) -> NodeConfig {
        let path = dataDirectory.configPath
        guard FileManager.default.fileExists(atPath: path) else { return NodeConfig() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NodeError(.configuration, "cannot read \(path)")
        }
        do {
            return try JSONDecoder().decode(NodeConfig.self, from: data)
        } catch {
            throw NodeError(.configuration, "invalid configuration file \(path): \(error)")
        }
    }

    /// Writes this configuration to `config.json` in `dataDirectory`.
    public func save(to dataDirectory: DataDirectory) throws(NodeError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: dataDirectory.configPath), options: .atomic)
        } catch {
            throw NodeError(.configuration, "cannot write \(dataDirectory.configPath): \(error)")
        }
    }

    /// Checks ranges; throws `configuration` naming the bad field.
    public func validate() throws(NodeError) {
        guard (1...65535).contains(port) else { throw NodeError(.configuration, "port \(port) is out of range 1…65535") }
        guard (0...65535).contains(httpPort) else { throw NodeError(.configuration, "http port \(httpPort) is out of range") }
        guard (0...256).contains(threads) else { throw NodeError(.configuration, "threads \(threads) is out of range 0…256") }
        guard (1...64).contains(slots) else { throw NodeError(.configuration, "slots \(slots) is out of range 1…64") }
        guard (256...131_072).contains(contextPerSlot) else {
            throw NodeError(.configuration, "context per slot \(contextPerSlot) is out of range 256…131072 tokens")
        }
        guard (0...10_000).contains(queueLimit) else { throw NodeError(.configuration, "queue limit \(queueLimit) is out of range") }
        guard (0...1).contains(spotCheckRate) else { throw NodeError(.configuration, "spot-check rate \(spotCheckRate) is not in 0…1") }
        guard (1...86_400).contains(jobTimeout) else { throw NodeError(.configuration, "job timeout \(jobTimeout) s is out of range 1…86400") }
        guard (1...1_000_000).contains(maxOpenJobs) else { throw NodeError(.configuration, "max open jobs \(maxOpenJobs) is out of range 1…1000000") }
        guard verificationLevel <= 4 else { throw NodeError(.configuration, "verification level \(verificationLevel) is out of range 0…4") }
        if let memory, Self.parseBytes(memory) == nil {
            throw NodeError(.configuration, "memory \"\(memory)\" is not a size such as 4G, 512M or 2.5G")
        }
        guard models.count <= ModelEntry.maxModels else {
            throw NodeError(.configuration, "\(models.count) models configured; a node serves at most \(ModelEntry.maxModels)")
        }
        for m in models { try m.validate() }
        for b in bootstrap where Self.parseAddress(b) == nil {
            throw NodeError(.configuration, "bootstrap address \"\(b)\" is not host:port")
        }
    }

    /// The models to load at start: `models`, else `modelPath` (or the default model).
    public var modelEntries: [ModelEntry] { models.isEmpty ? [ModelEntry(path: modelPath)] : models }

    /// The memory budget in bytes, nil when unlimited (or unparsable: `validate` refuses that).
    public var memoryBudget: UInt64? { memory.flatMap(Self.parseBytes) }

    /// Parses a size: a number with an optional K, M, G or T suffix (powers of 1024; a
    /// trailing `B`/`iB` is allowed), e.g. `6G`, `512MiB`, `2.5g`, `1000000`.
    public static func parseBytes(_ text: String) -> UInt64? {
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        if t.hasSuffix("IB") { t.removeLast(2) } else if t.hasSuffix("B") { t.removeLast() }
        var scale: Double = 1
        if let last = t.last, let power = ["K": 1.0, "M": 2.0, "G": 3.0, "T": 4.0][String(last)] {
            scale = pow(1024, power)
            t.removeLast()
        }
        guard let n = Double(t), n.isFinite, n > 0, n * scale < 1e18 else { return nil }
        return UInt64(n * scale)
    }

    /// Whether `host` is a loopback address (reachable from this machine only).
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "::1" || h == "[::1]" || h.hasPrefix("127.")
    }

    /// Splits `host:port`.
    public static func parseAddress(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        let host = String(text[..<colon])
        guard !host.isEmpty else { return nil }
        return (host, port)
    }

    enum CodingKeys: String, CodingKey {
        case host, port, httpPort, apiHost, bootstrap, modelPath, models, memory, aliases, threads, slots, contextPerSlot, queueLimit, pricePer1kTokens, spotCheckRate, serve
        case promptCache, requireExactChecks, verificationLevel, jobTimeout, maxOpenJobs
    }

    /// Decodes leniently: missing keys keep their defaults; unknown keys are an error.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
            .filter { CodingKeys(stringValue: $0) == nil }
        if let first = unknown.sorted().first {
            throw DecodingError.dataCorruptedError(forKey: AnyKey(stringValue: first), in: try decoder.container(keyedBy: AnyKey.self),
                                                   debugDescription: "unknown configuration key \"\(first)\"")
        }
        let d = NodeConfig()
        host = try c.decodeIfPresent(String.self, forKey: .host) ?? d.host
        port = try c.decodeIfPresent(Int.self, forKey: .port) ?? d.port
        httpPort = try c.decodeIfPresent(Int.self, forKey: .httpPort) ?? d.httpPort
        apiHost = try c.decodeIfPresent(String.self, forKey: .apiHost) ?? d.apiHost
        bootstrap = try c.decodeIfPresent([String].self, forKey: .bootstrap) ?? d.bootstrap
        modelPath = try c.decodeIfPresent(String.self, forKey: .modelPath) ?? d.modelPath
        models = try c.decodeIfPresent([ModelEntry].self, forKey: .models) ?? d.models
        memory = try c.decodeIfPresent(String.self, forKey: .memory)
        aliases = try c.decodeIfPresent([String: String].self, forKey: .aliases) ?? d.aliases
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? d.threads
        slots = try c.decodeIfPresent(Int.self, forKey: .slots) ?? d.slots
        contextPerSlot = try c.decodeIfPresent(Int.self, forKey: .contextPerSlot) ?? d.contextPerSlot
        queueLimit = try c.decodeIfPresent(Int.self, forKey: .queueLimit) ?? d.queueLimit
        promptCache = try c.decodeIfPresent(Bool.self, forKey: .promptCache) ?? d.promptCache
        requireExactChecks = try c.decodeIfPresent(Bool.self, forKey: .requireExactChecks) ?? d.requireExactChecks
        pricePer1kTokens = try c.decodeIfPresent(UInt64.self, forKey: .pricePer1kTokens) ?? d.pricePer1kTokens
        spotCheckRate = try c.decodeIfPresent(Double.self, forKey: .spotCheckRate) ?? d.spotCheckRate
        serve = try c.decodeIfPresent(Bool.self, forKey: .serve) ?? d.serve
        verificationLevel = try c.decodeIfPresent(UInt8.self, forKey: .verificationLevel) ?? d.verificationLevel
        jobTimeout = try c.decodeIfPresent(Int.self, forKey: .jobTimeout) ?? d.jobTimeout
        maxOpenJobs = try c.decodeIfPresent(Int.self, forKey: .maxOpenJobs) ?? d.maxOpenJobs
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
