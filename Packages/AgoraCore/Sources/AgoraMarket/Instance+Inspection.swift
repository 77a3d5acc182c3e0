import AgoraCrypto

extension Market.Instance {
    /// The provider holding the award of a job this node requested, while it runs
    /// (phase `awarded`); nil otherwise.
    public func awardedProvider(_ id: Market.JobID) -> PublicKey? {
        guard let job = state.requests[id], job.phase == .awarded else { return nil }
        return job.award?.body.provider
    }

    /// How many awards a requested job has had so far, each failover counted (1 without
    /// failover); 0 for a job this node did not request or no longer tracks.
    public func jobAttempts(_ id: Market.JobID) -> Int { state.requests[id]?.awards ?? 0 }

    /// The signed request of a job this node requested (model, prompt tokens, `maxTokens`,
    /// level); nil for a job this node did not request or no longer tracks.
    public func request(_ id: Market.JobID) -> Market.JobRequest? { state.requests[id]?.request.body }

    /// The accepted result of a job this node requested (its provider's signed ledger entry,
    /// checkpoint and proof); nil before one was accepted.
    public func acceptedResult(_ id: Market.JobID) -> Market.ResultMessage? { state.requests[id]?.result?.body }

    /// Where a job this node requested spent its time so far; nil for a job this node did not
    /// request or no longer tracks.
    public func timeline(_ id: Market.JobID) -> Market.JobTimeline? { state.requests[id]?.timeline }
}

extension Market.Instance {
    /// The peer table last given to `updatePeers`.
    public var peers: [Market.PeerInfo] { state.peers }
}
