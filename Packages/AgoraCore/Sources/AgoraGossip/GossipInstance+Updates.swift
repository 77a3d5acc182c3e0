import AgoraCrypto

extension Gossip.Instance {
    /// Applies one membership update; returns whether it changed this node's view (news
    /// worth gossiping). Stale, duplicate and invalid updates change nothing and are counted.
    /// Updates learnt by push-pull are not re-broadcast (anti-entropy, not news), and a
    /// `dead` learnt by push-pull about a member alive at the same incarnation only makes
    /// it suspect (as memberlist does), so a healed partition cannot kill live members.
    mutating func apply(_ u: Gossip.Update, now: Gossip.Instant, viaPushPull: Bool, into out: inout [Gossip.Directive]) -> Bool {
        switch u {
        case .alive(let r):
            return applyRecord(r, now: now, viaPushPull: viaPushPull, into: &out)
        case .suspect(let id, let inc, let from):
            if id == nodeID { return refuteIfNeeded(inc, into: &out) }
            guard let i = index(of: id) else { counters.unknownSubjects += 1; return false }
            var m = members[i]
            guard inc >= m.incarnation else { counters.staleUpdates += 1; return false }
            switch m.status {
            case .dead, .left:
                return false
            case .suspect where inc == m.incarnation:
                guard var s = suspicions[id], s.confirm(from) else { return false }
                suspicions[id] = s
                out.append(.schedule(.suspicion(id), at: max(s.deadline, now)))
                if !viaPushPull { broadcasts.enqueue(u) }
                return true
            case .alive, .suspect:
                if m.status == .alive { m.status = .suspect }
                m.incarnation = inc
                members[i] = m
                let min = settings.suspicionTimeout.gossipNanoseconds
                let k = settings.lifeguard ? (clusterSize - 2 < settings.suspicionConfirmations ? 0 : settings.suspicionConfirmations) : 0
                let max = settings.lifeguard && k > 0 ? Int64(Double(min) * settings.suspicionMaxMultiplier) : min
                let s = Gossip.Suspicion(from: from, start: now, min: min, max: max, k: k)
                suspicions[id] = s
                out.append(.schedule(.suspicion(id), at: s.deadline))
                out.append(.emit(.suspect(id, incarnation: inc)))
                if !viaPushPull { broadcasts.enqueue(u) }
                return true
            }
        case .dead(let id, let inc, let from):
            if id == nodeID { return refuteIfNeeded(inc, into: &out) }
            guard let i = index(of: id) else {
                if tombstones[id].map({ inc > $0.incarnation }) ?? true { addTombstone(id, inc, now: now) }
                return false
            }
            let m = members[i]
            guard inc >= m.incarnation else { counters.staleUpdates += 1; return false }
            guard m.status.isLive else { return false }
            if viaPushPull, inc == m.incarnation, m.status == .alive {
                // Gossip the suspicion so that the member hears it and refutes (a healing partition).
                return apply(.suspect(node: id, incarnation: inc, from: from), now: now, viaPushPull: false, into: &out)
            }
            setStatus(i, .dead, incarnation: inc)
            suspicions[id] = nil
            deadSince[id] = now
            out.append(.emit(.dead(id, incarnation: inc)))
            if !viaPushPull { broadcasts.enqueue(u) }
            return true
        }
    }

    /// A signed record: accepted only if newer than everything held about its subject
    /// (member or tombstone) and signed by the subject's own key.
    mutating func applyRecord(_ r: Gossip.PeerRecord, now: Gossip.Instant, viaPushPull: Bool, into out: inout [Gossip.Directive]) -> Bool {
        let id = r.nodeID
        if id == nodeID {
            guard r.incarnation >= record.incarnation, r != record else { return false }
            guard verifier.isValid(r) else { counters.badRecords += 1; return false }
            return refuteIfNeeded(r.incarnation, into: &out)
        }
        if !tombstones.isEmpty, let t = tombstones[id], r.incarnation <= t.incarnation { counters.staleUpdates += 1; return false }
        if let i = index(of: id) {
            let m = members[i]
            guard r.incarnation > m.incarnation else {
                if r.incarnation < m.incarnation { counters.staleUpdates += 1 }
                return false
            }
            guard verifier.isValid(r) else { counters.badRecords += 1; return false }
            let old = m.status
            members[i].record = r
            if old != .alive { suspicions[id] = nil }
            if r.departing {
                setStatus(i, .left, incarnation: r.incarnation)
                deadSince[id] = now
                if old != .left { out.append(.emit(.left(id, incarnation: r.incarnation))) }
            } else {
                setStatus(i, .alive, incarnation: r.incarnation)
                if old == .dead || old == .left { deadSince[id] = nil }
                out.append(.emit(old == .alive ? .recordUpdated(r) : .alive(r)))
            }
        } else {
            guard verifier.isValid(r) else { counters.badRecords += 1; return false }
            if r.departing {
                addTombstone(id, r.incarnation, now: now)
            } else {
                members.insert(Gossip.Member(record: r, incarnation: r.incarnation, status: .alive), at: insertionIndex(of: id))
                liveCount += 1
                out.append(.emit(.alive(r)))
            }
        }
        if !viaPushPull { broadcasts.enqueue(.alive(r)) }
        return true
    }

