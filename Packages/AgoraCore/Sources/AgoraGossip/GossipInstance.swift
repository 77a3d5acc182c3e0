import AgoraCrypto

extension Gossip {
    /// One node's SWIM + Lifeguard membership: a pure state machine. Every input comes
    /// with `now`; every effect is a returned `Directive`. It never touches sockets, clocks
    /// or system randomness, so the node and `AgoraSim` run exactly this code.
    ///
    /// A member's status, as this node sees it:
    ///
    ///     (record, inc i) ──► alive ──probe fails / suspect(i)──► suspect ──timer runs out,
    ///          ▲                ▲                                   │      last-chance probe fails──► dead ──30 s──► reaped
    ///          │                └──────── record inc > i ───────────┘                                  │             (tombstone i, 6 h)
    ///          └───────────────────────────── record inc > i (rejoin) ─────────────────────────────────┘
    ///     alive ──departing record inc > i──► left ──30 s──► reaped
    ///
    /// Only a signed record at a higher incarnation moves a member back to alive; a
    /// tombstone keeps the incarnation a reaped member died at, so no stale record or
    /// push-pull brings it back. About itself, a node answers `suspect`/`dead` at its
    /// incarnation by publishing a record at a higher one (refutation).
    ///
    /// Inputs and what they produce:
    ///
    /// | input | reaction |
    /// |---|---|
    /// | `onTimeout(.probe)` | ping the round's target (ring schedule); schedule `.probeTimeout` |
    /// | `onTimeout(.probeTimeout)` | no ack yet: ping-request through k helpers, a second direct ping and a `.streamPing`; schedule `.indirectDeadline` |
    /// | `onTimeout(.indirectDeadline)` | still no ack: suspect the target, adjust local health |
    /// | `onTimeout(.suspicion)` | last-chance probe (direct, k helpers, `.streamPing`; again after 1 s if unanswered), then `dead` |
    /// | `onTimeout(.gossip)` | send queued updates to 3 random members |
    /// | `onTimeout(.pushPull)` / `.reconnect` | `.pushPull` with a random live / dead member |
    /// | `onDatagram` ping / ack / ping-request / nack | ack / mark the probe / relay / count the nack |
    /// | `onDatagram` updates | apply (§5.3 of Protocol.md); news triggers an eager gossip round; a stale suspect/dead claim is answered with the newer record, straight to the sender |
    /// | `onStreamPing` / `onStreamAck` | `.replyStreamPing` / mark the probe (or last-chance probe) answered |
    /// | `onPushPull` | merge; answer a request with `.replyPushPull` |
    /// | `onCommand(.join / .leave / .updateRecord)` | start timers and push-pull / departing record / new record |
    public struct Instance: Sendable {
        enum Phase: Sendable { case created, running, leaving }

        struct Probe: Sendable {
            var seq: UInt64
            var target: NodeID
            var start: Instant
            var expectedNacks = 0
            var nacks = 0
            var acked = false
        }

        struct Relay: Sendable {
            var requesterSeq: UInt64
            var requester: Address
            var wantsNack: Bool
        }

        /// Parameters.
        public let settings: Settings
        /// This node's id.
        public var nodeID: NodeID { record.nodeID }
        /// This node's current signed record.
        public internal(set) var record: PeerRecord
        /// What was dropped or done, by reason.
        public internal(set) var counters = Counters()
        /// Lifeguard local health score, 0 ..< `settings.maxLocalHealth` (0 is healthy).
        public internal(set) var localHealth = 0

        /// Members other than this node, sorted by node id (dead and departed ones until reaped).
        var members: [Member] = []
        /// Members that are alive or suspect.
        var liveCount = 0
        var tombstones: [NodeID: Tombstone] = [:]
        var deadSince: [NodeID: Instant] = [:]
        var suspicions: [NodeID: Suspicion] = [:]
        var broadcasts = BroadcastQueue()
        var rng: Random
        var probe: Probe?
        var relays: [UInt64: Relay] = [:]
        /// Outstanding last-chance probes: seq → suspect.
        var finalProbes: [UInt64: NodeID] = [:]
        var nextSeq: UInt64 = 1
        var phase: Phase = .created
        var bootstrap: [Address] = []
        var lastEagerRound = Instant(nanoseconds: .min / 2)
        /// This node's offset within each probe period (spreads probes over the period).
        let probeOffset: Int64
        let signer: any RecordSigner
        let verifier: any RecordVerifier

