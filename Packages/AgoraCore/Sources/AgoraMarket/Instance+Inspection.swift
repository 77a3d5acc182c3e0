extension Market.Instance {
    /// How many providers have been awarded a requested job so far (1 without failover);
    /// nil for a job this node did not request or no longer tracks.
    public func jobAttempts(_ id: Market.JobID) -> Int {
        guard let job = state.requests[id] else { return 0 }
        return max(job.tried.count, job.award == nil ? 0 : 1)
    }
}

extension Market.Instance {
    /// The peer table last given to `updatePeers`.
    public var peers: [Market.PeerInfo] { state.peers }
}