    mutating func setStatus(_ i: Int, _ status: Gossip.Member.Status, incarnation: UInt64) {
        let was = members[i].status.isLive
        members[i].status = status
        members[i].incarnation = incarnation
        if was != status.isLive { liveCount += status.isLive ? 1 : -1 }
    }

    mutating func addTombstone(_ id: NodeID, _ inc: UInt64, now: Gossip.Instant, record: Gossip.PeerRecord? = nil) {
        if tombstones[id] == nil, tombstones.count >= settings.maxTombstones {
            // Drop the tombstone closest to expiry (ties by id, so the choice is deterministic).
            if let victim = tombstones.min(by: { ($0.value.expires, $0.key) < ($1.value.expires, $1.key) })?.key {
                tombstones[victim] = nil
            }
        }
        tombstones[id] = Gossip.Tombstone(incarnation: inc, expires: now + settings.tombstoneRetention, record: record)
    }

    /// A claim that this node is suspect or dead at `inc` (or a record of this node at
    /// `inc`): refute it with a record at a higher incarnation, unless it is stale.
    mutating func refuteIfNeeded(_ inc: UInt64, into out: inout [Gossip.Directive]) -> Bool {
        guard phase != .leaving else { return false }
        guard inc >= record.incarnation else {
            // The sender has not seen our newer record yet: gossip it again (once queued is enough).
            if !broadcasts.contains(nodeID) { broadcasts.enqueue(.alive(record)) }
            return false
        }
        guard let r = try? Gossip.PeerRecord(incarnation: inc + 1, addresses: record.addresses,
                                             capabilities: record.capabilities, signer: signer) else { return false }
        record = r
        broadcasts.enqueue(.alive(r))
        counters.refutations += 1
        if settings.lifeguard { adjustHealth(1) }
        out.append(.emit(.refuted(incarnation: r.incarnation)))
        return true
    }

    /// Signs and queues a new own record at the next incarnation.
    mutating func publish(departing: Bool, addresses: [Gossip.Address], capabilities: Gossip.Capabilities) {
        guard let r = try? Gossip.PeerRecord(incarnation: record.incarnation + 1, departing: departing,
                                             addresses: addresses.isEmpty ? record.addresses : addresses,
                                             capabilities: capabilities, signer: signer) else { return }
        record = r
        broadcasts.enqueue(.alive(r))
    }

    /// Takes known records in bulk (join); sorted input is merged in linear time.
    mutating func mergeKnown(_ records: [Gossip.PeerRecord], now: Gossip.Instant, into out: inout [Gossip.Directive]) {
        guard !records.isEmpty else { return }
        let sorted = zip(records, records.dropFirst()).allSatisfy { $0.nodeID < $1.nodeID }
        if sorted, members.isEmpty {
            var fresh: [Gossip.Member] = []
            fresh.reserveCapacity(records.count)
            for r in records where r.nodeID != nodeID && !r.departing && !isTombstoned(r.nodeID, incarnation: r.incarnation) {
                guard verifier.isValid(r) else { counters.badRecords += 1; continue }
                fresh.append(Gossip.Member(record: r, incarnation: r.incarnation, status: .alive))
            }
            members = fresh
            liveCount = fresh.count
            return
        }
        for r in records { _ = applyRecord(r, now: now, viaPushPull: true, into: &out) }
    }

