import AgoraCrypto
import AgoraExecutor
import AgoraGossip
import AgoraLedger
import AgoraMarket
import AgoraNode
import Foundation

/// The node API's view of a running node.
public struct NodeStatus: NodeStatusService {
    let node: NodeRuntime

    /// The node API's view of `node`.
    public init(node: NodeRuntime) { self.node = node }

    public func health() async -> HealthView {
        let peers = await node.peerViews()
        return HealthView(status: "ok", nodeID: node.nodeID.hex, address: node.address,
                          uptimeSeconds: Date().timeIntervalSince(node.startedAt),
                          peersAlive: peers.filter { $0.state == "alive" }.count,
                          models: node.modelNames, ledgerSize: await node.ledgerSize(), credits: await node.balance())
    }

    public func peers() async -> [PeerView] {
        await node.peerViews().map { p in
            PeerView(nodeID: p.nodeID, address: p.address, state: p.state, incarnation: p.incarnation,
                     models: p.models.map { .init(name: $0.name, modelID: $0.id, contextLength: $0.contextLength,
                                                  arithmeticClass: $0.arithmeticClass) },
                     prefillTokensPerSecond: p.prefill, decodeTokensPerSecond: p.decode, pricePer1kTokens: p.price,
                     queueDepth: p.queueDepth, arithmeticClass: p.arithmeticClass, reputation: p.reputation,
                     credits: p.credits, isSelf: p.isSelf)
        }
    }

    public func jobs() async -> [JobView] {
        await node.jobRecords().map {
            JobView(jobID: $0.jobID, role: $0.role, state: $0.state, requester: $0.requester, provider: $0.provider,
                    price: $0.price, latencyMs: $0.latencyMs, verification: $0.verification, attempts: $0.attempts,
                    createdUnixMs: $0.createdUnixMs)
        }
    }

    public func ledger(limit: Int) async -> LedgerView {
        let size = await node.ledgerSize()
        let from = size > UInt64(limit) ? size - UInt64(limit) : 0
        let entries = (try? await ledgerEntries(from: from, limit: limit)) ?? []
        let cp = await node.latestCheckpoint()
        return LedgerView(ledgerID: node.nodeID.hex, size: cp?.checkpoint.size ?? 0, rootHash: cp?.checkpoint.root.hex ?? "",
                          checkpoint: cp?.text ?? "", entries: entries.reversed())
    }

    public func ledgerEntries(from: UInt64, limit: Int) async throws -> [LedgerEntryView] {
        try node.ledgerEntries(from: from, limit: limit).map {
            LedgerEntryView(seq: $0.seq, kind: "\($0.kind)", timeUnixMs: $0.time, hash: $0.hash.hex,
                            summary: "\($0.body.count)-byte \($0.kind) body", bytes: Hex.encode($0.encoded))
        }
    }

    public func inclusionProof(seq: UInt64) async throws -> InclusionProofView {
        guard let cp = await node.latestCheckpoint() else { throw NodeError(.job, "the ledger has no checkpoint yet") }
        guard seq < cp.checkpoint.size else { throw NodeError(.job, "entry \(seq) is not covered by the latest checkpoint (size \(cp.checkpoint.size))") }
        let entry = try node.ledgerEntries(from: seq, limit: 1)
        guard let e = entry.first else { throw NodeError(.job, "no entry \(seq)") }
        let proof = try node.inclusionProof(seq: seq, treeSize: cp.checkpoint.size)
        return InclusionProofView(seq: seq, treeSize: cp.checkpoint.size, leafHash: e.leafHash.hex, rootHash: cp.checkpoint.root.hex,
                                  path: proof.hashes.map(\.hex), checkpoint: cp.text)
    }
}

extension NodeStatus: ModelAdminService {
    public func localModels() async -> [LocalModelView] { node.hostedModels.map(LocalModelView.init) }

    public func addModel(_ request: AddModelRequest) async throws(NodeError) -> LocalModelView {
        LocalModelView(try await node.addModel(ModelEntry(path: request.path, slots: request.slots, contextPerSlot: request.contextPerSlot,
                                                          pricePer1kTokens: request.pricePer1kTokens)))
    }

    public func removeModel(_ name: String) async throws(NodeError) -> LocalModelView {
        LocalModelView(try await node.removeModel(name))
    }
}
