import AgoraCrypto
import AgoraGossip
import AgoraLedger
import AgoraLedgerStore

/// A member as the node API shows it.
public struct PeerSummary: Sendable {
    /// One model of the member's record.
    public struct Model: Sendable {
        public var name: String
        public var id: String
        public var contextLength: Int
        /// Credits per 1,000 tokens.
        public var price: UInt64
        /// Advertised generation speed, tokens per second.
        public var decode: Double
        /// The arithmetic class the member runs it in (hex), empty when none.
        public var arithmeticClass: String
    }
    public var nodeID: String
    public var address: String
    public var state: String
    public var incarnation: UInt64
    public var models: [Model]
    public var prefill: Double
    public var decode: Double
    public var price: UInt64
    public var queueDepth: Int
    /// The member's arithmetic classes (hex, comma-separated, in the order of its models),
    /// empty when none.
    public var arithmeticClass: String
    public var reputation: Double
    /// The member's credit balance as this node counts it (from the receipts it verified).
    public var credits: Int64
    public var isSelf: Bool
}

extension NodeRuntime {
    /// Names of the models this node serves (not those being removed).
    public var modelNames: [String] { models.serving.map(\.name) }

    /// This node and every member it knows, with their records.
    public func peerViews() async -> [PeerSummary] {
        let selfRecord = await gossip.record
        let members = await gossip.members
        var out = [summary(selfRecord, state: "alive", incarnation: selfRecord.incarnation, isSelf: true,
                           reputation: await market.reputation(of: nodeID), credits: await market.balance(of: nodeID))]
        for m in members {
            out.append(summary(m.record, state: "\(m.status)", incarnation: m.incarnation, isSelf: false,
                               reputation: await market.reputation(of: m.nodeID), credits: await market.balance(of: m.nodeID)))
        }
        return out
    }

    private func summary(_ r: Gossip.PeerRecord, state: String, incarnation: UInt64, isSelf: Bool, reputation: Double,
                         credits: Int64) -> PeerSummary {
        let models = r.capabilities.models
        return PeerSummary(
            nodeID: r.nodeID.hex, address: "\(r.address)", state: state, incarnation: incarnation,
            models: models.map {
                .init(name: $0.name, id: $0.modelID.hex, contextLength: Int($0.contextLength), price: $0.pricePer1kTokens,
                      decode: Double($0.decodeMilliTokensPerSecond) / 1000, arithmeticClass: Hex.encode($0.arithmeticClass))
            },
            prefill: Double(models.first?.prefillMilliTokensPerSecond ?? 0) / 1000,
            decode: Double(models.first?.decodeMilliTokensPerSecond ?? 0) / 1000,
            price: models.map(\.pricePer1kTokens).min() ?? 0, queueDepth: Int(r.capabilities.queueDepth),
            arithmeticClass: r.capabilities.arithmeticClasses.map(Hex.encode).joined(separator: ","), reputation: reputation, credits: credits,
            isSelf: isSelf)
    }

    /// Jobs this node took part in, newest first.
    public func jobRecords() async -> [JobRecord] { await market.jobRecords() }

    /// Entries acknowledged in this node's ledger.
    public func ledgerSize() async -> UInt64 { await ledger.count }

    /// This node's credit balance.
    public func balance() async -> Int64 { await market.balance }

    /// The latest signed checkpoint.
    public func latestCheckpoint() async -> Ledger.SignedCheckpoint? { await ledger.latestCheckpoint }

    /// Entries from the ledger.
    public func ledgerEntries(from: UInt64, limit: Int) throws -> [Ledger.Entry] {
        try ledger.database.entries(from: from, limit: limit)
    }

    /// An inclusion proof of entry `seq` in the tree of size `treeSize`.
    public func inclusionProof(seq: UInt64, treeSize: UInt64) throws -> Ledger.InclusionProof {
        try ledger.database.inclusionProof(seq: seq, treeSize: treeSize)
    }
}