        /// A new instance for the node whose key `signer` holds. Nothing happens until
        /// `onCommand(.join(...))`.
        /// - Parameters:
        ///   - incarnation: the first incarnation to publish; must exceed any earlier run's
        ///     (e.g. the wall clock in seconds at start), or the node refutes its own old record.
        ///   - seed: fixes every random choice of this instance.
        public init(signer: some RecordSigner, addresses: [Address], capabilities: Capabilities, incarnation: UInt64,
                    settings: Settings = Settings(), seed: UInt64,
                    verifier: some RecordVerifier = Ed25519Verifier()) throws(GossipError) {
            self.settings = settings
            self.signer = signer
            self.verifier = verifier
            self.record = try PeerRecord(incarnation: incarnation, addresses: addresses, capabilities: capabilities, signer: signer)
            var rng = Random(seed: seed)
            self.probeOffset = Int64(rng.below(Int(max(1, settings.probeInterval.gossipNanoseconds))))
            self.rng = rng
        }

        // MARK: Reading the view

        /// Every member this node knows (not itself), sorted by node id, including dead and
        /// departed ones not yet reaped.
        public var allMembers: [Member] { members }

        /// Alive and suspect members, sorted by node id.
        public var liveMembers: [Member] { members.filter { $0.status.isLive } }

        /// Number of alive and suspect members (not counting this node).
        public var liveMemberCount: Int { liveCount }

        /// The member with this id, if known.
        public func member(_ id: NodeID) -> Member? {
            guard let i = index(of: id) else { return nil }
            return members[i]
        }

        /// Whether a record at or below `incarnation` of `id` would be refused because the
        /// member was reaped at that incarnation.
        public func isTombstoned(_ id: NodeID, incarnation: UInt64) -> Bool {
            guard let t = tombstones[id] else { return false }
            return incarnation <= t.incarnation
        }

        // MARK: Inputs

        /// Handles a command.
        public mutating func onCommand(_ command: Command, now: Instant) -> [Directive] {
            var out: [Directive] = []
            switch command {
            case .join(let addresses, let known):
                bootstrap = addresses
                mergeKnown(known, now: now, into: &out)
                if phase == .created {
                    phase = .running
                    broadcasts.enqueue(.alive(record))
                    out.append(.schedule(.probe, at: nextProbeTime(after: now)))
                    out.append(.schedule(.gossip, at: now + settings.gossipInterval))
                    out.append(.schedule(.pushPull, at: now + settings.settleSync.scaled(1 + rng.unit())))
                    out.append(.schedule(.reconnect, at: now + settings.reconnectInterval.scaled(0.5 + rng.unit())))
                }
                for a in addresses { out.append(.pushPull(state(isReply: false), to: a)) }
                if !addresses.isEmpty { out.append(.schedule(.join, at: now + settings.joinRetry)) }
            case .leave:
                guard phase != .leaving else { return [] }
                publish(departing: true, addresses: record.addresses, capabilities: record.capabilities)
                phase = .leaving
                gossipRound(now: now, into: &out)
            case .updateRecord(let addresses, let capabilities):
                guard phase != .leaving else { return [] }
                publish(departing: false, addresses: addresses, capabilities: capabilities)
                gossipRound(now: now, into: &out)
            }
            return out
        }

        /// Handles an authenticated datagram from `peer` (the shell has checked the packet's
        /// signature and sequence with a `PacketGuard`).
        public mutating func onDatagram(_ datagram: Datagram, from peer: Peer, now: Instant) -> [Directive] {
            guard phase != .created else { return [] }
            var out: [Directive] = []
            var news = false
            var stale: [NodeID] = []
            for u in datagram.updates {
                if apply(u, now: now, viaPushPull: false, into: &out) {
                    news = true
                } else if settings.answerStaleClaims, let id = staleClaimSubject(u), !stale.contains(id) {
                    stale.append(id)
                }
            }
            for m in datagram.messages { handle(m, from: peer, now: now, into: &out) }
            if !stale.isEmpty { answerStaleClaims(stale, to: peer.address, into: &out) }
            if news { eagerRound(now: now, into: &out) }
            return out
        }

