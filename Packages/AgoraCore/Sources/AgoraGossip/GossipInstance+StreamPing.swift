import AgoraCrypto

extension Gossip.Instance {
    /// Handles a ping received on a stream (TCP) session (another node's `.streamPing`):
    /// answers `.replyStreamPing` on that session if the ping is for this node.
    public mutating func onStreamPing(seq: UInt64, target: NodeID, from address: Gossip.Address,
                                      now: Gossip.Instant) -> [Gossip.Directive] {
        guard phase != .created else { return [] }
        guard target == nodeID else { counters.misdirectedPings += 1; return [] }
        return [.replyStreamPing(seq: seq, to: address)]
    }

    /// Handles the ack to a `.streamPing` this node sent: the probe (or last-chance probe)
    /// `seq` is answered, as by a datagram ack. Local health is not lowered: only a direct
    /// UDP ack shows that this node's datagrams get through.
    public mutating func onStreamAck(seq: UInt64, now: Gossip.Instant) -> [Gossip.Directive] {
        guard phase != .created else { return [] }
        if var p = probe, p.seq == seq {
            if !p.acked { counters.streamAcks += 1 }
            p.acked = true
            probe = p
        } else if let id = finalProbes[seq], var s = suspicions[id], s.finalProbe == seq {
            if !s.answered { counters.streamAcks += 1 }
            s.answered = true
            suspicions[id] = s
        } else {
            counters.unexpectedReplies += 1
        }
        return []
    }
}
