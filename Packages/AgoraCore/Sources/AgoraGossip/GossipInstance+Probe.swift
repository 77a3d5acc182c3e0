import AgoraCrypto

extension Gossip.Instance {
    /// When the next probe starts: this node's offset in the round after the current one,
    /// skipping `localHealth` rounds (Lifeguard stretches the probe interval by LHM + 1).
    func nextProbeTime(after now: Gossip.Instant) -> Gossip.Instant {
        let period = settings.probeInterval.gossipNanoseconds
        let round = floorDiv(now.nanoseconds - probeOffset, period)
        let next = round + 1 + Int64(settings.lifeguard ? localHealth : 0)
        return Gossip.Instant(nanoseconds: next * period + probeOffset)
    }

    /// The round that a probe starting at `now` belongs to.
    func round(at now: Gossip.Instant) -> Int64 {
        floorDiv(now.nanoseconds - probeOffset + settings.probeInterval.gossipNanoseconds / 2,
                 settings.probeInterval.gossipNanoseconds)
    }

    /// Scales a protocol timeout by the local health multiplier.
    func scaled(_ d: Duration) -> Int64 {
        d.gossipNanoseconds * Int64(settings.lifeguard ? localHealth + 1 : 1)
    }

    /// Picks the member to probe in `round`. With the aligned schedule, members sit on a
    /// ring sorted by node id and in each round every member probes the one a shared
    /// pseudo-random distance ahead: a permutation, so each member is probed about once per
    /// period and a crash is first probed within about one period. Otherwise a random member.
    mutating func probeTarget(round: Int64) -> Gossip.Member? {
        guard liveCount > 0 else { return nil }
        let n = members.count
        var i: Int
        if settings.alignedProbeSchedule {
            let ring = n + 1
            let me = insertionIndex(of: nodeID)
            let shift = 1 + Int(Gossip.mix(UInt64(bitPattern: round)) % UInt64(ring - 1))
            let q = (me + shift) % ring
            i = q < me ? q : q - 1
        } else {
            i = rng.below(n)
        }
        for _ in 0..<n {
            if members[i].status.isLive { return members[i] }
            i = (i + 1) % n
        }
        return nil
    }

    mutating func probeTick(now: Gossip.Instant, into out: inout [Gossip.Directive]) {
        guard phase == .running else { return }
        reap(now: now, into: &out)
        if relays.count > 64 { relays = relays.filter { $0.key &+ 4096 > nextSeq } }
        if finalProbes.count > 64 { finalProbes = finalProbes.filter { suspicions[$0.value]?.finalProbe == $0.key } }
        out.append(.schedule(.probe, at: nextProbeTime(after: now)))
        guard let target = probeTarget(round: round(at: now)) else { return }
        let seq = allocateSeq()
        probe = Probe(seq: seq, target: target.nodeID, start: now)
        counters.probes += 1
        send([.ping(seq: seq, target: target.nodeID)], to: target.address,
             first: target.status == .suspect ? target.nodeID : nil, into: &out)
        out.append(.schedule(.probeTimeout(seq: seq), at: Gossip.Instant(nanoseconds: now.nanoseconds + scaled(settings.probeTimeout))))
    }

    mutating func probeTimedOut(_ seq: UInt64, now: Gossip.Instant, into out: inout [Gossip.Directive]) {
        guard var p = probe, p.seq == seq, !p.acked, let ti = index(of: p.target) else { return }
        let target = members[ti]
        var helpers: [Gossip.Member] = []
        var tries = 0
        while helpers.count < settings.indirectProbes, tries < settings.indirectProbes * 4, liveCount > 1 {
            tries += 1
            guard let h = randomLiveMember(excluding: p.target), !helpers.contains(where: { $0.nodeID == h.nodeID }) else { continue }
            helpers.append(h)
        }
        for h in helpers {
            send([.pingRequest(seq: seq, target: p.target, address: target.address, wantsNack: settings.lifeguard)],
                 to: h.address, first: nil, into: &out)
        }
        p.expectedNacks = settings.lifeguard ? helpers.count : 0
        probe = p
        if settings.streamPing {
            counters.streamPings += 1
            out.append(.streamPing(seq: seq, target: p.target, to: target.address))
        }
        if settings.directRetry {
            send([.ping(seq: seq, target: p.target)], to: target.address,
                 first: target.status == .suspect ? target.nodeID : nil, into: &out)
        }
        let end = p.start.nanoseconds + scaled(settings.indirectWindow)
        out.append(.schedule(.indirectDeadline(seq: seq), at: Gossip.Instant(nanoseconds: max(end, now.nanoseconds))))
    }