        /// Handles a push-pull state received over TCP: a request (answered with
        /// `.replyPushPull`) or the reply to one this node sent.
        public mutating func onPushPull(_ state: PushPull, from address: Address, now: Instant) -> [Directive] {
            guard phase != .created else { return [] }
            var out: [Directive] = []
            for u in state.updates { _ = apply(u, now: now, viaPushPull: true, into: &out) }
            if !state.isReply { out.append(.replyPushPull(self.state(isReply: true), to: address)) }
            return out
        }

        /// A push-pull this node started could not complete (connect or read failed).
        /// Joining retries on its own timer; nothing else depends on it.
        public mutating func onPushPullFailed(to address: Address, now: Instant) -> [Directive] { [] }

        /// Handles a timer scheduled earlier.
        public mutating func onTimeout(_ timer: Timer, now: Instant) -> [Directive] {
            var out: [Directive] = []
            switch timer {
            case .probe: probeTick(now: now, into: &out)
            case .probeTimeout(let seq): probeTimedOut(seq, now: now, into: &out)
            case .indirectDeadline(let seq): probeEnded(seq, now: now, into: &out)
            case .relayDeadline(let seq): relayEnded(seq, into: &out)
            case .suspicion(let id): suspicionEnded(id, now: now, into: &out)
            case .gossip:
                gossipRound(now: now, into: &out)
                out.append(.schedule(.gossip, at: now + settings.gossipInterval))
            case .pushPull:
                guard phase == .running else { break }
                if let m = randomLiveMember(excluding: nil) { out.append(.pushPull(state(isReply: false), to: m.address)) }
                out.append(.schedule(.pushPull, at: now + pushPullPeriod()))
            case .reconnect:
                guard phase == .running else { break }
                reconnect(now: now, into: &out)
                out.append(.schedule(.reconnect, at: now + settings.reconnectInterval))
            case .join:
                guard phase == .running, liveCount == 0, !bootstrap.isEmpty else { break }
                for a in bootstrap { out.append(.pushPull(state(isReply: false), to: a)) }
                out.append(.schedule(.join, at: now + settings.joinRetry))
            }
            return out
        }

        // MARK: Helpers

        /// Index of `id` in `members`, by binary search.
        func index(of id: NodeID) -> Int? {
            let i = insertionIndex(of: id)
            return i < members.count && members[i].record.nodeID == id ? i : nil
        }

        /// The first index whose member id is not below `id`.
        func insertionIndex(of id: NodeID) -> Int {
            let key = prefixKey(id)
            var lo = 0, hi = members.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                let other = members[mid].record.nodeID
                let k = prefixKey(other)
                let below = k != key ? k < key : other.bytes.lexicographicallyPrecedes(id.bytes)
                if below { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }

        /// A random live member other than `excluded`.
        mutating func randomLiveMember(excluding excluded: NodeID?) -> Member? {
            guard liveCount > 0 else { return nil }
            for _ in 0..<8 {
                let m = members[rng.below(members.count)]
                if m.status.isLive, m.nodeID != excluded { return m }
            }
            return members.first { $0.status.isLive && $0.nodeID != excluded }
        }

        /// Number of members counted for timeouts and retransmits (live members and this node).
        var clusterSize: Int { liveCount + 1 }

        /// How many times each update is sent: λ · ceil(log10(N + 1)).
        var retransmitLimit: Int {
            var digits = 0, n = clusterSize + 1
            var p = 1
            while p < n { p *= 10; digits += 1 }
            return settings.retransmitMultiplier * max(1, digits)
        }

        func pushPullPeriod() -> Duration {
            let n = clusterSize
            guard n > 32 else { return settings.pushPullInterval }
            var scale = 1, v = 32
            while v < n { v *= 2; scale += 1 }
            return settings.pushPullInterval * scale
        }

        mutating func allocateSeq() -> UInt64 {
            defer { nextSeq &+= 1 }
            return nextSeq
        }
    }
}

/// The first 8 bytes of a node id, big-endian (orders like the full id when they differ).
@inline(__always) func prefixKey(_ id: NodeID) -> UInt64 {
    id.bytes.withUnsafeBufferPointer { b in
        var k: UInt64 = 0
        for i in 0..<8 { k = k << 8 | UInt64(b[i]) }
        return k
    }
}
