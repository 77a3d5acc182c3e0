import AgoraCrypto

extension Gossip.Instance {
    /// Sends queued updates to `gossipFanout` random live members, one datagram each.
    mutating func gossipRound(now: Gossip.Instant, into out: inout [Gossip.Directive]) {
        guard !broadcasts.isEmpty, phase != .created, liveCount > 0 else { return }
        var chosen: [Gossip.Member] = []
        var tries = 0
        while chosen.count < min(settings.gossipFanout, liveCount), tries < settings.gossipFanout * 4 {
            tries += 1
            guard let m = randomLiveMember(excluding: nil), !chosen.contains(where: { $0.nodeID == m.nodeID }) else { continue }
            chosen.append(m)
        }
        for m in chosen where !broadcasts.isEmpty { send([], to: m.address, first: nil, into: &out) }
    }

    /// A gossip round right away when news arrived, at most one per `eagerPushGap`.
    mutating func eagerRound(now: Gossip.Instant, into out: inout [Gossip.Directive]) {
        guard settings.eagerPush, now.nanoseconds - lastEagerRound.nanoseconds >= settings.eagerPushGap.gossipNanoseconds else { return }
        lastEagerRound = now
        gossipRound(now: now, into: &out)
    }

    /// This node's full state for push-pull (what `.pushPull` directives carry): every member and tombstone (and its own
    /// record), sorted by node id; a suspect member is its record then the suspicion.
    public func fullState(isReply: Bool) -> Gossip.PushPull { state(isReply: isReply) }

    func state(isReply: Bool) -> Gossip.PushPull {
        var updates: [Gossip.Update] = []
        updates.reserveCapacity(members.count + tombstones.count + 1)
        var ownDone = false
        func own() {
            if !ownDone { updates.append(.alive(record)); ownDone = true }
        }
        let graves = tombstones.keys.sorted()
        var g = 0
        for m in members {
            while g < graves.count, graves[g] < m.nodeID {
                if !ownDone, nodeID < graves[g] { own() }
                updates.append(.dead(node: graves[g], incarnation: tombstones[graves[g]]?.incarnation ?? 0, from: nodeID)); g += 1
            }
            if !ownDone, nodeID < m.nodeID { own() }
            switch m.status {
            case .alive, .left: updates.append(.alive(m.record))
            case .suspect:
                updates.append(.alive(m.record))
                updates.append(.suspect(node: m.nodeID, incarnation: m.incarnation, from: nodeID))
            case .dead: updates.append(.dead(node: m.nodeID, incarnation: m.incarnation, from: nodeID))
            }
        }
        while g < graves.count {
            if !ownDone, nodeID < graves[g] { own() }
            updates.append(.dead(node: graves[g], incarnation: tombstones[graves[g]]?.incarnation ?? 0, from: nodeID)); g += 1
        }
        own()
        return Gossip.PushPull(isReply: isReply, updates: updates)
    }
}
