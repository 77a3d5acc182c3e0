import AgoraCrypto
import AgoraGossip

/// The models the network serves, as this node sees them in live members' signed peer
/// records (its own included), and how a name a user types resolves to one of them. Built
/// fresh from the records each time: gossip owns the facts, the catalog only reads them.
public struct ModelCatalog: Sendable {
    /// One model of the network.
    public struct Model: Sendable, Equatable {
        /// Model id: SHA-256 of the GGUF file.
        public var id: Digest
        /// Its readable name (`smollm2:135m-instruct-q4_1`).
        public var name: String
        /// Other names that reach it, most specific first (`smollm2:135m-instruct`, `smollm2`).
        public var aliases: [String]
        /// Live nodes serving it.
        public var nodes: Int
        /// Smallest and largest context a serving node takes, tokens.
        public var contextRange: ClosedRange<Int>
        /// Lowest and highest asking price, credits per 1,000 tokens.
        public var priceRange: ClosedRange<UInt64>
        /// Fastest advertised generation speed, tokens per second.
        public var bestDecodeTokensPerSecond: Double
        /// Whether this node serves it.
        public var servedHere: Bool
        /// The most nodes serving it that share one arithmetic class (0 when none advertises
        /// one): a job needing an exact check at level L needs a group of L + 1.
        public var largestExactGroup: Int = 0
    }

    /// Every model, sorted by name.
    public let models: [Model]
    /// The model `default` (and a request naming none) stands for.
    public let defaultModel: Model?
    /// Configured aliases: a name users may type → the model name it stands for.
    public let aliases: [String: String]

    /// The catalog of `records` (live members, and this node's own as `selfRecord`).
    /// `localAliases` adds names only this node knows (its files' names); `localOrder` lists
    /// the models this node serves in its configured order (the first is `default`).
    public init(records: [Gossip.PeerRecord], selfRecord: Gossip.PeerRecord?, localOrder: [Digest] = [],
                localAliases: [Digest: [String]] = [:], aliases: [String: String] = [:]) {
        var byID: [Digest: Model] = [:]
        var classes: [Digest: [[UInt8]: Int]] = [:]
        // A model's name is the one most of its nodes give it (ties: the lesser name), so
        // that a node advertising another model's file under this id cannot rename it.
        var names: [Digest: [String: Int]] = [:]
        for (record, isSelf) in records.map({ ($0, false) }) + (selfRecord.map { [($0, true)] } ?? []) {
            for offer in record.capabilities.models {
                let cls = offer.arithmeticClass
                if !cls.isEmpty { classes[offer.modelID, default: [:]][cls, default: 0] += 1 }
                names[offer.modelID, default: [:]][offer.name, default: 0] += 1
                let ctx = Int(offer.contextLength)
                let speed = Double(offer.decodeMilliTokensPerSecond) / 1000
                if var m = byID[offer.modelID] {
                    m.nodes += 1
                    m.contextRange = min(m.contextRange.lowerBound, ctx)...max(m.contextRange.upperBound, ctx)
                    m.priceRange = min(m.priceRange.lowerBound, offer.pricePer1kTokens)...max(m.priceRange.upperBound, offer.pricePer1kTokens)
                    m.bestDecodeTokensPerSecond = max(m.bestDecodeTokensPerSecond, speed)
                    m.servedHere = m.servedHere || isSelf
                    byID[offer.modelID] = m
                } else {
                    byID[offer.modelID] = Model(id: offer.modelID, name: offer.name, aliases: [], nodes: 1, contextRange: ctx...ctx,
                                                priceRange: offer.pricePer1kTokens...offer.pricePer1kTokens,
                                                bestDecodeTokensPerSecond: speed, servedHere: isSelf)
                }
            }
        }
        for id in byID.keys {
            guard var m = byID[id] else { continue }
            if let counted = names[id], let top = counted.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }) {
                m.name = top.key
            }
            var names = Self.derivedAliases(of: m.name)
            for a in localAliases[id] ?? [] where !names.contains(a.lowercased()) && a.lowercased() != m.name.lowercased() {
                names.append(a.lowercased())
            }
            m.aliases = names
            m.largestExactGroup = classes[id]?.values.max() ?? 0
            byID[id] = m
        }
        models = byID.values.sorted { $0.name != $1.name ? $0.name < $1.name : $0.id < $1.id }
        self.aliases = Dictionary(aliases.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        if let local = localOrder.first(where: { byID[$0] != nil }) {
            defaultModel = byID[local]
        } else {
            defaultModel = models.max { $0.nodes != $1.nodes ? $0.nodes < $1.nodes : $0.name > $1.name }
        }
    }

    /// The shorter names a readable name answers to: without its last tag part (the
    /// quantisation), `family:size`, and the family alone (`smollm2:135m-instruct-q4_1` →
    /// `smollm2:135m-instruct`, `smollm2:135m`, `smollm2`).
    public static func derivedAliases(of name: String) -> [String] {
        let lower = name.lowercased()
        guard let colon = lower.firstIndex(of: ":") else { return [] }
        let family = String(lower[..<colon])
        let parts = lower[lower.index(after: colon)...].split(separator: "-").map(String.init)
        var out: [String] = []
        for k in stride(from: parts.count - 1, through: 1, by: -1) { out.append(family + ":" + parts.prefix(k).joined(separator: "-")) }
        out.append(family)
        return out.filter { $0 != lower && !$0.isEmpty }
    }

    /// The model `requested` names: nil, empty or `default` → the default model; else, ignoring
    /// case, a model's name, a configured alias, a model id (or a prefix of 8+ hex digits), or
    /// a shorter name (several models answering to it: the one most nodes serve). Throws
    /// `modelNotFound` listing the names served.
    public func resolve(_ requested: String?) throws(NodeError) -> Model {
        let r = (requested ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        if r.isEmpty || r == "default" {
            guard let d = defaultModel else { throw NodeError(.modelNotFound, "no peer serves any model yet") }
            return d
        }
        if let m = models.first(where: { $0.name.lowercased() == r }) { return m }
        if let target = aliases[r]?.lowercased(), target != r, let m = models.first(where: { $0.name.lowercased() == target }) {
            return m
        }
        if r.count >= 8, r.allSatisfy(\.isHexDigit) {
            let hits = models.filter { $0.id.hex.hasPrefix(r) }
            if hits.count == 1 { return hits[0] }
        }
        let hits = models.filter { $0.aliases.contains(r) }
        if let best = hits.max(by: { $0.nodes != $1.nodes ? $0.nodes < $1.nodes : $0.name > $1.name }) { return best }
        throw NodeError(.modelNotFound, "no peer serves the model \"\(requested ?? "")\" (\(available))")
    }

    /// "models served: a, b" (or that none is), for error messages.
    public var available: String {
        models.isEmpty ? "no peer serves any model yet" : "models served: " + models.map(\.name).joined(separator: ", ")
    }
}