    /// A suspicion timer fired: at the deadline, a last-chance probe (repeated after a backoff
    /// up to `lastChanceProbes` times while unanswered), then `dead` if the member is still suspect.
    mutating func suspicionEnded(_ id: NodeID, now: Gossip.Instant, into out: inout [Gossip.Directive]) {
        guard var s = suspicions[id], now >= s.deadline, let i = index(of: id), members[i].status == .suspect else { return }
        if settings.lifeguard, settings.finalProbe {
            guard let end = s.finalProbeEnd else {
                // No last-chance probe out: send one, unless backing off after an unanswered one.
                if let retry = s.retryAt, now < retry { return }
                lastChanceProbe(i, &s, now: now, into: &out)
                return
            }
            guard now >= end else { return }
            finalProbes[s.finalProbe ?? 0] = nil
            if s.answered {
                // It answered but we still lack a newer record: give it a full timer again.
                let again = Gossip.Suspicion(from: nodeID, start: now, min: s.min, max: s.max, k: s.k)
                suspicions[id] = again
                out.append(.schedule(.suspicion(id), at: again.deadline))
                return
            }
            if s.finalProbesSent < settings.lastChanceProbes {
                s.finalProbe = nil
                s.finalProbeEnd = nil
                s.retryAt = now + settings.lastChanceBackoff
                suspicions[id] = s
                out.append(.schedule(.suspicion(id), at: now + settings.lastChanceBackoff))
                return
            }
        }
        counters.declaredDead += 1
        _ = apply(.dead(node: id, incarnation: members[i].incarnation, from: nodeID), now: now, viaPushPull: false, into: &out)
    }

    /// Push-pull with a random dead (or reaped, not departed) member, so that two sides of a
    /// healed partition, which each believe the other dead, find each other again (as
    /// Serf's reconnect does). A crashed member simply does not answer.
    mutating func reconnect(now: Gossip.Instant, into out: inout [Gossip.Directive]) {
        var candidates: [Gossip.Address] = members.filter { $0.status == .dead }.map(\.address)
        if candidates.isEmpty, !tombstones.isEmpty {
            candidates = tombstones.keys.sorted().compactMap { tombstones[$0]?.record?.address }
        }
        guard !candidates.isEmpty else { return }
        out.append(.pushPull(state(isReply: false), to: candidates[rng.below(candidates.count)]))
    }

    /// Probes a suspect once more before declaring it dead: directly and through helpers,
    /// carrying the suspicion so that a live member refutes (or re-sends its newer record).
    mutating func lastChanceProbe(_ i: Int, _ s: inout Gossip.Suspicion, now: Gossip.Instant, into out: inout [Gossip.Directive]) {
        let target = members[i]
        let seq = allocateSeq()
        s.finalProbe = seq
        s.finalProbeEnd = now + settings.indirectWindow
        s.finalProbesSent += 1
        s.retryAt = nil
        suspicions[target.nodeID] = s
        finalProbes[seq] = target.nodeID
        let claim = Gossip.Update.suspect(node: target.nodeID, incarnation: target.incarnation, from: nodeID)
        var d = Gossip.Datagram(messages: [.ping(seq: seq, target: target.nodeID)], updates: [claim])
        d.updates += broadcasts.take(budget: settings.maxPacketSize - d.packetSize, maxCount: Gossip.Datagram.maxUpdates - 1,
                                     limit: retransmitLimit)
        counters.datagramsSent += 1
        out.append(.send(d, to: target.address))
        var helpers: [Gossip.Member] = []
        for _ in 0..<(settings.indirectProbes * 4) where helpers.count < settings.indirectProbes && liveCount > 1 {
            if let h = randomLiveMember(excluding: target.nodeID), !helpers.contains(where: { $0.nodeID == h.nodeID }) { helpers.append(h) }
        }
        for h in helpers {
            counters.datagramsSent += 1
            out.append(.send(Gossip.Datagram(messages: [.pingRequest(seq: seq, target: target.nodeID, address: target.address,
                                                                       wantsNack: false)], updates: [claim]), to: h.address))
        }
        if settings.streamPing {
            counters.streamPings += 1
            out.append(.streamPing(seq: seq, target: target.nodeID, to: target.address))
        }
        out.append(.schedule(.suspicion(target.nodeID), at: now + settings.indirectWindow))
    }

    /// Removes dead and departed members after `deadRetention`, leaving tombstones.
    mutating func reap(now: Gossip.Instant, into out: inout [Gossip.Directive]) {
        let cutoff = settings.deadRetention.gossipNanoseconds
        guard !deadSince.isEmpty || !tombstones.isEmpty else { return }
        var due = deadSince.filter { now.nanoseconds - $0.value.nanoseconds >= cutoff }.map(\.key)
        if !due.isEmpty {
            due.sort()
            for id in due {
                deadSince[id] = nil
                guard let i = index(of: id) else { continue }
                let m = members[i]
                addTombstone(id, m.incarnation, now: now, record: m.status == .dead ? m.record : nil)
                members.remove(at: i)
                out.append(.emit(.reaped(id)))
            }
        }
        if tombstones.count > 0, rng.below(16) == 0 {
            tombstones = tombstones.filter { $0.value.expires > now }
        }
    }
}
