import AgoraCrypto

extension Gossip.Instance {
    /// The subject of `u` if it is a suspect or dead claim older than the live record this
    /// node holds about that subject (or about itself): the sender missed a refutation.
    func staleClaimSubject(_ u: Gossip.Update) -> NodeID? {
        let id: NodeID, inc: UInt64
        switch u {
        case .suspect(let node, let i, _), .dead(let node, let i, _): (id, inc) = (node, i)
        case .alive: return nil
        }
        if id == nodeID { return phase != .leaving && inc < record.incarnation ? id : nil }
        guard let i = index(of: id), members[i].status.isLive, members[i].record.incarnation > inc else { return nil }
        return id
    }

    /// Sends the newer records of `subjects` straight to `address` (one datagram; they go
    /// first, queued updates fill the rest).
    mutating func answerStaleClaims(_ subjects: [NodeID], to address: Gossip.Address, into out: inout [Gossip.Directive]) {
        var d = Gossip.Datagram(messages: [])
        for id in subjects.prefix(Gossip.Datagram.maxUpdates) {
            let r = id == nodeID ? record : member(id)?.record
            guard let r else { continue }
            let u = Gossip.Update.alive(r)
            guard d.packetSize + u.encodedSize <= settings.maxPacketSize else { break }
            d.updates.append(u)
        }
        guard !d.updates.isEmpty else { return }
        let answered = d.updates.map(\.subject)
        d.updates += broadcasts.take(budget: settings.maxPacketSize - d.packetSize,
                                     maxCount: Gossip.Datagram.maxUpdates - d.updates.count,
                                     limit: retransmitLimit).filter { !answered.contains($0.subject) }
        counters.staleClaimsAnswered += 1
        counters.datagramsSent += 1
        counters.updatesSent += d.updates.count
        out.append(.send(d, to: address))
    }
}
