import AgoraCrypto
import AgoraMarket
import AgoraWire

/// What the node's API and status pages read from the market shell (read-only).
extension MarketShell {
    /// Reputation score of a node (0…1).
    func reputation(of node: NodeID) -> Double { instance.state.reputation.score(of: node) }
    func balance(of node: NodeID) -> Int64 { instance.state.reputation.balance(of: node) }
    /// Credit balance of this node, derived from receipts seen.
    var balance: Int64 { instance.state.reputation.balance(of: identity.publicKey) }
    /// Market counters.
    var stats: Market.Instance.Stats { instance.stats }
    /// Work this node holds for its executor (jobs and checks, waiting or running).
    var queueDepth: Int { instance.queueDepth }
    /// Jobs this node's users have open.
    var openJobs: Int { waiting.count }

    /// Jobs this node took part in, newest first; an open job this node requested shows the
    /// market's phase of it now (soliciting, awarded, verifying).
    func jobRecords() -> [JobRecord] {
        journal.records.map { r in
            guard r.role == "requester", r.state == "bidding", let id = Market.JobID(bytes: (try? Hex.decode(r.jobID)) ?? []),
                  let phase = instance.jobPhase(id) else { return r }
            var open = r
            open.state = phase
            open.provider = instance.awardedProvider(id)?.hex
            return open
        }
    }
}