    mutating func probeEnded(_ seq: UInt64, now: Gossip.Instant, into out: inout [Gossip.Directive]) {
        guard let p = probe, p.seq == seq else { return }
        probe = nil
        guard !p.acked else { return }
        if settings.lifeguard {
            let delta = p.expectedNacks > 0 ? max(0, p.expectedNacks - p.nacks) : 1
            adjustHealth(delta)
        }
        counters.failedProbes += 1
        guard let i = index(of: p.target), members[i].status.isLive else { return }
        _ = apply(.suspect(node: p.target, incarnation: members[i].incarnation, from: nodeID), now: now,
                  viaPushPull: false, into: &out)
    }

    mutating func relayEnded(_ seq: UInt64, into out: inout [Gossip.Directive]) {
        guard let r = relays.removeValue(forKey: seq), r.wantsNack else { return }
        send([.nack(seq: r.requesterSeq)], to: r.requester, first: nil, into: &out)
    }

    mutating func adjustHealth(_ delta: Int) {
        localHealth = min(settings.maxLocalHealth - 1, max(0, localHealth + delta))
    }

    /// Handles one message of a datagram.
    mutating func handle(_ m: Gossip.Message, from peer: Gossip.Peer, now: Gossip.Instant, into out: inout [Gossip.Directive]) {
        switch m {
        case .ping(let seq, let target):
            guard target == nodeID else { counters.misdirectedPings += 1; return }
            send([.ack(seq: seq)], to: peer.address, first: nil, into: &out)
        case .ack(let seq):
            if var p = probe, p.seq == seq {
                if !p.acked, settings.lifeguard, peer.nodeID == p.target { adjustHealth(-1) }
                p.acked = true
                probe = p
            } else if let id = finalProbes[seq] {
                if var s = suspicions[id], s.finalProbe == seq { s.answered = true; suspicions[id] = s }
            } else if let r = relays.removeValue(forKey: seq) {
                send([.ack(seq: r.requesterSeq)], to: r.requester, first: nil, into: &out)
            } else {
                counters.unexpectedReplies += 1
            }
        case .nack(let seq):
            if var p = probe, p.seq == seq { p.nacks += 1; probe = p } else { counters.unexpectedReplies += 1 }
        case .pingRequest(let seq, let target, let address, let wantsNack):
            guard phase == .running, target != nodeID else { return }
            let mine = allocateSeq()
            relays[mine] = Relay(requesterSeq: seq, requester: peer.address, wantsNack: wantsNack)
            send([.ping(seq: mine, target: target)], to: address, first: target, into: &out)
            let wait = Int64(Double(settings.indirectWindow.gossipNanoseconds - settings.probeTimeout.gossipNanoseconds) * 0.8)
            out.append(.schedule(.relayDeadline(seq: mine), at: Gossip.Instant(nanoseconds: now.nanoseconds + max(wait, 1))))
        case .peerRecord(let r), .leave(let r):
            if apply(.alive(r), now: now, viaPushPull: false, into: &out) { eagerRound(now: now, into: &out) }
        case .pushPull:
            return
        }
    }

    /// Sends `messages` to `address` with as many queued updates as fit, `first`'s first.
    mutating func send(_ messages: [Gossip.Message], to address: Gossip.Address, first: NodeID?, into out: inout [Gossip.Directive]) {
        var d = Gossip.Datagram(messages: messages)
        let budget = settings.maxPacketSize - d.packetSize
        d.updates = broadcasts.take(budget: budget, maxCount: Gossip.Datagram.maxUpdates, limit: retransmitLimit, first: first)
        counters.datagramsSent += 1
        counters.updatesSent += d.updates.count
        out.append(.send(d, to: address))
    }
}

func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
